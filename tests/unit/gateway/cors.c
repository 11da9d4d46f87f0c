/* tests gateway/cors.c: the origin list. */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/cors.h"

static bool allowed(const gw_cors_t *c, const char *origin)
{
    return gw_cors_allowed(c, origin, strlen(origin));
}

Test(cors, default_list)
{
    gw_cors_t c;
    char err[256];
    cr_assert_eq(gw_cors_init(&c, "http://localhost:5173,http://127.0.0.1:5173", err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.num, 2);
    cr_assert(allowed(&c, "http://localhost:5173"));
    cr_assert(allowed(&c, "http://127.0.0.1:5173"));
    cr_assert_not(allowed(&c, "http://localhost:5174"));
    cr_assert_not(allowed(&c, "https://localhost:5173"));
    cr_assert_not(allowed(&c, "http://localhost:5173/"));
    cr_assert_not(allowed(&c, "http://localhost"));
    cr_assert_not(allowed(&c, "http://evil.localhost:5173"));
    cr_assert_not(allowed(&c, "http://localhost:51730"));
    cr_assert_not(allowed(&c, "null"));
    cr_assert_not(allowed(&c, ""));
    gw_cors_dispose(&c);
}

Test(cors, spaces_and_empty_entries)
{
    gw_cors_t c;
    char err[256];
    cr_assert_eq(gw_cors_init(&c, " https://app.example.com , ,http://x:1 ", err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.num, 2);
    cr_assert(allowed(&c, "https://app.example.com"));
    cr_assert(allowed(&c, "http://x:1"));
    gw_cors_dispose(&c);
    cr_assert_eq(gw_cors_init(&c, "", err, sizeof err), 0);
    cr_assert_eq(c.num, 0);
    cr_assert_not(allowed(&c, "http://localhost:5173"));
    gw_cors_dispose(&c);
}

Test(cors, invalid_entries_refused)
{
    gw_cors_t c;
    char err[256];
    cr_assert_eq(gw_cors_init(&c, "*", err, sizeof err), -1);
    cr_assert_eq(gw_cors_init(&c, "localhost:5173", err, sizeof err), -1);
    cr_assert_eq(gw_cors_init(&c, "http://localhost:5173/app", err, sizeof err), -1);
    cr_assert_eq(gw_cors_init(&c, "http://ok:1,ftp://x", err, sizeof err), -1);
    cr_assert(strstr(err, "ftp://x") != NULL, "%s", err);
}
