/*
 * Local verification of Simple JWT access tokens (HS512), wrapped around libjwt 1.10, which on
 * its own accepts any token given an empty key and checks no claim (tech notes §7).
 *
 * Policy: the header must say alg HS512 (pinned before and after decoding); `kid`, when present,
 * selects the current or the previous secret (kid = first 16 hex digits of SHA-256(secret)) and
 * an unknown kid is refused; no kid means the current secret. Claims: `exp` and `iat` required
 * JSON integers, `nbf` optional integer, all with a leeway; `token_type` == "access"; `user_id`
 * a positive integer or a decimal string (Simple JWT emits whatever type the user id has);
 * `is_staff` optional boolean.
 */
#ifndef APIBUS_GATEWAY_JWT_H
#define APIBUS_GATEWAY_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"

#define GW_JWT_MAX_TOKEN 8192
#define GW_JWT_KID_LEN 16

typedef struct st_gw_jwt_key_t {
    unsigned char secret[GW_SECRET_MAX];
    size_t len;
    char kid[GW_JWT_KID_LEN + 1];
} gw_jwt_key_t;

typedef struct st_gw_jwt_verifier_t {
    gw_jwt_key_t keys[2]; /* [0] current, [1] previous (when num_keys == 2) */
    size_t num_keys;
    int64_t leeway_s;
} gw_jwt_verifier_t;

typedef struct st_gw_jwt_claims_t {
    uint64_t user_id;
    bool is_staff;
    int64_t exp, iat;
} gw_jwt_claims_t;

/* The key id of a secret: the first 16 hex digits of its SHA-256. */
void gw_jwt_kid(const void *secret, size_t len, char out[GW_JWT_KID_LEN + 1]);

/* Sets up a verifier. Refuses (returns -1, reason in err) an empty or short (< GW_SECRET_MIN
 * bytes) current secret, and a short previous one; previous may be NULL/0 (none). */
int gw_jwt_init(gw_jwt_verifier_t *v, const void *secret, size_t len, const void *previous, size_t previous_len,
                uint32_t leeway_s, char *err, size_t err_cap);

/* Verifies token (not NUL-terminated) at time now (seconds since the epoch). Returns 0 and
 * fills *claims, or -PROTO_ERR_TOKEN_NOT_VALID. Does not block; allocates only temporarily. */
int gw_jwt_verify(const gw_jwt_verifier_t *v, const char *token, size_t len, int64_t now, gw_jwt_claims_t *claims);

#endif
