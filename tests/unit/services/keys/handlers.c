/* tests services/keys (handlers.c, internal.c, store.c) in process: the API and the internal
 * operations on a temporary environment, without the bus. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "services/keys/keys.h"
#include "services/runtime/dispatch.h"

static svc_t *svc;
static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/apibus-keys-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    svc_config_t cfg;
    svc_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.map_size = (uint64_t)64 << 20;
    cr_assert_eq(svc_open(&keys_service, &cfg, &svc), 0);
}

static void teardown(void)
{
    svc_close(svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(keys, .init = setup, .fini = teardown);

static proto_principal_t user(uint64_t id, bool staff)
{
    return (proto_principal_t){.user_id = id, .cred = PROTO_CRED_JWT, .scope = PROTO_SCOPE_ALL, .is_staff = staff};
}

static const proto_principal_t system_principal = {.cred = PROTO_CRED_SYSTEM, .scope = PROTO_SCOPE_ALL, .is_staff = true};

/* Runs one request; returns the status and the parsed body (or NULL). */
static int call(const char *method, const char *path, const char *body, proto_principal_t who, json_t **out)
{
    proto_request_t req;
    svc_result_t res;
    memset(&req, 0, sizeof req);
    req.id = PROTO_STR_LIT("t");
    req.budget_ms = 5000;
    req.method = (proto_str_t){method, strlen(method)};
    const char *q = strchr(path, '?');
    req.path = (proto_str_t){path, q != NULL ? (size_t)(q - path) : strlen(path)};
    req.query = q != NULL ? (proto_str_t){q + 1, strlen(q + 1)} : PROTO_STR_LIT("");
    req.base_url = PROTO_STR_LIT("http://testserver");
    req.headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
    req.num_headers = 1;
    req.body = body != NULL ? (proto_str_t){body, strlen(body)} : PROTO_STR_LIT("");
    req.principal = who;
    svc_handle_request(svc, &req, &res);
    int status = res.status;
    if (out != NULL)
        *out = res.body.len != 0 ? json_loadb(res.body.ptr, res.body.len, 0, NULL) : NULL;
    svc_result_dispose(&res);
    return status;
}

static int verify(const char *key)
{
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
    char hex[PROTO_APIKEY_HASH_HEX + 1], body[300];
    proto_apikey_hash(key, strlen(key), hash);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    snprintf(body, sizeof body, "{\"prefix\":\"%.8s\",\"hash\":\"%s\"}", key, hex);
    return call("POST", "/_internal/keys/verify/", body, system_principal, NULL);
}

Test(keys, create_verify_and_never_store_the_key)
{
    json_t *k;
    cr_assert_eq(call("POST", "/api/keys/", "{\"name\":\"ci\",\"scope\":\"read\"}", user(7, false), &k), 201);
    const char *key = json_string_value(json_object_get(k, "key"));
    cr_assert(proto_apikey_parse(key, strlen(key), NULL));
    cr_expect_eq(verify(key), 200);
    char forged[64];
    snprintf(forged, sizeof forged, "%.9s%s", key, "0123456789abcdef0123456789abcdef");
    cr_expect_eq(verify(forged), 404, "right prefix, wrong secret");
    json_t *v;
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
    char hex[PROTO_APIKEY_HASH_HEX + 1], body[300];
    proto_apikey_hash(key, strlen(key), hash);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    snprintf(body, sizeof body, "{\"prefix\":\"%.8s\",\"hash\":\"%s\"}", key, hex);
    cr_assert_eq(call("POST", "/_internal/keys/verify/", body, system_principal, &v), 200);
    cr_expect_eq(json_integer_value(json_object_get(v, "user_id")), 7);
    cr_expect_eq(json_integer_value(json_object_get(v, "scope")), PROTO_SCOPE_READ);
    json_decref(v);
    /* the API refuses the internal route, and a key cannot manage keys */
    cr_expect_eq(call("POST", "/_internal/keys/verify/", body, user(7, true), NULL), 403);
    proto_principal_t as_key = {.user_id = 7, .cred = PROTO_CRED_API_KEY, .scope = PROTO_SCOPE_ALL};
    cr_expect_eq(call("GET", "/api/keys/", NULL, as_key, NULL), 403);
    json_decref(k);
}

Test(keys, owners_and_staff)
{
    json_t *a, *b, *list;
    cr_assert_eq(call("POST", "/api/keys/", "{\"name\":\"a\"}", user(1, false), &a), 201);
    cr_assert_eq(call("POST", "/api/keys/", "{\"name\":\"b\"}", user(2, false), &b), 201);
    cr_assert_eq(call("POST", "/api/keys/", "{\"name\":\"b2\"}", user(2, false), NULL), 201);
    char path[64];
    snprintf(path, sizeof path, "/api/keys/%lld/", (long long)json_integer_value(json_object_get(b, "id")));
    cr_expect_eq(call("GET", path, NULL, user(1, false), NULL), 404);
    cr_expect_eq(call("GET", path, NULL, user(9, true), NULL), 200);
    cr_assert_eq(call("GET", "/api/keys/", NULL, user(2, false), &list), 200);
    cr_expect_eq(json_integer_value(json_object_get(list, "count")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(list, "results"), 0), "name")),
                     "b2", "newest first");
    json_decref(list);
    cr_assert_eq(call("GET", "/api/keys/", NULL, user(9, true), &list), 200);
    cr_expect_eq(json_integer_value(json_object_get(list, "count")), 3);
    json_decref(list);
    cr_assert_eq(call("GET", "/api/keys/?user=1", NULL, user(9, true), &list), 200);
    cr_expect_eq(json_integer_value(json_object_get(list, "count")), 1);
    json_decref(list);
    json_decref(a);
    json_decref(b);
}

Test(keys, revoke_usage_and_import)
{
    json_t *k, *r;
    cr_assert_eq(call("POST", "/api/keys/", "{\"name\":\"x\"}", user(3, false), &k), 201);
    const char *key = json_string_value(json_object_get(k, "key"));
    char body[600], path[64];
    snprintf(body, sizeof body, "{\"used\":[{\"prefix\":\"%.8s\",\"at_us\":1700000000000001}]}", key);
    cr_assert_eq(call("POST", "/_internal/keys/usage/", body, system_principal, &r), 200);
    cr_expect_eq(json_integer_value(json_object_get(r, "updated")), 1);
    json_decref(r);
    snprintf(path, sizeof path, "/api/keys/%lld/", (long long)json_integer_value(json_object_get(k, "id")));
    cr_assert_eq(call("GET", path, NULL, user(3, false), &r), 200);
    cr_expect_str_eq(json_string_value(json_object_get(r, "last_used")), "2023-11-14T22:13:20.000001Z");
    json_decref(r);
    snprintf(body, sizeof body, "{\"prefix\":\"%.8s\"}", key);
    cr_assert_eq(call("POST", "/_internal/keys/revoke/", body, system_principal, &r), 200);
    cr_expect(json_is_true(json_object_get(r, "revoked")));
    json_decref(r);
    cr_expect_eq(verify(key), 404);

    /* import: a sha512$$ hash verifies; PBKDF2 is refused by name */
    const char *pegasus = "PgSs0001.abcdefghijklmnopqrstuvwxyz012345";
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
    char stored[PROTO_APIKEY_STORED_LEN + 1];
    proto_apikey_hash(pegasus, strlen(pegasus), hash);
    proto_apikey_stored(hash, stored);
    snprintf(body, sizeof body, "{\"prefix\":\"PgSs0001\",\"hashed_key\":\"%s\",\"user_id\":3,\"name\":\"p\"}", stored);
    cr_expect_eq(call("POST", "/_internal/keys/import/", body, system_principal, NULL), 201);
    cr_expect_eq(call("POST", "/_internal/keys/import/", body, system_principal, NULL), 200, "twice: harmless");
    cr_expect_eq(verify(pegasus), 200);
    cr_expect_eq(call("POST", "/_internal/keys/import/",
                      "{\"prefix\":\"PgSs0002\",\"hashed_key\":\"pbkdf2_sha256$260000$s$h=\",\"user_id\":3}",
                      system_principal, &r),
                 400);
    cr_expect_not_null(strstr(json_string_value(json_array_get(json_object_get(r, "hashed_key"), 0)), "pbkdf2_sha256"));
    json_decref(r);
    json_decref(k);
}
