#include "cli/token.h"

#include "proto/jwt.h"
#include "proto/keyring.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLI_MIN_SECRET 32

int cli_token_load_secret(char **out, size_t *len)
{
    const char *env = getenv("APIBUS_JWT_SECRET");
    char *secret = NULL;
    if (env != NULL && *env != '\0') {
        secret = strdup(env);
    } else {
        /* the keyring's current secret: the one auth signs with */
        char path[4096], err[512];
        proto_keyring_t kr;
        if (proto_keyring_path(path, sizeof path) != 0 || proto_keyring_load(path, &kr, err, sizeof err) != 0) {
            fprintf(stderr, "apibus: no JWT secret: set APIBUS_JWT_SECRET or create %s (%s)\n", path, err);
            return -1;
        }
        secret = strdup(kr.keys[0].secret);
        proto_keyring_wipe(&kr);
    }
    if (secret == NULL)
        return -1;
    if (strlen(secret) < CLI_MIN_SECRET) {
        fprintf(stderr, "apibus: the JWT secret is shorter than %d bytes\n", CLI_MIN_SECRET);
        free(secret);
        return -1;
    }
    *out = secret;
    *len = strlen(secret);
    return 0;
}

int cli_token_mint(const cli_token_opts_t *o, char **out)
{
    char *secret = NULL, err[256];
    size_t len = 0;
    proto_jwt_keys_t keys;
    int rc = -1;
    memset(&keys, 0, sizeof keys);
    if (sodium_init() < 0 || cli_token_load_secret(&secret, &len) != 0)
        return -1;
    time_t now = time(NULL);
    proto_jwt_claims_t claims = {.user_id = o->user_id, .is_staff = o->is_staff, .iat = now,
                                 .exp = now + o->lifetime_s, .auth_us = (int64_t)now * 1000000};
    snprintf(claims.token_type, sizeof claims.token_type, "access");
    if (proto_jwt_keys_add(&keys, secret, len, 0, "the JWT secret", err, sizeof err) != 0)
        fprintf(stderr, "apibus: %s\n", err);
    else if ((*out = proto_jwt_sign(&keys, &claims)) == NULL)
        fprintf(stderr, "apibus: could not sign the token\n");
    else
        rc = 0;
    proto_jwt_keys_wipe(&keys);
    sodium_memzero(secret, len);
    free(secret);
    return rc;
}
