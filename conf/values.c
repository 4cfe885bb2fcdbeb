/*
 * Parsers of single values, and the name tables of conf's enums. They say
 * only yes or no: the caller knows the key and writes the message. Values
 * are case-sensitive, as HAProxy's are.
 */
#include <string.h>

#include "conf/state.h"

static const char *const balance_names[] = {
	[CONF_BALANCE_SINGLE] = "single",
	[CONF_BALANCE_ROUNDROBIN] = "roundrobin",
	[CONF_BALANCE_LEASTCONN] = "leastconn",
	[CONF_BALANCE_FIRST] = "first",
};

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const char *const on_marked_down_names[] = {
	[CONF_ON_DOWN_NONE] = "none",
	[CONF_ON_DOWN_SHUTDOWN_SESSIONS] = "shutdown-sessions",
};

static const char *const check_body_names[] = {
	[CONF_CHECK_BODY_NONE] = "none",
	[CONF_CHECK_BODY_PATRONI] = "patroni",
};

static const char *const check_methods[] = { "HEAD", "GET", "OPTIONS" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int value)
{
	if (value < 0 || (size_t)value >= n || names[value] == NULL)
		return "unknown";
	return names[value];
}

/* The index of text in a table with holes, or -1. */
static int index_of(const char *const *names, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], text) == 0)
			return (int)i;
	return -1;
}

const char *conf_balance_name(enum conf_balance balance)
{
	return name_of(balance_names, COUNT(balance_names), (int)balance);
}

const char *conf_log_level_name(enum log_level level)
{
	return name_of(log_level_names, COUNT(log_level_names), (int)level);
}

const char *conf_on_marked_down_name(enum conf_on_marked_down action)
{
	return name_of(on_marked_down_names, COUNT(on_marked_down_names), (int)action);
}

const char *conf_check_body_name(enum conf_check_body body)
{
	return name_of(check_body_names, COUNT(check_body_names), (int)body);
}

int conf_parse_check_body(const char *text, enum conf_check_body *out)
{
	int i = index_of(check_body_names, COUNT(check_body_names), text);

	if (i < 0)
		return -1;
	*out = (enum conf_check_body)i;
	return 0;
}

int conf_parse_balance(const char *text, enum conf_balance *out)
{
	int i = index_of(balance_names, COUNT(balance_names), text);

	if (i < 0)
		return -1;
	*out = (enum conf_balance)i;
	return 0;
}

int conf_parse_log_level(const char *text, enum log_level *out)
{
	int i = index_of(log_level_names, COUNT(log_level_names), text);

	if (i < 0)
		return -1;
	*out = (enum log_level)i;
	return 0;
}

int conf_parse_on_marked_down(const char *text, enum conf_on_marked_down *out)
{
	int i = index_of(on_marked_down_names, COUNT(on_marked_down_names), text);

	if (i < 0)
		return -1;
	*out = (enum conf_on_marked_down)i;
	return 0;
}

/* Decimal digits only: no sign, no base prefix, no spaces. */
int conf_parse_int(const char *text, long long min, long long max, long long *out)
{
	long long value = 0;
	const char *p = text;

	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		/* Past max the exact value no longer matters; stop before overflow. */
		if (value <= max)
			value = value * 10 + (*p - '0');
	}
	if (value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

int conf_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (index_of(yes, COUNT(yes), text) >= 0)
		*out = true;
	else if (index_of(no, COUNT(no), text) >= 0)
		*out = false;
	else
		return -1;
	return 0;
}

bool conf_valid_name(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n >= CONF_NAME_MAX)
		return false;
	for (const char *p = text; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* The path goes on the request line as is, so only printable ASCII. */
static bool valid_http_path(const char *path, size_t size)
{
	if (path[0] != '/' || strlen(path) >= size)
		return false;
	for (const char *p = path; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	return true;
}

/* "METHOD /PATH", one or more blanks between. */
int conf_parse_check(const char *text, char *method, size_t method_size,
                     char *path, size_t path_size)
{
	size_t mlen = strcspn(text, " \t");
	const char *p = text + mlen;
	int m = -1;

	for (size_t i = 0; i < COUNT(check_methods); i++)
		if (strlen(check_methods[i]) == mlen &&
		    strncmp(check_methods[i], text, mlen) == 0)
			m = (int)i;
	if (m < 0 || *p == '\0')
		return -1;
	p += strspn(p, " \t");
	if (!valid_http_path(p, path_size) || strlen(check_methods[m]) >= method_size)
		return -1;
	strcpy(method, check_methods[m]);
	strcpy(path, p);
	return 0;
}
