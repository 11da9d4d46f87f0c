/* End to end: two-factor login (TOTP) through the real gateway, as Pegasus's front end drives it:
 * enrolment, login/ answering otp_required with nothing that grants access, verify-otp/ with
 * codes computed here from the secret, replays, single use, expiry, throttling, recovery codes,
 * disabling, two auth instances agreeing, and `apibus user 2fa-reset`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/auth/totp.h"
#include "tests/e2e/common.h"

#define EXPIRED_BODY "{\"status\":\"token_expired\",\"detail\":\"Invalid temporary token\"}"
#define INVALID_BODY "{\"status\":\"invalid_otp\",\"detail\":\"Invalid OTP code\"}"

typedef struct {
    char email[64];
    char *access;
    uint8_t secret[AUTH_TOTP_SECRET_LEN];
    int64_t last_step; /* the newest step whose code the server took */
    char recovery[10][16];
} user_t;

static void setup_default(void)
{
    ts_suite_init(&suite, "e2e-otp");
    e2e_start(NULL);
}

static void setup_limits(void)
{
    /* one free wrong code per user, and temp tokens that expire while a test waits */
    ts_suite_init(&suite, "e2e-otp-limits");
    e2e_start((const char *[]){"APIBUS_AUTH_OTP_THROTTLE_FREE=1", "APIBUS_AUTH_OTP_TOKEN_LIFETIME_S=4", NULL});
}

static int64_t now_step(void)
{
    return auth_totp_step((int64_t)time(NULL));
}

static void code_at(const user_t *u, int64_t step, char out[AUTH_TOTP_CODE_MAX])
{
    cr_assert_eq(auth_hotp(u->secret, sizeof u->secret, (uint64_t)step, 6, out), 0);
}

/* The code an app would show for the next login: of a step after the last one used, waiting
 * for the clock when that step is more than one ahead (the server takes one step of skew). */
static void fresh_code(user_t *u, char out[AUTH_TOTP_CODE_MAX])
{
    int64_t step = now_step() > u->last_step + 1 ? now_step() : u->last_step + 1;
    while (step > now_step() + 1)
        e2e_sleep_ms(200);
    code_at(u, step, out);
    u->last_step = step;
}

static json_t *post_json(int port, const char *path, const char *bearer, const char *body, int expect)
{
    ts_http_res_t res;
    e2e_post(port, &res, path, bearer, body);
    cr_assert_eq(res.status, expect, "POST %s: %d %s", path, res.status, res.body);
    json_t *j = e2e_json(&res);
    ts_http_res_dispose(&res);
    return j;
}

/* No Set-Cookie that would start a session. */
static void expect_no_session_cookie(const ts_http_res_t *res)
{
    for (size_t i = 0; i < res->num_headers; i++)
        if (strcmp(res->headers[i].name, "set-cookie") == 0)
            cr_expect(strncmp(res->headers[i].value, "sessionid=;", 11) == 0 ||
                          strncmp(res->headers[i].value, "csrftoken=;", 11) == 0,
                      "login/ alone must not set a cookie: %s", res->headers[i].value);
}

/* Registers, logs in, sets up and confirms two-factor; fills u. */
static void enrol(user_t *u, const char *email)
{
    memset(u, 0, sizeof *u);
    snprintf(u->email, sizeof u->email, "%s", email);
    json_decref(e2e_register(email));
    e2e_login(email, E2E_PASSWORD, &u->access, NULL);

    json_t *j = post_json(0, AUTH "2fa/setup/", u->access, NULL, 200);
    const char *b32 = json_string_value(json_object_get(j, "secret"));
    const char *uri = json_string_value(json_object_get(j, "otpauth_url"));
    cr_assert(b32 != NULL && uri != NULL);
    e2e_secret(b32);
    cr_assert_eq(auth_base32_decode(b32, strlen(b32), u->secret, sizeof u->secret), AUTH_TOTP_SECRET_LEN);
    char want[256];
    snprintf(want, sizeof want, "otpauth://totp/apibus:%s?secret=%s&issuer=apibus&algorithm=SHA1&digits=6&period=30",
             email, b32);
    cr_expect_str_eq(uri, want);
    json_decref(j);

    /* a wrong first code leaves it off */
    char code[AUTH_TOTP_CODE_MAX], wrong[AUTH_TOTP_CODE_MAX];
    int64_t step = now_step();
    code_at(u, step, code);
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    char body[128];
    snprintf(body, sizeof body, "{\"otp\":\"%s\"}", wrong);
    json_decref(post_json(0, AUTH "2fa/confirm/", u->access, body, 400));
    snprintf(body, sizeof body, "{\"otp\":\"%s\"}", code);
    j = post_json(0, AUTH "2fa/confirm/", u->access, body, 200);
    json_t *codes = json_object_get(j, "recovery_codes");
    cr_assert_eq(json_array_size(codes), 10);
    for (size_t i = 0; i < 10; i++) {
        snprintf(u->recovery[i], sizeof u->recovery[i], "%s", json_string_value(json_array_get(codes, i)));
        e2e_secret(u->recovery[i]);
    }
    json_decref(j);
    u->last_step = step;
}

/* login/ for a user with two-factor: 200 otp_required and a UUID4, nothing else. */
static void login_first_step(int port, const user_t *u, bool session, char temp[64])
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"%s}", u->email, E2E_PASSWORD,
             session ? ",\"session\":true" : "");
    ts_http_res_t res;
    e2e_post(port, &res, AUTH "login/", NULL, body);
    cr_assert_eq(res.status, 200, "%s", res.body);
    expect_no_session_cookie(&res);
    cr_expect_null(strstr(res.body, "access"), "no token from login/ alone: %s", res.body);
    cr_expect_null(strstr(res.body, "refresh"), "%s", res.body);
    json_t *j = e2e_json(&res);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "otp_required");
    cr_expect_str_eq(json_string_value(json_object_get(j, "detail")), "OTP required for 2FA");
    cr_expect_eq(json_object_size(j), 3, "%s", res.body);
    const char *t = json_string_value(json_object_get(j, "temp_otp_token"));
    cr_assert(t != NULL && strlen(t) == 36 && t[8] == '-' && t[14] == '4', "a UUID4: %s", t ? t : "(none)");
    snprintf(temp, 64, "%s", t);
    e2e_secret(temp);
    json_decref(j);
    ts_http_res_dispose(&res);
}

static int verify(int port, const char *temp, const char *code, ts_http_res_t *res)
{
    char body[256];
    snprintf(body, sizeof body, "{\"temp_otp_token\":\"%s\",\"otp\":\"%s\"}", temp, code);
    e2e_post(port, res, AUTH "verify-otp/", NULL, body);
    if (res->status == 200) {
        json_t *j = e2e_json(res);
        e2e_secret(json_string_value(json_object_get(j, "access")));
        e2e_secret(json_string_value(json_object_get(j, "refresh")));
        json_decref(j);
    }
    return res->status;
}

/* verify-otp/ answering status with exactly body (NULL: any). */
static void verify_expect(int port, const char *temp, const char *code, int status, const char *body)
{
    ts_http_res_t res;
    cr_expect_eq(verify(port, temp, code, &res), status, "verify-otp/ with %s: %s", code, res.body);
    if (body != NULL)
        cr_expect_str_eq(res.body, body);
    ts_http_res_dispose(&res);
}

/* The second step succeeds: {"access","refresh","user"} whose access token works. */
static void verify_ok(int port, const char *temp, const char *code, const user_t *u)
{
    ts_http_res_t res;
    cr_assert_eq(verify(port, temp, code, &res), 200, "%s", res.body);
    json_t *j = e2e_json(&res);
    cr_expect_eq(json_object_size(j), 3, "%s", res.body);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "user"), "email")), u->email);
    cr_expect_eq(e2e_employees_status(port, json_string_value(json_object_get(j, "access"))), 200);
    json_decref(j);
    ts_http_res_dispose(&res);
}

static bool two_factor_enabled(const user_t *u)
{
    ts_http_res_t res;
    e2e_get(0, &res, AUTH "2fa/", u->access);
    cr_assert_eq(res.status, 200, "%s", res.body);
    json_t *j = e2e_json(&res);
    bool on = json_is_true(json_object_get(j, "enabled"));
    json_decref(j);
    ts_http_res_dispose(&res);
    return on;
}

Test(otp, enrol_login_replay_recovery_disable, .init = setup_default, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    user_t u;
    char temp[64], code[AUTH_TOTP_CODE_MAX], first[AUTH_TOTP_CODE_MAX];
    enrol(&u, "ada@example.com");
    cr_expect(two_factor_enabled(&u));
    code_at(&u, u.last_step, first);

    /* the code that confirmed the enrolment was used: replaying it is refused */
    login_first_step(0, &u, false, temp);
    verify_expect(0, temp, first, 400, INVALID_BODY);
    verify_expect(0, "00000000-0000-4000-8000-000000000000", first, 401, EXPIRED_BODY);
    fresh_code(&u, code);
    verify_ok(0, temp, code, &u);
    verify_expect(0, temp, code, 401, EXPIRED_BODY); /* single use */

    /* a new login: the code just used is a replay there too */
    login_first_step(0, &u, false, temp);
    verify_expect(0, temp, code, 400, INVALID_BODY);

    /* a recovery code works once, in any case and with spaces */
    char typed[32];
    snprintf(typed, sizeof typed, " %s ", u.recovery[3]);
    for (char *p = typed; *p != '\0'; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    verify_ok(0, temp, typed, &u);
    login_first_step(0, &u, false, temp);
    verify_expect(0, temp, u.recovery[3], 400, INVALID_BODY);
    ts_http_res_t res;
    e2e_get(0, &res, AUTH "2fa/", u.access);
    cr_expect(strstr(res.body, "\"recovery_codes_left\":9") != NULL, "%s", res.body);
    ts_http_res_dispose(&res);

    /* a browser login: the cookies come with the second step only */
    login_first_step(0, &u, true, temp);
    fresh_code(&u, code);
    cr_assert_eq(verify(0, temp, code, &res), 200, "%s", res.body);
    char cookie[256] = "Cookie: ";
    for (size_t i = 0; i < res.num_headers; i++)
        if (strcmp(res.headers[i].name, "set-cookie") == 0 && strncmp(res.headers[i].value, "sessionid=", 10) == 0) {
            size_t n = strcspn(res.headers[i].value, ";");
            strncat(cookie, res.headers[i].value, n < 200 ? n : 200);
            e2e_secret(res.headers[i].value + 10);
        }
    ts_http_res_dispose(&res);
    cr_assert_gt(strlen(cookie), 20, "verify-otp/ set the session cookie");
    e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){cookie, NULL}, NULL);
    cr_expect_eq(res.status, 200, "the session works: %s", res.body);
    ts_http_res_dispose(&res);

    /* disable: a wrong password is refused, the right one turns it off */
    e2e_secret("not-my-password-1");
    json_decref(post_json(0, AUTH "2fa/disable/", u.access, "{\"password\":\"not-my-password-1\"}", 400));
    cr_expect(two_factor_enabled(&u));
    json_decref(post_json(0, AUTH "2fa/disable/", u.access, "{\"password\":\"" E2E_PASSWORD "\"}", 200));
    cr_expect(!two_factor_enabled(&u));
    e2e_login(u.email, E2E_PASSWORD, NULL, NULL); /* asserts "success" with tokens */
    free(u.access);
}

Test(otp, temp_token_dies_after_five_wrong_codes, .init = setup_default, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    user_t u;
    char temp[64], code[AUTH_TOTP_CODE_MAX];
    enrol(&u, "bob@example.com");
    login_first_step(0, &u, false, temp);
    for (int i = 0; i < 5; i++)
        verify_expect(0, temp, "000000", 400, INVALID_BODY);
    fresh_code(&u, code);
    verify_expect(0, temp, code, 401, EXPIRED_BODY);
    /* the right code still works with a new login, and then disables two-factor */
    login_first_step(0, &u, false, temp);
    verify_ok(0, temp, code, &u);
    fresh_code(&u, code);
    char body[64];
    snprintf(body, sizeof body, "{\"otp\":\"%s\"}", code);
    json_decref(post_json(0, AUTH "2fa/disable/", u.access, body, 200));
    cr_expect(!two_factor_enabled(&u));
    free(u.access);
}

Test(otp, two_auth_instances_agree, .init = setup_default, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    e2e_start_second(NULL);
    user_t u;
    char temp[64], code[AUTH_TOTP_CODE_MAX];
    enrol(&u, "carol@example.com");
    /* the first step behind one gateway and its auth, the second behind the other */
    login_first_step(0, &u, false, temp);
    fresh_code(&u, code);
    verify_ok(e2e_second.http_port, temp, code, &u);
    verify_expect(0, temp, code, 401, EXPIRED_BODY);
    login_first_step(e2e_second.http_port, &u, false, temp);
    verify_expect(0, temp, code, 400, INVALID_BODY);
    free(u.access);
}

Test(otp, operator_reset, .init = setup_default, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    user_t u;
    char temp[64], out[4096];
    enrol(&u, "dave@example.com");
    login_first_step(0, &u, false, temp);
    int rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"user", "2fa-reset", "DAVE@example.com", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "dave@example.com") != NULL, "%s", out);
    /* a second step begun before the reset is over; logins need the password alone */
    char code[AUTH_TOTP_CODE_MAX];
    fresh_code(&u, code);
    verify_expect(0, temp, code, 401, EXPIRED_BODY);
    e2e_login(u.email, E2E_PASSWORD, NULL, NULL);
    cr_expect(!two_factor_enabled(&u));
    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"user", "2fa-reset", "nobody@example.com", NULL});
    cr_expect_neq(rc, 0, "an unknown user: %s", out);
    free(u.access);
}

Test(otp, wrong_codes_are_throttled_per_user, .init = setup_limits, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    user_t u;
    char temp[64], code[AUTH_TOTP_CODE_MAX];
    ts_http_res_t res;
    enrol(&u, "erin@example.com"); /* its wrong first code was forgotten when the right one came */
    login_first_step(0, &u, false, temp);
    verify_expect(0, temp, "000000", 400, INVALID_BODY); /* the free one */
    verify_expect(0, temp, "000000", 400, INVALID_BODY); /* the next try waits 1 s */
    fresh_code(&u, code);
    cr_expect_eq(verify(0, temp, code, &res), 429, "even the right code waits: %s", res.body);
    cr_expect_str_eq(ts_http_header(&res, "retry-after"), "1");
    ts_http_res_dispose(&res);
    e2e_sleep_ms(1100);
    verify_expect(0, temp, "000000", 400, INVALID_BODY); /* now 2 s */
    cr_expect_eq(verify(0, temp, code, &res), 429, "%s", res.body);
    cr_expect_str_eq(ts_http_header(&res, "retry-after"), "2", "the delays grow");
    ts_http_res_dispose(&res);
    /* per user, not per temporary token: a new login buys no guesses */
    char temp2[64];
    login_first_step(0, &u, false, temp2);
    cr_expect_eq(verify(0, temp2, code, &res), 429, "%s", res.body);
    ts_http_res_dispose(&res);
    e2e_sleep_ms(2100);
    verify_ok(0, temp2, code, &u);
    free(u.access);
}

Test(otp, expired_temp_token, .init = setup_limits, .fini = e2e_fini, .timeout = E2E_TIMEOUT)
{
    user_t u;
    char temp[64], code[AUTH_TOTP_CODE_MAX];
    enrol(&u, "frank@example.com");
    login_first_step(0, &u, false, temp);
    e2e_sleep_ms(4200);
    fresh_code(&u, code);
    verify_expect(0, temp, code, 401, EXPIRED_BODY);
    login_first_step(0, &u, false, temp);
    verify_ok(0, temp, code, &u);
    free(u.access);
}
