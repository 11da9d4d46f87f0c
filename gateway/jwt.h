/*
 * Local verification of access tokens in the gateway: proto/jwt.h's policy with
 * token_type "access", over the keys of APIBUS_JWT_SECRET (+ APIBUS_JWT_PREVIOUS_SECRET) or of
 * the keyring file $APIBUS_DATA_DIR/jwt-secret, which is reloaded when auth rotates it.
 */
#ifndef APIBUS_GATEWAY_JWT_H
#define APIBUS_GATEWAY_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"
#include "proto/jwt.h"

#define GW_JWT_MAX_TOKEN PROTO_JWT_MAX_TOKEN
#define GW_JWT_KID_LEN PROTO_JWT_KID_LEN

typedef proto_jwt_keys_t gw_jwt_verifier_t;
typedef proto_jwt_claims_t gw_jwt_claims_t;

/* The key id of a secret: the first 16 hex digits of its SHA-256. */
void gw_jwt_kid(const void *secret, size_t len, char out[GW_JWT_KID_LEN + 1]);

/* Sets up a verifier. Refuses (returns -1, reason in err) an empty or short (< GW_SECRET_MIN
 * bytes) current secret, and a short previous one; previous may be NULL/0 (none). */
int gw_jwt_init(gw_jwt_verifier_t *v, const void *secret, size_t len, const void *previous, size_t previous_len,
                uint32_t leeway_s, char *err, size_t err_cap);
/* Sets up a verifier from the keyring file at path. 0, or -1 with the reason in err. */
int gw_jwt_init_keyring(gw_jwt_verifier_t *v, const char *path, uint32_t leeway_s, char *err, size_t err_cap);

/* Verifies an access token (not NUL-terminated) at time now (seconds since the epoch). Returns 0
 * and fills *claims, or -PROTO_ERR_TOKEN_NOT_VALID. Does not block; allocates only temporarily. */
int gw_jwt_verify(const gw_jwt_verifier_t *v, const char *token, size_t len, int64_t now, gw_jwt_claims_t *claims);

#endif
