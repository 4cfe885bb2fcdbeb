/*
 * A small streaming JSON writer: the caller opens and closes containers,
 * the writer places commas, quotes and escapes. Containers nested deeper
 * than PGL_JSON_PRETTY_DEPTH are written on one line, so a long timeline
 * stays one line per second. Writes to a FILE; reports errors at the end
 * (pgl_json_close) rather than on every call.
 */
#ifndef PGLOAD_JSON_H
#define PGLOAD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PGL_JSON_MAX_DEPTH 16
#define PGL_JSON_PRETTY_DEPTH 2

struct pgl_json {
	FILE *f;
	int depth;
	bool has_items[PGL_JSON_MAX_DEPTH];
	char closer[PGL_JSON_MAX_DEPTH];   /* '}' or ']' of each open container */
	bool bad;                    /* unbalanced or too deep: a caller's bug */
};

void pgl_json_init(struct pgl_json *j, FILE *f);
/* KEY is NULL inside an array (and for the outermost value). */
void pgl_json_object(struct pgl_json *j, const char *key);
void pgl_json_array(struct pgl_json *j, const char *key);
void pgl_json_end(struct pgl_json *j);
void pgl_json_str(struct pgl_json *j, const char *key, const char *s);   /* NULL: null */
void pgl_json_int(struct pgl_json *j, const char *key, int64_t v);
void pgl_json_uint(struct pgl_json *j, const char *key, uint64_t v);
/* A number with DECIMALS places; NaN and infinities as null. */
void pgl_json_num(struct pgl_json *j, const char *key, double v, int decimals);
void pgl_json_bool(struct pgl_json *j, const char *key, bool v);
void pgl_json_null(struct pgl_json *j, const char *key);
/* Ends the document with a newline; 0, or -1 if a write failed or the
 * containers did not balance. */
int pgl_json_close(struct pgl_json *j);

/* Writes S as a JSON string (quotes included). */
void pgl_json_write_string(FILE *f, const char *s);

#endif
