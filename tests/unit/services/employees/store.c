/* Tests services/employees/store.c on a real LMDB environment in a temporary directory. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/errors.h"
#include "services/employees/json.h"
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

/* Reads the id and the user from the start of an employee's JSON. */
static int collect(const char *json, size_t len, void *arg)
{
    collected_t *c = arg;
    char text[EMP_JSON_MAX + 1], *end;
    unsigned long long id, user;

    cr_assert_leq(len, EMP_JSON_MAX);
    memcpy(text, json, len);
    text[len] = '\0';
    cr_assert_eq(strncmp(text, "{\"id\":", 6), 0, "%s", text);
    id = strtoull(text + 6, &end, 10);
    cr_assert_eq(strncmp(end, ",\"user\":", 8), 0, "%s", text);
    user = strtoull(end + 8, &end, 10);
    cr_assert_eq(*end, ',');
    cr_assert_eq(user, c->user);
    cr_assert_lt(c->n, sizeof c->ids / sizeof c->ids[0]);
    c->ids[c->n++] = id;
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

/* The results text of a page, as the handler builds it: "[a,b,...]". */
typedef struct {
    char *data;
    size_t len, cap;
} text_t;

static int append(const char *json, size_t len, void *arg)
{
    text_t *t = arg;

    cr_assert_leq(len, EMP_JSON_MAX);
    cr_assert_lt(t->len + len + 2, t->cap);
    if (t->len > 1)
        t->data[t->len++] = ',';
    memcpy(t->data + t->len, json, len);
    t->len += len;
    return 0;
}

/* The page as a NUL-terminated string; free it. */
static char *list_text(uint64_t user, uint64_t offset, uint64_t limit)
{
    text_t t = {.data = malloc(1 << 16), .cap = 1 << 16};
    MDB_txn *txn = begin(MDB_RDONLY);

    cr_assert_not_null(t.data);
    t.data[t.len++] = '[';
    cr_assert_eq(emp_store_list(&st, txn, user, offset, limit, append, &t), 0);
    mdb_txn_abort(txn);
    t.data[t.len++] = ']';
    t.data[t.len] = '\0';
    return t.data;
}

/* emp_store_get_json's answer, NUL-terminated in out (EMP_JSON_MAX + 1 bytes); *indexed says
 * whether it came from the index rather than from the record. */
static int get_json(uint64_t user, uint64_t id, char *out, bool *indexed)
{
    char scratch[EMP_JSON_MAX];
    const char *json = NULL;
    size_t len = 0;
    MDB_txn *txn = begin(MDB_RDONLY);
    int rc = emp_store_get_json(&st, txn, user, id, scratch, &json, &len);

    if (rc == 0) {
        cr_assert_leq(len, EMP_JSON_MAX);
        memcpy(out, json, len);
        out[len] = '\0';
        *indexed = json != scratch;
    }
    mdb_txn_abort(txn);
    return rc;
}

/* What the employee's JSON must be: emp_json_write of its record, read from records. */
static void expected_json(uint64_t user, uint64_t id, char *out)
{
    emp_record_t rec;

    cr_assert_eq(get(user, id, &rec), 0);
    out[emp_json_write(out, &rec)] = '\0';
}

/* The raw by_user value of (user, id), NUL-terminated in out; an MDB code. */
static int index_get(uint64_t user, uint64_t id, char *out, size_t *len)
{
    uint8_t kb[16];
    MDB_val key = {sizeof kb, kb}, val;
    MDB_txn *txn = begin(MDB_RDONLY);
    int rc;

    for (int i = 0; i < 8; i++) {
        kb[i] = (uint8_t)(user >> (56 - 8 * i));
        kb[8 + i] = (uint8_t)(id >> (56 - 8 * i));
    }
    if ((rc = mdb_get(txn, st.dbi[EMP_DB_BY_USER], &key, &val)) == 0) {
        cr_assert_leq(val.mv_size, 1 + EMP_JSON_MAX);
        memcpy(out, val.mv_data, val.mv_size);
        out[val.mv_size] = '\0';
        *len = val.mv_size;
    }
    mdb_txn_abort(txn);
    return rc;
}

/* Overwrites the by_user value of (user, id), as an older service or another format would. */
static void index_put(uint64_t user, uint64_t id, const void *data, size_t len)
{
    uint8_t kb[16];
    MDB_val key = {sizeof kb, kb}, val = {len, (void *)(uintptr_t)data};
    MDB_txn *txn = begin(0);

    for (int i = 0; i < 8; i++) {
        kb[i] = (uint8_t)(user >> (56 - 8 * i));
        kb[8 + i] = (uint8_t)(id >> (56 - 8 * i));
    }
    cr_assert_eq(mdb_put(txn, st.dbi[EMP_DB_BY_USER], &key, &val, 0), 0);
    commit(txn);
}

/* Checks that the index value of (user, id) is the format byte and exactly want. */
static void assert_indexed(uint64_t user, uint64_t id, const char *want)
{
    char raw[2 + EMP_JSON_MAX];
    size_t len;

    cr_assert_eq(index_get(user, id, raw, &len), 0);
    cr_assert_eq(len, 1 + strlen(want));
    cr_assert_eq((uint8_t)raw[0], EMP_INDEX_JSON_FORMAT);
    cr_assert_str_eq(raw + 1, want);
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
 * its fields, plus `extra` elements a newer version would have appended. */
static void put_record(uint64_t id, const emp_record_t *rec, uint32_t version, unsigned extra)
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
    msgpack_pack_array(&pk, 7 + extra);
    msgpack_pack_uint32(&pk, version);
    msgpack_pack_uint64(&pk, rec->user);
    msgpack_pack_str_with_body(&pk, rec->name, strlen(rec->name));
    msgpack_pack_str_with_body(&pk, dept, strlen(dept));
    msgpack_pack_uint32(&pk, rec->salary);
    msgpack_pack_int64(&pk, rec->created_us);
    msgpack_pack_int64(&pk, rec->updated_us);
    for (unsigned i = 0; i < extra; i++)
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
    put_record(id, &rec, EMP_RECORD_VERSION + 1, 1);
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
    /* The index's JSON is served without reading the record, so only an entry without it
     * meets the corrupt record. */
    index_put(1, 1, "", 0);
    txn = begin(MDB_RDONLY);
    cr_assert_eq(emp_store_list(&st, txn, 1, 0, 10, collect, &c), -PROTO_ERR_STORAGE);
    mdb_txn_abort(txn);
    char json[EMP_JSON_MAX + 1];
    bool indexed;
    cr_assert_eq(get_json(1, 1, json, &indexed), -PROTO_ERR_STORAGE);
}

/* --- the JSON in the by_user index ---------------------------------------------------------- */

/* The index holds exactly emp_json_write's bytes, and list and detail serve them from there,
 * escapes and the longest possible name included. */
Test(store, list_and_detail_serve_the_json_of_the_record)
{
    char want[3][EMP_JSON_MAX + 1], got[EMP_JSON_MAX + 1], longest[EMP_NAME_MAX_BYTES + 1];
    uint64_t ids[3];
    bool indexed;

    memset(longest, 0x01, EMP_NAME_MAX_BYTES); /* every byte escaped as \u0001 */
    longest[EMP_NAME_MAX_BYTES] = '\0';
    ids[0] = create(1, "Michael \"Mike\" Scott\\\n\tJ\xc3\xa9r\xc3\xb4me", EMP_DEPT_SALES, 60000);
    create(2, "not mine", EMP_DEPT_HR, 1);
    ids[1] = create(1, "Dwight", EMP_DEPT_ENGINEERING, 2147483647);
    ids[2] = create(1, longest, EMP_DEPT_MARKETING, 0);

    for (int i = 0; i < 3; i++) {
        expected_json(1, ids[i], want[i]);
        assert_indexed(1, ids[i], want[i]);
        cr_assert_eq(get_json(1, ids[i], got, &indexed), 0);
        cr_assert(indexed);
        cr_assert_str_eq(got, want[i]);
    }
    cr_assert_gt(strlen(want[2]), 6u * EMP_NAME_MAX_BYTES); /* the escaped name is all there */

    size_t n = 2 + strlen(want[0]) + strlen(want[1]) + strlen(want[2]) + 2;
    char *expect = malloc(n + 1);
    snprintf(expect, n + 1, "[%s,%s,%s]", want[0], want[1], want[2]);
    char *page = list_text(1, 0, 100);
    cr_assert_str_eq(page, expect);
    free(page);
    free(expect);
}

/* Offset and limit pick the same entries as before, now as JSON. */
Test(store, list_text_pages_by_offset_and_limit)
{
    char want[4][EMP_JSON_MAX + 1], expect[3 * EMP_JSON_MAX];
    uint64_t ids[4];
    char *page;

    for (int i = 0; i < 4; i++) {
        ids[i] = create(1, "n", (emp_dept_t)i, (uint32_t)i);
        create(2, "other", EMP_DEPT_HR, 1);
        expected_json(1, ids[i], want[i]);
    }
    snprintf(expect, sizeof expect, "[%s,%s]", want[1], want[2]);
    page = list_text(1, 1, 2);
    cr_assert_str_eq(page, expect);
    free(page);
    snprintf(expect, sizeof expect, "[%s]", want[3]);
    page = list_text(1, 3, 100);
    cr_assert_str_eq(page, expect);
    free(page);
    page = list_text(1, 4, 100);
    cr_assert_str_eq(page, "[]");
    free(page);
    page = list_text(1, 0, 0);
    cr_assert_str_eq(page, "[]");
    free(page);
}

Test(store, update_rewrites_the_index_json)
{
    emp_record_t rec;
    char before[EMP_JSON_MAX + 1], after[EMP_JSON_MAX + 1], got[EMP_JSON_MAX + 1];
    bool indexed;
    MDB_txn *txn;
    uint64_t id = create(1, "Pam", EMP_DEPT_HR, 40000);

    expected_json(1, id, before);
    cr_assert_eq(get(1, id, &rec), 0);
    cr_assert_eq(emp_record_set_name(&rec, "Pam Halpert", 11), 0);
    rec.salary = 45000;
    rec.updated_us = rec.created_us + 1000001;
    txn = begin(0);
    cr_assert_eq(emp_store_update(&st, txn, &rec), 0);
    commit(txn);

    after[emp_json_write(after, &rec)] = '\0';
    cr_assert_str_neq(after, before);
    assert_indexed(1, id, after);
    cr_assert_eq(get_json(1, id, got, &indexed), 0);
    cr_assert(indexed);
    cr_assert_str_eq(got, after);
    char *page = list_text(1, 0, 100), expect[EMP_JSON_MAX + 3];
    snprintf(expect, sizeof expect, "[%s]", after);
    cr_assert_str_eq(page, expect);
    free(page);
}

Test(store, delete_removes_the_index_json)
{
    char raw[2 + EMP_JSON_MAX], got[EMP_JSON_MAX + 1];
    size_t len;
    bool indexed;
    uint64_t id = create(1, "Kevin", EMP_DEPT_FINANCE, 30000);

    cr_assert_eq(del(1, id), 0);
    cr_assert_eq(index_get(1, id, raw, &len), MDB_NOTFOUND);
    cr_assert_eq(get_json(1, id, got, &indexed), -PROTO_ERR_NOT_FOUND);
    char *page = list_text(1, 0, 100);
    cr_assert_str_eq(page, "[]");
    free(page);
}

Test(store, another_users_employee_is_not_found)
{
    char got[EMP_JSON_MAX + 1];
    bool indexed;
    uint64_t mine = create(1, "mine", EMP_DEPT_HR, 10);
    emp_record_t rec;

    cr_assert_eq(get_json(2, mine, got, &indexed), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get_json(1, mine + 1, got, &indexed), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get_json(1, 0, got, &indexed), -PROTO_ERR_NOT_FOUND);
    /* the same for an entry of the old format */
    cr_assert_eq(get(1, mine, &rec), 0);
    put_record(mine, &rec, 1, 0);
    index_put(1, mine, "", 0);
    cr_assert_eq(get_json(2, mine, got, &indexed), -PROTO_ERR_NOT_FOUND);
    cr_assert_eq(get_json(1, mine, got, &indexed), 0);
    cr_assert_not(indexed);
}

/* Entries written before the index carried the JSON (a version-1 record, an empty value), and
 * by an older service during a rolling downgrade, list and detail with the same bytes. */
Test(store, entry_without_json_falls_back_to_the_record)
{
    char want[3][EMP_JSON_MAX + 1], got[EMP_JSON_MAX + 1], longest[EMP_NAME_MAX_BYTES + 1];
    char expect[4 * EMP_JSON_MAX];
    emp_record_t rec;
    uint64_t ids[3];
    bool indexed;
    MDB_txn *txn;

    memset(longest, 0x1f, EMP_NAME_MAX_BYTES);
    longest[EMP_NAME_MAX_BYTES] = '\0';
    ids[0] = create(1, "new before", EMP_DEPT_HR, 1);
    ids[1] = create(1, longest, EMP_DEPT_SALES, 2);
    ids[2] = create(1, "new after", EMP_DEPT_HR, 3);
    for (int i = 0; i < 3; i++)
        expected_json(1, ids[i], want[i]);
    cr_assert_eq(get(1, ids[1], &rec), 0);
    put_record(ids[1], &rec, 1, 0);
    index_put(1, ids[1], "", 0);
    cr_assert_eq(get(1, ids[1], &rec), 0);
    cr_assert_eq(rec.version, 1);

    cr_assert_eq(get_json(1, ids[1], got, &indexed), 0);
    cr_assert_not(indexed);
    cr_assert_str_eq(got, want[1]);
    snprintf(expect, sizeof expect, "[%s,%s,%s]", want[0], want[1], want[2]);
    char *page = list_text(1, 0, 100);
    cr_assert_str_eq(page, expect);
    free(page);
    snprintf(expect, sizeof expect, "[%s]", want[1]);
    page = list_text(1, 1, 1);
    cr_assert_str_eq(page, expect);
    free(page);

    /* Updating it writes the current version and the JSON. */
    rec.salary = 99;
    txn = begin(0);
    cr_assert_eq(emp_store_update(&st, txn, &rec), 0);
    commit(txn);
    expected_json(1, ids[1], want[1]);
    cr_assert_eq(get(1, ids[1], &rec), 0);
    cr_assert_eq(rec.version, EMP_RECORD_VERSION);
    assert_indexed(1, ids[1], want[1]);
    cr_assert_eq(get_json(1, ids[1], got, &indexed), 0);
    cr_assert(indexed);
    cr_assert_str_eq(got, want[1]);
}

/* A format byte this build does not know (a later one's) is answered from the record. */
Test(store, unknown_index_format_falls_back_to_the_record)
{
    char want[EMP_JSON_MAX + 1], got[EMP_JSON_MAX + 1], expect[EMP_JSON_MAX + 3];
    const char later[] = "\x02{\"id\":0,\"stale\":true}";
    bool indexed;
    uint64_t id = create(1, "Creed", EMP_DEPT_SALES, 1);

    expected_json(1, id, want);
    index_put(1, id, later, sizeof later - 1);
    cr_assert_eq(get_json(1, id, got, &indexed), 0);
    cr_assert_not(indexed);
    cr_assert_str_eq(got, want);
    snprintf(expect, sizeof expect, "[%s]", want);
    char *page = list_text(1, 0, 100);
    cr_assert_str_eq(page, expect);
    free(page);
}

/* Where the record is read, the index and the records must agree. */
Test(store, fallback_without_the_users_record_is_a_storage_error)
{
    char got[EMP_JSON_MAX + 1], big[2 + EMP_JSON_MAX];
    bool indexed;
    collected_t c = {.user = 1};
    MDB_txn *txn;
    uint64_t theirs = create(2, "theirs", EMP_DEPT_HR, 1);

    /* an entry for user 1 pointing at user 2's record: never served */
    index_put(1, theirs, "", 0);
    cr_assert_eq(get_json(1, theirs, got, &indexed), -PROTO_ERR_STORAGE);
    txn = begin(MDB_RDONLY);
    cr_assert_eq(emp_store_list(&st, txn, 1, 0, 10, collect, &c), -PROTO_ERR_STORAGE);
    mdb_txn_abort(txn);
    /* an entry without any record */
    index_put(1, 999, "", 0);
    cr_assert_eq(get_json(1, 999, got, &indexed), -PROTO_ERR_STORAGE);
    /* JSON longer than emp_json_write can write is not ours */
    memset(big, 'x', sizeof big);
    big[0] = (char)EMP_INDEX_JSON_FORMAT;
    index_put(1, theirs, big, sizeof big);
    cr_assert_eq(get_json(1, theirs, got, &indexed), -PROTO_ERR_STORAGE);
    index_put(1, theirs, big, sizeof big - 1);
    cr_assert_eq(get_json(1, theirs, got, &indexed), 0);
    cr_assert(indexed);
    cr_assert_eq(strlen(got), EMP_JSON_MAX);
}
