/* tests services/auth/password.c: Django's validators' rules and messages */
#include <criterion/criterion.h>
#include <string.h>

#include "services/auth/password.h"

static size_t check(const char *pw, const char *email, auth_password_problems_t *pp)
{
    return auth_password_check(pw, strlen(pw), email, 8, pp);
}

Test(password, a_good_one_passes)
{
    auth_password_problems_t pp;
    cr_expect_eq(check("tulip-orbit-cascade-42", "ada@example.com", &pp), 0);
    cr_expect_eq(check("correct horse battery", "ada@example.com", &pp), 0);
}

Test(password, minimum_length_counts_characters)
{
    auth_password_problems_t pp;
    cr_assert_eq(check("Shrt7x!", "a@b.co", &pp), 1);
    cr_expect_str_eq(pp.messages[0], "This password is too short. It must contain at least 8 characters.");
    /* eight characters, more bytes */
    cr_expect_eq(check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9z", "a@b.co", &pp), 0);
    cr_expect_eq(auth_password_check("abcdefghij", 10, "a@b.co", 12, &pp), 1, "the minimum is a setting");
}

Test(password, not_the_email)
{
    auth_password_problems_t pp;
    cr_assert_eq(check("ada.lovelace@example.com", "ada.lovelace@example.com", &pp), 1);
    cr_expect_str_eq(pp.messages[0], "The password is too similar to the email address.");
    cr_expect_eq(check("ADA.LOVELACE2024", "ada.lovelace@example.com", &pp), 1, "the local part inside, any case");
    cr_expect_eq(check("ample.com", "ada@example.com", &pp), 1, "a piece of the address");
    cr_expect_eq(check("tulip-orbit-cascade", "ada@example.com", &pp), 0);
}

Test(password, common_and_numeric)
{
    auth_password_problems_t pp;
    cr_assert_eq(check("Password", "a@b.co", &pp), 1);
    cr_expect_str_eq(pp.messages[0], "This password is too common.");
    /* both ends of the sorted list, so a mis-sorted table fails here */
    cr_expect_eq(check("11111111", "a@b.co", &pp), 2, "common and numeric");
    cr_expect_eq(check("zxcvbnm123", "a@b.co", &pp), 1);
    cr_expect_eq(check("qwertyuiop", "a@b.co", &pp), 1);
    cr_assert_eq(check("9081726354", "a@b.co", &pp), 1);
    cr_expect_str_eq(pp.messages[0], "This password is entirely numeric.");
}

Test(password, every_broken_rule_is_reported)
{
    auth_password_problems_t pp;
    cr_expect_eq(check("1234", "1234@example.com", &pp), 3, "short, like the address, numeric");
}
