/*
 * The JSON form of an employee, written directly: the list answers 100 of them per request,
 * and building a jansson tree per record only to serialise it cost ~90% of the list's CPU
 * (docs/benchmarks.md). The bytes are exactly those json_dumps(JSON_COMPACT) gives for
 *   {"id", "user", "name", "department", "salary", "created_at", "updated_at"}
 * in this order (DRF's EmployeeSerializer fields); tests/unit/services/employees/json.c holds
 * the jansson construction and compares.
 *
 * These bytes are also stored: the by_user index keeps each employee's JSON, written when the
 * record is (store.h), and the list and detail send it as is. Any change to the output of
 * emp_json_write (or of svc_format_time, which it calls) must bump EMP_INDEX_JSON_FORMAT in
 * store.h, so that entries written before the change are formatted afresh instead.
 */
#ifndef APIBUS_SERVICES_EMPLOYEES_JSON_H
#define APIBUS_SERVICES_EMPLOYEES_JSON_H

#include <stddef.h>

#include "services/employees/record.h"

/* The longest object: the keys and punctuation (< 128 bytes), two 64-bit integers, the name
 * with every byte escaped as \u00XX, the longest department, the salary, two times. */
#define EMP_JSON_MAX (128 + 2 * 20 + 6 * EMP_NAME_MAX_BYTES + 16 + 10 + 2 * 32)

/* Writes rec as one JSON object to out (EMP_JSON_MAX bytes at least; not NUL-terminated) and
 * returns its length. rec->name must be UTF-8 (the record's decoder and the input validation
 * see to it), as jansson would have refused it otherwise. */
size_t emp_json_write(char *out, const emp_record_t *rec);

#endif
