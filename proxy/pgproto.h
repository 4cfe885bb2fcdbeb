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
	/* Only from pg_first_packet(): */
	PG_STARTUP_TLS,      /* a TLS record (direct SSL, PostgreSQL 17's sslnegotiation=direct) */
	PG_STARTUP_INCOMPLETE, /* too few bytes yet to decide */
};

/*
 * Classifies a startup packet from its first 8 bytes; *len gets the whole
 * packet's length (header included) when the kind is not INVALID.
 */
enum pg_startup_kind pg_startup_classify(const uint8_t header[PG_STARTUP_HEADER_LEN],
                                         uint32_t *len);

/* A TLS record header: content type, version, length (RFC 8446 section 5.1). */
#define PG_TLS_HEADER_LEN 5
#define PG_TLS_HANDSHAKE 0x16      /* the content type of a ClientHello */
#define PG_TLS_RECORD_MAX 16384    /* 2^14: the longest plaintext record */

/*
 * Classifies what a client sent first, from the n bytes that arrived so far:
 * PG_STARTUP_INCOMPLETE while they are too few to decide (8 for a PostgreSQL
 * packet, 5 for a TLS record header), else the kind, with *len the length of
 * the whole first packet: pg_startup_classify()'s for a PostgreSQL packet; for
 * TLS, the header and its record, cut at PG_STARTUP_MAX_LEN (a ClientHello is
 * a few hundred bytes: nothing real is cut). A PostgreSQL packet never starts
 * with 0x16 (its length's top byte is 0), so the first byte tells them apart.
 * *len is 0 for INCOMPLETE and INVALID. Pure: it reads buf[0..n) only.
 */
enum pg_startup_kind pg_first_packet(const uint8_t *buf, size_t n, uint32_t *len);

const char *pg_startup_kind_name(enum pg_startup_kind kind);

/*
 * Writes an ErrorResponse ('E') with severity, SQLSTATE and message into out.
 * Returns its length, or 0 if it does not fit in cap.
 */
size_t pg_error_response(uint8_t *out, size_t cap, const char *severity,
                         const char *sqlstate, const char *message);

#endif
