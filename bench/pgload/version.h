#ifndef PGLOAD_VERSION_H
#define PGLOAD_VERSION_H

#define PGLOAD_VERSION "0.1"
/* The JSON report's "pgload" field: raised when a field changes meaning
 * or goes away (new fields do not raise it). */
#define PGLOAD_JSON_VERSION 1

#endif
