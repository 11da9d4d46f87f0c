/* The gateway tier: Bearer tokens end to end (gateway verifies, service decides 401). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/gateway/common.h"

#define PREVIOUS "the-previous-secret-the-previous-secret-42"

static void setup(void)
{
    ts_suite_init(&suite, "gw-auth");
    const char *extra[] = {"APIBUS_JWT_PREVIOUS_SECRET=" PREVIOUS, NULL};
    start_gateway(extra);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
}

TestSuite(auth, .init = setup, .fini = gw_test_fini, .timeout = GW_TEST_TIMEOUT);

static int get_with(const char *authorization, ts_http_res_t *res)
{
    char header[4096 + 32];
    snprintf(header, sizeof header, "Authorization: %s", authorization);
    const char *h[] = {header, NULL};
    request(res, "GET", EMPLOYEES, h, NULL);
    return res->status;
}

/* Claims of an access token for user 9; extra replaces a default claim of the same name. */
static char *claims(long exp_delta, long iat_delta, const char *extra)
{
    char *s;
    long now = (long)time(NULL);
    bool own_type = extra != NULL && strstr(extra, "\"token_type\"") != NULL;
    bool own_user = extra != NULL && strstr(extra, "\"user_id\"") != NULL;
    if (asprintf(&s, "{%s%s\"exp\":%ld,\"iat\":%ld,\"jti\":\"x\"%s%s}", own_type ? "" : "\"token_type\":\"access\",",
                 own_user ? "" : "\"user_id\":9,", now + exp_delta, now + iat_delta, extra ? "," : "",
                 extra ? extra : "") < 0)
        abort();
    return s;
}

static void expect_token(const char *what, char *token, int status)
{
    char header[4096];
    snprintf(header, sizeof header, "Bearer %s", token);
    ts_http_res_t res;
    get_with(header, &res);
    cr_expect_eq(res.status, status, "%s: %d %s", what, res.status, res.body);
    if (status == 401) {
        cr_expect_str_eq(res.body, "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}", "%s",
                         what);
        cr_expect_not_null(ts_http_header(&res, "www-authenticate"), "%s", what);
    }
    ts_http_res_dispose(&res);
    free(token);
}

typedef enum { KID_NONE, KID_CURRENT, KID_PREVIOUS, KID_UNKNOWN } kid_t;
typedef enum { AS_IS, TAMPER, TRUNCATE } mangle_t;

typedef struct {
    const char *name;
    const char *secret;
    const char *alg;
    long exp_delta, iat_delta;
    const char *extra;
    kid_t kid;
    mangle_t mangle;
    int status;
} token_case_t;

static char *make_token(const token_case_t *k)
{
    char *cl = claims(k->exp_delta, k->iat_delta, k->extra);
    char *kid = k->kid == KID_CURRENT    ? ts_jwt_kid(TS_SECRET)
                : k->kid == KID_PREVIOUS ? ts_jwt_kid(PREVIOUS)
                : k->kid == KID_UNKNOWN  ? strdup("0123456789abcdef")
                                         : NULL;
    char *tok = ts_jwt_mint(k->secret, k->alg, cl, kid);
    cr_assert_not_null(tok, "%s: cannot mint", k->name);
    size_t len = strlen(tok);
    if (k->mangle == TAMPER) {
        /* change one character of the payload (the middle segment) */
        char *p = strchr(tok, '.') + 5;
        *p = *p == 'A' ? 'B' : 'A';
    } else if (k->mangle == TRUNCATE) {
        tok[len - 12] = '\0';
    }
    free(cl);
    free(kid);
    return tok;
}

Test(auth, token_table)
{
    static const token_case_t cases[] = {
        {"valid", TS_SECRET, "HS512", 3600, 0, NULL, KID_NONE, AS_IS, 200},
        {"valid with current kid", TS_SECRET, "HS512", 3600, 0, NULL, KID_CURRENT, AS_IS, 200},
        {"previous secret with its kid", PREVIOUS, "HS512", 3600, 0, NULL, KID_PREVIOUS, AS_IS, 200},
        {"user id as a string", TS_SECRET, "HS512", 3600, 0, "\"user_id\":\"9\"", KID_NONE, AS_IS, 200},
        {"expired", TS_SECRET, "HS512", -3600, -7200, NULL, KID_NONE, AS_IS, 401},
        {"future nbf", TS_SECRET, "HS512", 3600, 0, "\"nbf\":9999999999", KID_NONE, AS_IS, 401},
        {"future iat", TS_SECRET, "HS512", 7200, 3600, NULL, KID_NONE, AS_IS, 401},
        {"wrong secret", "some-other-secret-some-other-secret-1234", "HS512", 3600, 0, NULL, KID_NONE, AS_IS, 401},
        {"previous secret without kid", PREVIOUS, "HS512", 3600, 0, NULL, KID_NONE, AS_IS, 401},
        {"unknown kid", TS_SECRET, "HS512", 3600, 0, NULL, KID_UNKNOWN, AS_IS, 401},
        {"alg none", TS_SECRET, "none", 3600, 0, NULL, KID_NONE, AS_IS, 401},
        {"HS256", TS_SECRET, "HS256", 3600, 0, NULL, KID_NONE, AS_IS, 401},
        {"tampered", TS_SECRET, "HS512", 3600, 0, NULL, KID_NONE, TAMPER, 401},
        {"truncated", TS_SECRET, "HS512", 3600, 0, NULL, KID_NONE, TRUNCATE, 401},
        {"refresh token", TS_SECRET, "HS512", 3600, 0, "\"token_type\":\"refresh\"", KID_NONE, AS_IS, 401},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_token(cases[i].name, make_token(&cases[i]), cases[i].status);
}

Test(auth, garbage_and_api_keys)
{
    ts_http_res_t res;
    get_with("Bearer not-a-token", &res);
    cr_assert_eq(res.status, 401);
    cr_assert_str_eq(res.body, "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}");
    ts_http_res_dispose(&res);
    /* a malformed key is refused by the gateway itself */
    get_with("Api-Key abcdefgh.not-a-key", &res);
    assert_json_error(&res, 401, "API key is invalid, expired or revoked.");
    ts_http_res_dispose(&res);
    /* a well-formed one needs the keys service, which this tier does not run: nobody can say, so
     * 503 rather than a 401 that would tell the client its key is wrong */
    get_with("Api-Key abcdefgh.0123456789abcdef0123456789abcdef", &res);
    assert_json_error(&res, 503, "Service temporarily unavailable, try again later.");
    ts_http_res_dispose(&res);
}
