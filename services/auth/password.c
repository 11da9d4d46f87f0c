#include "services/auth/password.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The most common passwords of the public breach lists (the head of the list Django ships, of
 * those at least 8 characters long, since shorter ones fail the length rule anyway), lower-case
 * and in strcasecmp order for bsearch. Compared case-insensitively, as Django does. */
static const char *const auth__common[] = {
    "11111111", "11223344", "12121212", "123123123", "12341234", "12344321", "12345678", "123456789",
    "1234567890", "1234qwer", "123qweasd", "147258369", "159753456", "18atcskd2w", "1q2w3e4r", "1q2w3e4r5t",
    "1qaz2wsx", "3rjs1la7qe", "55555555", "66666666", "87654321", "88888888", "987654321", "99999999",
    "a1b2c3d4", "aa123456", "abc12345", "abcd1234", "access14", "adminadmin", "administrator", "alexander",
    "asdf1234", "asdfasdf", "asdfghjk", "asdfghjkl", "baseball", "basketball", "batman123", "blink182",
    "charlie1", "chocolate", "computer", "corvette", "dolphins", "dragon123", "elephant", "football",
    "football1", "freedom1", "iloveyou", "iloveyou1", "iloveyou2", "jennifer", "jordan23", "letmein1",
    "login123", "michelle", "midnight", "mustang1", "pa55word", "passw0rd", "password", "password1",
    "password12", "password123", "princess", "qazwsxedc", "qwer1234", "qwerty12", "qwerty123", "qwertyui",
    "qwertyuiop", "samantha", "scooter1", "shadow12", "starwars", "sunshine", "superman", "trustno1",
    "welcome1", "welcome123", "whatever", "zaq12wsx", "zxcvbnm1", "zxcvbnm123",
};

static int auth__cmp(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static bool auth__common_password(const char *pw, size_t len)
{
    char buf[32];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, pw, len);
    buf[len] = '\0';
    const char *key = buf;
    return bsearch(&key, auth__common, sizeof auth__common / sizeof auth__common[0], sizeof auth__common[0],
                   auth__cmp) != NULL;
}

static size_t auth__chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

static bool auth__contains_ci(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0 || nlen > hlen)
        return false;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (strncasecmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

/* Django's UserAttributeSimilarityValidator compares with the whole address and its parts; the
 * essential cases: the password is, contains, or is contained in the address or its local part
 * (parts shorter than 3 characters are too weak a signal). */
static bool auth__like_email(const char *pw, size_t len, const char *email)
{
    if (email == NULL || *email == '\0')
        return false;
    size_t elen = strlen(email);
    const char *at = strchr(email, '@');
    size_t local = at != NULL ? (size_t)(at - email) : elen;
    if (auth__contains_ci(email, elen, pw, len) && len >= 3)
        return true;
    return local >= 3 && auth__contains_ci(pw, len, email, local);
}

size_t auth_password_check(const char *pw, size_t len, const char *email, unsigned min_chars,
                           auth_password_problems_t *out)
{
    memset(out, 0, sizeof *out);
    if (auth__chars(pw, len) < min_chars) {
        snprintf(out->buf, sizeof out->buf, "This password is too short. It must contain at least %u characters.",
                 min_chars);
        out->messages[out->num++] = out->buf;
    }
    if (auth__like_email(pw, len, email))
        out->messages[out->num++] = "The password is too similar to the email address.";
    if (auth__common_password(pw, len))
        out->messages[out->num++] = "This password is too common.";
    bool numeric = len > 0;
    for (size_t i = 0; i < len && numeric; i++)
        numeric = pw[i] >= '0' && pw[i] <= '9';
    if (numeric)
        out->messages[out->num++] = "This password is entirely numeric.";
    return out->num;
}
