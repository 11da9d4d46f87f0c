/*
 * Simple JWT tokens as auth signs them and the gateway verifies them: HS512, a `kid` naming the
 * secret, claims token_type, exp, iat, jti, user_id (+ is_staff, auth_us). Signing uses libjwt 1.10;
 * verifying does not (libjwt accepts any token given an empty key and checks no claim, tech
 * notes §7, and took ~20 µs a token): the header and payload are base64url-decoded once,
 * strictly, and parsed once with jansson, and the signature is libsodium's HMAC-SHA512 over
 * "header.payload", compared in constant time with the signature segment.
 *
 * Verification policy: the header must say alg HS512 (exactly; a `typ`, when a string, must be
 * "JWT" in any case, as libjwt required); `kid`, when present, selects one of the keys (kid =
 * first 16 hex digits of SHA-256(secret)) and an unknown kid is refused; no kid means the
 * current key. A previous key past its retirement time
 * is refused. Claims: `exp` and `iat` JSON integers, `nbf` optional, all with the leeway;
 * `token_type` as expected; `user_id` a positive integer or decimal string; `is_staff` optional
 * boolean; `auth_us` optional integer.
 *
 * auth_us is apibus's own claim: the time (microseconds) of the login the token descends from.
 * A per-user "valid after" time (password change, deactivation) voids tokens whose auth_us is
 * earlier; whole-second `iat` could not tell a token from before a change from one issued in the
 * same second after it. A token without it (e.g. `apibus token`) counts as issued at iat*10^6.
 */
#ifndef APIBUS_PROTO_JWT_H
#define APIBUS_PROTO_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "proto/keyring.h"

#define PROTO_JWT_KID_LEN 16
#define PROTO_JWT_MAX_TOKEN 8192
#define PROTO_JWT_JTI_LEN 32

typedef struct st_proto_jwt_key_t {
    unsigned char secret[PROTO_SECRET_MAX];
    size_t len;
    char kid[PROTO_JWT_KID_LEN + 1];
    int64_t retire_s; /* 0: never */
    crypto_auth_hmacsha512_state hmac; /* keyed (the pads hashed) once, copied per token */
} proto_jwt_key_t;

typedef struct st_proto_jwt_keys_t {
    proto_jwt_key_t keys[PROTO_KEYRING_MAX]; /* [0] signs */
    size_t num_keys;
    int64_t leeway_s;
} proto_jwt_keys_t;

typedef struct st_proto_jwt_claims_t {
    char token_type[16]; /* "access" or "refresh" */
    uint64_t user_id;
    bool is_staff;
    int64_t exp, iat;
    int64_t auth_us; /* from the claim, or iat * 10^6 */
    char jti[PROTO_JWT_JTI_LEN + 1];
} proto_jwt_claims_t;

/* The key id of a secret: the first 16 hex digits of its SHA-256. */
void proto_jwt_kid(const void *secret, size_t len, char out[PROTO_JWT_KID_LEN + 1]);

/* Appends a key. Refuses (-1, reason naming `what` in err) an empty secret, one shorter than
 * PROTO_SECRET_MIN or longer than PROTO_SECRET_MAX, and a full set. */
int proto_jwt_keys_add(proto_jwt_keys_t *keys, const void *secret, size_t len, int64_t retire_s, const char *what,
                       char *err, size_t err_cap);
/* Replaces keys with those of a keyring (the leeway is kept). 0 or -1 with err. */
int proto_jwt_keys_from_keyring(proto_jwt_keys_t *keys, const proto_keyring_t *kr, char *err, size_t err_cap);
/* Wipes the secrets. NULL is a no-op. */
void proto_jwt_keys_wipe(proto_jwt_keys_t *keys);

/* Verifies token (not NUL-terminated) at now (seconds). type: the required token_type, or NULL
 * for any (token/verify/). Returns 0 and fills *claims, or -PROTO_ERR_TOKEN_NOT_VALID. */
int proto_jwt_verify(const proto_jwt_keys_t *keys, const char *token, size_t len, int64_t now, const char *type,
                     proto_jwt_claims_t *claims);

/* Signs claims with keys[0] (its kid in the header). jti empty: a random one is made (and written
 * back). Returns a malloc'ed token, or NULL. */
char *proto_jwt_sign(const proto_jwt_keys_t *keys, proto_jwt_claims_t *claims);

#endif
