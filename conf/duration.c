/*
 * Durations as HAProxy writes them ("4s", "250ms", "30m"), in microseconds.
 *
 * A bare number is refused: HAProxy reads "timeout connect 4" as 4ms, and a
 * file translated from haproxy.cfg should not quietly mean something else.
 * Ranges are the caller's business; this only reads the text.
 */
#include <stddef.h>
#include <string.h>

#include "conf/conf.h"

/* Enough to name a microsecond at any unit, small enough that fraction times
 * unit (below 10^6 * 8.64 * 10^10) cannot overflow 64 bits. */
#define MAX_DECIMALS 6

static const struct {
	const char *name;
	uint64_t us;
} units[] = {
	{ "us", 1 },
	{ "ms", 1000 },
	{ "s", 1000000 },
	{ "m", 60ULL * 1000000 },
	{ "h", 3600ULL * 1000000 },
	{ "d", 86400ULL * 1000000 },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads digits at *p; -1 if the number does not fit 64 bits. */
static int read_integer(const char **p, uint64_t *value)
{
	*value = 0;
	for (; is_digit(**p); (*p)++) {
		if (__builtin_mul_overflow(*value, 10, value) ||
		    __builtin_add_overflow(*value, (uint64_t)(**p - '0'), value))
			return -1;
	}
	return 0;
}

/* Reads the digits after a '.' as fraction / scale. */
static int read_fraction(const char **p, uint64_t *fraction, uint64_t *scale)
{
	int digits = 0;

	*fraction = 0;
	*scale = 1;
	for (; is_digit(**p); (*p)++) {
		if (++digits > MAX_DECIMALS)
			return -1;
		*fraction = *fraction * 10 + (uint64_t)(**p - '0');
		*scale *= 10;
	}
	return digits > 0 ? 0 : -1;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

int conf_parse_duration(const char *text, uint64_t *us, const char **why)
{
	const char *p = text;
	uint64_t integer, fraction = 0, scale = 1, unit = 0, whole, part;

	if (*p == '\0')
		return fail(why, "a duration cannot be empty");
	if (*p == '-')
		return fail(why, "a duration cannot be negative");
	if (!is_digit(*p))
		return fail(why, "a duration is a number and a unit, e.g. '3s'");
	if (read_integer(&p, &integer) < 0)
		return fail(why, "the duration is too large");
	if (*p == '.') {
		p++;
		if (read_fraction(&p, &fraction, &scale) < 0)
			return fail(why, "expected 1 to 6 decimals after '.', e.g. '1.5s'");
	}
	if (*p == '\0')
		return fail(why, "a duration needs a unit (us, ms, s, m, h, d), e.g. '3s'");
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(p, units[i].name) == 0)
			unit = units[i].us;
	if (unit == 0)
		return fail(why, "unknown unit: use us, ms, s, m, h or d");
	if (fraction * unit % scale != 0)
		return fail(why, "a duration cannot be finer than 1us");
	part = fraction * unit / scale;
	if (__builtin_mul_overflow(integer, unit, &whole) ||
	    __builtin_add_overflow(whole, part, &whole))
		return fail(why, "the duration is too large");
	*us = whole;
	if (why)
		*why = NULL;
	return 0;
}
