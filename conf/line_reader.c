/*
 * The ini_reader that inih pulls every line through.
 *
 * Debian's inih gives its handler no line numbers, cuts section names at 49
 * characters, calls nobody for a section without keys, glues an indented
 * line onto the previous value, and quietly accepts "[x] junk", "=value" and
 * "key: value". So every line passes here first: this file counts lines,
 * strips leading blanks (no line is ever a continuation), turns a line that
 * is too long into an empty one, opens sections itself, and hands inih only
 * blank lines, comments, headers and plain "key = value" lines. A line it
 * refuses becomes an empty line, so inih and the line count stay in step.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/state.h"

/* How much of a bad line an error quotes. */
#define QUOTE_MAX 40

static int source_getc(struct conf_source *src)
{
	if (src->file) {
		int c = getc(src->file);
		if (c == EOF && ferror(src->file) && src->read_errno == 0)
			src->read_errno = errno ? errno : EIO;
		return c;
	}
	if (src->text[src->pos] == '\0')
		return EOF;
	return (unsigned char)src->text[src->pos++];
}

/*
 * Reads one physical line, without its "\n" or "\r\n", keeping what fits in
 * buf. Returns its full length (which may be more than was kept), or -1 at
 * the end of input.
 */
static long read_physical(struct conf_source *src, char *buf, size_t size, bool *nul)
{
	size_t len = 0, kept = 0;
	int c, last = EOF;

	*nul = false;
	while ((c = source_getc(src)) != EOF && c != '\n') {
		if (c == '\0')
			*nul = true;
		if (kept + 1 < size)
			buf[kept++] = (char)c;
		len++;
		last = c;
	}
	if (c == EOF && len == 0)
		return -1;
	if (c == '\n' && last == '\r') {
		len--;
		if (kept > len)
			kept = len;
	}
	buf[kept] = '\0';
	return (long)len;
}

/* inih would skip it too, but only after this reader has looked at the line. */
static void strip_bom(char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		memmove(s, s + 3, strlen(s + 3) + 1);
}

static void strip_leading(char *s)
{
	size_t skip = 0;

	while (s[skip] && isspace((unsigned char)s[skip]))
		skip++;
	memmove(s, s + skip, strlen(s + skip) + 1);
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* "key = value" with a key of [A-Za-z0-9_]; the value is the handler's. */
static bool is_key_value(const char *s)
{
	const char *p = s;

	while (is_key_char(*p))
		p++;
	if (p == s)
		return false;
	p += strspn(p, " \t");
	return *p == '=';
}

static void refuse(struct conf_state *st, char *line)
{
	size_t n = strlen(line);

	conf_error(st, st->line, NULL, NULL, "expected 'key = value', got '%.*s%s'",
	           QUOTE_MAX, line, n > QUOTE_MAX ? "..." : "");
	line[0] = '\0';
}

/* A line already stripped of leading blanks: keep it, or make it empty. */
static void classify(struct conf_state *st, char *line)
{
	if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
		return;
	if (line[0] == '[') {
		if (conf_section_open(st, line) < 0)
			line[0] = '\0';
		return;
	}
	if (!is_key_value(line))
		refuse(st, line);
}

char *conf_read_line(char *str, int num, void *stream)
{
	struct conf_state *st = stream;
	/* inih's buffer holds num - 1 characters: the line, its "\n", and one
	 * spare so that a "\r\n" ending fits as well. */
	long longest = num - 2;
	bool nul;
	long len;

	if (num < 3)
		return NULL;
	len = read_physical(&st->src, str, (size_t)num, &nul);
	if (len < 0)
		return NULL;
	st->line++;
	if (len > longest) {
		conf_error(st, st->line, NULL, NULL, "line is longer than %ld characters", longest);
		str[0] = '\0';
		return str;
	}
	if (nul) {
		conf_error(st, st->line, NULL, NULL, "line contains a NUL byte");
		str[0] = '\0';
		return str;
	}
	if (st->line == 1)
		strip_bom(str);
	strip_leading(str);
	classify(st, str);
	return str;
}
