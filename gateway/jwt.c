#include "gateway/jwt.h"

#include <sodium.h>
#include <stdio.h>

void gw_jwt_kid(const void *secret, size_t len, char out[GW_JWT_KID_LEN + 1])
{
    proto_jwt_kid(secret, len, out);
}

static int gw__jwt_begin(gw_jwt_verifier_t *v, uint32_t leeway_s, char *err, size_t cap)
{
    proto_jwt_keys_wipe(v);
    if (sodium_init() < 0) {
        snprintf(err, cap, "libsodium failed to initialise");
        return -1;
    }
    v->leeway_s = leeway_s;
    return 0;
}

int gw_jwt_init(gw_jwt_verifier_t *v, const void *secret, size_t len, const void *previous, size_t previous_len,
                uint32_t leeway_s, char *err, size_t cap)
{
    if (gw__jwt_begin(v, leeway_s, err, cap) != 0 ||
        proto_jwt_keys_add(v, secret, len, 0, "the JWT secret", err, cap) != 0)
        return -1;
    if (previous != NULL && previous_len != 0 &&
        proto_jwt_keys_add(v, previous, previous_len, 0, "the previous JWT secret", err, cap) != 0)
        return -1;
    return 0;
}

int gw_jwt_init_keyring(gw_jwt_verifier_t *v, const char *path, uint32_t leeway_s, char *err, size_t cap)
{
    proto_keyring_t kr;
    int rc = -1;
    if (gw__jwt_begin(v, leeway_s, err, cap) == 0 && proto_keyring_load(path, &kr, err, cap) == 0)
        rc = proto_jwt_keys_from_keyring(v, &kr, err, cap);
    proto_keyring_wipe(&kr);
    return rc;
}

int gw_jwt_verify(const gw_jwt_verifier_t *v, const char *token, size_t len, int64_t now, gw_jwt_claims_t *claims)
{
    return proto_jwt_verify(v, token, len, now, "access", claims);
}
