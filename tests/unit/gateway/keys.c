/* tests gateway/keys.c: the API key cache, revocations, user state, throttle, usage batches. */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/auth.h"
#include "gateway/keys.h"
#include "proto/errors.h"

#define KEY "AbCd1234.0123456789abcdefghijABCDEFGHIJ01"
#define NOW_US 1700000000000000LL

static gw_keys_t keys;

static void setup(void)
{
    gw_keys_config_t cfg = {.cache_ms = 1000, .flush_ms = 5000, .fail_free = 3, .fail_max_ms = 60000};
    cr_assert_eq(gw_keys_init(&keys, &cfg), 0);
    /* auth's user list read once: nobody inactive */
    json_t *none = json_array();
    cr_assert_eq(gw_keys_users_apply(&keys, none, 0), 0);
    json_decref(none);
}

static void teardown(void)
{
    gw_keys_dispose(&keys);
}

TestSuite(keys, .init = setup, .fini = teardown);

static void cache(const gw_key_check_t *c, uint64_t user, uint32_t scope, int64_t expiry_us, int64_t now_ms)
{
    gw_key_entry_t e;
    memset(&e, 0, sizeof e);
    memcpy(e.hash, c->hash, sizeof e.hash);
    memcpy(e.prefix, c->prefix, sizeof e.prefix);
    e.user_id = user;
    e.scope = scope;
    e.expiry_us = expiry_us;
    e.fetched_ms = now_ms;
    gw_keys_store(&keys, &e);
}

Test(keys, parse_checks_the_shape)
{
    gw_key_check_t c;
    cr_expect_eq(gw_keys_parse(KEY, strlen(KEY), &c), 0);
    cr_expect_str_eq(c.prefix, "AbCd1234");
    cr_expect_eq(gw_keys_parse("AbCd1234.short", 14, &c), -PROTO_ERR_API_KEY_NOT_VALID);
    cr_expect_eq(gw_keys_parse("AbCd1234-0123456789abcdefghijABCDEFGHIJ01", strlen(KEY), &c),
                 -PROTO_ERR_API_KEY_NOT_VALID);
    cr_expect_eq(gw_keys_parse("AbCd12$4.0123456789abcdefghijABCDEFGHIJ01", strlen(KEY), &c),
                 -PROTO_ERR_API_KEY_NOT_VALID);
}

Test(keys, miss_then_hit_as_the_user)
{
    gw_key_check_t c;
    proto_principal_t p;
    gw_keys_parse(KEY, strlen(KEY), &c);
    cr_assert_eq(gw_keys_lookup(&keys, &c, NOW_US, 100, &p), 1, "an unknown key is a miss");
    cache(&c, 7, PROTO_SCOPE_READ, 0, 100);
    cr_assert_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), 0);
    cr_expect_eq(p.user_id, 7);
    cr_expect_eq(p.cred, PROTO_CRED_API_KEY);
    cr_expect_eq(p.scope, PROTO_SCOPE_READ);
    cr_expect_str_eq(p.key_prefix, "AbCd1234");
    cr_expect_not(p.is_staff);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 1100, &p), 1, "past APIBUS_KEY_CACHE_MS: asked again");
}

Test(keys, right_prefix_wrong_secret_is_a_miss)
{
    gw_key_check_t good, bad;
    proto_principal_t p;
    gw_keys_parse(KEY, strlen(KEY), &good);
    cache(&good, 7, PROTO_SCOPE_ALL, 0, 100);
    const char *forged = "AbCd1234.0123456789abcdefghijABCDEFGHIJ02";
    gw_keys_parse(forged, strlen(forged), &bad);
    cr_expect_eq(gw_keys_lookup(&keys, &bad, NOW_US, 200, &p), 1);
}

Test(keys, revoked_expired_and_deactivated_are_refused)
{
    gw_key_check_t c;
    proto_principal_t p;
    gw_keys_parse(KEY, strlen(KEY), &c);
    cache(&c, 7, PROTO_SCOPE_ALL, NOW_US + 10, 100);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), 0);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US + 10, 200, &p), -PROTO_ERR_API_KEY_NOT_VALID, "expired");
    cache(&c, 7, PROTO_SCOPE_ALL, 0, 100);
    gw_keys_user_deactivated(&keys, 7);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_API_KEY_NOT_VALID, "deactivated");
    gw_keys_dispose(&keys);
    setup();
    cache(&c, 7, PROTO_SCOPE_ALL, 0, 100);
    cr_expect_eq(gw_keys_revoke(&keys, "AbCd1234"), 0);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_API_KEY_NOT_VALID, "revoked");
    /* a verification answered before the revocation and stored after it is still refused */
    cache(&c, 7, PROTO_SCOPE_ALL, 0, 300);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 400, &p), -PROTO_ERR_API_KEY_NOT_VALID);
}

Test(keys, a_users_change_holds_its_keys_until_the_list_says)
{
    gw_key_check_t c;
    proto_principal_t p;
    gw_keys_parse(KEY, strlen(KEY), &c);
    cache(&c, 7, PROTO_SCOPE_ALL, 0, 100);
    gw_keys_user_changed(&keys, 7);
    cr_expect(keys.users_wanted);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_UNAVAILABLE, "held: 503, never a wrong 200");
    /* a list read that started before the event does not release the user */
    json_t *active = json_pack("[{s:I, s:b}]", "id", (json_int_t)7, "is_active", 1);
    cr_assert_eq(gw_keys_users_apply(&keys, active, 0), 0);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_UNAVAILABLE);
    cr_assert_eq(gw_keys_users_apply(&keys, active, keys.generation), 0);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), 0, "a password change: the key works again");
    json_decref(active);
    gw_keys_user_changed(&keys, 7);
    json_t *inactive = json_pack("[{s:I, s:b}]", "id", (json_int_t)7, "is_active", 0);
    cr_assert_eq(gw_keys_users_apply(&keys, inactive, keys.generation), 0);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_API_KEY_NOT_VALID, "a deactivation");
    json_decref(inactive);
}

Test(keys, before_the_first_user_list_keys_wait)
{
    gw_keys_config_t cfg = keys.cfg;
    gw_keys_dispose(&keys);
    cr_assert_eq(gw_keys_init(&keys, &cfg), 0);
    gw_key_check_t c;
    proto_principal_t p;
    gw_keys_parse(KEY, strlen(KEY), &c);
    cache(&c, 7, PROTO_SCOPE_ALL, 0, 100);
    cr_expect_eq(gw_keys_lookup(&keys, &c, NOW_US, 200, &p), -PROTO_ERR_UNAVAILABLE);
}

Test(keys, failures_per_address_grow_delays)
{
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 0), 0);
    for (int i = 0; i < 3; i++)
        gw_keys_failed(&keys, "10.0.0.1", 1000);
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 1000), 0, "three free failures");
    gw_keys_failed(&keys, "10.0.0.1", 1000);
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 1000), 1000);
    gw_keys_failed(&keys, "10.0.0.1", 2000);
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 2000), 2000);
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.2", 2000), 0, "another address is not held");
    for (int i = 0; i < 40; i++)
        gw_keys_failed(&keys, "10.0.0.1", 3000);
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 3000), 60000, "capped");
    cr_expect_eq(gw_keys_throttled(&keys, "10.0.0.1", 3000 + 15 * 60 * 1000 + 1), 0);
}

Test(keys, usage_is_batched_newest_first_and_restored_on_failure)
{
    cr_expect_null(gw_keys_usage_take(&keys), "nothing used, nothing sent");
    gw_keys_used(&keys, "AbCd1234", 10);
    gw_keys_used(&keys, "AbCd1234", 30);
    gw_keys_used(&keys, "AbCd1234", 20);
    gw_keys_used(&keys, "Zz990000", 5);
    json_t *b = gw_keys_usage_take(&keys);
    cr_assert_not_null(b);
    json_t *used = json_object_get(b, "used");
    cr_assert_eq(json_array_size(used), 2);
    size_t i;
    json_t *u;
    json_array_foreach(used, i, u) {
        if (strcmp(json_string_value(json_object_get(u, "prefix")), "AbCd1234") == 0)
            cr_expect_eq(json_integer_value(json_object_get(u, "at_us")), 30);
        else
            cr_expect_str_eq(json_string_value(json_object_get(u, "prefix")), "Zz990000");
    }
    json_decref(b);
    cr_expect_eq(keys.usage.size, 0);
    gw_keys_usage_done(&keys, false);
    cr_expect_eq(keys.usage.size, 2, "a failed batch goes into the next one");
    b = gw_keys_usage_take(&keys);
    json_decref(b);
    gw_keys_usage_done(&keys, true);
    cr_expect_eq(keys.usage.size, 0);
    cr_expect_null(keys.usage_inflight);
}

Test(keys, authenticate_asks_on_a_miss)
{
    gw_jwt_verifier_t v;
    static gw_auth_t auth; /* its token cache is large for a stack */
    char err[200];
    cr_assert_eq(gw_jwt_init(&v, "apibus-test-secret-0123456789abcdef-0123456789", 46, NULL, 0, 30, err, sizeof err), 0);
    gw_auth_init(&auth, &v);
    auth.keys = &keys;
    proto_principal_t p;
    gw_key_check_t c;
    const char *h = "api-KEY " KEY;
    cr_expect_eq(gw_auth_authenticate(&auth, h, strlen(h), NOW_US / 1000000, &p, &c), GW_AUTH_VERIFY_KEY,
                 "the keyword is case-insensitive");
    cr_expect_str_eq(c.prefix, "AbCd1234");
    h = "Api-Key AbCd1234.nope";
    cr_expect_eq(gw_auth_authenticate(&auth, h, strlen(h), NOW_US / 1000000, &p, &c), 0);
    cr_expect_eq(p.auth_error, PROTO_ERR_API_KEY_NOT_VALID, "a malformed key is refused without asking");
}
