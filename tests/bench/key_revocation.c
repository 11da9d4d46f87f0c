/*
 * Figures for API keys (no assertions on time): revocation latency — from the revoke call's
 * response to the first 401 on that key, polling tightly — on the gateway that relayed the
 * revoke and on a second gateway that relayed nothing, and a cache miss against a cache hit.
 * Every request is a new loopback HTTP/1.1 connection, as the test client makes them. Two
 * gateways, and every service instance connected to both (APIBUS_BUS_HOST lists them), so the
 * keys instance that revokes publishes the event to both.
 *
 *   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build/bench -j
 *   APIBUS_BUILD_DIR=build/bench build/bench/tests/e2e/bench_key_revocation
 *   (env: REVOCATIONS=200 SECOND=100 KEYS=200)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/e2e/keys_common.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp);
    fprintf(stderr, "%-58s n=%-4zu median %8.3f ms  p90 %8.3f ms  worst %8.3f ms\n", what, n, v[n / 2] / 1000,
            v[n * 9 / 10] / 1000, v[n - 1] / 1000);
}

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v != NULL && atoi(v) > 0 ? atoi(v) : fallback;
}

/* Polls GET employees with key on port until 401; the time from since (us). */
static double until_401(int port, const char *key, double since)
{
    while (kx_employees(port, key) != 401)
        cr_assert_lt(now_us() - since, 10e6, "still accepted after 10 s");
    return now_us() - since;
}

static json_t *revoke(const char *access, json_t *k)
{
    char path[128];
    ts_http_res_t res;
    snprintf(path, sizeof path, KEYS "%lld/revoke/", (long long)json_integer_value(json_object_get(k, "id")));
    e2e_post(0, &res, path, access, NULL);
    cr_assert_eq(res.status, 200);
    ts_http_res_dispose(&res);
    return NULL;
}

Test(bench, api_keys, .timeout = 1800)
{
    int nkeys = env_int("KEYS", 200), nrev = env_int("REVOCATIONS", 200), nsecond = env_int("SECOND", 100);
    ts_suite_init(&suite, "bench-keys");
    e2e_both_gateways();
    /* polling revoked keys counts as failures: no throttle here */
    static const char *const env[] = {"APIBUS_KEY_FAIL_FREE=1000000", NULL};
    kx_start(env);
    kx_start_second(env);
    char *access = kx_user("bench@example.com");

    /* cache miss against cache hit, and a JWT for reference */
    double *miss = calloc((size_t)nkeys, sizeof *miss), *hit = calloc((size_t)nkeys * 5, sizeof *hit);
    double *jwt = calloc((size_t)nkeys, sizeof *jwt);
    for (int i = 0; i < nkeys; i++) {
        json_t *k = kx_create(access, "{\"name\":\"bench\"}");
        const char *key = json_string_value(json_object_get(k, "key"));
        double t = now_us();
        cr_assert_eq(kx_employees(0, key), 200);
        miss[i] = now_us() - t;
        for (int j = 0; j < 5; j++) {
            t = now_us();
            cr_assert_eq(kx_employees(0, key), 200);
            hit[i * 5 + j] = now_us() - t;
        }
        t = now_us();
        cr_assert_eq(e2e_employees_status(0, access), 200);
        jwt[i] = now_us() - t;
        json_decref(k);
    }
    report("GET employees, Api-Key, cache miss (keys service asked)", miss, (size_t)nkeys);
    report("GET employees, Api-Key, cache hit", hit, (size_t)nkeys * 5);
    report("GET employees, Bearer JWT (reference)", jwt, (size_t)nkeys);

    /* revocation seen by the gateway that relayed it */
    double *lat = calloc((size_t)nrev, sizeof *lat);
    for (int i = 0; i < nrev; i++) {
        json_t *k = kx_create(access, "{\"name\":\"r\"}");
        const char *key = json_string_value(json_object_get(k, "key"));
        ts_http_res_t res;
        cr_assert_eq(kx_call(0, key, "GET", EMPLOYEES, NULL, &res), 200, "%d %s", res.status, res.body);
        ts_http_res_dispose(&res);
        revoke(access, k);
        lat[i] = until_401(0, key, now_us());
        json_decref(k);
    }
    report("revoke reply -> first 401, relaying gateway", lat, (size_t)nrev);

    /* revocation seen by a second gateway that relayed nothing (the event reaches it directly) */
    double *lat2 = calloc((size_t)nsecond, sizeof *lat2);
    for (int i = 0; i < nsecond; i++) {
        json_t *k = kx_create(access, "{\"name\":\"r2\"}");
        const char *key = json_string_value(json_object_get(k, "key"));
        cr_assert_eq(kx_employees(e2e_second.http_port, key), 200);
        /* at a random point of the resync period, as revocations come in real life */
        e2e_sleep_ms(rand() % 500);
        revoke(access, k);
        lat2[i] = until_401(e2e_second.http_port, key, now_us());
        json_decref(k);
    }
    report("revoke reply -> first 401, other gateway", lat2, (size_t)nsecond);
    free(miss);
    free(hit);
    free(jwt);
    free(lat);
    free(lat2);
    free(access);
    e2e_fini();
}
