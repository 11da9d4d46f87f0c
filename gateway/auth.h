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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/jwt.h"
#include "gateway/keys.h"
#include "gateway/revocations.h"
#include "proto/principal.h"

/* Verified tokens, set-associative (gateway/assoc.h): a token's keyed BLAKE2b tag picks one of
 * GW_AUTH_CACHE_SETS sets of GW_AUTH_CACHE_WAYS entries. Sized for tens of thousands of active
 * users, whose tokens then skip the HMAC and JSON work: with 10,000 tokens in use fewer than 0.5%
 * fall in a set that would need more than 8 ways, where the direct-mapped table of 16,384 slots
 * this replaces made 46% of them evict each other on every use. 64 bytes an entry: 2 MiB per
 * event loop, touched only as tokens arrive. Revocation is still checked on every hit. */
#define GW_AUTH_CACHE_WAYS 8
#define GW_AUTH_CACHE_SETS 4096

typedef struct st_gw_auth_cache_entry_t {
    unsigned char tag[32]; /* keyed BLAKE2b of the token; all zero: empty */
    uint64_t user_id;      /* the claims a hit needs, and nothing else */
    int64_t exp, auth_us;
    bool is_staff;
} gw_auth_cache_entry_t;

/* Per event loop: the verifier is shared and read-only, the cache is not. */
typedef struct st_gw_auth_t {
    const gw_jwt_verifier_t *jwt;
    const gw_revocations_t *revocations; /* NULL: none known (unit tests) */
    gw_keys_t *keys;                     /* NULL: every API key is refused (unit tests) */
    /* random per loop, so nobody can aim tokens at one set or predict a tag */
    unsigned char cache_key[32];
    gw_auth_cache_entry_t cache[GW_AUTH_CACHE_SETS * GW_AUTH_CACHE_WAYS]; /* set by set */
    uint8_t cache_victims[GW_AUTH_CACHE_SETS];
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
