#include "gateway/jwt.h"

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"

#define GW_JWT_INVALID (-PROTO_ERR_TOKEN_NOT_VALID)

void gw_jwt_kid(const void *secret, size_t len, char out[GW_JWT_KID_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, secret, len);
    sodium_bin2hex(out, GW_JWT_KID_LEN + 1, digest, GW_JWT_KID_LEN / 2);
}

static int gw__jwt_key(gw_jwt_key_t *key, const char *what, const void *secret, size_t len, char *err, size_t cap)
{
    if (secret == NULL || len == 0) {
        snprintf(err, cap, "%s is empty: refusing to start (libjwt would accept any token)", what);
        return -1;
    }
    if (len < GW_SECRET_MIN || len > GW_SECRET_MAX) {
        snprintf(err, cap, "%s is %zu bytes long: it must be %d to %d bytes (e.g. openssl rand -hex 32)", what, len,
                 GW_SECRET_MIN, GW_SECRET_MAX);
        return -1;
    }
    memcpy(key->secret, secret, len);
    key->len = len;
    gw_jwt_kid(secret, len, key->kid);
    return 0;
}

int gw_jwt_init(gw_jwt_verifier_t *v, const void *secret, size_t len, const void *previous, size_t previous_len,
                uint32_t leeway_s, char *err, size_t cap)
{
    memset(v, 0, sizeof *v);
    if (sodium_init() < 0) {
        snprintf(err, cap, "libsodium failed to initialise");
        return -1;
    }
    if (gw__jwt_key(&v->keys[0], "the JWT secret", secret, len, err, cap) != 0)
        return -1;
    v->num_keys = 1;
    if (previous != NULL && previous_len != 0) {
        if (gw__jwt_key(&v->keys[1], "the previous JWT secret", previous, previous_len, err, cap) != 0)
            return -1;
        v->num_keys = 2;
    }
    v->leeway_s = leeway_s;
    return 0;
}

/* Decodes one base64url segment into a JSON object (NULL when it is not one). */
static json_t *gw__jwt_segment(const char *seg, size_t len)
{
    unsigned char buf[GW_JWT_MAX_TOKEN];
    size_t n;
    if (sodium_base642bin(buf, sizeof buf, seg, len, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    json_t *obj = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static const gw_jwt_key_t *gw__jwt_select_key(const gw_jwt_verifier_t *v, json_t *header)
{
    json_t *alg = json_object_get(header, "alg");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS512") != 0)
        return NULL;
    json_t *kid = json_object_get(header, "kid");
    if (kid == NULL)
        return &v->keys[0];
    if (!json_is_string(kid))
        return NULL;
    for (size_t i = 0; i < v->num_keys; i++)
        if (strcmp(json_string_value(kid), v->keys[i].kid) == 0)
            return &v->keys[i];
    return NULL;
}

static int gw__jwt_int(json_t *claims, const char *name, bool required, int64_t *out)
{
    json_t *val = json_object_get(claims, name);
    if (val == NULL)
        return required ? -1 : 1;
    if (!json_is_integer(val))
        return -1;
    *out = json_integer_value(val);
    return 0;
}

static int gw__jwt_user_id(json_t *claims, uint64_t *out)
{
    json_t *val = json_object_get(claims, "user_id");
    if (json_is_integer(val)) {
        if (json_integer_value(val) <= 0)
            return -1;
        *out = (uint64_t)json_integer_value(val);
        return 0;
    }
    if (!json_is_string(val))
        return -1;
    const char *s = json_string_value(val);
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return -1;
    uint64_t id = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        id = id * 10 + (uint64_t)(s[i] - '0');
    }
    if (id == 0)
        return -1;
    *out = id;
    return 0;
}

static int gw__jwt_check_claims(const gw_jwt_verifier_t *v, json_t *claims, int64_t now, gw_jwt_claims_t *out)
{
    int64_t exp, iat, nbf;
    if (gw__jwt_int(claims, "exp", true, &exp) != 0 || now > exp + v->leeway_s)
        return -1;
    if (gw__jwt_int(claims, "iat", true, &iat) != 0 || iat > now + v->leeway_s)
        return -1;
    int rc = gw__jwt_int(claims, "nbf", false, &nbf);
    if (rc < 0 || (rc == 0 && nbf > now + v->leeway_s))
        return -1;
    json_t *type = json_object_get(claims, "token_type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "access") != 0)
        return -1;
    if (gw__jwt_user_id(claims, &out->user_id) != 0)
        return -1;
    out->is_staff = json_is_true(json_object_get(claims, "is_staff"));
    out->exp = exp;
    out->iat = iat;
    return 0;
}

int gw_jwt_verify(const gw_jwt_verifier_t *v, const char *token, size_t len, int64_t now, gw_jwt_claims_t *claims)
{
    int rc = GW_JWT_INVALID;
    json_t *header = NULL, *payload = NULL;
    jwt_t *jwt = NULL;
    char *copy = NULL;

    if (len == 0 || len > GW_JWT_MAX_TOKEN)
        goto out;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL || dot2 + 1 == token + len)
        goto out;
    /* The key is chosen from the unverified header; alg is pinned here so that a token never
     * reaches libjwt with an algorithm other than HS512 (alg none, algorithm confusion). */
    if ((header = gw__jwt_segment(token, (size_t)(dot1 - token))) == NULL)
        goto out;
    const gw_jwt_key_t *key = gw__jwt_select_key(v, header);
    if (key == NULL || key->len == 0)
        goto out;
    if ((copy = malloc(len + 1)) == NULL)
        goto out;
    memcpy(copy, token, len);
    copy[len] = '\0';
    if (jwt_decode(&jwt, copy, key->secret, (int)key->len) != 0 || jwt == NULL || jwt_get_alg(jwt) != JWT_ALG_HS512)
        goto out;
    /* The signature covers the payload segment: parse it with jansson to see the JSON types
     * (libjwt's jwt_get_grant_int turns floats and strings into 0). */
    if ((payload = gw__jwt_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
        goto out;
    if (gw__jwt_check_claims(v, payload, now, claims) != 0)
        goto out;
    rc = 0;
out:
    jwt_free(jwt);
    free(copy);
    json_decref(header);
    json_decref(payload);
    return rc;
}
