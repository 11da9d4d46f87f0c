/*
 * The end-to-end tier: real gateways, auth and employees processes on loopback, driven over
 * HTTP and through the `apibus` command. Every secret a test handles (passwords, tokens,
 * cookies, the JWT keyring) is remembered, and e2e_fini scans every process log for them
 * before the suite is torn down: a secret in a log line fails the test.
 */
#ifndef APIBUS_TESTS_E2E_COMMON_H
#define APIBUS_TESTS_E2E_COMMON_H

#include <jansson.h>
#include <stdbool.h>

#include "tests/support/support.h"

#define E2E_TIMEOUT 240
#define EMPLOYEES "/pegasus/employees/api/employees/"
#define AUTH "/api/auth/"
#define E2E_PASSWORD "tulip-orbit-cascade-42"

extern ts_suite_t suite;

/* A second gateway with its own auth and employees instances (auth shares the first one's
 * LMDB environment), as a scaled deployment has. */
typedef struct st_e2e_gateway_t {
    int http_port, bus_base;
} e2e_gateway_t;
extern e2e_gateway_t e2e_second;

/* Starts gateway + auth + employees (extra env for all three, NULL-terminated or NULL). */
void e2e_start(const char *const *extra);
/* Starts the second gateway (slot 3..5). */
void e2e_start_second(const char *const *extra);
/* Before starting anything: every service the suite starts connects to both gateways (an
 * APIBUS_BUS_HOST list), as a deployment with scaled gateways runs them; without it, each
 * instance knows only the gateway it was started with. */
void e2e_both_gateways(void);
/* Scans every log for remembered secrets (asserts none), then stops everything. */
void e2e_fini(void);
/* Remembers a secret for the log scan (copied). */
void e2e_secret(const char *s);

/* A request to the first gateway (port 0) or another; headers NULL-terminated or NULL. */
void e2e_request(int port, ts_http_res_t *res, const char *method, const char *path, const char *const *headers,
                 const char *body);
/* POST of a JSON body, optional bearer token. */
void e2e_post(int port, ts_http_res_t *res, const char *path, const char *bearer, const char *body);
/* GET with an optional bearer token. */
void e2e_get(int port, ts_http_res_t *res, const char *path, const char *bearer);
json_t *e2e_json(const ts_http_res_t *res);

/* Registers email with E2E_PASSWORD; returns the parsed 201 body (asserts). */
json_t *e2e_register(const char *email);
/* Logs in; fills malloc'ed access and refresh tokens (either may be NULL). Asserts 200. */
void e2e_login(const char *email, const char *password, char **access, char **refresh);
/* Status of GET employees with the token on port. */
int e2e_employees_status(int port, const char *access);

/* Runs `apibus args...` with the suite's environment (bus of the first gateway), input on
 * stdin; output (stdout+stderr) into out. Returns the exit status. */
int e2e_cli(const char *input, char *out, size_t cap, const char *const *args);

long e2e_now_ms(void);
void e2e_sleep_ms(int ms);

#endif
