/*
 * Collecting errors. Some are found while reading (a bad value) and some only
 * after (a [server] that never got an address), so each is inserted in line
 * order: the user reads them top to bottom beside the file. When more than
 * CONF_MAX_ERRORS are found, the earliest lines are the ones kept.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

/* Error lines end up on a terminal: no control characters from the file. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
}

/* The prefix, then the message after it: one buffer, cut at CONF_ERROR_MAX. */
static void format(const struct conf_state *st, char *out, int line, const char *title,
                   const char *key, const char *fmt, va_list ap)
{
	int n;

	if (title && key)
		n = snprintf(out, CONF_ERROR_MAX, "%s:%d: %s %s: ", st->name, line, title, key);
	else if (title || key)
		n = snprintf(out, CONF_ERROR_MAX, "%s:%d: %s: ", st->name, line, title ? title : key);
	else
		n = snprintf(out, CONF_ERROR_MAX, "%s:%d: ", st->name, line);
	if (n >= 0 && n < CONF_ERROR_MAX)
		vsnprintf(out + n, (size_t)(CONF_ERROR_MAX - n), fmt, ap);
	make_printable(out);
}

/* Where an error at line goes: after every kept one at the same line or before. */
static int slot_for(const struct conf_state *st, int kept, int line)
{
	int pos = kept;

	while (pos > 0 && st->error_line[pos - 1] > line)
		pos--;
	return pos;
}

void conf_error(struct conf_state *st, int line, const char *title,
                const char *key, const char *fmt, ...)
{
	struct conf_errors *errors = st->errors;
	int kept = errors->count < CONF_MAX_ERRORS ? errors->count : CONF_MAX_ERRORS;
	int pos = slot_for(st, kept, line);
	va_list ap;

	errors->count++;
	if (pos >= CONF_MAX_ERRORS)
		return;
	if (kept == CONF_MAX_ERRORS)
		kept--;           /* the latest kept line makes room */
	memmove(errors->lines[pos + 1], errors->lines[pos],
	        (size_t)(kept - pos) * sizeof errors->lines[0]);
	memmove(&st->error_line[pos + 1], &st->error_line[pos],
	        (size_t)(kept - pos) * sizeof st->error_line[0]);

	va_start(ap, fmt);
	format(st, errors->lines[pos], line, title, key, fmt, ap);
	va_end(ap);
	st->error_line[pos] = line;
}

/* Records where a key was first given; a second time is an error. */
bool conf_key_once(struct conf_state *st, int *line, const char *key)
{
	if (*line) {
		conf_error(st, st->line, st->title, key, "duplicate key (first at line %d)", *line);
		return false;
	}
	*line = st->line;
	return true;
}

void conf_bad_value(struct conf_state *st, const char *key, const char *value,
                    const char *expected)
{
	conf_error(st, st->line, st->title, key, "invalid value '%s': %s", value, expected);
}
