#include "errkind.h"

#include <stdbool.h>
#include <string.h>

const char *pgl_err_name(enum pgl_err kind)
{
	static const char *const names[PGL_ERR_COUNT] = {
		[PGL_ERR_REFUSED] = "refused",
		[PGL_ERR_CLOSED] = "closed",
		[PGL_ERR_READ_ONLY] = "read_only",
		[PGL_ERR_WRONG_ROLE] = "wrong_role",
		[PGL_ERR_CANNOT_CONNECT] = "cannot_connect_now",
		[PGL_ERR_SHUTDOWN] = "shutdown",
		[PGL_ERR_SQLSTATE] = "other_sqlstate",
		[PGL_ERR_TIMEOUT] = "timeout",
		[PGL_ERR_OTHER] = "other",
	};
	return (unsigned)kind < PGL_ERR_COUNT ? names[kind] : "?";
}

const char *pgl_phase_name(enum pgl_phase phase)
{
	static const char *const names[PGL_PHASE_COUNT] = {
		[PGL_PHASE_CONNECT] = "connect",
		[PGL_PHASE_QUERY] = "query",
	};
	return (unsigned)phase < PGL_PHASE_COUNT ? names[phase] : "?";
}

static bool is_sqlstate_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static bool valid_sqlstate(const char *s)
{
	for (int i = 0; i < PGL_SQLSTATE_LEN; i++)
		if (!is_sqlstate_char(s[i]))
			return false;
	return s[PGL_SQLSTATE_LEN] == '\0';
}

int pgl_err_find_sqlstate(const char *message, char out[PGL_SQLSTATE_LEN + 1])
{
	/* The severities a server sends with an error (never localized here:
	 * libpq writes the 'S' field, which is in the server's lc_messages, so
	 * match the shape "WORD:  XXXXX: " rather than a list of words). */
	const char *p = message;
	int found = -1;

	out[0] = '\0';
	if (!message)
		return -1;
	while ((p = strstr(p, ":  ")) != NULL) {
		const char *s = p + 3;
		int i;

		for (i = 0; i < PGL_SQLSTATE_LEN && is_sqlstate_char(s[i]); i++)
			;
		if (i == PGL_SQLSTATE_LEN && s[i] == ':' && s[i + 1] == ' ') {
			memcpy(out, s, PGL_SQLSTATE_LEN);
			out[PGL_SQLSTATE_LEN] = '\0';
			found = 0;
		}
		p += 3;
	}
	return found;
}

static enum pgl_err by_sqlstate(const char *s)
{
	if (strcmp(s, "25006") == 0)
		return PGL_ERR_READ_ONLY;
	if (strcmp(s, "57P03") == 0)
		return PGL_ERR_CANNOT_CONNECT;
	if (strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0)
		return PGL_ERR_SHUTDOWN;
	return PGL_ERR_SQLSTATE;
}

/* libpq's wording (it is not translated under LANG=C; pgload sets no
 * locale) for a connection that ended without the server saying why. */
static const char *const closed_texts[] = {
	"server closed the connection unexpectedly",
	"Connection reset by peer",
	"Broken pipe",
	"EOF detected",
	"no connection to the server",
	"lost synchronization with server",
	"connection not open",
};

/* libpq's reasons for passing over a host that target_session_attrs does
 * not want (fe-connect.c). With a multi-host connection string, one of
 * them in the message means that no host had the role: the other hosts'
 * errors (refused, 57P03 starting up) are why those were not it either. */
static const char *const wrong_role_texts[] = {
	"session is read-only",
	"session is not read-only",
	"server is in hot standby mode",
	"server is not in hot standby mode",
};

static bool is_wrong_role(const char *message)
{
	for (size_t i = 0; i < sizeof(wrong_role_texts) / sizeof(wrong_role_texts[0]); i++)
		if (strstr(message, wrong_role_texts[i]))
			return true;
	return false;
}

enum pgl_err pgl_err_classify(const char *sqlstate, const char *message,
                              char found[PGL_SQLSTATE_LEN + 1])
{
	found[0] = '\0';
	if (sqlstate && valid_sqlstate(sqlstate)) {
		memcpy(found, sqlstate, PGL_SQLSTATE_LEN + 1);
		return by_sqlstate(found);
	}
	if (!message)
		return PGL_ERR_OTHER;
	if (is_wrong_role(message)) {
		pgl_err_find_sqlstate(message, found);      /* still counted in sqlstates */
		return PGL_ERR_WRONG_ROLE;
	}
	if (pgl_err_find_sqlstate(message, found) == 0)
		return by_sqlstate(found);
	if (strstr(message, "Connection refused"))
		return PGL_ERR_REFUSED;
	for (size_t i = 0; i < sizeof(closed_texts) / sizeof(closed_texts[0]); i++)
		if (strstr(message, closed_texts[i]))
			return PGL_ERR_CLOSED;
	if (strstr(message, "timeout expired") || strstr(message, "Connection timed out"))
		return PGL_ERR_TIMEOUT;
	return PGL_ERR_OTHER;
}
