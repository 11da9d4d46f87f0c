#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/support.h"

static char *ts__b64url(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(s);
    char *out = malloc(n * 4 / 3 + 4), *o = out;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        if (i + 1 < n)
            *o++ = tbl[v >> 6 & 63];
        if (i + 2 < n)
            *o++ = tbl[v & 63];
    }
    *o = '\0';
    return out;
}

char *ts_jwt_mint(const char *secret, const char *alg, const char *claims_json, const char *kid)
{
    if (strcmp(alg, "none") == 0) {
        /* libjwt would not let a kid ride along with alg none: build it by hand */
        char header[128];
        snprintf(header, sizeof header, "{\"alg\":\"none\",\"typ\":\"JWT\"%s%s%s}", kid ? ",\"kid\":\"" : "",
                 kid ? kid : "", kid ? "\"" : "");
        char *h = ts__b64url(header), *c = ts__b64url(claims_json), *tok;
        if (asprintf(&tok, "%s.%s.", h, c) < 0)
            tok = NULL;
        free(h);
        free(c);
        return tok;
    }
    jwt_t *jwt = NULL;
    char *tok = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    jwt_alg_t a = strcmp(alg, "HS256") == 0 ? JWT_ALG_HS256 : strcmp(alg, "HS384") == 0 ? JWT_ALG_HS384 : JWT_ALG_HS512;
    if (jwt_add_grants_json(jwt, claims_json) != 0 || (kid != NULL && jwt_add_header(jwt, "kid", kid) != 0) ||
        jwt_set_alg(jwt, a, (const unsigned char *)secret, (int)strlen(secret)) != 0)
        goto out;
    tok = jwt_encode_str(jwt);
out:
    jwt_free(jwt);
    return tok;
}

char *ts_jwt_access(long user_id)
{
    char claims[256];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"token_type\":\"access\",\"exp\":%ld,\"iat\":%ld,\"jti\":\"t%ld\",\"user_id\":%ld}", now + 3600, now,
             now, user_id);
    return ts_jwt_mint(TS_SECRET, "HS512", claims, NULL);
}

char *ts_jwt_kid(const char *secret)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *out = malloc(17);
    crypto_hash_sha256(digest, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(out, 17, digest, 8);
    return out;
}
