/* Tests services/employees/json.c: the direct writer gives the bytes jansson gave. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "services/employees/json.h"
#include "services/runtime/service.h"

/* The construction the writer replaced (handlers.c's emp_to_json + svc_reply_json's dump). */
static char *reference(const emp_record_t *rec)
{
    char created[32], updated[32];

    svc_format_time(rec->created_us, created);
    svc_format_time(rec->updated_us, updated);
    json_t *obj = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:s}", "id", (json_int_t)rec->id, "user",
                            (json_int_t)rec->user, "name", rec->name, "department", emp_dept_values[rec->department],
                            "salary", (json_int_t)rec->salary, "created_at", created, "updated_at", updated);
    cr_assert_not_null(obj, "jansson refused %s", rec->name);
    char *text = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(obj);
    return text;
}

static void check(const emp_record_t *rec)
{
    char *got = malloc(EMP_JSON_MAX + 1);
    size_t n = emp_json_write(got, rec);
    char *want = reference(rec);
    cr_assert_leq(n, EMP_JSON_MAX);
    got[n] = '\0';
    cr_assert_str_eq(got, want);
    free(want);
    free(got);
}

static emp_record_t record(const char *name, size_t len)
{
    emp_record_t rec;

    memset(&rec, 0, sizeof rec);
    rec.id = 17;
    rec.user = 3;
    cr_assert_eq(emp_record_set_name(&rec, name, len), 0);
    rec.department = EMP_DEPT_ENGINEERING;
    rec.salary = 60000;
    rec.created_us = 1728941144123456;
    rec.updated_us = 1728941145000001;
    return rec;
}

/* xorshift64*: the same sequence on every run */
static uint64_t rnd(void)
{
    static uint64_t x = 0x2545F4914F6CDD1Du;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Du;
}

/* Appends one random code point as UTF-8 (no NUL, no surrogates), weighted towards the
 * characters that need escaping. Returns the bytes written. */
static size_t random_char(char *p)
{
    static const char special[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f ";
    uint64_t r = rnd();
    uint32_t cp;
    switch (r % 6) {
    case 0: cp = (uint32_t)special[(r >> 8) % (sizeof special - 1)]; break;
    case 1: cp = 1 + (uint32_t)((r >> 8) % 0x1f); break;
    case 2: cp = 0x20 + (uint32_t)((r >> 8) % 0x60); break;
    case 3: cp = 0x80 + (uint32_t)((r >> 8) % 0x780); break;
    case 4: cp = 0x800 + (uint32_t)((r >> 8) % 0xf800); break;
    default: cp = 0x10000 + (uint32_t)((r >> 8) % 0x100000); break;
    }
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0xfffd;
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xc0 | cp >> 6), p[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xe0 | cp >> 12), p[1] = (char)(0x80 | (cp >> 6 & 0x3f)), p[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    p[0] = (char)(0xf0 | cp >> 18), p[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    p[2] = (char)(0x80 | (cp >> 6 & 0x3f)), p[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

Test(json, known_record)
{
    emp_record_t rec = record("Michael \"Mike\" Scott", 20);
    char out[EMP_JSON_MAX];
    size_t n = emp_json_write(out, &rec);
    static const char want[] = "{\"id\":17,\"user\":3,\"name\":\"Michael \\\"Mike\\\" Scott\",\"department\":\"engineering\","
                               "\"salary\":60000,\"created_at\":\"2024-10-14T21:25:44.123456Z\","
                               "\"updated_at\":\"2024-10-14T21:25:45.000001Z\"}";
    cr_assert_eq(n, sizeof want - 1);
    cr_assert_arr_eq(out, want, n);
    check(&rec);
}

Test(json, escapes_as_jansson)
{
    static const char *const names[] = {
        "", "a", "\"", "\\", "/", "\\\"", "tab\there", "line\nbreak\r\n", "\b\f", "\x01\x02\x1e\x1f", "\x7f",
        "caf\xc3\xa9", "\xe2\x80\xa8\xe2\x80\xa9", "\xf0\x9f\x98\x80 emoji", "\xef\xbb\xbf" "bom", "</script>",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        emp_record_t rec = record(names[i], strlen(names[i]));
        check(&rec);
    }
    /* every control character, alone */
    for (int c = 1; c < 0x20; c++) {
        char s[2] = {(char)c, 0};
        emp_record_t rec = record(s, 1);
        check(&rec);
    }
}

Test(json, longest_names)
{
    char name[EMP_NAME_MAX_BYTES + 1];
    /* 100 characters of 4 bytes, and 400 bytes that each need a \u00XX escape */
    for (int i = 0; i < EMP_NAME_MAX_CHARS; i++)
        memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
    emp_record_t rec = record(name, EMP_NAME_MAX_BYTES);
    check(&rec);
    memset(name, '\x1f', EMP_NAME_MAX_BYTES);
    rec = record(name, EMP_NAME_MAX_BYTES);
    rec.id = UINT64_MAX; /* json_int_t is signed: jansson printed -1 */
    rec.user = (uint64_t)INT64_MAX;
    rec.salary = INT32_MAX;
    rec.created_us = INT64_MIN;
    rec.updated_us = INT64_MAX;
    check(&rec);
}

Test(json, random_records)
{
    for (int i = 0; i < 20000; i++) {
        char name[EMP_NAME_MAX_BYTES + 1];
        size_t len = 0, chars = rnd() % (EMP_NAME_MAX_CHARS + 1);
        for (size_t k = 0; k < chars; k++)
            len += random_char(name + len);
        emp_record_t rec = record(name, len);
        rec.id = rnd() >> (rnd() % 64);
        rec.user = rnd() >> (rnd() % 64);
        rec.department = (emp_dept_t)(rnd() % EMP_DEPT_COUNT);
        rec.salary = (uint32_t)(rnd() % ((uint64_t)INT32_MAX + 1));
        rec.created_us = (int64_t)(rnd() % 4102444800000000ULL);
        rec.updated_us = (int64_t)rnd();
        check(&rec);
    }
}
