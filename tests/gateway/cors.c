/* The gateway tier: CORS preflight and CORS headers on every response, errors included. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/gateway/common.h"

#define ALLOWED "http://localhost:5173"

static void setup(void)
{
    ts_suite_init(&suite, "gw-cors");
}

TestSuite(cors, .init = setup, .fini = gw_test_fini, .timeout = GW_TEST_TIMEOUT);

static void assert_cors(const ts_http_res_t *res, const char *origin)
{
    const char *acao = ts_http_header(res, "access-control-allow-origin");
    cr_assert_not_null(acao, "no CORS headers on a %d", res->status);
    cr_assert_str_eq(acao, origin);
    cr_assert_str_eq(ts_http_header(res, "access-control-allow-credentials"), "true");
    const char *vary = ts_http_header(res, "vary");
    cr_assert(vary != NULL && strcasestr(vary, "origin") != NULL);
}

Test(cors, preflight_allowed_origin)
{
    start_gateway(NULL);
    ts_http_res_t res;
    const char *h[] = {"Origin: " ALLOWED, "Access-Control-Request-Method: POST",
                       "Access-Control-Request-Headers: authorization, content-type", NULL};
    /* answered by the gateway even though no employees service runs */
    request(&res, "OPTIONS", EMPLOYEES, h, NULL);
    cr_assert_eq(res.status, 204);
    assert_cors(&res, ALLOWED);
    const char *methods = ts_http_header(&res, "access-control-allow-methods");
    const char *headers = ts_http_header(&res, "access-control-allow-headers");
    cr_assert(methods != NULL && strstr(methods, "POST") != NULL && strstr(methods, "DELETE") != NULL);
    cr_assert_not_null(headers);
    const char *need[] = {"authorization", "content-type", "x-csrftoken", "idempotency-key", "x-request-id"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        cr_assert(strcasestr(headers, need[i]) != NULL, "%s missing from %s", need[i], headers);
    cr_assert_not_null(ts_http_header(&res, "access-control-max-age"));
    ts_http_res_dispose(&res);
}

Test(cors, preflight_disallowed_origin)
{
    start_gateway(NULL);
    ts_http_res_t res;
    const char *h[] = {"Origin: http://evil.example", "Access-Control-Request-Method: POST", NULL};
    request(&res, "OPTIONS", EMPLOYEES, h, NULL);
    cr_assert_null(ts_http_header(&res, "access-control-allow-origin"));
    cr_assert_null(ts_http_header(&res, "access-control-allow-methods"));
    ts_http_res_dispose(&res);
}

Test(cors, headers_on_errors_and_successes)
{
    const char *extra[] = {"APIBUS_NO_WORKER_WAIT_MS=200", "APIBUS_MAX_BODY=1024", NULL};
    start_gateway(extra);
    const char *h[] = {"Origin: " ALLOWED, NULL};
    const char *evil[] = {"Origin: http://evil.example", NULL};
    ts_http_res_t res;

    request(&res, "GET", "/nope", h, NULL);
    assert_json_error(&res, 404, "Not found.");
    assert_cors(&res, ALLOWED);
    ts_http_res_dispose(&res);

    /* no worker: 503 after the wait, still with CORS */
    request(&res, "GET", EMPLOYEES, h, NULL);
    assert_json_error(&res, 503, NULL);
    assert_cors(&res, ALLOWED);
    ts_http_res_dispose(&res);

    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    request(&res, "POST", EMPLOYEES, h, big);
    assert_json_error(&res, 413, NULL);
    assert_cors(&res, ALLOWED);
    ts_http_res_dispose(&res);

    request(&res, "GET", "/nope", evil, NULL);
    assert_json_error(&res, 404, "Not found.");
    cr_assert_null(ts_http_header(&res, "access-control-allow-origin"));
    ts_http_res_dispose(&res);

    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    request(&res, "GET", EMPLOYEES, h, NULL);
    assert_json_error(&res, 401, NULL);
    assert_cors(&res, ALLOWED);
    ts_http_res_dispose(&res);

    request(&res, "GET", "/healthz", h, NULL);
    cr_assert_eq(res.status, 200);
    assert_cors(&res, ALLOWED);
    ts_http_res_dispose(&res);
}
