#include "common/events.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static const char *const kind_names[EVENT_KIND_COUNT] = {
	[EVENT_HEALTH] = "health",
	[EVENT_PRIMARY] = "primary",
	[EVENT_VRRP] = "vrrp",
	[EVENT_RELOAD] = "reload",
	[EVENT_ADMIN] = "admin",
};

/* One process, one loop: a plain ring, written only from the loop's thread. */
static struct {
	struct event ring[EVENTS_KEPT];
	unsigned next;           /* where the next event goes */
	unsigned count;          /* kept, at most EVENTS_KEPT */
	uint64_t totals[EVENT_KIND_COUNT];
} events;

const char *event_kind_name(enum event_kind kind)
{
	return (unsigned)kind < EVENT_KIND_COUNT ? kind_names[kind] : "?";
}

static void keep(enum event_kind kind, const char *text)
{
	struct event *e = &events.ring[events.next];
	struct timeval tv;

	assert((unsigned)kind < EVENT_KIND_COUNT);
	gettimeofday(&tv, NULL);
	e->time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	e->kind = kind;
	snprintf(e->text, sizeof e->text, "%s", text);
	events.next = (events.next + 1) % EVENTS_KEPT;
	if (events.count < EVENTS_KEPT)
		events.count++;
	events.totals[kind]++;
}

void event_log(enum log_level level, enum event_kind kind, const char *fmt, ...)
{
	char text[EVENT_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	keep(kind, text);
	log_msg(level, "%s", text);
}

int events_recent(struct event *out, int max)
{
	int n = 0;

	for (unsigned i = 0; i < events.count && n < max; i++) {
		unsigned at = (events.next + EVENTS_KEPT - 1 - i) % EVENTS_KEPT;
		out[n++] = events.ring[at];
	}
	return n;
}

uint64_t events_total(enum event_kind kind)
{
	return (unsigned)kind < EVENT_KIND_COUNT ? events.totals[kind] : 0;
}

void events_clear(void)
{
	memset(&events, 0, sizeof events);
}
