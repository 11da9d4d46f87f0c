/* tests services/auth/email.c */
#include <criterion/criterion.h>
#include <string.h>

#include "services/auth/email.h"

static const char *norm(const char *s)
{
    static char out[AUTH_EMAIL_MAX + 1];
    return auth_email_normalize(s, strlen(s), out) < 0 ? NULL : out;
}

static const char *key(const char *s)
{
    static char out[AUTH_EMAIL_MAX + 1];
    return auth_email_key(s, strlen(s), out) < 0 ? NULL : out;
}

Test(email, trims_and_lowercases_the_domain_only)
{
    cr_expect_str_eq(norm("  Ada.Lovelace@Example.COM \n"), "Ada.Lovelace@example.com");
    cr_expect_str_eq(key("  Ada.Lovelace@Example.COM "), "ada.lovelace@example.com");
    cr_expect_str_eq(key("ADA@EXAMPLE.COM"), key("ada@example.com"), "one account, whatever the case");
    /* the last @ splits: a quoted local part may hold one */
    cr_expect_str_eq(norm("\"a@b\"@X.ORG"), "\"a@b\"@x.org");
}

Test(email, refuses_empty_long_and_odd)
{
    cr_expect_null(norm(""));
    cr_expect_null(norm("   "));
    cr_expect_null(norm("no-at-sign"));
    char big[400];
    memset(big, 'a', sizeof big);
    memcpy(big + 300, "@example.com", 13);
    cr_expect_null(norm(big), "longer than 254");
    char nul[] = "a\0b@example.com";
    char out[AUTH_EMAIL_MAX + 1];
    cr_expect_lt(auth_email_normalize(nul, sizeof nul - 1, out), 0, "NUL bytes");
}
