#include "services/employees/json.h"

#include <string.h>

#include "services/runtime/service.h"

static char *emp__json_lit(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

#define EMP__LIT(p, s) emp__json_lit(p, s, sizeof(s) - 1)

/* As jansson's "%" JSON_INTEGER_FORMAT: json_int_t is signed. */
static char *emp__json_int(char *p, int64_t v)
{
    char tmp[20];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *p++ = '-';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* jansson's dump_string without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH: UTF-8 as is, the two
 * mandatory escapes, the five short control escapes, other control characters as \u00XX
 * (upper-case hex); DEL and '/' unescaped. */
static char *emp__json_str(char *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;

    *p++ = '"';
    for (; *u != '\0'; u++) {
        unsigned char c = *u;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            p = EMP__LIT(p, "u00");
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p++ = '"';
    return p;
}

size_t emp_json_write(char *out, const emp_record_t *rec)
{
    char *p = out, created[32], updated[32];

    svc_format_time(rec->created_us, created);
    svc_format_time(rec->updated_us, updated);
    p = EMP__LIT(p, "{\"id\":");
    p = emp__json_int(p, (int64_t)rec->id);
    p = EMP__LIT(p, ",\"user\":");
    p = emp__json_int(p, (int64_t)rec->user);
    p = EMP__LIT(p, ",\"name\":");
    p = emp__json_str(p, rec->name);
    p = EMP__LIT(p, ",\"department\":\"");
    p = emp__json_lit(p, emp_dept_values[rec->department], strlen(emp_dept_values[rec->department]));
    p = EMP__LIT(p, "\",\"salary\":");
    p = emp__json_int(p, (int64_t)rec->salary);
    p = EMP__LIT(p, ",\"created_at\":\"");
    p = emp__json_lit(p, created, strlen(created));
    p = EMP__LIT(p, "\",\"updated_at\":\"");
    p = emp__json_lit(p, updated, strlen(updated));
    p = EMP__LIT(p, "\"}");
    return (size_t)(p - out);
}
