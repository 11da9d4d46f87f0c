#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

static int svc__hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Python's unquote_plus: '+' is a space, a bad %-escape is kept as is. */
static char *svc__unquote(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1), *o = out;
    if (out == NULL)
        svc__oom();
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < len && (hi = svc__hex(s[i + 1])) >= 0 && (lo = svc__hex(s[i + 2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    *out_len = (size_t)(o - out);
    return out;
}

int svc__form_parse(const char *s, size_t len, svc__pair_t **pairs, size_t *num)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == '&';
    *pairs = calloc(cap, sizeof **pairs);
    if (*pairs == NULL)
        svc__oom();
    *num = 0;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        if (stop != p) {
            /* parse_qs(keep_blank_values=True): "a" and "a=" both give an empty value */
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            const char *kend = eq != NULL ? eq : stop;
            svc__pair_t *pr = &(*pairs)[(*num)++];
            pr->key = svc__unquote(p, (size_t)(kend - p), &pr->key_len);
            pr->value = eq != NULL ? svc__unquote(eq + 1, (size_t)(stop - eq - 1), &pr->value_len)
                                   : svc__unquote("", 0, &pr->value_len);
        }
        p = stop + 1;
    }
    return 0;
}

void svc__form_free(svc__pair_t *pairs, size_t num)
{
    for (size_t i = 0; i < num; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

void svc__buf_append_quoted(svc_buf_t *s, const char *data, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
            c == '-' || c == '~') {
            svc_buf_append(s, (const char *)&data[i], 1);
        } else if (c == ' ') {
            svc_buf_append(s, "+", 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            svc_buf_append(s, esc, 3);
        }
    }
}
