/* End to end: browser sessions, CSRF and the Origin check, stale cookies. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/common.h"

static void setup(void)
{
    ts_suite_init(&suite, "e2e-session");
    e2e_start(NULL);
}

TestSuite(session, .init = setup, .fini = e2e_fini, .timeout = E2E_TIMEOUT);

typedef struct {
    char cookie[320]; /* "Cookie: sessionid=...; csrftoken=..." */
    char csrf[128];
    char sid[128];
} browser_t;

/* The value of cookie name in the response's Set-Cookie headers; asserts its attributes. */
static void take_cookie(const ts_http_res_t *res, const char *name, char *out, size_t cap, bool http_only)
{
    for (size_t i = 0; i < res->num_headers; i++) {
        const char *v = res->headers[i].value;
        if (strcmp(res->headers[i].name, "set-cookie") != 0 || strncmp(v, name, strlen(name)) != 0 ||
            v[strlen(name)] != '=')
            continue;
        const char *start = v + strlen(name) + 1, *end = strchr(start, ';');
        snprintf(out, cap, "%.*s", (int)(end - start), start);
        cr_expect(strstr(v, "SameSite=Lax") != NULL, "%s", v);
        cr_expect(strstr(v, "Path=/") != NULL, "%s", v);
        cr_expect((strstr(v, "HttpOnly") != NULL) == http_only, "%s", v);
        cr_expect(strstr(v, "Secure") == NULL, "plain HTTP: no Secure (%s)", v);
        e2e_secret(out);
        return;
    }
    cr_assert_fail("no %s cookie", name);
}

static void login_browser(const char *email, browser_t *b)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\",\"session\":true}", email, E2E_PASSWORD);
    ts_http_res_t res;
    e2e_post(0, &res, AUTH "login/", NULL, body);
    cr_assert_eq(res.status, 200, "%s", res.body);
    take_cookie(&res, "sessionid", b->sid, sizeof b->sid, true);
    take_cookie(&res, "csrftoken", b->csrf, sizeof b->csrf, false);
    json_t *j = e2e_json(&res);
    e2e_secret(json_string_value(json_object_get(json_object_get(j, "jwt"), "access")));
    e2e_secret(json_string_value(json_object_get(json_object_get(j, "jwt"), "refresh")));
    json_decref(j);
    snprintf(b->cookie, sizeof b->cookie, "Cookie: sessionid=%s; csrftoken=%s", b->sid, b->csrf);
    ts_http_res_dispose(&res);
}

static int browser_post(const browser_t *b, const char *path, const char *origin, const char *csrf, ts_http_res_t *res)
{
    char o[256], c[256];
    const char *h[5] = {b->cookie, "Content-Type: application/json", NULL, NULL, NULL};
    size_t n = 2;
    if (origin != NULL) {
        snprintf(o, sizeof o, "Origin: %s", origin);
        h[n++] = o;
    }
    if (csrf != NULL) {
        snprintf(c, sizeof c, "X-CSRFToken: %s", csrf);
        h[n++] = c;
    }
    e2e_request(0, res, "POST", path, h, "{\"name\":\"Ann\",\"department\":\"hr\",\"salary\":5}");
    return res->status;
}

Test(session, cookie_csrf_and_origin)
{
    json_decref(e2e_register("browser@example.com"));
    browser_t b, b2;
    login_browser("browser@example.com", &b);
    login_browser("browser@example.com", &b2);
    cr_expect_str_neq(b.sid, b2.sid, "a new session id at every login");

    ts_http_res_t res;
    e2e_request(0, &res, "GET", EMPLOYEES, (const char *[]){b.cookie, NULL}, NULL);
    cr_expect_eq(res.status, 200, "a GET with the session cookie: %s", res.body);
    ts_http_res_dispose(&res);
    e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){b.cookie, NULL}, NULL);
    cr_expect(strstr(res.body, "browser@example.com") != NULL, "%s", res.body);
    ts_http_res_dispose(&res);

    char own[64];
    snprintf(own, sizeof own, "http://localhost:%d", suite.http_port);
    cr_expect_eq(browser_post(&b, EMPLOYEES, own, NULL, &res), 403, "no X-CSRFToken");
    cr_expect_str_eq(res.body, "{\"detail\":\"CSRF Failed: CSRF token missing.\"}");
    ts_http_res_dispose(&res);
    cr_expect_eq(browser_post(&b, EMPLOYEES, own, b2.csrf, &res), 403, "another session's token");
    cr_expect_str_eq(res.body, "{\"detail\":\"CSRF Failed: CSRF token incorrect.\"}");
    ts_http_res_dispose(&res);
    cr_expect_eq(browser_post(&b, EMPLOYEES, "https://evil.example", b.csrf, &res), 403, "cross-origin");
    cr_expect(strstr(res.body, "Origin checking failed") != NULL, "%s", res.body);
    ts_http_res_dispose(&res);
    cr_expect_eq(browser_post(&b, EMPLOYEES, NULL, b.csrf, &res), 403, "neither Origin nor Referer");
    ts_http_res_dispose(&res);
    cr_expect_eq(browser_post(&b, EMPLOYEES, own, b.csrf, &res), 201, "same origin with the token: %s", res.body);
    ts_http_res_dispose(&res);
    cr_expect_eq(browser_post(&b, EMPLOYEES, "http://localhost:5173", b.csrf, &res), 201,
                 "an allowed CORS origin with the token: %s", res.body);
    ts_http_res_dispose(&res);

    /* logout ends the session: the cookie is cleared and refused afterwards */
    char o[128], c[200];
    snprintf(o, sizeof o, "Origin: %s", own);
    snprintf(c, sizeof c, "X-CSRFToken: %s", b.csrf);
    e2e_request(0, &res, "POST", AUTH "logout/", (const char *[]){b.cookie, o, c, NULL}, NULL);
    cr_expect_eq(res.status, 200, "%s", res.body);
    const char *sc = ts_http_header(&res, "set-cookie");
    cr_expect(sc != NULL && strncmp(sc, "sessionid=;", 11) == 0, "cleared: %s", sc ? sc : "(none)");
    ts_http_res_dispose(&res);
    e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){b.cookie, NULL}, NULL);
    cr_expect_eq(res.status, 401, "after logout: %s", res.body);
    ts_http_res_dispose(&res);
    /* the other session is untouched */
    e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){b2.cookie, NULL}, NULL);
    cr_expect_eq(res.status, 200);
    ts_http_res_dispose(&res);
}

Test(session, stale_cookie_is_absent_and_cleared)
{
    json_decref(e2e_register("stalecookie@example.com"));
    ts_http_res_t res;
    const char *forged = "Cookie: sessionid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"stalecookie@example.com\",\"password\":\"%s\"}", E2E_PASSWORD);
    e2e_request(0, &res, "POST", AUTH "login/", (const char *[]){forged, "Content-Type: application/json", NULL}, body);
    cr_expect_eq(res.status, 200, "a public route with a stale cookie works: %s", res.body);
    const char *sc = ts_http_header(&res, "set-cookie");
    cr_expect(sc != NULL && strncmp(sc, "sessionid=;", 11) == 0, "and clears it: %s", sc ? sc : "(none)");
    json_t *j = e2e_json(&res);
    e2e_secret(json_string_value(json_object_get(json_object_get(j, "jwt"), "access")));
    e2e_secret(json_string_value(json_object_get(json_object_get(j, "jwt"), "refresh")));
    json_decref(j);
    ts_http_res_dispose(&res);
    e2e_request(0, &res, "GET", EMPLOYEES, (const char *[]){"Cookie: sessionid=garbage", NULL}, NULL);
    cr_expect_eq(res.status, 401);
    cr_expect_not_null(ts_http_header(&res, "set-cookie"), "a malformed cookie is cleared too");
    ts_http_res_dispose(&res);
}

Test(session, password_change_keeps_the_browser_in_a_new_session)
{
    json_decref(e2e_register("keeper@example.com"));
    browser_t b, other;
    login_browser("keeper@example.com", &b);
    login_browser("keeper@example.com", &other);
    char own[64], o[128], c[200];
    snprintf(own, sizeof own, "http://localhost:%d", suite.http_port);
    snprintf(o, sizeof o, "Origin: %s", own);
    snprintf(c, sizeof c, "X-CSRFToken: %s", b.csrf);
    e2e_secret("lantern-new-pass-31");
    ts_http_res_t res;
    e2e_request(0, &res, "POST", AUTH "password/change/",
                (const char *[]){b.cookie, o, c, "Content-Type: application/json", NULL},
                "{\"old_password\":\"" E2E_PASSWORD "\",\"new_password1\":\"lantern-new-pass-31\",\"new_password2\":\"lantern-new-pass-31\"}");
    cr_assert_eq(res.status, 200, "%s", res.body);
    browser_t renewed;
    take_cookie(&res, "sessionid", renewed.sid, sizeof renewed.sid, true);
    take_cookie(&res, "csrftoken", renewed.csrf, sizeof renewed.csrf, false);
    snprintf(renewed.cookie, sizeof renewed.cookie, "Cookie: sessionid=%s", renewed.sid);
    ts_http_res_dispose(&res);
    e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){renewed.cookie, NULL}, NULL);
    cr_expect_eq(res.status, 200, "the new session works: %s", res.body);
    ts_http_res_dispose(&res);
    long t0 = e2e_now_ms();
    int status = 0;
    while (e2e_now_ms() - t0 < 5000) {
        e2e_request(0, &res, "GET", AUTH "user/", (const char *[]){other.cookie, NULL}, NULL);
        status = res.status;
        ts_http_res_dispose(&res);
        if (status == 401)
            break;
        e2e_sleep_ms(20);
    }
    cr_expect_eq(status, 401, "the other browser's session is void");
    cr_expect_leq(e2e_now_ms() - t0, 1000);
}
