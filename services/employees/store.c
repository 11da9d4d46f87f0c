#include "services/employees/store.h"

#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"

const char *const emp_store_databases[EMP_DB_COUNT + 1] = {
    [EMP_DB_RECORDS] = "records",
    [EMP_DB_BY_USER] = "by_user",
    [EMP_DB_STATS] = "stats",
    [EMP_DB_META] = "meta",
    [EMP_DB_COUNT] = NULL,
};

/* The stats value: [version, count, salary sum, count, salary sum, ...] in department order.
 * A newer version may only append departments. */
#define EMP_STATS_VERSION 1u

static char emp_next_id_key[] = "next_id"; /* MDB_val wants a mutable pointer */

static void emp_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t emp_from_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

/* Keeps callers free of LMDB codes: only "absent" is worth telling apart. */
static int emp_mdb_err(int rc)
{
    return rc == MDB_NOTFOUND ? -PROTO_ERR_NOT_FOUND : -PROTO_ERR_STORAGE;
}

int emp_store_open(emp_store_t *st, MDB_txn *txn)
{
    for (int i = 0; i < EMP_DB_COUNT; i++)
        if (mdb_dbi_open(txn, emp_store_databases[i], MDB_CREATE, &st->dbi[i]) != 0)
            return -PROTO_ERR_STORAGE;
    return 0;
}

/* --- records ------------------------------------------------------------------------------- */

static int emp_record_read(const emp_store_t *st, MDB_txn *txn, uint64_t id, emp_record_t *rec)
{
    uint8_t kb[8];
    MDB_val key = {sizeof kb, kb}, val;
    int rc;

    emp_be64(kb, id);
    if ((rc = mdb_get(txn, st->dbi[EMP_DB_RECORDS], &key, &val)) != 0)
        return emp_mdb_err(rc);
    if ((rc = emp_record_decode(val.mv_data, val.mv_size, rec)) != 0)
        return rc;
    rec->id = id;
    return 0;
}

static int emp_record_write(const emp_store_t *st, MDB_txn *txn, const emp_record_t *rec)
{
    uint8_t kb[8];
    MDB_val key = {sizeof kb, kb}, val;
    msgpack_sbuffer sb;
    int rc;

    msgpack_sbuffer_init(&sb);
    if ((rc = emp_record_encode(rec, &sb)) != 0)
        goto out;
    emp_be64(kb, rec->id);
    val.mv_size = sb.size;
    val.mv_data = sb.data;
    if (mdb_put(txn, st->dbi[EMP_DB_RECORDS], &key, &val, 0) != 0)
        rc = -PROTO_ERR_STORAGE;
out:
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* --- the by_user index -------------------------------------------------------------------- */

static void emp_index_key(uint8_t kb[16], uint64_t user, uint64_t id)
{
    emp_be64(kb, user);
    emp_be64(kb + 8, id);
}

/* Writes rec's index entry with its JSON; call it whenever the record is written. */
static int emp_index_write(const emp_store_t *st, MDB_txn *txn, const emp_record_t *rec)
{
    uint8_t kb[16];
    char vb[1 + EMP_JSON_MAX];
    MDB_val key = {sizeof kb, kb}, val = {0, vb};

    emp_index_key(kb, rec->user, rec->id);
    vb[0] = (char)EMP_INDEX_JSON_FORMAT;
    val.mv_size = 1 + emp_json_write(vb + 1, rec);
    return mdb_put(txn, st->dbi[EMP_DB_BY_USER], &key, &val, 0) == 0 ? 0 : -PROTO_ERR_STORAGE;
}

/* The JSON of employee id of user from its index value val, or, when the entry does not carry
 * it, formatted into scratch from the record. */
static int emp_index_json(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id, const MDB_val *val,
                          char *scratch, const char **json, size_t *len)
{
    const char *v = val->mv_data;
    emp_record_t rec;
    int rc;

    if (val->mv_size > 0 && (uint8_t)v[0] == EMP_INDEX_JSON_FORMAT) {
        /* Longer than emp_json_write can write: not ours, and callers size buffers by it. */
        if (val->mv_size - 1 > EMP_JSON_MAX)
            return -PROTO_ERR_STORAGE;
        *json = v + 1;
        *len = val->mv_size - 1;
        return 0;
    }
    /* The index says the employee exists: a missing record, or another user's, means the two
     * went out of step, which is not a client's 404. */
    if ((rc = emp_record_read(st, txn, id, &rec)) == -PROTO_ERR_NOT_FOUND || (rc == 0 && rec.user != user))
        rc = -PROTO_ERR_STORAGE;
    if (rc != 0)
        return rc;
    *json = scratch;
    *len = emp_json_write(scratch, &rec);
    return 0;
}

/* --- the id sequence ----------------------------------------------------------------------- */

/* Takes the next id and advances the sequence; the sequence lives apart from the records so
 * that deleting the newest employee never hands its id out again. */
static int emp_next_id(const emp_store_t *st, MDB_txn *txn, uint64_t *id)
{
    MDB_val key = {sizeof emp_next_id_key - 1, emp_next_id_key}, val;
    uint8_t vb[8];
    int rc = mdb_get(txn, st->dbi[EMP_DB_META], &key, &val);

    if (rc == MDB_NOTFOUND)
        *id = 1;
    else if (rc == 0 && val.mv_size == 8)
        *id = emp_from_be64(val.mv_data);
    else
        return -PROTO_ERR_STORAGE;
    emp_be64(vb, *id + 1);
    val.mv_size = sizeof vb;
    val.mv_data = vb;
    return mdb_put(txn, st->dbi[EMP_DB_META], &key, &val, 0) == 0 ? 0 : -PROTO_ERR_STORAGE;
}

/* --- per-user stats ------------------------------------------------------------------------ */

static int emp_stats_read(const emp_store_t *st, MDB_txn *txn, uint64_t user, emp_stats_t *stats, bool *newer)
{
    uint8_t kb[8];
    MDB_val key = {sizeof kb, kb}, val;
    proto_mp_t mp;
    uint32_t count;
    uint64_t version;
    int rc;

    memset(stats, 0, sizeof *stats);
    *newer = false;
    emp_be64(kb, user);
    if ((rc = mdb_get(txn, st->dbi[EMP_DB_STATS], &key, &val)) == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return -PROTO_ERR_STORAGE;
    proto_mp_init(&mp, val.mv_data, val.mv_size);
    if (proto_mp_read_array(&mp, &count) != 0 || count < 1 + 2 * EMP_DEPT_COUNT ||
        proto_mp_read_uint(&mp, &version) != 0 || version == 0)
        return -PROTO_ERR_STORAGE;
    for (int d = 0; d < EMP_DEPT_COUNT; d++)
        if (proto_mp_read_uint(&mp, &stats->count[d]) != 0 || proto_mp_read_uint(&mp, &stats->salary_sum[d]) != 0)
            return -PROTO_ERR_STORAGE;
    *newer = version > EMP_STATS_VERSION;
    return 0;
}

static int emp_stats_write(const emp_store_t *st, MDB_txn *txn, uint64_t user, const emp_stats_t *stats)
{
    uint8_t kb[8];
    MDB_val key = {sizeof kb, kb}, val;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint64_t total = 0;
    int rc = 0;

    emp_be64(kb, user);
    for (int d = 0; d < EMP_DEPT_COUNT; d++)
        total += stats->count[d];
    if (total == 0) {
        /* A user without employees has no stats record, as before their first one. */
        rc = mdb_del(txn, st->dbi[EMP_DB_STATS], &key, NULL);
        return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
    }
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (msgpack_pack_array(&pk, 1 + 2 * EMP_DEPT_COUNT) != 0 || msgpack_pack_uint32(&pk, EMP_STATS_VERSION) != 0) {
        rc = -PROTO_ERR_NO_MEMORY;
        goto out;
    }
    for (int d = 0; d < EMP_DEPT_COUNT; d++) {
        if (msgpack_pack_uint64(&pk, stats->count[d]) != 0 || msgpack_pack_uint64(&pk, stats->salary_sum[d]) != 0) {
            rc = -PROTO_ERR_NO_MEMORY;
            goto out;
        }
    }
    val.mv_size = sb.size;
    val.mv_data = sb.data;
    if (mdb_put(txn, st->dbi[EMP_DB_STATS], &key, &val, 0) != 0)
        rc = -PROTO_ERR_STORAGE;
out:
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* Moves one employee out of (old) and into (new) the user's stats; either may be NULL. */
static int emp_stats_apply(const emp_store_t *st, MDB_txn *txn, uint64_t user, const emp_record_t *old,
                           const emp_record_t *new)
{
    emp_stats_t stats;
    bool newer;
    int rc;

    if ((rc = emp_stats_read(st, txn, user, &stats, &newer)) != 0)
        return rc;
    /* Rewriting a newer format would drop what this version cannot see. */
    if (newer)
        return -PROTO_ERR_STORAGE;
    if (old != NULL) {
        if (stats.count[old->department] == 0 || stats.salary_sum[old->department] < old->salary)
            return -PROTO_ERR_STORAGE;
        stats.count[old->department]--;
        stats.salary_sum[old->department] -= old->salary;
    }
    if (new != NULL) {
        stats.count[new->department]++;
        stats.salary_sum[new->department] += new->salary;
    }
    return emp_stats_write(st, txn, user, &stats);
}

/* --- the operations ------------------------------------------------------------------------ */

int emp_store_get(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id, emp_record_t *rec)
{
    int rc = emp_record_read(st, txn, id, rec);

    if (rc == 0 && rec->user != user)
        rc = -PROTO_ERR_NOT_FOUND;
    return rc;
}

int emp_store_get_json(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id, char *scratch,
                       const char **json, size_t *len)
{
    uint8_t kb[16];
    MDB_val key = {sizeof kb, kb}, val;
    int rc;

    /* The index key holds the user: another user's employee is simply absent. */
    emp_index_key(kb, user, id);
    if ((rc = mdb_get(txn, st->dbi[EMP_DB_BY_USER], &key, &val)) != 0)
        return emp_mdb_err(rc);
    return emp_index_json(st, txn, user, id, &val, scratch, json, len);
}

int emp_store_create(const emp_store_t *st, MDB_txn *txn, emp_record_t *rec)
{
    int rc;

    if ((rc = emp_next_id(st, txn, &rec->id)) != 0)
        return rc;
    rec->version = EMP_RECORD_VERSION;
    rec->newer = false;
    if ((rc = emp_record_write(st, txn, rec)) != 0 || (rc = emp_index_write(st, txn, rec)) != 0)
        return rc;
    return emp_stats_apply(st, txn, rec->user, NULL, rec);
}

int emp_store_update(const emp_store_t *st, MDB_txn *txn, const emp_record_t *rec)
{
    emp_record_t old;
    int rc;

    if ((rc = emp_store_get(st, txn, rec->user, rec->id, &old)) != 0)
        return rc;
    if (old.newer)
        return -PROTO_ERR_STORAGE;
    if ((rc = emp_record_write(st, txn, rec)) != 0 || (rc = emp_index_write(st, txn, rec)) != 0)
        return rc;
    return emp_stats_apply(st, txn, rec->user, &old, rec);
}

int emp_store_delete(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t id)
{
    emp_record_t old;
    uint8_t rb[8], ib[16];
    MDB_val rkey = {sizeof rb, rb}, ikey = {sizeof ib, ib};
    int rc;

    if ((rc = emp_store_get(st, txn, user, id, &old)) != 0)
        return rc;
    emp_be64(rb, id);
    emp_index_key(ib, user, id);
    if (mdb_del(txn, st->dbi[EMP_DB_RECORDS], &rkey, NULL) != 0 || mdb_del(txn, st->dbi[EMP_DB_BY_USER], &ikey, NULL) != 0)
        return -PROTO_ERR_STORAGE;
    return emp_stats_apply(st, txn, user, &old, NULL);
}

int emp_store_stats(const emp_store_t *st, MDB_txn *txn, uint64_t user, emp_stats_t *stats)
{
    bool newer;

    return emp_stats_read(st, txn, user, stats, &newer);
}

int emp_store_count(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t *count)
{
    emp_stats_t stats;
    int rc = emp_store_stats(st, txn, user, &stats);

    *count = 0;
    for (int d = 0; rc == 0 && d < EMP_DEPT_COUNT; d++)
        *count += stats.count[d];
    return rc;
}

int emp_store_list(const emp_store_t *st, MDB_txn *txn, uint64_t user, uint64_t offset, uint64_t limit,
                   emp_store_each_fn fn, void *arg)
{
    uint8_t kb[16];
    MDB_val key = {sizeof kb, kb}, val;
    MDB_cursor *cur;
    char scratch[EMP_JSON_MAX];
    const char *json;
    size_t len;
    int rc, mrc;

    if (limit == 0)
        return 0;
    if (mdb_cursor_open(txn, st->dbi[EMP_DB_BY_USER], &cur) != 0)
        return -PROTO_ERR_STORAGE;
    emp_index_key(kb, user, 0);
    rc = 0;
    for (mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); mrc == 0; mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        if (key.mv_size != 16 || emp_from_be64(key.mv_data) != user)
            break;
        if (offset > 0) {
            offset--;
            continue;
        }
        if ((rc = emp_index_json(st, txn, user, emp_from_be64((const uint8_t *)key.mv_data + 8), &val, scratch,
                                 &json, &len)) != 0 ||
            (rc = fn(json, len, arg)) != 0 || --limit == 0)
            break;
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = -PROTO_ERR_STORAGE;
    mdb_cursor_close(cur);
    return rc;
}
