/* The gateway tier: routing, limits, static files, request ids, pass-through of service answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/gateway/common.h"

static void setup(void)
{
    ts_suite_init(&suite, "gw-routing");
}

TestSuite(routing, .init = setup, .fini = gw_test_fini, .timeout = GW_TEST_TIMEOUT);

Test(routing, health_and_readiness)
{
    start_gateway(NULL);
    ts_http_res_t res;
    request(&res, "GET", "/healthz", NULL, NULL);
    cr_assert_eq(res.status, 200);
    cr_assert_str_eq(res.body, "{\"status\":\"ok\"}");
    ts_http_res_dispose(&res);

    request(&res, "GET", "/readyz", NULL, NULL);
    cr_assert_eq(res.status, 503, "ready without an employees worker");
    json_t *j = body_json(&res);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "missing"), 0)), "employees");
    json_decref(j);
    ts_http_res_dispose(&res);

    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
}

Test(routing, unknown_path_is_json_404)
{
    start_gateway(NULL);
    ts_http_res_t res;
    const char *paths[] = {"/nope", "/api/nothing-here/", "/pegasus/employees", "/static/../../etc/passwd"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        request(&res, "GET", paths[i], NULL, NULL);
        assert_json_error(&res, 404, "Not found.");
        ts_http_res_dispose(&res);
    }
    request(&res, "POST", "/nope", NULL, "{}");
    assert_json_error(&res, 404, "Not found.");
    ts_http_res_dispose(&res);
}

Test(routing, static_files)
{
    char path[700];
    snprintf(path, sizeof path, "%s/static/hello.txt", suite.dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("hello static\n", f);
    fclose(f);
    start_gateway(NULL);
    ts_http_res_t res;
    request(&res, "GET", "/hello.txt", NULL, NULL);
    cr_assert_eq(res.status, 200);
    cr_assert_str_eq(res.body, "hello static\n");
    cr_assert_not_null(ts_http_header(&res, "x-request-id"));
    ts_http_res_dispose(&res);
    /* h2o's own error for a file (405) comes out as JSON too */
    request(&res, "DELETE", "/hello.txt", NULL, NULL);
    assert_json_error(&res, 405, "Method not allowed.");
    ts_http_res_dispose(&res);
}

Test(routing, missing_static_dir_is_tolerated)
{
    const char *extra[] = {"APIBUS_STATIC_DIR=/nonexistent/apibus-static", NULL};
    start_gateway(extra);
    ts_http_res_t res;
    request(&res, "GET", "/index.html", NULL, NULL);
    assert_json_error(&res, 404, "Not found.");
    ts_http_res_dispose(&res);
}

Test(routing, requests_reach_the_service)
{
    start_gateway(NULL);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    ts_http_res_t res;
    /* no credentials: the service's 401, passed through with its WWW-Authenticate */
    request(&res, "GET", EMPLOYEES, NULL, NULL);
    assert_json_error(&res, 401, "Authentication credentials were not provided.");
    cr_assert_not_null(ts_http_header(&res, "www-authenticate"));
    ts_http_res_dispose(&res);

    long id = create_employee(1, "Ada");
    char item[128];
    snprintf(item, sizeof item, EMPLOYEES "%ld/", id);
    request_as(&res, 1, "GET", item, NULL);
    cr_assert_eq(res.status, 200, "%s", res.body);
    json_t *j = body_json(&res);
    cr_assert_str_eq(json_string_value(json_object_get(j, "name")), "Ada");
    json_decref(j);
    ts_http_res_dispose(&res);

    /* another user's record is not visible */
    request_as(&res, 2, "GET", item, NULL);
    assert_json_error(&res, 404, NULL);
    ts_http_res_dispose(&res);

    request_as(&res, 1, "DELETE", item, NULL);
    cr_assert_eq(res.status, 204, "%s", res.body);
    cr_assert_eq(res.body_len, 0);
    ts_http_res_dispose(&res);
}

Test(routing, validation_errors_pass_through)
{
    start_gateway(NULL);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    ts_http_res_t res;
    request_as(&res, 1, "POST", EMPLOYEES, "{\"name\":\"x\",\"department\":\"nowhere\"}");
    cr_assert_eq(res.status, 400, "%s", res.body);
    json_t *j = body_json(&res);
    cr_assert(json_is_array(json_object_get(j, "department")), "field errors: %s", res.body);
    cr_assert(json_is_array(json_object_get(j, "salary")), "missing salary reported: %s", res.body);
    json_decref(j);
    ts_http_res_dispose(&res);
}

Test(routing, request_id_passed_or_made)
{
    start_gateway(NULL);
    ts_http_res_t res;
    const char *sane[] = {"X-Request-ID: client-id_1.2", NULL};
    request(&res, "GET", "/healthz", sane, NULL);
    cr_assert_str_eq(ts_http_header(&res, "x-request-id"), "client-id_1.2");
    ts_http_res_dispose(&res);
    const char *insane[] = {"X-Request-ID: bad id<script>", NULL};
    request(&res, "GET", "/healthz", insane, NULL);
    const char *rid = ts_http_header(&res, "x-request-id");
    cr_assert_not_null(rid);
    cr_assert_str_neq(rid, "bad id<script>");
    cr_assert_eq(strlen(rid), 32);
    ts_http_res_dispose(&res);
}

/* One line per request, as soon as it is answered, without the query or any credential. */
Test(routing, access_log_line_per_request)
{
    start_gateway(NULL);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    char *tok = ts_jwt_access(3), auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    const char *headers[] = {auth, "X-Request-ID: log-check-1", NULL};
    ts_http_res_t res;
    request(&res, "GET", EMPLOYEES "?page=1&secret=hunter2", headers, NULL);
    cr_assert_eq(res.status, 200, "%s", res.body);
    ts_http_res_dispose(&res);
    const char *anonymous[] = {"X-Request-ID: log-check-2", NULL};
    request(&res, "GET", "/nope?secret=hunter2", anonymous, NULL);
    cr_assert_eq(res.status, 404);
    ts_http_res_dispose(&res);

    ts_proc_t *gw = &suite.procs[0];
    /* written at the end of the loop turn that answered: there by the time the client has read it */
    long until = now_ms() + 2000;
    while (!ts_proc_log_contains(gw, "rid=log-check-2") && now_ms() < until)
        sleep_ms(10);
    cr_assert(ts_proc_log_contains(gw, "rid=log-check-1 client=127.0.0.1 GET " EMPLOYEES " 200 bytes="),
              "no line for the list");
    cr_assert(ts_proc_log_contains(gw, "role=employees\n"));
    cr_assert(ts_proc_log_contains(gw, "rid=log-check-2 client=127.0.0.1 GET /nope 404 bytes="), "no line for the 404");
    cr_assert_not(ts_proc_log_contains(gw, "hunter2"), "the query string was logged");
    cr_assert_not(ts_proc_log_contains(gw, tok), "the token was logged");
    free(tok);
}

Test(routing, body_too_large_is_json_413)
{
    const char *extra[] = {"APIBUS_MAX_BODY=1024", NULL};
    start_gateway(extra);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    char *big = malloc(64 * 1024 + 1);
    memset(big, 'a', 64 * 1024);
    big[64 * 1024] = '\0';
    ts_http_res_t res;
    /* far over the limit: refused before the body is read */
    request_as(&res, 1, "POST", EMPLOYEES, big);
    assert_json_error(&res, 413, "Request body is too large.");
    ts_http_res_dispose(&res);
    /* one byte over: read, then refused by the gateway */
    big[1025] = '\0';
    request_as(&res, 1, "POST", EMPLOYEES, big);
    assert_json_error(&res, 413, "Request body is too large.");
    ts_http_res_dispose(&res);
    /* at the limit: the service sees it (and rejects the JSON) */
    big[1024] = '\0';
    request_as(&res, 1, "POST", EMPLOYEES, big);
    cr_assert_eq(res.status, 400, "%d %s", res.status, res.body);
    ts_http_res_dispose(&res);
    free(big);
}

static void check_links(const char *base, const char *const *headers)
{
    ts_http_res_t res;
    char *tok = ts_jwt_access(3), auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    const char *h[8] = {auth};
    size_t n = 1;
    for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 7; i++)
        h[n++] = headers[i];
    h[n] = NULL;
    request(&res, "GET", EMPLOYEES "?page=1", h, NULL);
    cr_assert_eq(res.status, 200, "%s", res.body);
    json_t *j = body_json(&res);
    cr_assert_eq(json_integer_value(json_object_get(j, "count")), 101);
    char want[512];
    snprintf(want, sizeof want, "%s" EMPLOYEES "?page=2", base);
    cr_assert_str_eq(json_string_value(json_object_get(j, "next")), want);
    cr_assert(json_is_null(json_object_get(j, "previous")));
    json_decref(j);
    ts_http_res_dispose(&res);
    free(tok);
}

Test(routing, pagination_links_use_the_public_base_url)
{
    const char *extra[] = {"APIBUS_TRUSTED_PROXIES=127.0.0.1", NULL};
    start_gateway(extra);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    for (int i = 0; i < 101; i++) {
        char name[32];
        snprintf(name, sizeof name, "E%d", i);
        create_employee(3, name);
    }
    char base[128];
    snprintf(base, sizeof base, "http://localhost:%d", suite.http_port);
    check_links(base, NULL);
    /* from a trusted proxy, X-Forwarded-Proto and -Host make the links */
    const char *fwd[] = {"X-Forwarded-Proto: https", "X-Forwarded-Host: api.example.com", NULL};
    check_links("https://api.example.com", fwd);
}

Test(routing, forwarded_headers_ignored_from_untrusted_peers)
{
    start_gateway(NULL);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    for (int i = 0; i < 101; i++)
        create_employee(3, "x");
    char base[128];
    snprintf(base, sizeof base, "http://localhost:%d", suite.http_port);
    const char *fwd[] = {"X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example.com", NULL};
    check_links(base, fwd);
}

Test(routing, public_url_wins)
{
    const char *extra[] = {"APIBUS_PUBLIC_URL=https://apibus.example.org/", NULL};
    start_gateway(extra);
    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    for (int i = 0; i < 101; i++)
        create_employee(3, "x");
    check_links("https://apibus.example.org", NULL);
}

Test(routing, sigterm_exits_zero)
{
    ts_proc_t *gw = ts_suite_start_gateway(&suite, NULL);
    int status = ts_proc_stop(gw, 10000);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}

Test(routing, short_secret_refused_at_start)
{
    ts_env_set(&suite.env, "APIBUS_JWT_SECRET", "too-short");
    ts_proc_t *gw = ts_suite_start(&suite, 0, "gateway/apibus-gateway", NULL);
    for (int i = 0; i < 200 && ts_proc_alive(gw); i++)
        sleep_ms(25);
    cr_assert_not(ts_proc_alive(gw), "the gateway must refuse a short secret");
    FILE *f = fopen(gw->log_path, "r");
    char log[2048] = "";
    size_t n = fread(log, 1, sizeof log - 1, f);
    log[n] = '\0';
    fclose(f);
    cr_assert(strstr(log, "JWT secret") != NULL, "log: %s", log);
}
