/* Idempotency-Key over HTTP, through the real gateway and two employees processes sharing one
 * environment: a POST retried with the same key returns the same employee, from either instance,
 * and a retry after the instance that answered has been killed still does. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/support.h"

#define EMPLOYEES "/pegasus/employees/api/employees/"

static ts_suite_t suite;
static char *bearer;

static void setup(void)
{
    ts_suite_init(&suite, "idempotency");
    const char *gateway[] = {"APIBUS_UPSTREAM_TIMEOUT_MS=2000", NULL};
    ts_suite_start_gateway(&suite, gateway);
    ts_suite_start_service(&suite, 1, "employees", NULL);
    ts_suite_start_service(&suite, 2, "employees", NULL);
    ts_suite_wait_ready(&suite, 20000);
    char *token = ts_jwt_access(1);
    cr_assert(asprintf(&bearer, "Authorization: Bearer %s", token) > 0);
    free(token);
}

static void teardown(void)
{
    ts_suite_stop(&suite);
    free(bearer);
}

TestSuite(idempotency_http, .init = setup, .fini = teardown, .timeout = 120);

static long long post(const char *key, const char *body, int *status, bool *replayed)
{
    char kh[300];
    snprintf(kh, sizeof kh, "Idempotency-Key: %s", key);
    const char *headers[] = {bearer, "Content-Type: application/json", kh, NULL};
    ts_http_res_t res;
    cr_assert_eq(ts_http(suite.http_port, "POST", EMPLOYEES, headers, body, strlen(body), 10000, &res), 0);
    *status = res.status;
    const char *r = ts_http_header(&res, "idempotent-replayed");
    *replayed = r != NULL && strcmp(r, "true") == 0;
    json_t *j = json_loads(res.body, 0, NULL);
    long long id = json_is_integer(json_object_get(j, "id")) ? json_integer_value(json_object_get(j, "id")) : -1;
    json_decref(j);
    ts_http_res_dispose(&res);
    return id;
}

static long long count(void)
{
    const char *headers[] = {bearer, NULL};
    ts_http_res_t res;
    cr_assert_eq(ts_http(suite.http_port, "GET", EMPLOYEES, headers, NULL, 0, 10000, &res), 0);
    json_t *j = json_loads(res.body, 0, NULL);
    long long n = json_integer_value(json_object_get(j, "count"));
    json_decref(j);
    ts_http_res_dispose(&res);
    return n;
}

Test(idempotency_http, a_retried_post_returns_the_same_employee)
{
    const char *body = "{\"name\":\"Grace\",\"department\":\"engineering\",\"salary\":\"100\"}";
    int status;
    bool replayed;
    long long id = post("grace-1", body, &status, &replayed);
    cr_assert_eq(status, 201);
    cr_expect_not(replayed);
    /* the retries land on either instance: the key lives in the shared environment */
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(post("grace-1", body, &status, &replayed), id);
        cr_expect_eq(status, 201);
        cr_expect(replayed);
    }
    cr_expect_eq(count(), 1, "one employee for seven POSTs");
    post("grace-1", "{\"name\":\"Other\",\"department\":\"engineering\",\"salary\":\"1\"}", &status, &replayed);
    cr_expect_eq(status, 422, "the same key with another body");

    /* The first instance dies. Until the gateway notices, a POST may still be handed to one of
     * its idle workers and end in a 504 (a POST is not retried by the gateway); the client
     * retries with the same key, as the key is for, and gets the stored outcome. */
    ts_proc_kill(&suite.procs[1]);
    long long again = -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        again = post("grace-1", body, &status, &replayed);
        if (status < 500)
            break;
    }
    cr_expect_eq(again, id);
    cr_expect(status == 201 && replayed, "status %d", status);
    cr_expect_eq(count(), 1);
}
