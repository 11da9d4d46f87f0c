/*
 * The end-to-end tier for API keys: the suite of tests/e2e/common.h plus the keys service
 * (slot 6; slot 7 for the instance started with the second gateway, which shares the first one's
 * LMDB environment, and with e2e_both_gateways() serves both gateways like the first), and
 * helpers to make and use keys over HTTP.
 */
#ifndef APIBUS_TESTS_E2E_KEYS_COMMON_H
#define APIBUS_TESTS_E2E_KEYS_COMMON_H

#include <jansson.h>

#include "tests/e2e/common.h"

#define KEYS "/api/keys/"
#define KX_SLOT 6
#define KX_SLOT_SECOND 7

/* Starts gateway, auth, employees and keys (extra env for all, NULL-terminated or NULL) and
 * waits until the keys API answers. */
void kx_start(const char *const *extra);
/* Starts the second gateway with its auth, employees and keys instances. */
void kx_start_second(const char *const *extra);
/* Starts (again) the keys service of the first gateway and waits for it. */
void kx_start_keys(void);

/* Registers email and returns its access token (malloc'ed, remembered as a secret). */
char *kx_user(const char *email);
/* POST /api/keys/ with body as the user of access; asserts 201 and returns the reply (with "key",
 * remembered as a secret). */
json_t *kx_create(const char *access, const char *body);
/* A request with Authorization: Api-Key <key> (body as JSON, may be NULL); returns the status
 * and, when res is not NULL, the response (dispose it). */
int kx_call(int port, const char *key, const char *method, const char *path, const char *body, ts_http_res_t *res);
/* Status of GET employees with the key on port (0: the first gateway). */
int kx_employees(int port, const char *key);
/* Polls GET employees with key on port until 401; returns the ms from since (asserts < 10 s). */
long kx_until_refused(int port, const char *key, long since);
/* The worker connections that are up, from the health file of the keys instance in slot, or -1
 * (no file, or not "ok"). */
int kx_health_connected(int slot);
/* Asserts that no file under the suite's data folder holds s (LMDB files included). */
void kx_assert_not_stored(const char *s);

#endif
