#include "tests/gateway/common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

ts_suite_t suite;

void gw_test_fini(void)
{
    ts_suite_stop(&suite);
}

void start_gateway(const char *const *extra)
{
    ts_suite_start_gateway(&suite, extra);
}

ts_proc_t *start_employees(int slot)
{
    static const char *const extra[] = {"APIBUS_WORKERS=2", "APIBUS_LMDB_MAP_SIZE=67108864", NULL};
    return ts_suite_start_service(&suite, slot, "employees", extra);
}

void request(ts_http_res_t *res, const char *method, const char *path, const char *const *headers, const char *body)
{
    int rc = ts_http(suite.http_port, method, path, headers, body, body != NULL ? strlen(body) : 0, 30000, res);
    if (rc != 0)
        ts_suite_dump_logs(&suite);
    cr_assert_eq(rc, 0, "no response to %s %s", method, path);
}

void request_as(ts_http_res_t *res, long user_id, const char *method, const char *path, const char *body)
{
    char *tok = ts_jwt_access(user_id), auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    request(res, method, path, headers, body);
    free(tok);
}

json_t *body_json(const ts_http_res_t *res)
{
    json_error_t e;
    json_t *j = json_loadb(res->body, res->body_len, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, res->body);
    return j;
}

void assert_json_error(const ts_http_res_t *res, int status, const char *detail)
{
    cr_assert_eq(res->status, status, "expected %d, got %d: %s", status, res->status, res->body);
    const char *ct = ts_http_header(res, "content-type");
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0, "content-type %s", ct ? ct : "(none)");
    json_t *j = body_json(res);
    if (detail != NULL)
        cr_assert_str_eq(json_string_value(json_object_get(j, "detail")), detail, "body %s", res->body);
    else
        cr_assert(json_is_string(json_object_get(j, "detail")), "no detail in %s", res->body);
    json_decref(j);
}

long create_employee(long user_id, const char *name)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"engineering\",\"salary\":\"1000\"}", name);
    ts_http_res_t res;
    request_as(&res, user_id, "POST", EMPLOYEES, body);
    cr_assert_eq(res.status, 201, "create: %d %s", res.status, res.body);
    json_t *j = body_json(&res);
    long id = (long)json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    ts_http_res_dispose(&res);
    cr_assert_gt(id, 0);
    return id;
}

long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
