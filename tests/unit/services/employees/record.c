/* Tests services/employees/record.c: departments and the stored record format. */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

#include "proto/errors.h"
#include "services/employees/record.h"

static emp_record_t sample(void)
{
    emp_record_t rec;

    memset(&rec, 0, sizeof rec);
    rec.user = 7;
    cr_assert_eq(emp_record_set_name(&rec, "Michael Scott", 13), 0);
    rec.department = EMP_DEPT_SALES;
    rec.salary = 60000;
    rec.created_us = 1728941144123456;
    rec.updated_us = 1728941145000001;
    return rec;
}

/* Packs [version, user, name, dept, salary, created, updated] plus `extra` nil elements,
 * with the array header claiming `count` elements. */
static void pack_record(msgpack_sbuffer *sb, uint32_t count, uint64_t version, const char *dept, uint64_t salary,
                        unsigned extra)
{
    msgpack_packer pk;

    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, count);
    msgpack_pack_uint64(&pk, version);
    msgpack_pack_uint64(&pk, 7);
    msgpack_pack_str_with_body(&pk, "Pam", 3);
    msgpack_pack_str_with_body(&pk, dept, strlen(dept));
    msgpack_pack_uint64(&pk, salary);
    msgpack_pack_int64(&pk, 100);
    msgpack_pack_int64(&pk, 200);
    for (unsigned i = 0; i < extra; i++)
        msgpack_pack_nil(&pk);
}

Test(record, departments_follow_the_model)
{
    cr_assert_eq(EMP_DEPT_COUNT, 5);
    cr_assert_str_eq(emp_dept_values[EMP_DEPT_HR], "hr");
    cr_assert_str_eq(emp_dept_labels[EMP_DEPT_HR], "Human Resources");
    cr_assert_str_eq(emp_dept_values[EMP_DEPT_SALES], "sales");
    cr_assert_eq(emp_dept_parse("engineering", 11), EMP_DEPT_ENGINEERING);
    cr_assert_eq(emp_dept_parse("engineer", 8), -1);
    cr_assert_eq(emp_dept_parse("HR", 2), -1);
    cr_assert_eq(emp_dept_parse("", 0), -1);
}

Test(record, name_limits)
{
    emp_record_t rec;
    char big[EMP_NAME_MAX_BYTES + 1];

    memset(big, 'x', sizeof big);
    cr_assert_eq(emp_record_set_name(&rec, big, EMP_NAME_MAX_BYTES), 0);
    cr_assert_eq(strlen(rec.name), EMP_NAME_MAX_BYTES);
    cr_assert_eq(emp_record_set_name(&rec, big, sizeof big), -PROTO_ERR_BAD_REQUEST);
    cr_assert_eq(emp_record_set_name(&rec, "a\0b", 3), -PROTO_ERR_BAD_REQUEST);
    cr_assert_eq(emp_record_set_name(&rec, "", 0), 0);
    cr_assert_str_eq(rec.name, "");
}

Test(record, round_trip)
{
    emp_record_t in = sample(), out;
    msgpack_sbuffer sb;

    msgpack_sbuffer_init(&sb);
    cr_assert_eq(emp_record_encode(&in, &sb), 0);
    /* The version comes first: fixarray, then the positive fixint 1. */
    cr_assert_eq((uint8_t)sb.data[0], 0x97);
    cr_assert_eq((uint8_t)sb.data[1], EMP_RECORD_VERSION);
    memset(&out, 0xa5, sizeof out);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), 0);
    cr_assert_eq(out.user, 7);
    cr_assert_str_eq(out.name, "Michael Scott");
    cr_assert_eq(out.department, EMP_DEPT_SALES);
    cr_assert_eq(out.salary, 60000);
    cr_assert_eq(out.created_us, in.created_us);
    cr_assert_eq(out.updated_us, in.updated_us);
    cr_assert_eq(out.version, EMP_RECORD_VERSION);
    cr_assert_not(out.newer);
    msgpack_sbuffer_destroy(&sb);
}

Test(record, utf8_name_round_trips)
{
    emp_record_t in = sample(), out;
    msgpack_sbuffer sb;
    const char *name = "J\xc3\xa9r\xc3\xb4me \xe5\xb1\xb1\xe7\x94\xb0";

    cr_assert_eq(emp_record_set_name(&in, name, strlen(name)), 0);
    msgpack_sbuffer_init(&sb);
    cr_assert_eq(emp_record_encode(&in, &sb), 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), 0);
    cr_assert_str_eq(out.name, name);
    msgpack_sbuffer_destroy(&sb);
}

/* A record from a newer service (more elements, higher version) reads; it is marked so the
 * store never writes it back. */
Test(record, newer_version_is_read_and_marked)
{
    emp_record_t out;
    msgpack_sbuffer sb;

    pack_record(&sb, 9, EMP_RECORD_VERSION + 1, "hr", 5, 2);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), 0);
    cr_assert_str_eq(out.name, "Pam");
    cr_assert_eq(out.department, EMP_DEPT_HR);
    cr_assert_eq(out.salary, 5);
    cr_assert_eq(out.version, EMP_RECORD_VERSION + 1);
    cr_assert(out.newer);
    msgpack_sbuffer_destroy(&sb);
}

/* Version 2 kept version 1's elements (only the by_user index changed, store.h), so records
 * written before it still read, and say which version they are. */
Test(record, versions_1_and_2_read)
{
    emp_record_t out;
    msgpack_sbuffer sb;

    cr_assert_eq(EMP_RECORD_VERSION, 2);
    for (uint64_t version = 1; version <= 2; version++) {
        pack_record(&sb, 7, version, "finance", 5, 0);
        memset(&out, 0xa5, sizeof out);
        cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), 0);
        cr_assert_str_eq(out.name, "Pam");
        cr_assert_eq(out.user, 7);
        cr_assert_eq(out.department, EMP_DEPT_FINANCE);
        cr_assert_eq(out.salary, 5);
        cr_assert_eq(out.created_us, 100);
        cr_assert_eq(out.updated_us, 200);
        cr_assert_eq(out.version, version);
        cr_assert_not(out.newer);
        msgpack_sbuffer_destroy(&sb);
        pack_record(&sb, 6, version, "finance", 5, 0);
        cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
        msgpack_sbuffer_destroy(&sb);
    }
}

Test(record, malformed_values_are_storage_errors)
{
    emp_record_t out;
    msgpack_sbuffer sb;

    /* version 0 does not exist */
    pack_record(&sb, 7, 0, "hr", 5, 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    msgpack_sbuffer_destroy(&sb);
    /* fewer elements than its version has */
    pack_record(&sb, 6, 1, "hr", 5, 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    msgpack_sbuffer_destroy(&sb);
    /* a newer version may add but never drop elements */
    pack_record(&sb, 6, EMP_RECORD_VERSION + 1, "hr", 5, 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    msgpack_sbuffer_destroy(&sb);
    /* an unknown department */
    pack_record(&sb, 7, 1, "legal", 5, 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    msgpack_sbuffer_destroy(&sb);
    /* a salary out of range */
    pack_record(&sb, 7, 1, "hr", (uint64_t)INT32_MAX + 1, 0);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    msgpack_sbuffer_destroy(&sb);
    /* trailing bytes */
    pack_record(&sb, 7, 1, "hr", 5, 1);
    cr_assert_eq(emp_record_decode(sb.data, sb.size, &out), -PROTO_ERR_STORAGE);
    /* truncated at every length */
    for (size_t len = 0; len + 1 < sb.size; len++)
        cr_assert_eq(emp_record_decode(sb.data, len, &out), -PROTO_ERR_STORAGE, "len %zu", len);
    msgpack_sbuffer_destroy(&sb);
    /* not an array */
    cr_assert_eq(emp_record_decode("\x01", 1, &out), -PROTO_ERR_STORAGE);
}
