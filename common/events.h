/*
 * events — the last few things that happened to the cluster, kept in memory
 * for the stats page's "recent events" panel: health transitions, primary
 * changes, VRRP transitions, reloads and admin actions.
 *
 * It is the log's short memory: event_log() writes the log line and keeps
 * the same text, so the page and the journal never tell two stories. The
 * ring is append-only; each writer adds its own lines and nobody edits them.
 */
#ifndef PGFRONT_EVENTS_H
#define PGFRONT_EVENTS_H

#include <stdint.h>

#include "common/log.h"

#define EVENTS_KEPT 50
#define EVENT_TEXT_MAX 240

enum event_kind {
	EVENT_HEALTH,        /* a server's check status changed */
	EVENT_PRIMARY,       /* a write port found its primary (after a gap) */
	EVENT_VRRP,          /* a VRRP instance changed state or priority */
	EVENT_RELOAD,        /* a configuration applied or refused */
	EVENT_ADMIN,         /* an operator's action */
	EVENT_KIND_COUNT,
};

struct event {
	double time;         /* wall clock, seconds since the epoch */
	enum event_kind kind;
	char text[EVENT_TEXT_MAX];
};

/* Logs the line at level (if enabled) and keeps it, whatever the level. */
void event_log(enum log_level level, enum event_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copies up to max events into out, newest first; returns how many. */
int events_recent(struct event *out, int max);

/* Events of a kind since start, the forgotten ones included. */
uint64_t events_total(enum event_kind kind);

const char *event_kind_name(enum event_kind kind);

/* Forgets everything (tests). */
void events_clear(void);

#endif
