/* Tests proto/jwt.c: what the verifier without libjwt still refuses (the policy itself is
 * tested token by token in tests/unit/gateway/jwt.c), and that it accepts what libjwt signs. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/jwt.h"

#define SECRET "proto-unit-test-secret-proto-unit-test-secret"
#define NOW 1700000000
#define CLAIMS "{\"token_type\":\"access\",\"exp\":1700003600,\"iat\":1700000000,\"user_id\":42}"

static proto_jwt_keys_t keys;

static void setup(void)
{
    char err[256];
    memset(&keys, 0, sizeof keys);
    keys.leeway_s = 30;
    cr_assert_eq(proto_jwt_keys_add(&keys, SECRET, strlen(SECRET), 0, "the secret", err, sizeof err), 0, "%s", err);
}

TestSuite(proto_jwt, .init = setup);

static void b64url(char *out, size_t cap, const void *data, size_t len)
{
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* header.payload.signature by hand, HMAC-SHA512 with SECRET. */
static void mint(char *out, size_t cap, const char *header, const char *claims)
{
    char h[512], p[512], sig[128];
    unsigned char mac[crypto_auth_hmacsha512_BYTES];
    crypto_auth_hmacsha512_state st;
    b64url(h, sizeof h, header, strlen(header));
    b64url(p, sizeof p, claims, strlen(claims));
    snprintf(out, cap, "%s.%s", h, p);
    crypto_auth_hmacsha512_init(&st, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha512_update(&st, (const unsigned char *)out, strlen(out));
    crypto_auth_hmacsha512_final(&st, mac);
    b64url(sig, sizeof sig, mac, sizeof mac);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, ".%s", sig);
}

static int verify(const char *tok)
{
    proto_jwt_claims_t c;
    return proto_jwt_verify(&keys, tok, strlen(tok), NOW, "access", &c);
}

Test(proto_jwt, signed_by_libjwt_verifies)
{
    proto_jwt_claims_t c = {.user_id = 42, .exp = NOW + 3600, .iat = NOW, .auth_us = (int64_t)NOW * 1000000};
    strcpy(c.token_type, "access");
    char *tok = proto_jwt_sign(&keys, &c);
    cr_assert_not_null(tok);
    proto_jwt_claims_t out;
    cr_assert_eq(proto_jwt_verify(&keys, tok, strlen(tok), NOW, "access", &out), 0);
    cr_assert_eq(out.user_id, 42);
    cr_assert_str_eq(out.jti, c.jti);
    free(tok);
}

Test(proto_jwt, hand_made_tokens)
{
    char tok[2048];
    mint(tok, sizeof tok, "{\"alg\":\"HS512\"}", CLAIMS);
    cr_assert_eq(verify(tok), 0);
    mint(tok, sizeof tok, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", CLAIMS);
    cr_assert_eq(verify(tok), 0);
    /* libjwt's rules, kept: typ compared without case, a typ that is not a string ignored */
    mint(tok, sizeof tok, "{\"alg\":\"HS512\",\"typ\":\"jwt\"}", CLAIMS);
    cr_assert_eq(verify(tok), 0);
    mint(tok, sizeof tok, "{\"alg\":\"HS512\",\"typ\":7}", CLAIMS);
    cr_assert_eq(verify(tok), 0);
    mint(tok, sizeof tok, "{\"alg\":\"HS512\",\"typ\":\"JWS\"}", CLAIMS);
    cr_assert_eq(verify(tok), -PROTO_ERR_TOKEN_NOT_VALID);
    mint(tok, sizeof tok, "{\"alg\":\"hs512\"}", CLAIMS);
    cr_assert_eq(verify(tok), -PROTO_ERR_TOKEN_NOT_VALID, "alg is pinned exactly");
    mint(tok, sizeof tok, "{\"alg\":\"HS512\",\"alg\":\"HS512\"}", CLAIMS);
    cr_assert_eq(verify(tok), -PROTO_ERR_TOKEN_NOT_VALID, "duplicate header keys");
    mint(tok, sizeof tok, "[\"HS512\"]", CLAIMS);
    cr_assert_eq(verify(tok), -PROTO_ERR_TOKEN_NOT_VALID);
    mint(tok, sizeof tok, "{\"alg\":\"HS512\"}", "[1]");
    cr_assert_eq(verify(tok), -PROTO_ERR_TOKEN_NOT_VALID);
}

Test(proto_jwt, signature_must_be_the_canonical_encoding)
{
    char tok[2048], bad[2100];
    mint(tok, sizeof tok, "{\"alg\":\"HS512\"}", CLAIMS);
    cr_assert_eq(verify(tok), 0);
    snprintf(bad, sizeof bad, "%s=", tok);
    cr_assert_eq(verify(bad), -PROTO_ERR_TOKEN_NOT_VALID, "padding");
    snprintf(bad, sizeof bad, "%sA", tok);
    cr_assert_eq(verify(bad), -PROTO_ERR_TOKEN_NOT_VALID, "one character more");
    snprintf(bad, sizeof bad, "%.*s", (int)strlen(tok) - 1, tok);
    cr_assert_eq(verify(bad), -PROTO_ERR_TOKEN_NOT_VALID, "one character less");
    /* the last character carries 2 unused bits: another character with the same 4 used bits
     * decodes to the same MAC, but is not what libjwt compared against */
    snprintf(bad, sizeof bad, "%s", tok);
    char *last = bad + strlen(bad) - 1;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, *last) - alphabet);
    *last = alphabet[v ^ 1];
    cr_assert_eq(verify(bad), -PROTO_ERR_TOKEN_NOT_VALID, "non-zero unused bits");
    /* a NUL inside the token is not the end of it */
    size_t n = strlen(tok);
    memcpy(bad, tok, n);
    memcpy(bad + n, "\0xyz", 4);
    proto_jwt_claims_t c;
    cr_assert_eq(proto_jwt_verify(&keys, bad, n + 4, NOW, "access", &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(proto_jwt_verify(&keys, bad, n, NOW, "access", &c), 0);
}

Test(proto_jwt, no_keys_no_tokens)
{
    proto_jwt_keys_t none;
    proto_jwt_claims_t c;
    char tok[2048];
    memset(&none, 0, sizeof none);
    mint(tok, sizeof tok, "{\"alg\":\"HS512\"}", CLAIMS);
    cr_assert_eq(proto_jwt_verify(&none, tok, strlen(tok), NOW, "access", &c), -PROTO_ERR_TOKEN_NOT_VALID);
}
