/* End to end: API keys through real gateways. Create, use, list (never the secret), revoke
 * (refused within the bound on every gateway), expiry, read-only scope, one user's key against
 * another's data, the keys service down, throttling, deactivation, the `apibus key` commands and
 * a Pegasus import; no key in plain text in the data folder or the logs. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/e2e/keys_common.h"

/* The bound: from the revoke call's response to the first 401 on that key. */
#define KX_REVOKED_WITHIN_MS 1000

static const char *const kx_fast_usage[] = {"APIBUS_KEY_USAGE_FLUSH_MS=200", NULL};

static void setup(void)
{
    ts_suite_init(&suite, "e2e-keys");
    kx_start(kx_fast_usage);
}

/* Two gateways, and every service instance connected to both (APIBUS_BUS_HOST lists them). */
static void setup_two(void)
{
    ts_suite_init(&suite, "e2e-keys2");
    e2e_both_gateways();
    kx_start(NULL);
    kx_start_second(NULL);
}

static void setup_throttle(void)
{
    static const char *const env[] = {"APIBUS_KEY_FAIL_FREE=3", NULL};
    ts_suite_init(&suite, "e2e-keys-throttle");
    kx_start(env);
}

static void fini(void)
{
    e2e_fini();
}

/* Create → use → list (no secret anywhere) → last used → revoke → 401. */
Test(keys, lifecycle, .init = setup, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char *access = kx_user("ada@example.com");
    json_t *k = kx_create(access, "{\"name\":\"ci\"}");
    const char *key = json_string_value(json_object_get(k, "key"));
    const char *prefix = json_string_value(json_object_get(k, "prefix"));
    cr_assert_eq(strlen(key), 41);
    cr_expect_eq(key[8], '.');
    cr_expect_eq(strncmp(key, prefix, 8), 0);
    cr_expect_str_eq(json_string_value(json_object_get(k, "scope")), "read_write");
    cr_expect(json_is_null(json_object_get(k, "last_used")));
    cr_expect(json_is_null(json_object_get(k, "expiry_date")));

    /* the Pegasus docs' line, any case of the keyword */
    cr_expect_eq(kx_employees(0, key), 200);
    ts_http_res_t res;
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: api-key %s", key);
    const char *lower[] = {auth, NULL};
    e2e_request(0, &res, "GET", EMPLOYEES, lower, NULL);
    cr_expect_eq(res.status, 200);
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_call(0, key, "POST", EMPLOYEES, "{\"name\":\"Grace\",\"department\":\"engineering\",\"salary\":1}", &res),
                 201, "%s", res.body);
    json_t *emp = e2e_json(&res);
    cr_expect_eq(json_integer_value(json_object_get(emp, "user")), json_integer_value(json_object_get(k, "user")),
                 "the key acts as its user");
    json_decref(emp);
    ts_http_res_dispose(&res);

    /* a key manages no keys: that takes a login */
    cr_expect_eq(kx_call(0, key, "GET", KEYS, NULL, NULL), 403);

    /* the list never shows the key or its hash; last used arrives with the gateway's batch */
    long until = e2e_now_ms() + 5000;
    json_t *item = NULL;
    for (;;) {
        e2e_get(0, &res, KEYS, access);
        cr_assert_eq(res.status, 200);
        cr_expect_null(strstr(res.body, key + 9), "the secret is listed");
        cr_expect_null(strstr(res.body, "sha512"), "the hash is listed");
        json_t *list = e2e_json(&res);
        ts_http_res_dispose(&res);
        cr_assert_eq(json_integer_value(json_object_get(list, "count")), 1);
        item = json_incref(json_array_get(json_object_get(list, "results"), 0));
        json_decref(list);
        if (json_is_string(json_object_get(item, "last_used")) || e2e_now_ms() > until)
            break;
        json_decref(item);
        e2e_sleep_ms(100);
    }
    cr_expect(json_is_string(json_object_get(item, "last_used")), "last used never came");
    cr_expect_str_eq(json_string_value(json_object_get(item, "prefix")), prefix);
    cr_expect_null(json_object_get(item, "key"));
    char path[128];
    snprintf(path, sizeof path, KEYS "%lld/", (long long)json_integer_value(json_object_get(item, "id")));
    json_decref(item);

    /* rename */
    e2e_request(0, &res, "PATCH", path,
                (const char *[]){"Content-Type: application/json", NULL}, "{\"name\":\"x\"}");
    cr_expect_eq(res.status, 401, "no credentials");
    ts_http_res_dispose(&res);
    char bearer[2100];
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", access);
    const char *h[] = {"Content-Type: application/json", bearer, NULL};
    e2e_request(0, &res, "PATCH", path, h, "{\"name\":\"deploy bot\"}");
    cr_expect_eq(res.status, 200, "%s", res.body);
    cr_expect_not_null(strstr(res.body, "\"deploy bot\""));
    ts_http_res_dispose(&res);

    /* revoke: the relaying gateway refuses the key before the client can send it again */
    char revoke[160];
    snprintf(revoke, sizeof revoke, "%srevoke/", path);
    e2e_post(0, &res, revoke, access, NULL);
    long revoked_at = e2e_now_ms();
    cr_assert_eq(res.status, 200, "%s", res.body);
    cr_expect_not_null(strstr(res.body, "\"revoked\":true"));
    cr_expect_null(ts_http_header(&res, "x-apibus-revoked-key"), "the gateway's header leaked");
    ts_http_res_dispose(&res);
    cr_expect_lt(kx_until_refused(0, key, revoked_at), KX_REVOKED_WITHIN_MS);
    cr_expect_eq(kx_call(0, key, "GET", EMPLOYEES, NULL, &res), 401);
    cr_expect_not_null(strstr(res.body, "api_key_not_valid"), "%s", res.body);
    ts_http_res_dispose(&res);
    e2e_post(0, &res, revoke, access, NULL);
    cr_expect_eq(res.status, 200, "revoking twice is harmless");
    ts_http_res_dispose(&res);

    kx_assert_not_stored(key);
    kx_assert_not_stored(key + 9);
    json_decref(k);
    free(access);
}

Test(keys, validation_and_expiry, .init = setup, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char *access = kx_user("exp@example.com");
    ts_http_res_t res;
    e2e_post(0, &res, KEYS, access, "{}");
    cr_expect_eq(res.status, 400);
    cr_expect_str_eq(res.body, "{\"name\":[\"This field is required.\"]}");
    ts_http_res_dispose(&res);
    e2e_post(0, &res, KEYS, access, "{\"name\":\"old\",\"expiry_date\":\"2001-01-01T00:00:00Z\"}");
    cr_expect_eq(res.status, 400, "%s", res.body);
    ts_http_res_dispose(&res);
    e2e_post(0, &res, KEYS, access, "{\"name\":\"x\",\"scope\":\"admin\"}");
    cr_expect_eq(res.status, 400, "%s", res.body);
    ts_http_res_dispose(&res);

    /* a key that expires in two seconds: works, then 401 from the cache and from the service */
    char body[160], when[32];
    time_t t = time(NULL) + 2;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    snprintf(body, sizeof body, "{\"name\":\"short\",\"expiry_date\":\"%s\"}", when);
    json_t *k = kx_create(access, body);
    const char *key = json_string_value(json_object_get(k, "key"));
    cr_expect_eq(kx_employees(0, key), 200);
    while (time(NULL) <= t)
        e2e_sleep_ms(100);
    cr_expect_eq(kx_employees(0, key), 401, "expired, though cached");

    /* wrong secret with a right prefix; garbage; the wrong scheme is not ours */
    char forged[64];
    snprintf(forged, sizeof forged, "%.9s%s", key, "00000000000000000000000000000000");
    cr_expect_eq(kx_employees(0, forged), 401);
    cr_expect_eq(kx_employees(0, "nonsense"), 401);
    json_decref(k);
    free(access);
}

Test(keys, read_only_scope, .init = setup, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char *access = kx_user("ro@example.com");
    json_t *k = kx_create(access, "{\"name\":\"reader\",\"scope\":\"read\"}");
    const char *key = json_string_value(json_object_get(k, "key"));
    cr_expect_str_eq(json_string_value(json_object_get(k, "scope")), "read");
    ts_http_res_t res;
    cr_expect_eq(kx_employees(0, key), 200);
    cr_expect_eq(kx_call(0, key, "HEAD", EMPLOYEES, NULL, NULL), 200);
    cr_expect_eq(kx_call(0, key, "POST", EMPLOYEES, "{\"name\":\"Eve\",\"department\":\"hr\",\"salary\":1}", &res), 403);
    cr_expect_str_eq(res.body,
                     "{\"detail\":\"This API key is read-only: it lacks the 'write' scope.\",\"code\":\"read_only_key\"}");
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_call(0, key, "DELETE", EMPLOYEES "1/", NULL, NULL), 403);
    json_decref(k);
    free(access);
}

Test(keys, one_users_key_never_sees_anothers_data, .init = setup, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char *a = kx_user("a@example.com"), *b = kx_user("b@example.com");
    json_t *ka = kx_create(a, "{\"name\":\"a\"}"), *kb = kx_create(b, "{\"name\":\"b\"}");
    const char *key_a = json_string_value(json_object_get(ka, "key"));
    const char *key_b = json_string_value(json_object_get(kb, "key"));
    ts_http_res_t res;
    cr_assert_eq(kx_call(0, key_b, "POST", EMPLOYEES, "{\"name\":\"Bob\",\"department\":\"sales\",\"salary\":5}", &res), 201);
    json_t *emp = e2e_json(&res);
    ts_http_res_dispose(&res);
    char path[128];
    snprintf(path, sizeof path, EMPLOYEES "%lld/", (long long)json_integer_value(json_object_get(emp, "id")));
    json_decref(emp);
    cr_expect_eq(kx_call(0, key_a, "GET", path, NULL, NULL), 404);
    cr_expect_eq(kx_call(0, key_a, "DELETE", path, NULL, NULL), 404);
    cr_expect_eq(kx_call(0, key_a, "GET", EMPLOYEES, NULL, &res), 200);
    cr_expect_not_null(strstr(res.body, "\"count\":0"), "%s", res.body);
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_call(0, key_b, "GET", path, NULL, NULL), 200);

    /* keys: A sees only A's; B's key id is absent for A */
    e2e_get(0, &res, KEYS, a);
    cr_expect_not_null(strstr(res.body, "\"count\":1"), "%s", res.body);
    cr_expect_null(strstr(res.body, json_string_value(json_object_get(kb, "prefix"))));
    ts_http_res_dispose(&res);
    snprintf(path, sizeof path, KEYS "%lld/", (long long)json_integer_value(json_object_get(kb, "id")));
    e2e_get(0, &res, path, a);
    cr_expect_eq(res.status, 404);
    ts_http_res_dispose(&res);
    char revoke[160];
    snprintf(revoke, sizeof revoke, "%srevoke/", path);
    e2e_post(0, &res, revoke, a, NULL);
    cr_expect_eq(res.status, 404);
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_employees(0, key_b), 200, "B's key still works");

    /* staff see and revoke anyone's key through the same API */
    char out[2048];
    const char *create[] = {"user", "create", "--email", "root@example.com", "--staff", NULL};
    cr_assert_eq(e2e_cli(E2E_PASSWORD "\n", out, sizeof out, create), 0, "%s", out);
    char *staff;
    e2e_login("root@example.com", E2E_PASSWORD, &staff, NULL);
    e2e_get(0, &res, KEYS, staff);
    cr_expect_not_null(strstr(res.body, "\"count\":2"), "%s", res.body);
    ts_http_res_dispose(&res);
    char filtered[96];
    snprintf(filtered, sizeof filtered, KEYS "?user=%lld", (long long)json_integer_value(json_object_get(kb, "user")));
    e2e_get(0, &res, filtered, staff);
    cr_expect_not_null(strstr(res.body, "\"count\":1"), "%s", res.body);
    ts_http_res_dispose(&res);
    e2e_post(0, &res, revoke, staff, NULL);
    cr_expect_eq(res.status, 200, "%s", res.body);
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_employees(0, key_b), 401);
    cr_expect_eq(kx_employees(0, key_a), 200);
    json_decref(ka);
    json_decref(kb);
    free(a);
    free(b);
    free(staff);
}

Test(keys, service_down_is_503_on_a_miss_cached_keys_keep_working, .init = setup, .fini = fini,
     .timeout = E2E_TIMEOUT)
{
    char *access = kx_user("down@example.com");
    json_t *k1 = kx_create(access, "{\"name\":\"used\"}"), *k2 = kx_create(access, "{\"name\":\"unused\"}");
    const char *used = json_string_value(json_object_get(k1, "key"));
    const char *unused = json_string_value(json_object_get(k2, "key"));
    cr_assert_eq(kx_employees(0, used), 200);
    cr_assert_eq(ts_proc_stop(&suite.procs[KX_SLOT], 5000) >= 0, 1);
    /* the gateway notices the worker gone (ping) before it answers a miss at once */
    e2e_sleep_ms(1500);
    cr_expect_eq(kx_employees(0, used), 200, "a cached key keeps working");
    ts_http_res_t res;
    cr_expect_eq(kx_call(0, unused, "GET", EMPLOYEES, NULL, &res), 503, "a miss: %d %s", res.status, res.body);
    ts_http_res_dispose(&res);
    char forged[64];
    snprintf(forged, sizeof forged, "%.9s%s", used, "11111111111111111111111111111111");
    cr_expect_eq(kx_employees(0, forged), 503, "not 401: nobody could say");
    /* public routes do not care */
    ts_http_res_t pub;
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Api-Key %s", unused);
    e2e_request(0, &pub, "POST", AUTH "token/verify/", (const char *[]){auth, "Content-Type: application/json", NULL},
                "{\"token\":\"x\"}");
    cr_expect_eq(pub.status, 401, "token/verify/ answers for the token, whatever the header");
    ts_http_res_dispose(&pub);
    kx_start_keys();
    cr_expect_eq(kx_employees(0, unused), 200, "back");
    json_decref(k1);
    json_decref(k2);
    free(access);
}

Test(keys, failures_from_one_address_are_throttled, .init = setup_throttle, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char bad[64];
    for (int i = 0; i < 3; i++) {
        snprintf(bad, sizeof bad, "Zz00000%d.00000000000000000000000000000000", i);
        cr_expect_eq(kx_employees(0, bad), 401);
    }
    ts_http_res_t res;
    cr_expect_eq(kx_call(0, "Zz000009.00000000000000000000000000000000", "GET", EMPLOYEES, NULL, &res), 401);
    ts_http_res_dispose(&res);
    cr_expect_eq(kx_call(0, "Zz000010.00000000000000000000000000000000", "GET", EMPLOYEES, NULL, &res), 429);
    cr_expect_not_null(ts_http_header(&res, "retry-after"));
    ts_http_res_dispose(&res);
    /* a JWT from the same address is not held */
    char *access = kx_user("throttled@example.com");
    cr_expect_eq(e2e_employees_status(0, access), 200);
    free(access);
}

/* Both keys instances have their workers on both gateways: APIBUS_WORKERS (8) each. */
static void expect_workers_on_both_gateways(void)
{
    int connected[2] = {-1, -1}, slots[2] = {KX_SLOT, KX_SLOT_SECOND};
    long until = e2e_now_ms() + 5000;
    while ((connected[0] != 16 || connected[1] != 16) && e2e_now_ms() < until) {
        e2e_sleep_ms(100);
        for (int i = 0; i < 2; i++)
            connected[i] = kx_health_connected(slots[i]);
    }
    cr_expect_eq(connected[0], 16, "keys instance 1: %d worker connections, expected 8 per gateway", connected[0]);
    cr_expect_eq(connected[1], 16, "keys instance 2: %d worker connections, expected 8 per gateway", connected[1]);
}

/* Revocations and deactivations reach a second gateway (which relayed neither) within the bound. */
Test(keys, every_gateway_refuses_within_the_bound, .init = setup_two, .fini = fini, .timeout = E2E_TIMEOUT)
{
    expect_workers_on_both_gateways();
    char *access = kx_user("two@example.com");
    json_t *k = kx_create(access, "{\"name\":\"both\"}");
    const char *key = json_string_value(json_object_get(k, "key"));
    cr_assert_eq(kx_employees(0, key), 200);
    cr_assert_eq(kx_employees(e2e_second.http_port, key), 200, "one store, two gateways");
    char path[128];
    snprintf(path, sizeof path, KEYS "%lld/revoke/", (long long)json_integer_value(json_object_get(k, "id")));
    ts_http_res_t res;
    e2e_post(0, &res, path, access, NULL);
    long since = e2e_now_ms();
    cr_assert_eq(res.status, 200);
    ts_http_res_dispose(&res);
    long other = kx_until_refused(e2e_second.http_port, key, since);
    long relay = kx_until_refused(0, key, since);
    fprintf(stderr, "e2e: key refused by the relaying gateway after %ld ms, by the other after %ld ms\n", relay, other);
    cr_expect_lt(other, KX_REVOKED_WITHIN_MS);
    cr_expect_lt(relay, KX_REVOKED_WITHIN_MS);

    /* deactivation: the user's other key stops at once on both gateways */
    json_t *k2 = kx_create(access, "{\"name\":\"second\"}");
    const char *key2 = json_string_value(json_object_get(k2, "key"));
    cr_assert_eq(kx_employees(0, key2), 200);
    cr_assert_eq(kx_employees(e2e_second.http_port, key2), 200);
    char out[2048];
    const char *deactivate[] = {"user", "deactivate", "two@example.com", NULL};
    cr_assert_eq(e2e_cli(NULL, out, sizeof out, deactivate), 0, "%s", out);
    since = e2e_now_ms();
    cr_expect_lt(kx_until_refused(0, key2, since), KX_REVOKED_WITHIN_MS);
    cr_expect_lt(kx_until_refused(e2e_second.http_port, key2, since), KX_REVOKED_WITHIN_MS);
    /* and stays refused: the state holds beyond the cache and a miss */
    e2e_sleep_ms(200);
    cr_expect_eq(kx_employees(0, key2), 401);
    json_decref(k);
    json_decref(k2);
    free(access);
}

/* `apibus key` create / list / revoke, and an import of Pegasus keys. */
Test(keys, command_line_and_import, .init = setup, .fini = fini, .timeout = E2E_TIMEOUT)
{
    char out[8192];
    char *access = kx_user("ops@example.com");
    const char *create[] = {"key", "create", "--user", "ops@example.com", "--name", "nightly", "--read-only",
                            "--expires", "2099-12-31", NULL};
    cr_assert_eq(e2e_cli(NULL, out, sizeof out, create), 0, "%s", out);
    char *nl = strrchr(out, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    const char *key = strrchr(out, '\n') != NULL ? strrchr(out, '\n') + 1 : out;
    cr_assert_eq(strlen(key), 41, "the key alone on its line: [%s]", key);
    char keybuf[64];
    snprintf(keybuf, sizeof keybuf, "%s", key);
    e2e_secret(keybuf);
    cr_expect_eq(kx_employees(0, keybuf), 200);
    cr_expect_eq(kx_call(0, keybuf, "POST", EMPLOYEES, "{\"name\":\"x\",\"department\":\"hr\",\"salary\":1}", NULL), 403);

    const char *nobody[] = {"key", "create", "--user", "ghost@example.com", "--name", "x", NULL};
    cr_expect_neq(e2e_cli(NULL, out, sizeof out, nobody), 0);

    const char *list[] = {"key", "list", "--user", "ops@example.com", NULL};
    cr_assert_eq(e2e_cli(NULL, out, sizeof out, list), 0, "%s", out);
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", keybuf);
    cr_expect_not_null(strstr(out, prefix), "%s", out);
    cr_expect_not_null(strstr(out, "2099-12-31T00:00:00"), "%s", out);
    cr_expect_null(strstr(out, keybuf + 9), "the list shows the secret");

    const char *revoke[] = {"key", "revoke", prefix, NULL};
    cr_assert_eq(e2e_cli(NULL, out, sizeof out, revoke), 0, "%s", out);
    cr_expect_eq(kx_employees(0, keybuf), 401, "the relaying gateway refuses it at once");
    const char *unknown[] = {"key", "revoke", "Qq000000", NULL};
    cr_expect_neq(e2e_cli(NULL, out, sizeof out, unknown), 0);

    /* a Pegasus export: one sha512$$ key (made here, as djangorestframework-api-key 3 would),
     * one PBKDF2 row of a 2.x database, one unknown user */
    const char *pegasus_key = "PgSs0001.abcdefghijklmnopqrstuvwxyz012345";
    unsigned char hash[crypto_hash_sha512_BYTES];
    char hex[2 * crypto_hash_sha512_BYTES + 1];
    crypto_hash_sha512(hash, (const unsigned char *)pegasus_key, strlen(pegasus_key));
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    e2e_secret(pegasus_key);
    char file[1200];
    snprintf(file, sizeof file, "%s/export.jsonl", suite.dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "{\"prefix\":\"PgSs0001\",\"hashed_key\":\"sha512$$%s\",\"name\":\"Ops API Key\",\"email\":\"OPS@example.com\","
            "\"created\":\"2024-10-14T21:25:44.123456+00:00\",\"expiry_date\":null,\"revoked\":false}\n"
            "{\"prefix\":\"PgSs0002\",\"hashed_key\":\"pbkdf2_sha256$260000$salt$abc=\",\"name\":\"old\","
            "\"email\":\"ops@example.com\",\"created\":\"2022-01-01T00:00:00+00:00\",\"expiry_date\":null,\"revoked\":false}\n"
            "{\"prefix\":\"PgSs0003\",\"hashed_key\":\"sha512$$%s\",\"name\":\"x\",\"email\":\"nobody@example.com\"}\n",
            hex, hex);
    fclose(f);
    const char *import[] = {"key", "import", file, NULL};
    cr_expect_eq(e2e_cli(NULL, out, sizeof out, import), 1, "%s", out);
    cr_expect_not_null(strstr(out, "imported 1 key(s), 0 already present, 2 refused"), "%s", out);
    cr_expect_not_null(strstr(out, "pbkdf2_sha256"), "the refusal names the hasher: %s", out);
    cr_expect_eq(kx_employees(0, pegasus_key), 200, "an imported key verifies");
    cr_expect_eq(e2e_cli(NULL, out, sizeof out, import), 1, "%s", out);
    cr_expect_not_null(strstr(out, "imported 0 key(s), 1 already present"), "importing again is harmless: %s", out);
    ts_http_res_t res;
    e2e_get(0, &res, KEYS, access);
    cr_expect_not_null(strstr(res.body, "\"created\":\"2024-10-14T21:25:44.123456Z\""), "%s", res.body);
    ts_http_res_dispose(&res);
    kx_assert_not_stored(pegasus_key);
    free(access);
}

/* With the keys instance started for the first gateway stopped, the one started for the second
 * serves the keys API and key checks through both gateways, and its revocations reach both. */
Test(keys, one_instance_serves_both_gateways, .init = setup_two, .fini = fini, .timeout = E2E_TIMEOUT)
{
    expect_workers_on_both_gateways();
    ts_proc_t *first = &suite.procs[KX_SLOT];
    int status = ts_proc_stop(first, 10000);
    cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the keys service did not stop cleanly");
    /* released by each gateway's ping, not by the grace running out or by silence */
    cr_expect(ts_proc_log_contains(first, "drain: all 2 gateways released their workers"), "it did not drain both");

    char *access = kx_user("one@example.com");
    for (int i = 0; i < 3; i++) {
        json_t *k = kx_create(access, "{\"name\":\"via-first\"}"); /* through the first gateway */
        const char *key = json_string_value(json_object_get(k, "key"));
        cr_expect_eq(kx_employees(e2e_second.http_port, key), 200, "a miss through the second gateway");
        cr_expect_eq(kx_employees(0, key), 200, "a miss through the first gateway");
        json_decref(k);
    }
    ts_http_res_t res;
    char bearer[2200];
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", access);
    const char *headers[] = {bearer, NULL};
    e2e_request(e2e_second.http_port, &res, "GET", KEYS, headers, NULL);
    cr_expect_eq(res.status, 200, "the keys API through the second gateway: %s", res.body);
    ts_http_res_dispose(&res);

    json_t *k = kx_create(access, "{\"name\":\"revoked\"}");
    const char *key = json_string_value(json_object_get(k, "key"));
    cr_assert_eq(kx_employees(0, key), 200);
    cr_assert_eq(kx_employees(e2e_second.http_port, key), 200);
    char path[128];
    snprintf(path, sizeof path, KEYS "%lld/revoke/", (long long)json_integer_value(json_object_get(k, "id")));
    e2e_request(e2e_second.http_port, &res, "POST", path, headers, NULL);
    long since = e2e_now_ms();
    cr_assert_eq(res.status, 200, "revoke through the second gateway: %s", res.body);
    ts_http_res_dispose(&res);
    long other = kx_until_refused(0, key, since);
    long relay = kx_until_refused(e2e_second.http_port, key, since);
    fprintf(stderr, "e2e: key refused by the relaying gateway after %ld ms, by the other after %ld ms\n", relay, other);
    cr_expect_lt(other, KX_REVOKED_WITHIN_MS);
    cr_expect_lt(relay, KX_REVOKED_WITHIN_MS);
    json_decref(k);
    free(access);
}
