/* Tests services/employees/store.c on a real LMDB environment in a temporary directory. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/errors.h"
#include "services/employees/store.h"

static char dir[] = "/tmp/apibus-emp-store-XXXXXX";
static MDB_env *env;
static emp_store_t st;

static void env_open(void)
{
    MDB_txn *txn;

    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, 64u << 20), 0);
    /* durability is the runtime's business; these tests reopen, they do not crash */
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(emp_store_open(&st, txn), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
}

static void env_close(void)
{
    mdb_env_close(env);
    env = NULL;
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    env_open();
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void teardown(void)
{
    if (env != NULL)
        env_close();
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static MDB_txn *begin(unsigned flags)
{
    MDB_txn *txn;

    cr_assert_eq(mdb_txn_begin(env, NULL, flags, &txn), 0);
    return txn;
}

static void commit(MDB_txn *txn)
{
    cr_assert_eq(mdb_txn_commit(txn), 0);
}

static emp_record_t make(uint64_t user, const char *name, emp_dept_t dept, uint32_t salary)
{
    emp_record_t rec;

    memset(&rec, 0, sizeof rec);
    rec.user = user;
    cr_assert_eq(emp_record_set_name(&rec, name, strlen(name)), 0);
    rec.department = dept;
    rec.salary = salary;
    rec.created_us = rec.updated_us = 1728941144123456;
    return rec;
}

/* Creates an employee in its own committed transaction; returns its id. */
static uint64_t create(uint64_t user, const char *name, emp_dept_t dept, uint32_t salary)
{
    emp_record_t rec = make(user, name, dept, salary);
    MDB_txn *txn = begin(0);

    cr_assert_eq(emp_store_create(&st, txn, &rec), 0);
    commit(txn);
    return rec.id;
}

static int get(uint64_t user, uint64_t id, emp_record_t *rec)
{
    MDB_txn *txn = begin(MDB_RDONLY);
    int rc = emp_store_get(&st, txn, user, id, rec);

    mdb_txn_abort(txn);
    return rc;
}

static int del(uint64_t user, uint64_t id)
{
    MDB_txn *txn = begin(0);
    int rc = emp_store_delete(&st, txn, user, id);

    if (rc == 0)
        commit(txn);
    else
        mdb_txn_abort(txn);
    return rc;
}

static uint64_t count(uint64_t user)
{
    MDB_txn *txn = begin(MDB_RDONLY);
    uint64_t n;

    cr_assert_eq(emp_store_count(&st, txn, user, &n), 0);
    mdb_txn_abort(txn);
    return n;
}

typedef struct {
    uint64_t ids[300];
    size_t n;
    uint64_t user;
    size_t stop_after; /* 0: never */
} collected_t;

static int collect(const emp_record_t *rec, void *arg)
{
    collected_t *c = arg;

    cr_assert_eq(rec->user, c->user);
    cr_assert_lt(c->n, sizeof c->ids / sizeof c->ids[0]);
    c->ids[c->n++] = rec->id;
    return c->stop_after != 0 && c->n == c->stop_after ? 42 : 0;
}

static collected_t list(uint64_t user, uint64_t offset, uint64_t limit)
{
    collected_t c = {.user = user};
    MDB_txn *txn = begin(MDB_RDONLY);

    cr_assert_eq(emp_store_list(&st, txn, user, offset, limit, collect, &c), 0);
    mdb_txn_abort(txn);
    return c;
}

static emp_stats_t stats(uint64_t user)
{
    emp_stats_t s;
    MDB_txn *txn = begin(MDB_RDONLY);

    cr_assert_eq(emp_store_stats(&st, txn, user, &s), 0);
    mdb_txn_abort(txn);
    return s;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, create_then_get)
{
    emp_record_t rec;
    uint64_t id = create(1, "Michael Scott", EMP_DEPT_SALES, 60000);

    cr_assert_eq(id, 1);
    cr_assert_eq(create(1, "Dwight", EMP_DEPT_SALES, 50000), 2);
    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert_eq(rec.id, 1);
    cr_assert_eq(rec.user, 1);
    cr_assert_str_eq(rec.name, "Michael Scott");
    cr_assert_eq(rec.department, EMP_DEPT_SALES);
    cr_assert_eq(rec.salary, 60000);
    cr_assert_eq(rec.created_us, 1728941144123456);
    cr_assert_eq(rec.version, EMP_RECORD_VERSION);
    cr_assert_eq(get(1, 3, &rec), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get(1, 0, &rec), -PROTO_ERR_NOT_FOUND);
}

Test(store, update_replaces_fields_and_stats)
{
    emp_record_t rec;
    MDB_txn *txn;
    uint64_t id = create(1, "Pam", EMP_DEPT_HR, 40000);

    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert_eq(emp_record_set_name(&rec, "Pam Beesly", 10), 0);
    rec.department = EMP_DEPT_MARKETING;
    rec.salary = 45000;
    rec.updated_us = rec.created_us + 5;
    txn = begin(0);
    cr_assert_eq(emp_store_update(&st, txn, &rec), 0);
    commit(txn);

    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert_str_eq(rec.name, "Pam Beesly");
    cr_assert_eq(rec.department, EMP_DEPT_MARKETING);
    cr_assert_eq(rec.salary, 45000);
    cr_assert_eq(rec.updated_us, rec.created_us + 5);
    emp_stats_t s = stats(1);
    cr_assert_eq(s.count[EMP_DEPT_HR], 0);
    cr_assert_eq(s.salary_sum[EMP_DEPT_HR], 0);
    cr_assert_eq(s.count[EMP_DEPT_MARKETING], 1);
    cr_assert_eq(s.salary_sum[EMP_DEPT_MARKETING], 45000);
    cr_assert_eq(count(1), 1);
}

Test(store, update_of_missing_or_foreign_is_not_found)
{
    emp_record_t rec = make(1, "Ghost", EMP_DEPT_HR, 1);
    MDB_txn *txn = begin(0);

    rec.id = 99;
    cr_assert_eq(emp_store_update(&st, txn, &rec), -PROTO_ERR_NOT_FOUND);
    mdb_txn_abort(txn);

    rec.id = create(1, "Oscar", EMP_DEPT_FINANCE, 70000);
    rec.user = 2;
    txn = begin(0);
    cr_assert_eq(emp_store_update(&st, txn, &rec), -PROTO_ERR_NOT_FOUND);
    mdb_txn_abort(txn);
    cr_assert_eq(get(1, rec.id, &rec), 0);
    cr_assert_str_eq(rec.name, "Oscar");
}

Test(store, delete_removes_record_index_and_stats)
{
    emp_record_t rec;
    uint64_t a = create(1, "Kevin", EMP_DEPT_FINANCE, 30000);
    uint64_t b = create(1, "Angela", EMP_DEPT_FINANCE, 50000);

    cr_assert_eq(del(1, a), 0);
    cr_assert_eq(get(1, a, &rec), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(del(1, a), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(count(1), 1);
    collected_t c = list(1, 0, 100);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.ids[0], b);
    emp_stats_t s = stats(1);
    cr_assert_eq(s.count[EMP_DEPT_FINANCE], 1);
    cr_assert_eq(s.salary_sum[EMP_DEPT_FINANCE], 50000);
    cr_assert_eq(del(1, b), 0);
    cr_assert_eq(count(1), 0);
    cr_assert_eq(list(1, 0, 100).n, 0);
}

Test(store, ids_are_never_reused)
{
    cr_assert_eq(create(1, "a", EMP_DEPT_HR, 1), 1);
    cr_assert_eq(create(2, "b", EMP_DEPT_HR, 1), 2);
    cr_assert_eq(create(1, "c", EMP_DEPT_HR, 1), 3);
    cr_assert_eq(del(1, 3), 0);
    cr_assert_eq(del(1, 1), 0);
    cr_assert_eq(create(1, "d", EMP_DEPT_HR, 1), 4);
    cr_assert_eq(del(1, 4), 0);
    cr_assert_eq(del(2, 2), 0);
    /* everything deleted: still no reuse */
    cr_assert_eq(create(2, "e", EMP_DEPT_HR, 1), 5);
}

Test(store, aborted_create_does_not_consume_an_id_twice)
{
    emp_record_t rec = make(1, "x", EMP_DEPT_HR, 1);
    MDB_txn *txn = begin(0);

    cr_assert_eq(emp_store_create(&st, txn, &rec), 0);
    cr_assert_eq(rec.id, 1);
    mdb_txn_abort(txn);
    /* nothing of the aborted write remains, and the next id is handed out once */
    cr_assert_eq(count(1), 0);
    cr_assert_eq(create(1, "y", EMP_DEPT_HR, 1), 1);
    cr_assert_eq(create(1, "z", EMP_DEPT_HR, 1), 2);
}

Test(store, users_are_isolated)
{
    emp_record_t rec;
    uint64_t mine = create(1, "mine", EMP_DEPT_HR, 10);
    uint64_t theirs = create(2, "theirs", EMP_DEPT_SALES, 20);

    cr_assert_eq(get(2, mine, &rec), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get(1, theirs, &rec), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(del(2, mine), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get(1, mine, &rec), 0);
    cr_assert_eq(count(1), 1);
    cr_assert_eq(count(2), 1);
    cr_assert_eq(count(3), 0);
    cr_assert_eq(stats(1).count[EMP_DEPT_SALES], 0);
    cr_assert_eq(stats(2).salary_sum[EMP_DEPT_SALES], 20);
}

/* Users 1, 2 and 3 interleaved, so user 2's range has neighbours on both sides. */
Test(store, list_orders_by_id_and_pages_within_one_user)
{
    uint64_t expect[250];
    size_t n = 0;

    for (int i = 0; i < 250; i++) {
        create(1, "one", EMP_DEPT_HR, 1);
        expect[n++] = create(2, "two", (emp_dept_t)(i % EMP_DEPT_COUNT), (uint32_t)i);
        if (i % 3 == 0)
            create(3, "three", EMP_DEPT_HR, 1);
    }
    cr_assert_eq(count(2), 250);

    collected_t page1 = list(2, 0, 100), page3 = list(2, 200, 100);
    cr_assert_eq(page1.n, 100);
    cr_assert_eq(page3.n, 50);
    for (size_t i = 0; i < 100; i++)
        cr_assert_eq(page1.ids[i], expect[i]);
    for (size_t i = 0; i < 50; i++)
        cr_assert_eq(page3.ids[i], expect[200 + i]);

    collected_t all = list(2, 0, 1000);
    cr_assert_eq(all.n, 250);
    for (size_t i = 1; i < all.n; i++)
        cr_assert_gt(all.ids[i], all.ids[i - 1]);
    cr_assert_eq(list(2, 250, 100).n, 0);
    cr_assert_eq(list(2, 0, 0).n, 0);
    cr_assert_eq(list(4, 0, 100).n, 0);
    cr_assert_eq(list(0, 0, 100).n, 0);
}

Test(store, list_stops_when_the_callback_says_so)
{
    collected_t c = {.user = 1, .stop_after = 2};
    MDB_txn *txn;

    for (int i = 0; i < 5; i++)
        create(1, "n", EMP_DEPT_HR, 1);
    txn = begin(MDB_RDONLY);
    cr_assert_eq(emp_store_list(&st, txn, 1, 0, 100, collect, &c), 42);
    mdb_txn_abort(txn);
    cr_assert_eq(c.n, 2);
}

Test(store, stats_sum_and_count_per_department)
{
    create(1, "a", EMP_DEPT_HR, 66000);
    create(1, "b", EMP_DEPT_HR, 66001);
    uint64_t c = create(1, "c", EMP_DEPT_MARKETING, 60000);
    create(1, "d", EMP_DEPT_ENGINEERING, 2147483647);
    create(1, "e", EMP_DEPT_ENGINEERING, 2147483647);
    create(2, "other", EMP_DEPT_HR, 5);

    emp_stats_t s = stats(1);
    cr_assert_eq(s.count[EMP_DEPT_HR], 2);
    cr_assert_eq(s.salary_sum[EMP_DEPT_HR], 132001);
    cr_assert_eq(s.count[EMP_DEPT_MARKETING], 1);
    cr_assert_eq(s.salary_sum[EMP_DEPT_MARKETING], 60000);
    /* sums beyond 32 bits do not wrap */
    cr_assert_eq(s.salary_sum[EMP_DEPT_ENGINEERING], 2u * 2147483647u);
    cr_assert_eq(s.count[EMP_DEPT_FINANCE], 0);
    cr_assert_eq(s.count[EMP_DEPT_SALES], 0);
    cr_assert_eq(count(1), 5);

    cr_assert_eq(del(1, c), 0);
    s = stats(1);
    cr_assert_eq(s.count[EMP_DEPT_MARKETING], 0);
    cr_assert_eq(s.salary_sum[EMP_DEPT_MARKETING], 0);

    s = stats(9);
    for (int d = 0; d < EMP_DEPT_COUNT; d++)
        cr_assert(s.count[d] == 0 && s.salary_sum[d] == 0);
}

Test(store, survives_reopen)
{
    emp_record_t rec;

    create(1, "a", EMP_DEPT_HR, 1);
    uint64_t b = create(1, "b", EMP_DEPT_SALES, 2);
    create(1, "c", EMP_DEPT_HR, 3);
    cr_assert_eq(del(1, 3), 0);
    env_close();
    env_open();
    cr_assert_eq(get(1, b, &rec), 0);
    cr_assert_str_eq(rec.name, "b");
    cr_assert_eq(count(1), 2);
    cr_assert_eq(stats(1).salary_sum[EMP_DEPT_SALES], 2);
    /* the sequence is durable too: 3 stays used */
    cr_assert_eq(create(1, "d", EMP_DEPT_HR, 4), 4);
}

/* Overwrites employee id's stored value with a hand-made one of the given version, keeping
 * its fields, plus one element a newer version would have appended. */
static void put_newer_version(uint64_t id, const emp_record_t *rec)
{
    uint8_t kb[8];
    MDB_val key = {sizeof kb, kb}, val;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    const char *dept = emp_dept_values[rec->department];
    MDB_txn *txn = begin(0);

    for (int i = 0; i < 8; i++)
        kb[i] = (uint8_t)(id >> (56 - 8 * i));
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 8);
    msgpack_pack_uint32(&pk, EMP_RECORD_VERSION + 1);
    msgpack_pack_uint64(&pk, rec->user);
    msgpack_pack_str_with_body(&pk, rec->name, strlen(rec->name));
    msgpack_pack_str_with_body(&pk, dept, strlen(dept));
    msgpack_pack_uint32(&pk, rec->salary);
    msgpack_pack_int64(&pk, rec->created_us);
    msgpack_pack_int64(&pk, rec->updated_us);
    msgpack_pack_str_with_body(&pk, "future", 6);
    val.mv_data = sb.data;
    val.mv_size = sb.size;
    cr_assert_eq(mdb_put(txn, st.dbi[EMP_DB_RECORDS], &key, &val, 0), 0);
    commit(txn);
    msgpack_sbuffer_destroy(&sb);
}

/* A record written by a newer service (rolling upgrade) can be read and deleted, but this
 * version refuses to rewrite it rather than drop the fields it cannot see. */
Test(store, newer_record_is_readable_but_not_rewritten)
{
    emp_record_t rec;
    MDB_txn *txn;
    MDB_val key, before, after;
    uint8_t kb[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    uint64_t id = create(1, "Future", EMP_DEPT_ENGINEERING, 90000);

    cr_assert_eq(get(1, id, &rec), 0);
    put_newer_version(id, &rec);
    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert(rec.newer);
    cr_assert_str_eq(rec.name, "Future");
    cr_assert_eq(list(1, 0, 10).n, 1);

    txn = begin(MDB_RDONLY);
    key.mv_data = kb;
    key.mv_size = sizeof kb;
    cr_assert_eq(mdb_get(txn, st.dbi[EMP_DB_RECORDS], &key, &before), 0);
    size_t before_size = before.mv_size;
    mdb_txn_abort(txn);

    rec.salary = 1;
    txn = begin(0);
    cr_assert_eq(emp_store_update(&st, txn, &rec), -PROTO_ERR_STORAGE);
    mdb_txn_abort(txn);

    txn = begin(MDB_RDONLY);
    cr_assert_eq(mdb_get(txn, st.dbi[EMP_DB_RECORDS], &key, &after), 0);
    cr_assert_eq(after.mv_size, before_size);
    mdb_txn_abort(txn);
    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert_eq(rec.salary, 90000);

    cr_assert_eq(del(1, id), 0);
    cr_assert_eq(count(1), 0);
    cr_assert_eq(stats(1).count[EMP_DEPT_ENGINEERING], 0);
}

Test(store, corrupt_record_is_a_storage_error)
{
    emp_record_t rec;
    uint8_t kb[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    MDB_val key = {sizeof kb, kb}, val = {3, (void *)"bad"};
    MDB_txn *txn;
    collected_t c = {.user = 1};

    cr_assert_eq(create(1, "x", EMP_DEPT_HR, 1), 1);
    txn = begin(0);
    cr_assert_eq(mdb_put(txn, st.dbi[EMP_DB_RECORDS], &key, &val, 0), 0);
    commit(txn);
    cr_assert_eq(get(1, 1, &rec), -PROTO_ERR_STORAGE);
    txn = begin(MDB_RDONLY);
    cr_assert_eq(emp_store_list(&st, txn, 1, 0, 10, collect, &c), -PROTO_ERR_STORAGE);
    mdb_txn_abort(txn);
}
