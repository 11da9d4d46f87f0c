#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/runtime/internal.h"

/*
 * Input validation with Django REST Framework's rules and messages, driven by the model table.
 * Pegasus clients depend on the details: integers sent as strings, trimmed strings, unknown and
 * read-only fields ignored, every field's errors collected into one 400 body.
 */

#define SVC__MSG_REQUIRED "This field is required."
#define SVC__MSG_NULL "This field may not be null."
#define SVC__MSG_BLANK "This field may not be blank."
#define SVC__MSG_INTEGER "A valid integer is required."
#define SVC__MSG_NUMBER "A valid number is required."
#define SVC__MSG_STRING "Not a valid string."
#define SVC__MSG_BOOLEAN "Must be a valid boolean."
#define SVC__MSG_EMAIL "Enter a valid email address."
#define SVC__MSG_NUL "Null characters are not allowed."
#define SVC__MSG_BIG_STRING "String value too large."
#define SVC__MSG_DATETIME \
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
#define SVC__MAX_NUMBER_STRING 1000

static json_t *svc__msgs(const char *msg)
{
    json_t *a = json_array();
    if (a == NULL)
        svc__oom();
    if (msg != NULL)
        json_array_append_new(a, json_string(msg));
    return a;
}

static void svc__msgf(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void svc__msgf(json_t *list, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_t *s = json_string(buf);
    if (s == NULL) /* the input echoed in the message was not UTF-8 */
        s = json_string("Invalid value.");
    json_array_append_new(list, s);
}

/* The Python type name DRF puts in its messages. */
static const char *svc__py_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "dict";
    case JSON_ARRAY: return "list";
    case JSON_STRING: return "str";
    case JSON_INTEGER: return "int";
    case JSON_REAL: return "float";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "NoneType";
    }
}

static bool svc__utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

static size_t svc__utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

static bool svc__is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void svc__trim(const char **s, size_t *len)
{
    while (*len > 0 && svc__is_space(**s))
        (*s)++, (*len)--;
    while (*len > 0 && svc__is_space((*s)[*len - 1]))
        (*len)--;
}

/* Python's repr of a float: the shortest text that reads back as the same number. */
static void svc__float_text(double d, char *out, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    if (strchr(out, '.') == NULL && strchr(out, 'e') == NULL && strchr(out, 'n') == NULL &&
        strlen(out) + 3 <= cap)
        strcat(out, ".0");
}

/* --- integers and numbers ---------------------------------------------------------------------- */

/* DRF's IntegerField: int(re.sub(r'\.0*\s*$', '', str(data))). 1 on overflow (sign in *out). */
static int svc__int_from_text(const char *s, size_t len, int64_t *out)
{
    svc__trim(&s, &len);
    size_t dot = len;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.') {
            dot = i;
            break;
        }
    for (size_t i = dot + 1; i < len; i++)
        if (s[i] != '0')
            return -1;
    len = dot;
    bool neg = false;
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return -1;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            overflow = true;
        else
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (overflow || v > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        *out = neg ? INT64_MIN : INT64_MAX;
        return 1;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static json_t *svc__range_errors(const svc_field_t *f, double v)
{
    if ((f->flags & SVC_F_RANGE) == 0)
        return NULL;
    json_t *errs = svc__msgs(NULL);
    if (v > (double)f->maximum)
        svc__msgf(errs, "Ensure this value is less than or equal to %lld.", (long long)f->maximum);
    if (v < (double)f->minimum)
        svc__msgf(errs, "Ensure this value is greater than or equal to %lld.", (long long)f->minimum);
    if (json_array_size(errs) == 0) {
        json_decref(errs);
        return NULL;
    }
    return errs;
}

static json_t *svc__check_integer(const svc_field_t *f, json_t *v, json_t **res)
{
    int64_t i;
    int rc = -1;
    if (json_is_integer(v)) {
        i = json_integer_value(v), rc = 0;
    } else if (json_is_real(v)) {
        /* str(42.0) is "42.0", accepted; str(1e16) is "1e+16", refused */
        double d = json_real_value(v);
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e16)
            i = (int64_t)d, rc = 0;
    } else if (json_is_string(v)) {
        if (json_string_length(v) > SVC__MAX_NUMBER_STRING)
            return svc__msgs(SVC__MSG_BIG_STRING);
        rc = svc__int_from_text(json_string_value(v), json_string_length(v), &i);
        if (rc == 1 && (f->flags & SVC_F_RANGE) == 0)
            rc = -1;
    }
    if (rc < 0)
        return svc__msgs(SVC__MSG_INTEGER);
    json_t *errs = rc == 1 ? svc__range_errors(f, i < 0 ? -HUGE_VAL : HUGE_VAL) : NULL;
    if (errs == NULL && (f->flags & SVC_F_RANGE) != 0 && (i > f->maximum || i < f->minimum))
        errs = svc__range_errors(f, (double)i);
    if (errs != NULL)
        return errs;
    *res = json_integer(i);
    return NULL;
}

static json_t *svc__check_number(const svc_field_t *f, json_t *v, json_t **res)
{
    double d = NAN;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > SVC__MAX_NUMBER_STRING)
            return svc__msgs(SVC__MSG_BIG_STRING);
        char buf[SVC__MAX_NUMBER_STRING + 1];
        svc__trim(&s, &len);
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        /* strtod also reads hex, which Python's float() refuses */
        if (len != 0 && strpbrk(buf, "xX") == NULL) {
            d = strtod(buf, &end);
            if (*end != '\0')
                d = NAN;
        }
    }
    if (!isfinite(d))
        return svc__msgs(SVC__MSG_NUMBER);
    json_t *errs = svc__range_errors(f, d);
    if (errs != NULL)
        return errs;
    *res = json_real(d);
    return NULL;
}

/* --- strings ------------------------------------------------------------------------------------ */

/* Django's EmailValidator, in the essentials: a dot-atom local part and a dotted domain whose
 * last label is at least two characters (or localhost). */
static bool svc__email_valid(const char *s, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '@')
            at = s + i;
    if (at == NULL || at == s || len > 320)
        return false;
    size_t llen = (size_t)(at - s), dlen = len - llen - 1;
    static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
    for (size_t i = 0; i < llen; i++) {
        char c = s[i];
        if (c == '.') {
            if (i == 0 || i + 1 == llen || s[i + 1] == '.')
                return false;
        } else if (!isalnum((unsigned char)c) && strchr(atext, c) == NULL) {
            return false;
        }
    }
    const char *d = at + 1;
    if (dlen == 9 && memcmp(d, "localhost", 9) == 0)
        return true;
    size_t label = 0, labels = 0, last = 0;
    for (size_t i = 0; i <= dlen; i++) {
        if (i == dlen || d[i] == '.') {
            if (label == 0 || label > 63 || d[i - label] == '-' || d[i - 1] == '-')
                return false;
            labels++, last = label, label = 0;
            continue;
        }
        unsigned char c = (unsigned char)d[i];
        if (!isalnum(c) && c != '-' && c < 0x80)
            return false;
        label++;
    }
    return labels >= 2 && last >= 2;
}

static json_t *svc__check_string(const svc_field_t *f, json_t *v, json_t **res)
{
    char num[40];
    const char *s;
    size_t len;
    /* CharField.to_internal_value: numbers become their text, other types are refused */
    if (json_is_string(v)) {
        s = json_string_value(v), len = json_string_length(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num, len = strlen(num);
    } else if (json_is_real(v)) {
        svc__float_text(json_real_value(v), num, sizeof num);
        s = num, len = strlen(num);
    } else {
        return svc__msgs(SVC__MSG_STRING);
    }
    if (!svc__utf8_valid((const unsigned char *)s, len))
        return svc__msgs(SVC__MSG_STRING);
    svc__trim(&s, &len);
    if (len == 0) {
        if ((f->flags & SVC_F_BLANK) == 0)
            return svc__msgs(SVC__MSG_BLANK);
        *res = json_string("");
        return NULL;
    }
    json_t *errs = svc__msgs(NULL);
    size_t chars = svc__utf8_chars(s, len);
    if (f->max_length != 0 && chars > f->max_length)
        svc__msgf(errs, "Ensure this field has no more than %zu characters.", f->max_length);
    if (f->min_length != 0 && chars < f->min_length)
        svc__msgf(errs, "Ensure this field has at least %zu characters.", f->min_length);
    if (memchr(s, '\0', len) != NULL)
        svc__msgf(errs, "%s", SVC__MSG_NUL);
    if (f->type == SVC_T_EMAIL && !svc__email_valid(s, len))
        svc__msgf(errs, "%s", SVC__MSG_EMAIL);
    if (json_array_size(errs) != 0)
        return errs;
    json_decref(errs);
    *res = json_stringn(s, len);
    return NULL;
}

static json_t *svc__check_boolean(json_t *v, json_t **res)
{
    static const char *const truthy[] = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"};
    static const char *const falsy[] = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"};
    if (json_is_boolean(v)) {
        *res = json_incref(v);
        return NULL;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *res = json_boolean(json_integer_value(v) == 1);
        return NULL;
    }
    if (json_is_real(v) && (json_real_value(v) == 0.0 || json_real_value(v) == 1.0)) {
        *res = json_boolean(json_real_value(v) == 1.0);
        return NULL;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; i < SVC_COUNT(truthy); i++) {
            if (strcmp(s, truthy[i]) == 0 && strlen(s) == json_string_length(v)) {
                *res = json_true();
                return NULL;
            }
            if (strcmp(s, falsy[i]) == 0 && strlen(s) == json_string_length(v)) {
                *res = json_false();
                return NULL;
            }
        }
    }
    return svc__msgs(SVC__MSG_BOOLEAN);
}

static bool svc__digits(const char **p, const char *end, int min, int max, int *out)
{
    int n = 0, v = 0;
    while (*p < end && n < max && **p >= '0' && **p <= '9')
        v = v * 10 + (*(*p)++ - '0'), n++;
    *out = v;
    return n >= min;
}

/* Django's parse_datetime: YYYY-MM-DD[T ]hh:mm[:ss[.ffffff]][Z|±hh[:mm]], naive means UTC. */
static int svc__parse_datetime(const char *s, size_t len, int64_t *us)
{
    const char *p = s, *end = s + len;
    int y, mo, d, h, mi, sec = 0, frac = 0, off = 0;
    if (!svc__digits(&p, end, 4, 4, &y) || p == end || *p++ != '-' || !svc__digits(&p, end, 1, 2, &mo) ||
        p == end || *p++ != '-' || !svc__digits(&p, end, 1, 2, &d) || p == end || (*p != 'T' && *p != ' '))
        return -1;
    p++;
    if (!svc__digits(&p, end, 1, 2, &h) || p == end || *p++ != ':' || !svc__digits(&p, end, 1, 2, &mi))
        return -1;
    if (p < end && *p == ':') {
        p++;
        if (!svc__digits(&p, end, 1, 2, &sec))
            return -1;
        if (p < end && (*p == '.' || *p == ',')) {
            p++;
            int n = 0;
            while (p < end && *p >= '0' && *p <= '9') {
                if (n < 6)
                    frac = frac * 10 + (*p - '0');
                n++, p++;
            }
            if (n == 0 || n > 12)
                return -1;
            for (; n < 6; n++)
                frac *= 10;
        }
    }
    while (p < end && svc__is_space(*p))
        p++;
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!svc__digits(&p, end, 2, 2, &oh))
            return -1;
        if (p < end && *p == ':')
            p++;
        if (p < end && !svc__digits(&p, end, 2, 2, &om))
            return -1;
        off = sign * (oh * 60 + om);
    }
    if (p != end || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 31 April rolled over */
        return -1;
    *us = ((int64_t)t - (int64_t)off * 60) * 1000000 + frac;
    return 0;
}

static json_t *svc__check_datetime(json_t *v, json_t **res)
{
    int64_t us;
    if (!json_is_string(v) || svc__parse_datetime(json_string_value(v), json_string_length(v), &us) != 0)
        return svc__msgs(SVC__MSG_DATETIME);
    char text[32];
    svc_format_time(us, text);
    *res = json_string(text);
    return NULL;
}

static json_t *svc__check_enum(const svc_field_t *f, json_t *v, json_t **res)
{
    char text[64];
    const char *s = text;
    size_t len;
    /* ChoiceField compares str(data) with the choices, and echoes it in the message */
    if (json_is_string(v)) {
        s = json_string_value(v), len = json_string_length(v);
        if (len == 0 && (f->flags & SVC_F_BLANK) != 0) {
            *res = json_string("");
            return NULL;
        }
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        svc__float_text(json_real_value(v), text, sizeof text);
    } else if (json_is_boolean(v)) {
        snprintf(text, sizeof text, "%s", json_is_true(v) ? "True" : "False");
    } else {
        snprintf(text, sizeof text, "%s", json_is_object(v) ? "{}" : "[]");
    }
    if (s == text)
        len = strlen(text);
    for (size_t i = 0; f->enumeration != NULL && i < f->enumeration->count; i++) {
        const char *c = f->enumeration->values[i];
        if (strlen(c) == len && memcmp(c, s, len) == 0) {
            *res = json_string(c);
            return NULL;
        }
    }
    json_t *errs = svc__msgs(NULL);
    svc__msgf(errs, "\"%.*s\" is not a valid choice.", (int)(len > 200 ? 200 : len), s);
    return errs;
}

/* --- objects ------------------------------------------------------------------------------------- */

static json_t *svc__check_object(const svc_model_t *model, json_t *data, bool partial, bool form, json_t **res);
static json_t *svc__check_value(const svc_field_t *f, json_t *v, bool partial, json_t **res);

static json_t *svc__not_a_dict(const json_t *v)
{
    json_t *errs = json_object(), *list = svc__msgs(NULL);
    svc__msgf(list, "Invalid data. Expected a dictionary, but got %s.", svc__py_type(v));
    json_object_set_new(errs, "non_field_errors", list);
    return errs;
}

static json_t *svc__check_array(const svc_field_t *f, json_t *v, bool partial, json_t **res)
{
    if (!json_is_array(v)) {
        json_t *errs = svc__msgs(NULL);
        svc__msgf(errs, "Expected a list of items but got type \"%s\".", svc__py_type(v));
        return errs;
    }
    svc_field_t item = {.name = f->name, .type = f->items_type};
    /* ListSerializer reports a list with {} for good items; ListField a dict keyed by index */
    json_t *out = json_array(), *errs = f->model != NULL ? json_array() : json_object();
    bool failed = false;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *r = NULL, *e;
        e = f->model != NULL ? svc__check_object(f->model, json_array_get(v, i), partial, false, &r)
                             : svc__check_value(&item, json_array_get(v, i), partial, &r);
        if (e != NULL) {
            failed = true;
            if (f->model != NULL) {
                json_array_append_new(errs, e);
            } else {
                char idx[24];
                snprintf(idx, sizeof idx, "%zu", i);
                json_object_set_new(errs, idx, e);
            }
        } else {
            if (f->model != NULL)
                json_array_append_new(errs, json_object());
            json_array_append_new(out, r);
        }
    }
    if (failed) {
        json_decref(out);
        return errs;
    }
    json_decref(errs);
    *res = out;
    return NULL;
}

static json_t *svc__check_value(const svc_field_t *f, json_t *v, bool partial, json_t **res)
{
    if (json_is_null(v)) {
        if ((f->flags & SVC_F_NULLABLE) == 0)
            return svc__msgs(SVC__MSG_NULL);
        *res = json_null();
        return NULL;
    }
    switch (f->type) {
    case SVC_T_INTEGER: return svc__check_integer(f, v, res);
    case SVC_T_NUMBER: return svc__check_number(f, v, res);
    case SVC_T_STRING:
    case SVC_T_EMAIL: return svc__check_string(f, v, res);
    case SVC_T_BOOLEAN: return svc__check_boolean(v, res);
    case SVC_T_DATETIME: return svc__check_datetime(v, res);
    case SVC_T_ENUM: return svc__check_enum(f, v, res);
    case SVC_T_OBJECT: return svc__check_object(f->model, v, partial, false, res);
    case SVC_T_ARRAY: return svc__check_array(f, v, partial, res);
    }
    return svc__msgs(SVC__MSG_STRING);
}

/* HTML form input (Field.get_value): an empty value means null for nullable fields and "not
 * given" for optional ones; an unchecked checkbox (a missing boolean) means false. */
static json_t *svc__form_value(const svc_field_t *f, json_t *v, bool partial, bool *skip)
{
    *skip = false;
    if (v == NULL) {
        if (f->type == SVC_T_BOOLEAN && !partial)
            return json_false();
        return NULL;
    }
    if (json_is_string(v) && json_string_length(v) == 0 && f->type != SVC_T_STRING && f->type != SVC_T_EMAIL &&
        f->type != SVC_T_ENUM) {
        if ((f->flags & SVC_F_NULLABLE) != 0)
            return json_null();
        if ((f->flags & SVC_F_REQUIRED) == 0)
            *skip = true;
    }
    return json_incref(v);
}

static json_t *svc__check_object(const svc_model_t *model, json_t *data, bool partial, bool form, json_t **res)
{
    if (!json_is_object(data))
        return svc__not_a_dict(data);
    json_t *out = json_object(), *errs = json_object();
    if (out == NULL || errs == NULL)
        svc__oom();
    for (size_t i = 0; i < model->num_fields; i++) {
        const svc_field_t *f = &model->fields[i];
        if ((f->flags & SVC_F_READ_ONLY) != 0)
            continue;
        bool skip = false;
        json_t *v = json_object_get(data, f->name);
        v = form ? svc__form_value(f, v, partial, &skip) : json_incref(v);
        if (v == NULL || skip) {
            if (!partial && !skip && (f->flags & SVC_F_REQUIRED) != 0)
                json_object_set_new(errs, f->name, svc__msgs(SVC__MSG_REQUIRED));
            json_decref(v);
            continue;
        }
        json_t *r = NULL, *e = svc__check_value(f, v, partial, &r);
        json_decref(v);
        if (e != NULL)
            json_object_set_new(errs, f->name, e);
        else if (r == NULL)
            svc__oom();
        else
            json_object_set_new(out, f->name, r);
    }
    if (json_object_size(errs) != 0) {
        json_decref(out);
        return errs;
    }
    json_decref(errs);
    *res = out;
    return NULL;
}

/* --- bodies -------------------------------------------------------------------------------------- */

/* Nesting is bounded before jansson sees the text: its parser recurses once per level. */
static bool svc__json_too_deep(const char *s, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > SVC__JSON_MAX_DEPTH)
                return true;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return false;
}

static json_t *svc__form_object(const svc_model_t *model, proto_str_t body)
{
    svc__pair_t *pairs;
    size_t num;
    json_t *obj = json_object();
    if (obj == NULL)
        svc__oom();
    svc__form_parse(body.ptr, body.len, &pairs, &num);
    for (size_t i = 0; i < num; i++) {
        const svc_field_t *f = NULL;
        for (size_t k = 0; k < model->num_fields && f == NULL; k++)
            if (strlen(model->fields[k].name) == pairs[i].key_len && strcmp(model->fields[k].name, pairs[i].key) == 0)
                f = &model->fields[k];
        if (f == NULL)
            continue;
        /* No UTF-8 check here: the field check refuses bad text as "Not a valid string." */
        json_t *s = json_stringn_nocheck(pairs[i].value, pairs[i].value_len);
        if (f->type == SVC_T_ARRAY) {
            json_t *list = json_object_get(obj, f->name);
            if (list == NULL)
                json_object_set_new(obj, f->name, list = json_array());
            json_array_append_new(list, s);
        } else {
            json_object_set_new(obj, f->name, s); /* QueryDict.get: the last value wins */
        }
    }
    svc__form_free(pairs, num);
    return obj;
}

/* The media type, lower-cased, without parameters. */
static void svc__media_type(proto_str_t ct, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = ct.ptr;
    size_t len = ct.len;
    svc__trim(&s, &len);
    for (size_t i = 0; i < len && s[i] != ';' && n + 1 < cap; i++)
        out[n++] = (char)tolower((unsigned char)s[i]);
    while (n > 0 && svc__is_space(out[n - 1]))
        n--;
    out[n] = '\0';
}

static int svc__parse_json(proto_str_t body, json_t **data, json_t **errors)
{
    if (svc__json_too_deep(body.ptr, body.len))
        return -PROTO_ERR_BODY_TOO_DEEP;
    json_error_t jerr;
    /* NUL is allowed through so that CharField can answer "Null characters are not allowed." */
    *data = json_loadb(body.ptr, body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (*data == NULL) {
        char detail[300];
        snprintf(detail, sizeof detail, "JSON parse error - %s", jerr.text);
        *errors = json_pack("{s:s}", "detail", detail);
        return -PROTO_ERR_PARSE_ERROR;
    }
    return 0;
}

int svc__validate_body(const svc_model_t *model, bool partial, proto_str_t content_type, proto_str_t body,
                       json_t **out, json_t **errors)
{
    char media[128];
    json_t *data = NULL;
    bool form = false;
    int rc;
    *out = NULL;
    *errors = NULL;
    svc__media_type(content_type, media, sizeof media);
    if (body.len == 0) {
        /* DRF: no body is an empty dict, whatever the content type */
        form = strcmp(media, "application/x-www-form-urlencoded") == 0;
        data = json_object();
    } else if (media[0] == '\0' || strcmp(media, "application/json") == 0) {
        if ((rc = svc__parse_json(body, &data, errors)) != 0)
            return rc;
    } else if (strcmp(media, "application/x-www-form-urlencoded") == 0) {
        form = true;
        data = svc__form_object(model, body);
    } else {
        /* DRF names the type it refused */
        char detail[200];
        snprintf(detail, sizeof detail, "Unsupported media type \"%s\" in request.", media);
        *errors = json_pack("{s:s}", "detail", detail);
        return -PROTO_ERR_UNSUPPORTED_MEDIA_TYPE;
    }
    json_t *errs = svc__check_object(model, data, partial, form, out);
    json_decref(data);
    if (errs != NULL) {
        *errors = errs;
        return -PROTO_ERR_BAD_REQUEST;
    }
    return 0;
}
