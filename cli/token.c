#include "cli/token.h"

#include <jwt.h>
#include <openssl/sha.h>
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
        const char *dir = getenv("APIBUS_DATA_DIR");
        char path[4096];
        snprintf(path, sizeof path, "%s/jwt-secret", dir != NULL && *dir != '\0' ? dir : "./var");
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            fprintf(stderr, "apibus: no JWT secret: set APIBUS_JWT_SECRET or create %s\n", path);
            return -1;
        }
        char buf[1024];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        buf[n] = '\0';
        secret = strdup(buf);
        sodium_memzero(buf, sizeof buf);
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

/* The kid names the secret without revealing it: the first 16 hex digits of its SHA-256. */
static void cli__kid(const char *secret, size_t len, char kid[17])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, len, digest);
    for (int i = 0; i < 8; i++)
        snprintf(kid + 2 * i, 3, "%02x", digest[i]);
}

int cli_token_mint(const cli_token_opts_t *o, char **out)
{
    char *secret = NULL;
    size_t len = 0;
    jwt_t *jwt = NULL;
    int rc = -1;
    if (sodium_init() < 0 || cli_token_load_secret(&secret, &len) != 0)
        return -1;
    char kid[17], jti[33];
    unsigned char raw[16];
    cli__kid(secret, len, kid);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(jti, sizeof jti, raw, sizeof raw);
    time_t now = time(NULL);
    if (jwt_new(&jwt) != 0 || jwt_add_header(jwt, "kid", kid) != 0 ||
        jwt_add_grant(jwt, "token_type", "access") != 0 || jwt_add_grant_int(jwt, "exp", now + o->lifetime_s) != 0 ||
        jwt_add_grant_int(jwt, "iat", now) != 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
        jwt_add_grant_int(jwt, "user_id", (long)o->user_id) != 0 ||
        (o->is_staff && jwt_add_grant_bool(jwt, "is_staff", 1) != 0) ||
        jwt_set_alg(jwt, JWT_ALG_HS512, (const unsigned char *)secret, (int)len) != 0)
        goto out;
    *out = jwt_encode_str(jwt);
    rc = *out != NULL ? 0 : -1;
out:
    if (rc != 0)
        fprintf(stderr, "apibus: could not sign the token\n");
    jwt_free(jwt);
    sodium_memzero(secret, len);
    free(secret);
    return rc;
}
