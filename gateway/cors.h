/*
 * CORS for the origins in APIBUS_CORS_ALLOWED_ORIGINS (exact, case-sensitive scheme://host[:port]
 * matches, as browsers send them; "*" is deliberately not supported because responses allow
 * credentials). The gateway answers preflights itself, before authentication; every response
 * to an allowed origin, errors included, carries the CORS headers (see gateway/filter.c).
 */
#ifndef APIBUS_GATEWAY_CORS_H
#define APIBUS_GATEWAY_CORS_H

#include <stdbool.h>
#include <stddef.h>

#define GW_CORS_MAX_ORIGINS 32

typedef struct st_gw_cors_t {
    char *origins[GW_CORS_MAX_ORIGINS]; /* malloc'ed */
    size_t lens[GW_CORS_MAX_ORIGINS];
    size_t num;
} gw_cors_t;

#define GW_CORS_ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE, OPTIONS"
#define GW_CORS_ALLOW_HEADERS "accept, authorization, content-type, x-csrftoken, idempotency-key, x-request-id"
#define GW_CORS_EXPOSE_HEADERS "x-request-id, retry-after, www-authenticate"
#define GW_CORS_MAX_AGE "86400"

/* Parses a comma-separated list. Returns 0, or -1 with a reason in err (an entry that is not
 * scheme://host[:port] without a path, or too many entries). */
int gw_cors_init(gw_cors_t *cors, const char *list, char *err, size_t err_cap);
void gw_cors_dispose(gw_cors_t *cors);
bool gw_cors_allowed(const gw_cors_t *cors, const char *origin, size_t len);

#endif
