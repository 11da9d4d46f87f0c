#include "services/auth/email.h"

#include <string.h>

static char auth__lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int auth__space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int auth_email_normalize(const char *s, size_t len, char out[AUTH_EMAIL_MAX + 1])
{
    while (len > 0 && auth__space(*s))
        s++, len--;
    while (len > 0 && auth__space(s[len - 1]))
        len--;
    const char *at = len > 0 ? memrchr(s, '@', len) : NULL;
    if (len == 0 || len > AUTH_EMAIL_MAX || at == NULL || memchr(s, '\0', len) != NULL)
        return -1;
    size_t local = (size_t)(at - s);
    memcpy(out, s, local);
    for (size_t i = local; i < len; i++)
        out[i] = auth__lower(s[i]);
    out[len] = '\0';
    return (int)len;
}

int auth_email_key(const char *s, size_t len, char out[AUTH_EMAIL_MAX + 1])
{
    int n = auth_email_normalize(s, len, out);
    for (int i = 0; i < n; i++)
        out[i] = auth__lower(out[i]);
    return n;
}
