#include "gateway/auth.h"

#include <sodium.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "gateway/assoc.h"
#include "gateway/board.h"
#include "proto/errors.h"

typedef int (*gw_authenticate_fn)(gw_auth_t *auth, const char *cred, size_t len, int64_t now,
                                  proto_principal_t *out, gw_key_check_t *check);

typedef struct st_gw_authenticator_t {
    const char *scheme; /* compared case-insensitively, as DRF and RFC 7235 do */
    gw_authenticate_fn authenticate;
} gw_authenticator_t;

static const gw_assoc_shape_t gw__token_cache = {.sets = GW_AUTH_CACHE_SETS,
                                                  .ways = GW_AUTH_CACHE_WAYS,
                                                  .entry_size = sizeof(gw_auth_cache_entry_t),
                                                  .tag_len = sizeof(((gw_auth_cache_entry_t *)0)->tag)};
_Static_assert(offsetof(gw_auth_cache_entry_t, tag) == 0, "gateway/assoc.h wants the tag first");

static int gw__auth_bearer(gw_auth_t *auth, const char *cred, size_t len, int64_t now, proto_principal_t *out,
                           gw_key_check_t *check)
{
    unsigned char tag[32];
    gw_jwt_claims_t claims;
    /* keyed BLAKE2b: several times faster than SHA-256 in libsodium, and a tag nobody outside
     * can compute; 32 bytes, so equal tags mean the same token */
    crypto_generichash(tag, sizeof tag, (const unsigned char *)cred, len, auth->cache_key, sizeof auth->cache_key);
    /* a hit skips HMAC and two JSON parses, and is still checked against exp because an entry
     * may outlive its token */
    gw_auth_cache_entry_t *e = gw_assoc_find(&gw__token_cache, auth->cache, tag);
    if (e != NULL && now <= e->exp + auth->jwt->leeway_s) {
        claims.user_id = e->user_id;
        claims.is_staff = e->is_staff;
        claims.auth_us = e->auth_us;
        auth->cache_hits++;
    } else {
        if (gw_jwt_verify(auth->jwt, cred, len, now, &claims) != 0)
            return -PROTO_ERR_TOKEN_NOT_VALID;
        if (e == NULL)
            e = gw_assoc_slot(&gw__token_cache, auth->cache, auth->cache_victims, tag);
        memcpy(e->tag, tag, sizeof tag);
        e->user_id = claims.user_id;
        e->is_staff = claims.is_staff;
        e->exp = claims.exp;
        e->auth_us = claims.auth_us;
    }
    /* after the cache: a cached token is voided the moment its user's time moves */
    if (auth->revocations != NULL && gw_revocations_void(auth->revocations, claims.user_id, claims.auth_us))
        return -PROTO_ERR_TOKEN_NOT_VALID;
    out->user_id = claims.user_id;
    out->cred = PROTO_CRED_JWT;
    out->is_staff = claims.is_staff;
    out->scope = PROTO_SCOPE_ALL;
    return 0;
}

/* The cache keyed by the key's SHA-512 answers, or the keys service will (GW_AUTH_VERIFY_KEY). */
static int gw__auth_api_key(gw_auth_t *auth, const char *cred, size_t len, int64_t now, proto_principal_t *out,
                            gw_key_check_t *check)
{
    int rc;
    if (auth->keys == NULL || check == NULL)
        return -PROTO_ERR_API_KEY_NOT_VALID;
    if ((rc = gw_keys_parse(cred, len, check)) != 0)
        return rc;
    return gw_keys_lookup(auth->keys, check, now * 1000000, gw_now_ms(), out);
}

static const gw_authenticator_t gw__authenticators[] = {
    {.scheme = "Bearer", .authenticate = gw__auth_bearer},
    {.scheme = "Api-Key", .authenticate = gw__auth_api_key},
};

void gw_auth_init(gw_auth_t *auth, const gw_jwt_verifier_t *jwt)
{
    memset(auth, 0, sizeof *auth);
    auth->jwt = jwt;
    if (sodium_init() >= 0) /* idempotent; the verifier's setup has normally done it */
        randombytes_buf(auth->cache_key, sizeof auth->cache_key);
}

int gw_auth_authenticate(gw_auth_t *auth, const char *value, size_t len, int64_t now, proto_principal_t *out,
                         gw_key_check_t *check)
{
    memset(out, 0, sizeof *out);
    if (value == NULL || len == 0)
        return 0;
    size_t sp = 0;
    while (sp < len && value[sp] != ' ')
        sp++;
    const char *cred = value + sp;
    size_t cred_len = len - sp;
    while (cred_len > 0 && *cred == ' ')
        cred++, cred_len--;
    while (cred_len > 0 && cred[cred_len - 1] == ' ')
        cred_len--;
    for (size_t i = 0; i < sizeof gw__authenticators / sizeof gw__authenticators[0]; i++) {
        const gw_authenticator_t *a = &gw__authenticators[i];
        if (strlen(a->scheme) != sp || strncasecmp(a->scheme, value, sp) != 0)
            continue;
        /* "Bearer" alone or "Bearer a b" is a malformed credential of that scheme: refused */
        int rc = cred_len == 0 || memchr(cred, ' ', cred_len) != NULL
                     ? (a->authenticate == gw__auth_bearer ? -PROTO_ERR_TOKEN_NOT_VALID : -PROTO_ERR_API_KEY_NOT_VALID)
                     : a->authenticate(auth, cred, cred_len, now, out, check);
        if (rc == GW_AUTH_VERIFY_KEY)
            return rc;
        if (rc != 0) {
            memset(out, 0, sizeof *out);
            out->auth_error = -rc;
        }
        return 0;
    }
    /* an unknown scheme (e.g. Basic) is not ours: anonymous without a reason, as DRF does */
    return 0;
}
