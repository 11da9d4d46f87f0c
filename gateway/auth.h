/*
 * Authentication in the gateway: credentials → principal (ARCHITECTURE §1). Credentials that
 * fail to verify make the request anonymous with a reason (principal.auth_error); the service
 * decides between 401 and a public route.
 *
 * The Authorization schemes are a table (gateway/auth.c): Bearer (JWT, verified locally) and
 * Api-Key (the keys service, cached: gateway/keys.h). A token is also refused when its user's
 * "valid after" time (password change, deactivation; gateway/events.h) is later than its
 * auth_us. Session cookies are the next step when no Authorization credentials came
 * (gateway/session.h, proxy.c).
 */
#ifndef APIBUS_GATEWAY_AUTH_H
#define APIBUS_GATEWAY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/jwt.h"
#include "gateway/keys.h"
#include "gateway/revocations.h"
#include "proto/principal.h"

/* Sized for tens of thousands of active users, whose tokens then skip the HMAC and JSON work
 * (about 80 bytes a slot: 1.3 MB per event loop). Revocation is still checked on every hit. */
#define GW_AUTH_CACHE_SLOTS 16384

typedef struct st_gw_auth_cache_entry_t {
    unsigned char hash[32]; /* SHA-256 of the token; all zero: empty */
    gw_jwt_claims_t claims;
} gw_auth_cache_entry_t;

/* Per event loop: the verifier is shared and read-only, the cache is not. */
typedef struct st_gw_auth_t {
    const gw_jwt_verifier_t *jwt;
    const gw_revocations_t *revocations; /* NULL: none known (unit tests) */
    gw_keys_t *keys;                     /* NULL: every API key is refused (unit tests) */
    gw_auth_cache_entry_t cache[GW_AUTH_CACHE_SLOTS];
    uint64_t cache_hits;
} gw_auth_t;

void gw_auth_init(gw_auth_t *auth, const gw_jwt_verifier_t *jwt);

#define GW_AUTH_VERIFY_KEY 1

/* Sets *out from the Authorization header value (NULL or empty: anonymous) and returns 0; or,
 * for an API key the cache cannot answer for, fills *check and returns GW_AUTH_VERIFY_KEY: the
 * caller asks the keys service and finishes with gw_keys_store + gw_keys_admit. now is Unix
 * seconds. */
int gw_auth_authenticate(gw_auth_t *auth, const char *authorization, size_t len, int64_t now,
                         proto_principal_t *out, gw_key_check_t *check);

#endif
