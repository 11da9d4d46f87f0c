/*
 * Helpers shared by the gateway tier: a suite with the gateway and N employees instances,
 * authenticated requests, JSON checks.
 */
#ifndef APIBUS_TESTS_GATEWAY_COMMON_H
#define APIBUS_TESTS_GATEWAY_COMMON_H

#include <jansson.h>

#include "tests/support/support.h"

#define EMPLOYEES "/pegasus/employees/api/employees/"
#define GW_TEST_TIMEOUT 90

extern ts_suite_t suite;

void gw_test_fini(void);
/* The gateway with extra settings (NULL-terminated "N=V" list, or NULL). */
void start_gateway(const char *const *extra);
/* An employees instance in slot (1..), with two worker threads. */
ts_proc_t *start_employees(int slot);

/* A request with headers (NULL-terminated, may be NULL); asserts that a response came. */
void request(ts_http_res_t *res, const char *method, const char *path, const char *const *headers, const char *body);
/* The same with "Authorization: Bearer <token for user_id>" and a JSON content type. */
void request_as(ts_http_res_t *res, long user_id, const char *method, const char *path, const char *body);
/* Parses the body as JSON (asserts). */
json_t *body_json(const ts_http_res_t *res);
/* Asserts status, a JSON content type, and (when detail is not NULL) the "detail". */
void assert_json_error(const ts_http_res_t *res, int status, const char *detail);
/* Creates an employee for user_id and returns its id. */
long create_employee(long user_id, const char *name);
long now_ms(void);
void sleep_ms(int ms);

#endif
