/* End to end: register -> login -> employees -> refresh -> logout, and the API's answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/common.h"

static void setup(void)
{
    ts_suite_init(&suite, "e2e-flow");
    e2e_start(NULL);
}

TestSuite(flow, .init = setup, .fini = e2e_fini, .timeout = E2E_TIMEOUT);

static char *refresh_body(const char *refresh)
{
    char *b;
    if (asprintf(&b, "{\"refresh\":\"%s\"}", refresh) < 0)
        abort();
    return b;
}

Test(flow, register_login_use_refresh_logout)
{
    json_t *reg = e2e_register("Ada.Lovelace@Example.COM");
    json_t *user = json_object_get(reg, "user");
    cr_expect_str_eq(json_string_value(json_object_get(user, "email")), "Ada.Lovelace@example.com",
                     "stored trimmed, with the domain lower-cased");
    cr_expect_str_eq(json_string_value(json_object_get(user, "get_display_name")), "Ada.Lovelace@example.com");
    cr_expect(json_is_string(json_object_get(user, "avatar_url")));
    json_decref(reg);

    /* any case of the address logs in */
    char *access, *refresh;
    e2e_login("ada.lovelace@EXAMPLE.com", E2E_PASSWORD, &access, &refresh);
    cr_assert_eq(e2e_employees_status(0, access), 200, "the access token opens the employees API");

    ts_http_res_t res;
    e2e_post(0, &res, EMPLOYEES, access, "{\"name\":\"Charles\",\"department\":\"engineering\",\"salary\":\"1\"}");
    cr_expect_eq(res.status, 201, "%s", res.body);
    ts_http_res_dispose(&res);

    char *body = refresh_body(refresh);
    e2e_post(0, &res, AUTH "token/refresh/", NULL, body);
    cr_assert_eq(res.status, 200, "%s", res.body);
    json_t *j = e2e_json(&res);
    const char *fresh = json_string_value(json_object_get(j, "access"));
    e2e_secret(fresh);
    cr_expect(json_is_string(json_object_get(j, "access_expiration")));
    cr_expect_null(json_object_get(j, "refresh"), "rotation is off by default, as in Simple JWT");
    cr_expect_eq(e2e_employees_status(0, fresh), 200);
    json_decref(j);
    ts_http_res_dispose(&res);

    e2e_post(0, &res, AUTH "token/verify/", NULL, NULL);
    cr_expect_eq(res.status, 400, "token is required: %s", res.body);
    ts_http_res_dispose(&res);
    char *vb;
    cr_assert_geq(asprintf(&vb, "{\"token\":\"%s\"}", access), 0);
    e2e_post(0, &res, AUTH "token/verify/", NULL, vb);
    cr_expect_eq(res.status, 200);
    cr_expect_str_eq(res.body, "{}");
    ts_http_res_dispose(&res);
    free(vb);

    e2e_post(0, &res, AUTH "logout/", access, body);
    cr_assert_eq(res.status, 200, "%s", res.body);
    cr_expect_str_eq(res.body, "{\"detail\":\"Successfully logged out.\"}");
    ts_http_res_dispose(&res);

    e2e_post(0, &res, AUTH "token/refresh/", NULL, body);
    cr_expect_eq(res.status, 401, "the logged-out refresh token is refused: %s", res.body);
    cr_expect_str_eq(res.body, "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}");
    cr_expect_not_null(ts_http_header(&res, "www-authenticate"));
    ts_http_res_dispose(&res);
    free(body);
    free(access);
    free(refresh);
}

Test(flow, stale_bearer_does_not_block_public_routes)
{
    json_decref(e2e_register("stale@example.com"));
    char *refresh;
    e2e_login("stale@example.com", E2E_PASSWORD, NULL, &refresh);
    const char *stale = "eyJhbGciOiJIUzUxMiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.AAAA";
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"stale@example.com\",\"password\":\"%s\"}", E2E_PASSWORD);
    ts_http_res_t res;
    e2e_post(0, &res, AUTH "login/", stale, body);
    cr_expect_eq(res.status, 200, "login/ with a stale Bearer header: %s", res.body);
    ts_http_res_dispose(&res);
    char *rb = refresh_body(refresh);
    e2e_post(0, &res, AUTH "token/refresh/", stale, rb);
    cr_expect_eq(res.status, 200, "token/refresh/ with a stale Bearer header: %s", res.body);
    ts_http_res_dispose(&res);
    /* a protected route still says why */
    e2e_get(0, &res, AUTH "user/", stale);
    cr_expect_eq(res.status, 401);
    cr_expect_str_eq(res.body, "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}");
    ts_http_res_dispose(&res);
    free(rb);
    free(refresh);
}

Test(flow, user_details_and_registration_errors)
{
    json_t *reg = e2e_register("grace@example.com");
    const char *access = json_string_value(json_object_get(reg, "access"));
    ts_http_res_t res;
    e2e_request(0, &res, "PATCH", AUTH "user/",
                (const char *[]){"Content-Type: application/json", NULL}, "{\"first_name\":\"X\"}");
    cr_expect_eq(res.status, 401, "no credentials");
    ts_http_res_dispose(&res);
    char auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", access);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    e2e_request(0, &res, "PATCH", AUTH "user/", h, "{\"first_name\":\"Grace\",\"last_name\":\"Hopper\",\"id\":99}");
    cr_assert_eq(res.status, 200, "%s", res.body);
    json_t *u = e2e_json(&res);
    cr_expect_str_eq(json_string_value(json_object_get(u, "get_display_name")), "Grace Hopper");
    cr_expect_eq(json_integer_value(json_object_get(u, "id")), json_integer_value(json_object_get(json_object_get(reg, "user"), "id")),
                 "id is read-only");
    json_decref(u);
    ts_http_res_dispose(&res);
    e2e_get(0, &res, AUTH "user/", access);
    cr_expect_eq(res.status, 200);
    cr_expect(strstr(res.body, "\"last_name\":\"Hopper\"") != NULL, "%s", res.body);
    ts_http_res_dispose(&res);

    /* registration: taken (in another case), mismatch, the password rules, lengths */
    e2e_post(0, &res, AUTH "register/", NULL,
             "{\"email\":\"GRACE@example.com\",\"password1\":\"" E2E_PASSWORD "\",\"password2\":\"" E2E_PASSWORD "\"}");
    cr_expect_eq(res.status, 400);
    cr_expect_str_eq(res.body, "{\"email\":[\"A user is already registered with this e-mail address.\"]}");
    ts_http_res_dispose(&res);
    e2e_post(0, &res, AUTH "register/", NULL,
             "{\"email\":\"new@example.com\",\"password1\":\"" E2E_PASSWORD "\",\"password2\":\"other-thing-99\"}");
    cr_expect_str_eq(res.body, "{\"non_field_errors\":[\"The two password fields didn't match.\"]}");
    ts_http_res_dispose(&res);
    e2e_post(0, &res, AUTH "register/", NULL, "{\"email\":\"new@example.com\",\"password1\":\"short\",\"password2\":\"short\"}");
    cr_expect_str_eq(res.body,
                     "{\"password1\":[\"This password is too short. It must contain at least 8 characters.\"]}");
    ts_http_res_dispose(&res);
    e2e_post(0, &res, AUTH "register/", NULL,
             "{\"email\":\"new@example.com\",\"password1\":\"password\",\"password2\":\"password\"}");
    cr_expect_str_eq(res.body, "{\"password1\":[\"This password is too common.\"]}");
    ts_http_res_dispose(&res);
    e2e_post(0, &res, AUTH "register/", NULL,
             "{\"email\":\"lovelace@example.com\",\"password1\":\"lovelace@example.com\",\"password2\":\"lovelace@example.com\"}");
    cr_expect_str_eq(res.body, "{\"password1\":[\"The password is too similar to the email address.\"]}");
    ts_http_res_dispose(&res);
    char big[1200];
    memset(big, 'a', 600);
    big[600] = '\0';
    char *bb;
    cr_assert_geq(asprintf(&bb, "{\"email\":\"x@example.com\",\"password1\":\"%s\",\"password2\":\"%s\"}", big, big), 0);
    e2e_post(0, &res, AUTH "register/", NULL, bb);
    cr_expect_eq(res.status, 400);
    cr_expect(strstr(res.body, "no more than 512 characters") != NULL, "%s", res.body);
    ts_http_res_dispose(&res);
    free(bb);
    json_decref(reg);
}
