/*
 * Session cookies in the gateway (ARCHITECTURE §6). The `sessionid` cookie is checked with the
 * auth service (POST /_internal/auth/sessions/check/ with the id's SHA-256, never the id), and
 * the answer is cached for APIBUS_SESSION_CACHE_MS, keyed by that hash. Logout events drop an
 * entry; "valid after" events (password change, deactivation) void the user's older sessions at
 * their next use. On unsafe methods a session also needs its CSRF token in X-CSRFToken and an
 * Origin (or, without one, a Referer) that is the site's own or an allowed CORS origin.
 * Pure functions and a per-loop cache; the request flow is in gateway/proxy.c.
 */
#ifndef APIBUS_GATEWAY_SESSION_H
#define APIBUS_GATEWAY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/cors.h"
#include "proto/session.h"

#define GW_SESSION_CACHE_SLOTS 1024

typedef struct st_gw_session_entry_t {
    unsigned char hash[PROTO_SESSION_HASH_LEN]; /* all zero: empty slot */
    bool valid;                                 /* false: auth said it is not a session */
    uint64_t user_id;
    bool is_staff;
    int64_t created_us, expires_us;
    int64_t fetched_ms; /* monotonic */
} gw_session_entry_t;

typedef struct st_gw_sessions_t {
    gw_session_entry_t slots[GW_SESSION_CACHE_SLOTS];
    int64_t ttl_ms;
} gw_sessions_t;

void gw_sessions_init(gw_sessions_t *s, int64_t ttl_ms);
/* The cached answer for hash while it is fresh, else NULL. */
const gw_session_entry_t *gw_sessions_lookup(const gw_sessions_t *s, const unsigned char *hash, int64_t now_ms);
/* Caches an answer (entry->hash says for which session). */
void gw_sessions_store(gw_sessions_t *s, const gw_session_entry_t *entry);
/* Forgets hash (logout). */
void gw_sessions_drop(gw_sessions_t *s, const unsigned char *hash);

/* The CSRF rules for a request with a valid session. method is the HTTP method; csrf_header the
 * X-CSRFToken value (NULL when absent); origin and referer likewise; own_origin the site's
 * "scheme://host[:port]". Returns 0, or -PROTO_ERR_CSRF_ORIGIN / _MISSING / _INCORRECT. */
int gw_session_csrf_check(const char *method, size_t method_len, const char *session_id, size_t id_len,
                          const char *csrf_header, size_t csrf_len, const char *origin, size_t origin_len,
                          const char *referer, size_t referer_len, const char *own_origin, size_t own_len,
                          const gw_cors_t *cors);

#endif
