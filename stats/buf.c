/*
 * The output buffer every renderer writes to, with the three escapings the
 * formats need. A failed allocation marks the buffer failed and later writes
 * do nothing: the server then answers 500 instead of half a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/internal.h"

/* A whole page for 16 listeners of 32 servers is some 300 KiB; far past that is a bug. */
#define BUF_LIMIT (16u << 20)

static bool reserve(struct stats_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *data;

	if (b->failed)
		return false;
	if (more > BUF_LIMIT || b->len + more + 1 > BUF_LIMIT) {
		b->failed = true;
		return false;
	}
	if (b->len + more + 1 <= b->cap)
		return true;
	while (cap < b->len + more + 1)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void stats_buf_free(struct stats_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

void stats_buf_add(struct stats_buf *b, const char *data, size_t len)
{
	if (!reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void stats_buf_puts(struct stats_buf *b, const char *s)
{
	stats_buf_add(b, s, strlen(s));
}

void stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void stats_buf_html(struct stats_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': stats_buf_puts(b, "&amp;"); break;
		case '<': stats_buf_puts(b, "&lt;"); break;
		case '>': stats_buf_puts(b, "&gt;"); break;
		case '"': stats_buf_puts(b, "&quot;"); break;
		case '\'': stats_buf_puts(b, "&#39;"); break;
		default: stats_buf_add(b, s, 1);
		}
	}
}

void stats_buf_json(struct stats_buf *b, const char *s)
{
	stats_buf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			stats_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			stats_buf_printf(b, "\\u%04x", c);
		else if (c >= 0x80)      /* names are ASCII; stray bytes must not break UTF-8 */
			stats_buf_add(b, "?", 1);
		else
			stats_buf_add(b, s, 1);
	}
	stats_buf_add(b, "\"", 1);
}

/* HAProxy's rule: quoted only when it holds a quote, a comma or a line break. */
void stats_buf_csv(struct stats_buf *b, const char *s)
{
	if (!strpbrk(s, "\",\r\n")) {
		stats_buf_puts(b, s);
		return;
	}
	stats_buf_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			stats_buf_add(b, "\"", 1);
		stats_buf_add(b, s, 1);
	}
	stats_buf_add(b, "\"", 1);
}
