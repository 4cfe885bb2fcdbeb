#include "json.h"

#include <inttypes.h>
#include <math.h>

void pgl_json_init(struct pgl_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_items[0] = false;
	j->bad = false;
}

void pgl_json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void newline(struct pgl_json *j, int depth)
{
	fputc('\n', j->f);
	for (int i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/* Separator, indentation and key before a value. */
static void begin_value(struct pgl_json *j, const char *key)
{
	if (j->has_items[j->depth])
		fputc(',', j->f);
	j->has_items[j->depth] = true;
	if (j->depth > 0 && j->depth <= PGL_JSON_PRETTY_DEPTH)
		newline(j, j->depth);
	if (key) {
		pgl_json_write_string(j->f, key);
		fputc(':', j->f);
	}
}

static void open_container(struct pgl_json *j, const char *key, char opener, char closer)
{
	if (j->depth + 1 >= PGL_JSON_MAX_DEPTH) {
		j->bad = true;
		return;
	}
	begin_value(j, key);
	fputc(opener, j->f);
	j->depth++;
	j->has_items[j->depth] = false;
	j->closer[j->depth] = closer;
}

void pgl_json_object(struct pgl_json *j, const char *key)
{
	open_container(j, key, '{', '}');
}

void pgl_json_array(struct pgl_json *j, const char *key)
{
	open_container(j, key, '[', ']');
}

void pgl_json_end(struct pgl_json *j)
{
	if (j->depth == 0) {
		j->bad = true;
		return;
	}
	if (j->has_items[j->depth] && j->depth <= PGL_JSON_PRETTY_DEPTH)
		newline(j, j->depth - 1);
	fputc(j->closer[j->depth], j->f);
	j->depth--;
}

void pgl_json_str(struct pgl_json *j, const char *key, const char *s)
{
	begin_value(j, key);
	if (s)
		pgl_json_write_string(j->f, s);
	else
		fputs("null", j->f);
}

void pgl_json_int(struct pgl_json *j, const char *key, int64_t v)
{
	begin_value(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void pgl_json_uint(struct pgl_json *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void pgl_json_num(struct pgl_json *j, const char *key, double v, int decimals)
{
	begin_value(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals, v);
}

void pgl_json_bool(struct pgl_json *j, const char *key, bool v)
{
	begin_value(j, key);
	fputs(v ? "true" : "false", j->f);
}

void pgl_json_null(struct pgl_json *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->f);
}

int pgl_json_close(struct pgl_json *j)
{
	fputc('\n', j->f);
	if (j->bad || j->depth != 0)
		return -1;
	return ferror(j->f) ? -1 : 0;
}
