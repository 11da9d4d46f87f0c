/*
 * Employee storage: the only code that touches LMDB, so that the store can move to a replicated
 * database without touching the handlers. Every function works inside a transaction the caller
 * owns (a request's read transaction, or the writer thread's nested one) and never commits.
 *
 * Databases (names in emp_store_databases):
 *   records  id (8 bytes BE)                   -> record (record.h): the source of truth
 *   by_user  user id (8 BE) + id (8 BE)         -> EMP_INDEX_JSON_FORMAT, then the employee's JSON
 *                                                 (emp_json_write's bytes); or anything else
 *                                                 (empty, another format byte): see below
 *   stats    user id (8 BE)                    -> [[count, salary sum] x departments]
 *   meta     "next_id"                         -> the next id (8 BE); ids are never reused
 * by_user is a user's employees in id order. Its JSON lets the list and the detail answer
 * without decoding and formatting the record, which was about half of the list's CPU; it is
 * written with the record in the same transaction, so it is never stale. An entry without it
 * (written before version 2 of the record, or by an older service during a rolling downgrade,
 * which leaves it empty) is answered from the record instead, so no migration is needed.
 * The per-user stats record makes the list count and the aggregate one read each, whatever the
 * number of employees; it is kept in step with records and by_user in the same transaction.
 *
 * Errors: -PROTO_ERR_NOT_FOUND (no such employee for this user), -PROTO_ERR_STORAGE (LMDB
 * failure, or a stored value that does not decode), -PROTO_ERR_NO_MEMORY.
 */
#ifndef APIBUS_SERVICES_EMPLOYEES_STORE_H
#define APIBUS_SERVICES_EMPLOYEES_STORE_H

#include <lmdb.h>
#include <stdint.h>

#include "services/employees/json.h"
#include "services/employees/record.h"

/* The first byte of a by_user value that carries the employee's JSON. Any change to the output
 * of emp_json_write must bump it: entries of another format are formatted from the record. */
#define EMP_INDEX_JSON_FORMAT 1u

/* The databases, in the order of emp_store_databases. */
typedef enum en_emp_db_t { EMP_DB_RECORDS, EMP_DB_BY_USER, EMP_DB_STATS, EMP_DB_META, EMP_DB_COUNT } emp_db_t;

typedef struct st_emp_store_t {
    MDB_dbi dbi[EMP_DB_COUNT];
} emp_store_t;

/* Per department of one user: how many employees and the sum of their salaries. */
typedef struct st_emp_stats_t {
    uint64_t count[EMP_DEPT_COUNT];
    uint64_t salary_sum[EMP_DEPT_COUNT];
} emp_stats_t;

/* The names of the databases, indexed by emp_db_t and NULL-terminated (for svc_def_t.databases). */
extern const char *const emp_store_databases[EMP_DB_COUNT + 1];

/* Opens (creating if needed) the store's databases in txn, a write transaction. For callers
 * that own the environment themselves; the service takes the handles from the runtime. */
int emp_store_open(emp_store_t *st, MDB_txn *txn);

/* The employee id owned by user into *rec. Another user's employee is NOT_FOUND. */
int emp_store_get(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id, emp_record_t *rec);

/* Stores rec as a new employee of rec->user under the next id, which is written to rec->id. */
int emp_store_create(const emp_store_t *st, MDB_txn *txn, emp_record_t *rec);

/* Replaces employee rec->id of rec->user with rec. NOT_FOUND when it does not exist for that
 * user; -PROTO_ERR_STORAGE when the stored record was written by a newer format version. */
int emp_store_update(const emp_store_t *st, MDB_txn *txn, const emp_record_t *rec);

/* Deletes employee id of user. */
int emp_store_delete(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id);

/* The user's per-department counts and salary sums (zeros when the user has none). */
int emp_store_stats(const emp_store_t *st, MDB_txn *txn, uint64_t user, emp_stats_t *stats);

/* How many employees the user has. */
int emp_store_count(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t *count);

/* The JSON of employee id owned by user (emp_json_write's bytes, at most EMP_JSON_MAX) in *json
 * and *len. *json points into the map, valid until txn ends, or, for an index entry without
 * the JSON, into scratch (EMP_JSON_MAX bytes), formatted from the record. Another user's
 * employee is NOT_FOUND; an index entry whose record is missing is STORAGE. */
int emp_store_get_json(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id, char *scratch,
                       const char **json, size_t *len);

/* Calls fn with the JSON of at most limit of the user's employees (as emp_store_get_json: len
 * at most EMP_JSON_MAX; json valid only during the call) in id order, skipping the first
 * offset. Scans only that user's index range. A non-zero return from fn stops the walk and is
 * returned. */
typedef int (*emp_store_each_fn)(const char *json, size_t len, void *arg);
int emp_store_list(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t offset, uint64_t limit,
                   emp_store_each_fn fn, void *arg);

#endif
