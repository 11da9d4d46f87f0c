/*
 * Browser sessions, as auth issues them and the gateway checks them.
 *
 * A session id is 32 random bytes in unpadded base64url (43 characters), sent as the HttpOnly
 * `sessionid` cookie. Nobody stores it: auth keys the session by its SHA-256, the gateway caches
 * by the same hash and asks auth about the hash, so the id itself never crosses the bus or sits
 * on disk. The CSRF token is derived from the id (HMAC-SHA-256 keyed by the id), so it is bound
 * to the session without being stored, and the gateway checks `X-CSRFToken` without asking.
 */
#ifndef APIBUS_PROTO_SESSION_H
#define APIBUS_PROTO_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_SESSION_ID_LEN 43
#define PROTO_SESSION_HASH_LEN 32
#define PROTO_SESSION_HASH_HEX (2 * PROTO_SESSION_HASH_LEN)
#define PROTO_CSRF_LEN 43
#define PROTO_SESSION_COOKIE "sessionid"
#define PROTO_CSRF_COOKIE "csrftoken"

/* A new random session id (NUL-terminated). */
void proto_session_new(char out[PROTO_SESSION_ID_LEN + 1]);
/* Whether s has the shape of a session id (length and alphabet). */
bool proto_session_id_sane(const char *s, size_t len);
/* SHA-256 of the id. */
void proto_session_hash(const char *id, size_t len, unsigned char out[PROTO_SESSION_HASH_LEN]);
/* The CSRF token bound to the session id (NUL-terminated). */
void proto_session_csrf(const char *id, size_t len, char out[PROTO_CSRF_LEN + 1]);
/* Whether token (not NUL-terminated) is the CSRF token of the session id; constant time. */
bool proto_session_csrf_ok(const char *id, size_t id_len, const char *token, size_t token_len);

/* The value of cookie `name` in a Cookie header (RFC 6265 "a=1; b=2"). Returns true and sets
 * *value and *value_len (pointing into header) when present. */
bool proto_cookie_get(const char *header, size_t len, const char *name, const char **value, size_t *value_len);

#endif
