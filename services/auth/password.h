/*
 * Password rules, with the messages of Django's default validators (as Pegasus configures
 * them): at least a minimum length, not (nearly) the e-mail address, not a common password,
 * not entirely numeric. Each broken rule adds its own message; a password passes when none
 * does. Pure functions, so they are unit tested.
 */
#ifndef APIBUS_SERVICES_AUTH_PASSWORD_H
#define APIBUS_SERVICES_AUTH_PASSWORD_H

#include <stddef.h>

#define AUTH_PASSWORD_MAX_CHARS 512 /* longer input is refused before hashing */
#define AUTH_PASSWORD_RULES 4

typedef struct st_auth_password_problems_t {
    const char *messages[AUTH_PASSWORD_RULES]; /* static strings, except messages[0] (in buf) */
    size_t num;
    char buf[96];
} auth_password_problems_t;

/* Checks password (len bytes, UTF-8) for an account with email. Returns the number of broken
 * rules (0: acceptable) and fills *out. */
size_t auth_password_check(const char *password, size_t len, const char *email, unsigned min_chars,
                           auth_password_problems_t *out);

#endif
