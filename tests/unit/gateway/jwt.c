/* tests gateway/jwt.c: the verifier's policy, token by token. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/jwt.h"
#include "proto/errors.h"
#include "tests/support/support.h"

#define SECRET "unit-test-secret-unit-test-secret-0123456789"
#define PREVIOUS "previous-secret-previous-secret-0123456789ab"
#define NOW 1700000000L

static gw_jwt_verifier_t v;

static void setup(void)
{
    char err[256];
    cr_assert_eq(gw_jwt_init(&v, SECRET, strlen(SECRET), PREVIOUS, strlen(PREVIOUS), 30, err, sizeof err), 0, "%s",
                 err);
}

TestSuite(jwt, .init = setup);

/* The claims of an access token; NULL leaves exp or iat out, extra is spliced in. */
static char *claims(const char *exp, const char *iat, const char *extra, const char *type, const char *uid)
{
    char buf[512];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{\"token_type\":%s,\"user_id\":%s,\"jti\":\"abc\"", type, uid);
    if (exp != NULL)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"exp\":%s", exp);
    if (iat != NULL)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"iat\":%s", iat);
    if (extra != NULL)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",%s", extra);
    snprintf(buf + n, sizeof buf - n, "}");
    return strdup(buf);
}

static int verify_with(const char *secret, const char *alg, const char *claims_json, const char *kid, gw_jwt_claims_t *out)
{
    char *tok = ts_jwt_mint(secret, alg, claims_json, kid);
    cr_assert_not_null(tok, "minting failed for %s", claims_json);
    int rc = gw_jwt_verify(&v, tok, strlen(tok), NOW, out);
    free(tok);
    return rc;
}

static char *valid_claims(void)
{
    return claims("1700003600", "1700000000", NULL, "\"access\"", "42");
}

Test(jwt, valid_token)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    cr_assert_eq(verify_with(SECRET, "HS512", cl, NULL, &c), 0);
    cr_assert_eq(c.user_id, 42);
    cr_assert_eq(c.is_staff, false);
    cr_assert_eq(c.exp, 1700003600);
    free(cl);
}

Test(jwt, user_id_as_string_and_is_staff)
{
    gw_jwt_claims_t c;
    char *cl = claims("1700003600", "1700000000", "\"is_staff\":true", "\"access\"", "\"7\"");
    cr_assert_eq(verify_with(SECRET, "HS512", cl, NULL, &c), 0);
    cr_assert_eq(c.user_id, 7);
    cr_assert(c.is_staff);
    free(cl);
}

struct bad_case {
    const char *name, *exp, *iat, *extra, *type, *uid;
};

Test(jwt, claim_table)
{
    static const struct bad_case cases[] = {
        {"expired", "1699999000", "1699990000", NULL, "\"access\"", "42"},
        {"expired beyond leeway", "1699999969", "1699990000", NULL, "\"access\"", "42"},
        {"future nbf", "1700003600", "1700000000", "\"nbf\":1700000100", "\"access\"", "42"},
        {"nbf not an integer", "1700003600", "1700000000", "\"nbf\":\"1\"", "\"access\"", "42"},
        {"future iat", "1700003600", "1700000100", NULL, "\"access\"", "42"},
        {"missing exp", NULL, "1700000000", NULL, "\"access\"", "42"},
        {"missing iat", "1700003600", NULL, NULL, "\"access\"", "42"},
        {"exp as float", "1700003600.5", "1700000000", NULL, "\"access\"", "42"},
        {"exp as string", "\"1700003600\"", "1700000000", NULL, "\"access\"", "42"},
        {"refresh token", "1700003600", "1700000000", NULL, "\"refresh\"", "42"},
        {"token_type missing-ish", "1700003600", "1700000000", NULL, "null", "42"},
        {"user_id zero", "1700003600", "1700000000", NULL, "\"access\"", "0"},
        {"user_id negative", "1700003600", "1700000000", NULL, "\"access\"", "-3"},
        {"user_id float", "1700003600", "1700000000", NULL, "\"access\"", "4.5"},
        {"user_id not decimal", "1700003600", "1700000000", NULL, "\"access\"", "\"4a\""},
        {"user_id null", "1700003600", "1700000000", NULL, "\"access\"", "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *k = &cases[i];
        gw_jwt_claims_t c;
        char *cl = claims(k->exp, k->iat, k->extra, k->type, k->uid);
        cr_expect_eq(verify_with(SECRET, "HS512", cl, NULL, &c), -PROTO_ERR_TOKEN_NOT_VALID, "%s accepted: %s",
                     k->name, cl);
        free(cl);
    }
}

Test(jwt, leeway_accepts_slightly_expired_and_slightly_early)
{
    gw_jwt_claims_t c;
    char *cl = claims("1699999980", "1700000020", "\"nbf\":1700000020", "\"access\"", "42");
    cr_assert_eq(verify_with(SECRET, "HS512", cl, NULL, &c), 0);
    free(cl);
}

Test(jwt, wrong_secret)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    cr_assert_eq(verify_with("another-secret-another-secret-0123456789", "HS512", cl, NULL, &c),
                 -PROTO_ERR_TOKEN_NOT_VALID);
    free(cl);
}

Test(jwt, alg_none)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    cr_assert_eq(verify_with(SECRET, "none", cl, NULL, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    free(cl);
}

Test(jwt, hs256_instead_of_hs512)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    cr_assert_eq(verify_with(SECRET, "HS256", cl, NULL, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    free(cl);
}

Test(jwt, tampered_payload)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    char *tok = ts_jwt_mint(SECRET, "HS512", cl, NULL);
    char *other_claims = claims("1700003600", "1700000000", NULL, "\"access\"", "43");
    char *other = ts_jwt_mint(SECRET, "HS512", other_claims, NULL);
    /* the payload of user 43 with the signature of user 42 */
    char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *odot1 = strchr(other, '.'), *odot2 = strchr(odot1 + 1, '.');
    char *forged;
    cr_assert(asprintf(&forged, "%.*s%.*s%s", (int)(dot1 - tok), tok, (int)(odot2 - odot1), odot1, dot2) > 0);
    cr_assert_eq(gw_jwt_verify(&v, forged, strlen(forged), NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    /* one flipped character in the signature */
    size_t len = strlen(tok);
    tok[len - 2] = tok[len - 2] == 'A' ? 'B' : 'A';
    cr_assert_eq(gw_jwt_verify(&v, tok, len, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    free(forged);
    free(tok);
    free(other);
    free(other_claims);
    free(cl);
}

Test(jwt, truncated_and_garbage)
{
    gw_jwt_claims_t c;
    char *cl = valid_claims();
    char *tok = ts_jwt_mint(SECRET, "HS512", cl, NULL);
    size_t len = strlen(tok);
    cr_assert_eq(gw_jwt_verify(&v, tok, len - 10, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, tok, strrchr(tok, '.') - tok, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, tok, strrchr(tok, '.') - tok + 1, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, "", 0, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, "a.b.c", 5, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, "...", 3, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(gw_jwt_verify(&v, "a.b.c.d", 7, NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    free(tok);
    free(cl);
}

Test(jwt, kid_selects_current_or_previous)
{
    gw_jwt_claims_t c;
    char kid_cur[GW_JWT_KID_LEN + 1], kid_prev[GW_JWT_KID_LEN + 1];
    gw_jwt_kid(SECRET, strlen(SECRET), kid_cur);
    gw_jwt_kid(PREVIOUS, strlen(PREVIOUS), kid_prev);
    cr_assert_eq(strlen(kid_cur), 16);
    cr_assert_str_neq(kid_cur, kid_prev);
    char *cl = valid_claims();
    cr_assert_eq(verify_with(SECRET, "HS512", cl, kid_cur, &c), 0);
    cr_assert_eq(verify_with(PREVIOUS, "HS512", cl, kid_prev, &c), 0, "the previous secret's kid is accepted");
    /* the previous secret without its kid falls to the current secret and fails */
    cr_assert_eq(verify_with(PREVIOUS, "HS512", cl, NULL, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    /* a kid naming one secret and a signature by the other */
    cr_assert_eq(verify_with(SECRET, "HS512", cl, kid_prev, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    cr_assert_eq(verify_with(SECRET, "HS512", cl, "0123456789abcdef", &c), -PROTO_ERR_TOKEN_NOT_VALID,
                 "unknown kid");
    free(cl);
}

Test(jwt, kid_of_known_sha256)
{
    /* sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad */
    char kid[GW_JWT_KID_LEN + 1];
    gw_jwt_kid("abc", 3, kid);
    cr_assert_str_eq(kid, "ba7816bf8f01cfea");
}

Test(jwt, empty_or_short_secret_refused)
{
    gw_jwt_verifier_t w;
    char err[256];
    cr_assert_eq(gw_jwt_init(&w, "", 0, NULL, 0, 30, err, sizeof err), -1);
    cr_assert(strstr(err, "empty") != NULL, "%s", err);
    cr_assert_eq(gw_jwt_init(&w, NULL, 0, NULL, 0, 30, err, sizeof err), -1);
    cr_assert_eq(gw_jwt_init(&w, "short", 5, NULL, 0, 30, err, sizeof err), -1);
    cr_assert(strstr(err, "32") != NULL, "%s", err);
    cr_assert_eq(gw_jwt_init(&w, SECRET, strlen(SECRET), "short", 5, 30, err, sizeof err), -1,
                 "a short previous secret is refused too");
    cr_assert_eq(gw_jwt_init(&w, SECRET, 31, NULL, 0, 30, err, sizeof err), -1);
    cr_assert_eq(gw_jwt_init(&w, SECRET, 32, NULL, 0, 30, err, sizeof err), 0);
}

Test(jwt, no_previous_secret_means_one_key)
{
    gw_jwt_verifier_t w;
    char err[256], kid_prev[GW_JWT_KID_LEN + 1];
    cr_assert_eq(gw_jwt_init(&w, SECRET, strlen(SECRET), NULL, 0, 30, err, sizeof err), 0);
    gw_jwt_kid(PREVIOUS, strlen(PREVIOUS), kid_prev);
    char *cl = valid_claims();
    char *tok = ts_jwt_mint(PREVIOUS, "HS512", cl, kid_prev);
    gw_jwt_claims_t c;
    cr_assert_eq(gw_jwt_verify(&w, tok, strlen(tok), NOW, &c), -PROTO_ERR_TOKEN_NOT_VALID);
    free(tok);
    free(cl);
}
