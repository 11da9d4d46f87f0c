#include "proto/jwt.h"

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/errors.h"

#define PROTO_JWT_INVALID (-PROTO_ERR_TOKEN_NOT_VALID)

void proto_jwt_kid(const void *secret, size_t len, char out[PROTO_JWT_KID_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, secret, len);
    sodium_bin2hex(out, PROTO_JWT_KID_LEN + 1, digest, PROTO_JWT_KID_LEN / 2);
}

int proto_jwt_keys_add(proto_jwt_keys_t *keys, const void *secret, size_t len, int64_t retire_s, const char *what,
                       char *err, size_t cap)
{
    if (secret == NULL || len == 0) {
        snprintf(err, cap, "%s is empty: refusing to start (libjwt would accept any token)", what);
        return -1;
    }
    if (len < PROTO_SECRET_MIN || len > PROTO_SECRET_MAX) {
        snprintf(err, cap, "%s is %zu bytes long: it must be %d to %d bytes (e.g. openssl rand -hex 32)", what, len,
                 PROTO_SECRET_MIN, PROTO_SECRET_MAX);
        return -1;
    }
    if (keys->num_keys == PROTO_KEYRING_MAX) {
        snprintf(err, cap, "too many JWT secrets (at most %d)", PROTO_KEYRING_MAX);
        return -1;
    }
    proto_jwt_key_t *k = &keys->keys[keys->num_keys++];
    memcpy(k->secret, secret, len);
    k->len = len;
    k->retire_s = retire_s;
    proto_jwt_kid(secret, len, k->kid);
    crypto_auth_hmacsha512_init(&k->hmac, k->secret, k->len);
    return 0;
}

int proto_jwt_keys_from_keyring(proto_jwt_keys_t *keys, const proto_keyring_t *kr, char *err, size_t cap)
{
    int64_t leeway = keys->leeway_s;
    proto_jwt_keys_wipe(keys);
    keys->leeway_s = leeway;
    for (size_t i = 0; i < kr->num; i++)
        if (proto_jwt_keys_add(keys, kr->keys[i].secret, kr->keys[i].len, kr->keys[i].retire_s,
                               i == 0 ? "the JWT secret" : "a previous JWT secret", err, cap) != 0)
            return -1;
    return 0;
}

void proto_jwt_keys_wipe(proto_jwt_keys_t *keys)
{
    if (keys != NULL)
        sodium_memzero(keys, sizeof *keys);
}

/* base64url without padding, strictly: only the alphabet, a length that is not 1 mod 4, and
 * the unused low bits of the last character zero, so that one byte string has exactly one
 * encoding (as sodium_base642bin checks it; that one is constant-time, which the header and
 * payload do not need, and took a fifth of a verify). Returns the decoded length or -1. */
static long proto__jwt_b64url(unsigned char *out, size_t cap, const char *in, size_t len)
{
    static const signed char val[256] = {
        ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
        ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
        ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
        ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
        ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
        ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
        ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
        ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
    }; /* value + 1; 0: not in the alphabet */
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t n = 0;

    if (len % 4 == 1 || len / 4 * 3 + 2 > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = val[(unsigned char)in[i]] - 1;
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        if ((bits += 6) >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)n;
}

/* Decodes one base64url segment into a JSON object (NULL when it is not one). */
static json_t *proto__jwt_segment(const char *seg, size_t len)
{
    unsigned char buf[PROTO_JWT_MAX_TOKEN];
    long n = proto__jwt_b64url(buf, sizeof buf, seg, len);
    if (n < 0)
        return NULL;
    json_t *obj = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The header's rules: alg pinned to HS512 (never none, never another algorithm for the same
 * secret), a `typ`, when it is a string, "JWT" in any case (libjwt's rule, kept since tokens
 * were verified by libjwt), and the key named by `kid`. */
static const proto_jwt_key_t *proto__jwt_select_key(const proto_jwt_keys_t *keys, json_t *header, int64_t now)
{
    json_t *alg = json_object_get(header, "alg");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS512") != 0 || keys->num_keys == 0)
        return NULL;
    json_t *typ = json_object_get(header, "typ");
    if (json_is_string(typ) && strcasecmp(json_string_value(typ), "JWT") != 0)
        return NULL;
    json_t *kid = json_object_get(header, "kid");
    if (kid == NULL)
        return &keys->keys[0];
    if (!json_is_string(kid))
        return NULL;
    for (size_t i = 0; i < keys->num_keys; i++) {
        const proto_jwt_key_t *k = &keys->keys[i];
        if (strcmp(json_string_value(kid), k->kid) == 0)
            return k->retire_s != 0 && now > k->retire_s ? NULL : k;
    }
    return NULL;
}

/* The signature segment must be exactly the unpadded base64url of HMAC-SHA512(key,
 * "header.payload"), as libjwt compared it; compared in constant time. */
static bool proto__jwt_signature_ok(const proto_jwt_key_t *key, const char *signed_part, size_t signed_len,
                                    const char *sig, size_t sig_len)
{
    unsigned char mac[crypto_auth_hmacsha512_BYTES];
    char expected[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha512_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    crypto_auth_hmacsha512_state st = key->hmac;

    crypto_auth_hmacsha512_update(&st, (const unsigned char *)signed_part, signed_len);
    crypto_auth_hmacsha512_final(&st, mac);
    sodium_memzero(&st, sizeof st);
    sodium_bin2base64(expected, sizeof expected, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return sig_len == strlen(expected) && sodium_memcmp(expected, sig, sig_len) == 0;
}

static int proto__jwt_int(json_t *claims, const char *name, bool required, int64_t *out)
{
    json_t *val = json_object_get(claims, name);
    if (val == NULL)
        return required ? -1 : 1;
    if (!json_is_integer(val))
        return -1;
    *out = json_integer_value(val);
    return 0;
}

static int proto__jwt_user_id(json_t *claims, uint64_t *out)
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

static int proto__jwt_check_claims(const proto_jwt_keys_t *keys, json_t *claims, int64_t now, const char *type,
                                   proto_jwt_claims_t *out)
{
    int64_t exp, iat, nbf, auth_us;
    int64_t leeway = keys->leeway_s;
    memset(out, 0, sizeof *out);
    if (proto__jwt_int(claims, "exp", true, &exp) != 0 || now > exp + leeway)
        return -1;
    if (proto__jwt_int(claims, "iat", true, &iat) != 0 || iat > now + leeway)
        return -1;
    int rc = proto__jwt_int(claims, "nbf", false, &nbf);
    if (rc < 0 || (rc == 0 && nbf > now + leeway))
        return -1;
    json_t *tt = json_object_get(claims, "token_type");
    if (!json_is_string(tt) || json_string_length(tt) >= sizeof out->token_type ||
        (type != NULL && strcmp(json_string_value(tt), type) != 0))
        return -1;
    if (proto__jwt_user_id(claims, &out->user_id) != 0)
        return -1;
    rc = proto__jwt_int(claims, "auth_us", false, &auth_us);
    if (rc < 0)
        return -1;
    json_t *jti = json_object_get(claims, "jti");
    if (jti != NULL && json_is_string(jti) && json_string_length(jti) <= PROTO_JWT_JTI_LEN)
        memcpy(out->jti, json_string_value(jti), json_string_length(jti) + 1);
    snprintf(out->token_type, sizeof out->token_type, "%s", json_string_value(tt));
    out->is_staff = json_is_true(json_object_get(claims, "is_staff"));
    out->exp = exp;
    out->iat = iat;
    out->auth_us = rc == 0 ? auth_us : iat * 1000000;
    return 0;
}

int proto_jwt_verify(const proto_jwt_keys_t *keys, const char *token, size_t len, int64_t now, const char *type,
                     proto_jwt_claims_t *claims)
{
    int rc = PROTO_JWT_INVALID;
    json_t *header = NULL, *payload = NULL;

    if (len == 0 || len > PROTO_JWT_MAX_TOKEN)
        goto out;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL || dot2 + 1 == token + len)
        goto out;
    /* The key is chosen from the unverified header, which is all the header is used for. */
    if ((header = proto__jwt_segment(token, (size_t)(dot1 - token))) == NULL)
        goto out;
    const proto_jwt_key_t *key = proto__jwt_select_key(keys, header, now);
    if (key == NULL || key->len == 0)
        goto out;
    if (!proto__jwt_signature_ok(key, token, (size_t)(dot2 - token), dot2 + 1, len - (size_t)(dot2 + 1 - token)))
        goto out;
    /* Parsed with jansson to see the JSON types of the claims (a float or a string is not an
     * integer claim). */
    if ((payload = proto__jwt_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
        goto out;
    if (proto__jwt_check_claims(keys, payload, now, type, claims) != 0)
        goto out;
    rc = 0;
out:
    json_decref(header);
    json_decref(payload);
    return rc;
}

char *proto_jwt_sign(const proto_jwt_keys_t *keys, proto_jwt_claims_t *c)
{
    jwt_t *jwt = NULL;
    char *out = NULL;
    if (keys->num_keys == 0 || keys->keys[0].len == 0)
        return NULL;
    if (c->jti[0] == '\0') {
        unsigned char raw[PROTO_JWT_JTI_LEN / 2];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(c->jti, sizeof c->jti, raw, sizeof raw);
    }
    const proto_jwt_key_t *k = &keys->keys[0];
    if (jwt_new(&jwt) != 0 || jwt_add_header(jwt, "kid", k->kid) != 0 ||
        jwt_add_grant(jwt, "token_type", c->token_type) != 0 || jwt_add_grant_int(jwt, "exp", (long)c->exp) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)c->iat) != 0 || jwt_add_grant(jwt, "jti", c->jti) != 0 ||
        jwt_add_grant_int(jwt, "user_id", (long)c->user_id) != 0 ||
        jwt_add_grant_int(jwt, "auth_us", (long)c->auth_us) != 0 ||
        (c->is_staff && jwt_add_grant_bool(jwt, "is_staff", 1) != 0) ||
        jwt_set_alg(jwt, JWT_ALG_HS512, k->secret, (int)k->len) != 0)
        goto out;
    out = jwt_encode_str(jwt);
out:
    jwt_free(jwt);
    return out;
}
