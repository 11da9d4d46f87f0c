/* tests gateway/session.c: the session cache and the CSRF rules */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/session.h"
#include "proto/errors.h"

#define OWN "http://localhost:8000"

static gw_cors_t cors;
static char sid[PROTO_SESSION_ID_LEN + 1], csrf[PROTO_CSRF_LEN + 1];

static void setup(void)
{
    char err[128];
    cr_assert_eq(gw_cors_init(&cors, "http://localhost:5173", err, sizeof err), 0);
    proto_session_new(sid);
    proto_session_csrf(sid, strlen(sid), csrf);
}

static void teardown(void)
{
    gw_cors_dispose(&cors);
}

static int check(const char *method, const char *token, const char *origin, const char *referer)
{
    return gw_session_csrf_check(method, strlen(method), sid, strlen(sid), token, token ? strlen(token) : 0, origin,
                                 origin ? strlen(origin) : 0, referer, referer ? strlen(referer) : 0, OWN,
                                 strlen(OWN), &cors);
}

TestSuite(csrf, .init = setup, .fini = teardown);

Test(csrf, safe_methods_need_nothing)
{
    cr_expect_eq(check("GET", NULL, NULL, NULL), 0);
    cr_expect_eq(check("HEAD", NULL, "https://evil.example", NULL), 0);
}

Test(csrf, unsafe_methods_need_origin_and_token)
{
    cr_expect_eq(check("POST", csrf, OWN, NULL), 0);
    cr_expect_eq(check("DELETE", csrf, "http://localhost:5173", NULL), 0, "an allowed CORS origin");
    cr_expect_eq(check("POST", csrf, NULL, OWN "/profile/?x=1"), 0, "a Referer of our own");
    cr_expect_eq(check("POST", NULL, OWN, NULL), -PROTO_ERR_CSRF_MISSING);
    cr_expect_eq(check("PATCH", "x", OWN, NULL), -PROTO_ERR_CSRF_INCORRECT);
    char other[PROTO_SESSION_ID_LEN + 1], other_csrf[PROTO_CSRF_LEN + 1];
    proto_session_new(other);
    proto_session_csrf(other, strlen(other), other_csrf);
    cr_expect_eq(check("PUT", other_csrf, OWN, NULL), -PROTO_ERR_CSRF_INCORRECT, "bound to its session");
    cr_expect_eq(check("POST", csrf, "https://evil.example", NULL), -PROTO_ERR_CSRF_ORIGIN);
    cr_expect_eq(check("POST", csrf, NULL, "https://evil.example/" OWN), -PROTO_ERR_CSRF_ORIGIN);
    cr_expect_eq(check("POST", csrf, OWN ".evil.example", NULL), -PROTO_ERR_CSRF_ORIGIN, "no prefix matches");
    cr_expect_eq(check("POST", csrf, NULL, NULL), -PROTO_ERR_CSRF_ORIGIN, "neither Origin nor Referer");
}

Test(sessions, cache_expires_and_drops)
{
    static gw_sessions_t s;
    gw_sessions_init(&s, 2000);
    gw_session_entry_t e = {.valid = true, .user_id = 4, .fetched_ms = 10000};
    proto_session_hash(sid, strlen(sid), e.hash);
    gw_sessions_store(&s, &e);
    cr_assert_not_null(gw_sessions_lookup(&s, e.hash, 11999));
    cr_expect_eq(gw_sessions_lookup(&s, e.hash, 11999)->user_id, 4);
    cr_expect_null(gw_sessions_lookup(&s, e.hash, 12000), "briefly");
    gw_sessions_drop(&s, e.hash);
    cr_expect_null(gw_sessions_lookup(&s, e.hash, 10001), "dropped on logout");
}

Test(sessions, cookie_parsing)
{
    const char *v;
    size_t n;
    const char *h = "csrftoken=abc; sessionid=\"xyz\";theme=dark";
    cr_assert(proto_cookie_get(h, strlen(h), "sessionid", &v, &n));
    cr_expect_eq(n, 3);
    cr_expect_eq(memcmp(v, "xyz", 3), 0);
    cr_expect_not(proto_cookie_get(h, strlen(h), "session", &v, &n), "names match whole");
    cr_expect(proto_cookie_get(h, strlen(h), "theme", &v, &n));
    char fresh[PROTO_SESSION_ID_LEN + 1];
    proto_session_new(fresh);
    cr_expect_not(proto_session_id_sane("xyz", 3));
    cr_expect(proto_session_id_sane(fresh, strlen(fresh)));
}
