/*
 * The employee record: its in-memory form, the departments, and its stored msgpack form.
 *
 * Stored form (the value in the "records" database, keyed by the big-endian id):
 *   [version, user_id, name, department code, salary, created_us, updated_us, ...]
 * Each format version only appends elements to the previous one ("expand"), so a newer service
 * reads every older record, filling what an older version lacked with defaults. A record written
 * by a newer service (a rolling upgrade) is readable here, but emp_record_decode marks it
 * `newer`: writing it back would drop fields this version does not know, so the store refuses.
 *
 * Versions:
 *   1  the seven elements above.
 *   2  the same elements; the record's by_user index entry carries its JSON (store.h). The
 *      bump is for rolling downgrades: a version-1 service sees these records as newer and
 *      refuses to update them, so it can never leave a stale JSON in the index behind.
 */
#ifndef APIBUS_SERVICES_EMPLOYEES_RECORD_H
#define APIBUS_SERVICES_EMPLOYEES_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* X(ENUM, wire value, label): the Employee.department choices, in the model's order. */
#define EMP_DEPARTMENTS(X)                        \
    X(HR, "hr", "Human Resources")                \
    X(FINANCE, "finance", "Finance")              \
    X(ENGINEERING, "engineering", "Engineering")  \
    X(MARKETING, "marketing", "Marketing")        \
    X(SALES, "sales", "Sales")

typedef enum en_emp_dept_t {
#define EMP_DEPT_ENUM_(name, value, label) EMP_DEPT_##name,
    EMP_DEPARTMENTS(EMP_DEPT_ENUM_)
#undef EMP_DEPT_ENUM_
    EMP_DEPT_COUNT
} emp_dept_t;

extern const char *const emp_dept_values[EMP_DEPT_COUNT];
extern const char *const emp_dept_labels[EMP_DEPT_COUNT];

/* The department with wire value s (not NUL-terminated), or -1. */
int emp_dept_parse(const char *s, size_t len);

/* The version this build writes. */
#define EMP_RECORD_VERSION 2u

/* Employee.name is at most 100 characters: 400 bytes of UTF-8. */
#define EMP_NAME_MAX_CHARS 100
#define EMP_NAME_MAX_BYTES (4 * EMP_NAME_MAX_CHARS)

typedef struct st_emp_record_t {
    uint64_t id;   /* the key, not stored in the value */
    uint64_t user; /* the owner's user id */
    char name[EMP_NAME_MAX_BYTES + 1];
    emp_dept_t department;
    uint32_t salary; /* 0..2147483647 */
    int64_t created_us, updated_us;
    uint32_t version; /* as read; EMP_RECORD_VERSION for a new record */
    bool newer;       /* read from a version newer than this build: never write it back */
} emp_record_t;

/* Sets name from a string of len bytes. Returns 0, or -PROTO_ERR_BAD_REQUEST when it is longer
 * than EMP_NAME_MAX_BYTES or holds a NUL byte. */
int emp_record_set_name(emp_record_t *rec, const char *name, size_t len);

/* Appends the stored form of rec (always EMP_RECORD_VERSION) to out, an initialized buffer.
 * Returns 0 or -PROTO_ERR_NO_MEMORY. */
int emp_record_encode(const emp_record_t *rec, msgpack_sbuffer *out);

/* Decodes a stored value into *rec (id is left to the caller). Everything is copied: rec does
 * not point into data. Returns 0, or -PROTO_ERR_STORAGE for a value that is not a record. */
int emp_record_decode(const void *data, size_t len, emp_record_t *rec);

#endif
