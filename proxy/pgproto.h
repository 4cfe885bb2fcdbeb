/*
 * pgproto — the few PostgreSQL wire messages pgfront speaks itself: it reads a
 * client's startup packets and answers a refused client with an ErrorResponse,
 * so psql prints why instead of "server closed the connection unexpectedly".
 * Pure: no I/O, no logging. Protocol reference: PostgreSQL docs, "Message Formats".
 */
#ifndef PGFRONT_PGPROTO_H
#define PGFRONT_PGPROTO_H

#include <stddef.h>
#include <stdint.h>

#define PG_STARTUP_HEADER_LEN 8
/* The server's own cap (MAX_STARTUP_PACKET_LENGTH in PostgreSQL's source). */
#define PG_STARTUP_MAX_LEN 10000

/* Request codes sent in place of a protocol version. */
#define PG_CODE_CANCEL  80877102u  /* 1234 << 16 | 5678 */
#define PG_CODE_SSL     80877103u  /* 1234 << 16 | 5679 */
#define PG_CODE_GSSENC  80877104u  /* 1234 << 16 | 5680 */

enum pg_startup_kind {
	PG_STARTUP_SSL,      /* SSLRequest: answer 'N', a StartupMessage follows */
	PG_STARTUP_GSSENC,   /* GSSENCRequest: answer 'N', likewise */
	PG_STARTUP_CANCEL,   /* CancelRequest: nothing to answer */
	PG_STARTUP_V3,       /* StartupMessage, protocol 3.x */
	PG_STARTUP_INVALID,  /* garbage, a wrong length, or an unknown version */
};

/*
 * Classifies a startup packet from its first 8 bytes; *len gets the whole
 * packet's length (header included) when the kind is not INVALID.
 */
enum pg_startup_kind pg_startup_classify(const uint8_t header[PG_STARTUP_HEADER_LEN],
                                         uint32_t *len);

const char *pg_startup_kind_name(enum pg_startup_kind kind);

/*
 * Writes an ErrorResponse ('E') with severity, SQLSTATE and message into out.
 * Returns its length, or 0 if it does not fit in cap.
 */
size_t pg_error_response(uint8_t *out, size_t cap, const char *severity,
                         const char *sqlstate, const char *message);

#endif
