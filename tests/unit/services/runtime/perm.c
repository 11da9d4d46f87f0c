/* services/runtime/perm.c: who may call which route. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/services/runtime/support.h"

TestSuite(perm, .init = t_open, .fini = t_close);

static int call(const char *method, const char *path, proto_principal_t who, svc_result_t *res)
{
    const char *body = strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 ? "{\"name\":\"a\",\"color\":\"red\"}" : NULL;
    t_call(method, path, NULL, "application/json", body, &who, res);
    return res->status;
}

static int status(const char *method, const char *path, proto_principal_t who)
{
    svc_result_t res;
    int s = call(method, path, who, &res);
    svc_result_dispose(&res);
    return s;
}

Test(perm, anonymous_gets_401_with_challenge)
{
    svc_result_t res;
    cr_assert_eq(call("GET", "/api/things/", t_anon(0), &res), 401);
    cr_assert_str_eq(t_header(&res, "www-authenticate"), "Bearer realm=\"api\"");
    json_t *j = t_json(&res);
    cr_assert_str_eq(json_string_value(json_object_get(j, "detail")), "Authentication credentials were not provided.");
    json_decref(j);
    svc_result_dispose(&res);
}

Test(perm, refused_credentials_explain_themselves)
{
    svc_result_t res;
    cr_assert_eq(call("GET", "/api/things/", t_anon(PROTO_ERR_TOKEN_NOT_VALID), &res), 401);
    cr_assert_str_eq(t_header(&res, "www-authenticate"), "Bearer realm=\"api\"");
    size_t len;
    const char *want = proto_err_body(PROTO_ERR_TOKEN_NOT_VALID, &len);
    cr_assert(res.body.len == len && memcmp(res.body.ptr, want, len) == 0);
    svc_result_dispose(&res);
    cr_assert_eq(call("GET", "/api/things/", t_anon(PROTO_ERR_API_KEY_NOT_VALID), &res), 401);
    cr_assert_str_eq(t_header(&res, "www-authenticate"), "Api-Key");
    svc_result_dispose(&res);
}

Test(perm, public_ignores_credential_errors)
{
    cr_expect_eq(status("GET", "/api/public/", t_anon(PROTO_ERR_TOKEN_NOT_VALID)), 200);
    cr_expect_eq(status("GET", "/api/public/", t_anon(0)), 200);
}

Test(perm, api_keys)
{
    cr_expect_eq(status("GET", "/api/things/", t_key(3, PROTO_SCOPE_READ)), 200);
    cr_expect_eq(status("POST", "/api/things/", t_key(3, PROTO_SCOPE_ALL)), 201);
    svc_result_t res;
    cr_expect_eq(call("POST", "/api/things/", t_key(3, PROTO_SCOPE_READ), &res), 403);
    cr_expect(strstr(res.body.ptr, "read_only_key") != NULL);
    svc_result_dispose(&res);
    cr_expect_eq(status("DELETE", "/api/things/1/", t_key(3, PROTO_SCOPE_READ)), 403);
    /* a user-only route refuses keys */
    cr_expect_eq(status("GET", "/api/user-only/", t_key(3, PROTO_SCOPE_ALL)), 403);
    cr_expect_eq(status("GET", "/api/user-only/", t_user(3)), 200);
}

Test(perm, staff_and_system)
{
    proto_principal_t staff = t_user(2), session = t_user(4), sys = {.cred = PROTO_CRED_SYSTEM};
    staff.is_staff = true;
    session.cred = PROTO_CRED_SESSION;
    cr_expect_eq(status("GET", "/api/staff/", t_user(1)), 403);
    cr_expect_eq(status("GET", "/api/staff/", staff), 200);
    cr_expect_eq(status("GET", "/api/staff/", session), 403);
    cr_expect_eq(status("GET", "/api/staff/", t_anon(0)), 401);
    cr_expect_eq(status("POST", "/api/system/", staff), 403);
    cr_expect_eq(status("POST", "/api/system/", sys), 200);
    cr_expect_eq(status("GET", "/api/things/", session), 200);
}

Test(perm, permission_comes_before_405_and_validation)
{
    cr_expect_eq(status("PUT", "/api/things/1/", t_anon(0)), 401);
    svc_result_t res;
    t_call("POST", "/api/things/", NULL, "application/json", "{", &(proto_principal_t){.cred = PROTO_CRED_NONE}, &res);
    cr_expect_eq(res.status, 401);
    svc_result_dispose(&res);
}
