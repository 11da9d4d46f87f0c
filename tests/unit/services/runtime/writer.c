/* services/runtime/writer.c and store.c: group commit, isolation of failures, durability. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"
#include "tests/unit/services/runtime/support.h"

#define THREADS 16
#define WRITES 40

typedef struct {
    uint64_t key;
    bool fail;
} put_t;

static int put(MDB_txn *txn, void *arg)
{
    put_t *p = arg;
    uint64_t id;
    int rc = svc_next_id(t_svc, txn, "things", &id);
    if (rc != 0)
        return rc;
    MDB_val k = {sizeof p->key, &p->key}, v = {sizeof id, &id};
    if ((rc = mdb_put(txn, svc_dbi(t_svc, "things"), &k, &v, 0)) != 0)
        return svc_storage_error(rc);
    return p->fail ? -PROTO_ERR_BAD_REQUEST : 0;
}

static void *writer_thread(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (uint64_t i = 0; i < WRITES; i++) {
        put_t p = {.key = t * 1000 + i, .fail = i % 4 == 3};
        int rc = svc_store_write(t_svc, put, &p);
        if (rc != (p.fail ? -PROTO_ERR_BAD_REQUEST : 0))
            return (void *)1;
    }
    return NULL;
}

static size_t count_entries(MDB_dbi dbi, uint64_t *max_id)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0;
    *max_id = 0;
    cr_assert_eq(mdb_txn_begin(svc_env(t_svc), NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
    while (mdb_cursor_get(cur, &k, &v, n == 0 ? MDB_FIRST : MDB_NEXT) == 0) {
        uint64_t id;
        memcpy(&id, v.mv_data, sizeof id);
        if (id > *max_id)
            *max_id = id;
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return n;
}

Test(writer, concurrent_writes_commit_and_failures_stay_isolated, .init = t_open, .fini = t_close)
{
    pthread_t th[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, writer_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_expect_null(r, "thread %d saw a wrong result", i);
    }
    uint64_t max_id;
    size_t kept = THREADS * (WRITES - WRITES / 4);
    cr_assert_eq(count_entries(svc_dbi(t_svc, "things"), &max_id), kept);
    /* a failed write rolled back its id too, and no id was handed out twice */
    cr_assert_eq(max_id, kept);

    /* reopen: everything acknowledged is on disk */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", svc_config(t_svc)->data_dir);
    svc_config_t cfg = *svc_config(t_svc);
    svc_close(t_svc);
    cr_assert_eq(svc_open(&t_def, &cfg, &t_svc), 0);
    cr_assert_eq(count_entries(svc_dbi(t_svc, "things"), &max_id), kept);
    put_t p = {.key = 999999};
    cr_assert_eq(svc_store_write(t_svc, put, &p), 0);
    cr_assert_eq(count_entries(svc_dbi(t_svc, "things"), &max_id), kept + 1);
    cr_assert_eq(max_id, kept + 1, "the sequence continues after a reopen");
}

static int fill(MDB_txn *txn, void *arg)
{
    static char big[1 << 20];
    uint64_t *key = arg;
    MDB_val k = {sizeof *key, key}, v = {sizeof big, big};
    int rc = mdb_put(txn, svc_dbi(t_svc, "things"), &k, &v, 0);
    return rc == 0 ? 0 : svc_storage_error(rc);
}

Test(writer, map_full_is_a_storage_error, .init = t_open, .fini = t_close)
{
    int rc = 0;
    for (uint64_t key = 0; key < 200 && rc == 0; key++)
        rc = svc_store_write(t_svc, fill, &key);
    cr_assert_eq(rc, -PROTO_ERR_STORAGE);
    /* the service keeps working for writes that fit */
    put_t p = {.key = 5};
    cr_assert_eq(svc_store_write(t_svc, put, &p), 0);
}

static int read_handler_writes(MDB_txn *txn, void *arg)
{
    return MDB_NOTFOUND; /* a raw LMDB code leaking out of fn is mapped */
}

Test(writer, raw_lmdb_codes_are_mapped, .init = t_open, .fini = t_close)
{
    cr_assert_eq(svc_store_write(t_svc, read_handler_writes, NULL), -PROTO_ERR_NOT_FOUND);
}
