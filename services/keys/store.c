#include "services/keys/store.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"

const char *const keys_store_databases[KEYS_DB_COUNT + 1] = {
    [KEYS_DB_KEYS] = "keys", [KEYS_DB_BY_PREFIX] = "by_prefix", [KEYS_DB_BY_USER] = "by_user", [KEYS_DB_COUNT] = NULL};

#define KEYS_RECORD_FIELDS 11

static void keys__be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t keys__from_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

static int keys__mdb(int rc)
{
    return rc == 0 ? 0 : rc == MDB_NOTFOUND ? -PROTO_ERR_NOT_FOUND : -PROTO_ERR_STORAGE;
}

/* --- the record ------------------------------------------------------------------------------ */

static int keys__pack_str(msgpack_packer *pk, const char *s)
{
    return msgpack_pack_str_with_body(pk, s, strlen(s));
}

int keys_record_encode(const keys_record_t *r, char **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, KEYS_RECORD_FIELDS) | msgpack_pack_uint32(&pk, KEYS_RECORD_VERSION) |
             keys__pack_str(&pk, r->prefix) | keys__pack_str(&pk, r->hashed_key) | keys__pack_str(&pk, r->name) |
             msgpack_pack_uint64(&pk, r->user_id) | msgpack_pack_int64(&pk, r->created_us) |
             msgpack_pack_int64(&pk, r->expiry_us) | (r->revoked ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
             msgpack_pack_int64(&pk, r->revoked_us) | msgpack_pack_int64(&pk, r->last_used_us) |
             msgpack_pack_uint32(&pk, r->scope);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return -PROTO_ERR_NO_MEMORY;
    }
    *out = sb.data;
    *len = sb.size;
    return 0;
}

static int keys__copy(proto_str_t s, char *out, size_t cap)
{
    if (s.len >= cap || memchr(s.ptr, '\0', s.len) != NULL)
        return -1;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

int keys_record_decode(const void *data, size_t len, keys_record_t *r)
{
    proto_mp_t mp;
    uint32_t count;
    uint64_t version, scope;
    proto_str_t prefix, hash, name;
    uint64_t id = r->id;
    memset(r, 0, sizeof *r);
    r->id = id;
    proto_mp_init(&mp, data, len);
    if (proto_mp_validate(data, len) != 0 || proto_mp_read_array(&mp, &count) != 0 || count < KEYS_RECORD_FIELDS ||
        proto_mp_read_uint(&mp, &version) != 0 || version == 0 || version > UINT32_MAX ||
        proto_mp_read_str(&mp, &prefix) != 0 || proto_mp_read_str(&mp, &hash) != 0 ||
        proto_mp_read_str(&mp, &name) != 0 || proto_mp_read_uint(&mp, &r->user_id) != 0 ||
        proto_mp_read_int(&mp, &r->created_us) != 0 || proto_mp_read_int(&mp, &r->expiry_us) != 0 ||
        proto_mp_read_bool(&mp, &r->revoked) != 0 || proto_mp_read_int(&mp, &r->revoked_us) != 0 ||
        proto_mp_read_int(&mp, &r->last_used_us) != 0 || proto_mp_read_uint(&mp, &scope) != 0 || scope > UINT32_MAX)
        return -PROTO_ERR_STORAGE;
    if (keys__copy(prefix, r->prefix, sizeof r->prefix) != 0 ||
        keys__copy(hash, r->hashed_key, sizeof r->hashed_key) != 0 || keys__copy(name, r->name, sizeof r->name) != 0)
        return -PROTO_ERR_STORAGE;
    r->scope = (uint32_t)scope;
    r->version = (uint32_t)version;
    r->newer = version > KEYS_RECORD_VERSION;
    return 0;
}

/* --- keys ------------------------------------------------------------------------------------ */

int keys_store_get(const keys_store_t *st, MDB_txn *txn, uint64_t id, keys_record_t *rec)
{
    uint8_t kb[8];
    keys__be64(kb, id);
    MDB_val k = {sizeof kb, kb}, v;
    int rc = mdb_get(txn, st->dbi[KEYS_DB_KEYS], &k, &v);
    if (rc != 0)
        return keys__mdb(rc);
    rec->id = id;
    return keys_record_decode(v.mv_data, v.mv_size, rec);
}

int keys_store_by_prefix(const keys_store_t *st, MDB_txn *txn, const char *prefix, keys_record_t *rec)
{
    if (!proto_apikey_prefix_ok(prefix, strlen(prefix)))
        return -PROTO_ERR_NOT_FOUND;
    MDB_val k = {PROTO_KEY_PREFIX_LEN, (void *)(uintptr_t)prefix}, v;
    int rc = mdb_get(txn, st->dbi[KEYS_DB_BY_PREFIX], &k, &v);
    if (rc != 0)
        return keys__mdb(rc);
    if (v.mv_size != 8)
        return -PROTO_ERR_STORAGE;
    return keys_store_get(st, txn, keys__from_be64(v.mv_data), rec);
}

int keys_store_put(const keys_store_t *st, svc_t *svc, MDB_txn *txn, keys_record_t *rec)
{
    int rc;
    uint8_t idb[8], ub[16];
    MDB_val pk = {PROTO_KEY_PREFIX_LEN, rec->prefix}, pv;
    if (!proto_apikey_prefix_ok(rec->prefix, strlen(rec->prefix)))
        return -PROTO_ERR_BAD_REQUEST;
    if (rec->id == 0) {
        rc = mdb_get(txn, st->dbi[KEYS_DB_BY_PREFIX], &pk, &pv);
        if (rc == 0)
            return -PROTO_ERR_BAD_REQUEST;
        if (rc != MDB_NOTFOUND)
            return -PROTO_ERR_STORAGE;
        if ((rc = svc_next_id(svc, txn, "keys", &rec->id)) != 0)
            return rc;
    } else {
        keys_record_t old;
        if ((rc = keys_store_get(st, txn, rec->id, &old)) != 0)
            return rc;
        /* the prefix and the owner never change: the indexes stay as they are */
        if (old.newer || strcmp(old.prefix, rec->prefix) != 0 || old.user_id != rec->user_id)
            return -PROTO_ERR_STORAGE;
    }
    keys__be64(idb, rec->id);
    keys__be64(ub, rec->user_id);
    keys__be64(ub + 8, rec->id);
    char *data;
    size_t len;
    if ((rc = keys_record_encode(rec, &data, &len)) != 0)
        return rc;
    MDB_val ik = {sizeof idb, idb}, iv = {sizeof idb, idb}, rv = {len, data}, uk = {sizeof ub, ub}, uv = {0, ""};
    rc = mdb_put(txn, st->dbi[KEYS_DB_KEYS], &ik, &rv, 0);
    free(data);
    if (rc == 0)
        rc = mdb_put(txn, st->dbi[KEYS_DB_BY_PREFIX], &pk, &iv, 0);
    if (rc == 0)
        rc = mdb_put(txn, st->dbi[KEYS_DB_BY_USER], &uk, &uv, 0);
    return rc == 0 ? 0 : svc_storage_error(rc);
}

int keys_store_each(const keys_store_t *st, MDB_txn *txn, uint64_t user_id, int (*fn)(const keys_record_t *, void *),
                    void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint8_t start[16];
    keys_db_t db = user_id != 0 ? KEYS_DB_BY_USER : KEYS_DB_KEYS;
    if (mdb_cursor_open(txn, st->dbi[db], &cur) != 0)
        return -PROTO_ERR_STORAGE;
    keys_record_t *rec = malloc(sizeof *rec);
    if (rec == NULL) {
        mdb_cursor_close(cur);
        return -PROTO_ERR_NO_MEMORY;
    }
    int rc, out = 0;
    if (user_id != 0) {
        /* just past the user's last entry, then backwards */
        keys__be64(start, user_id + 1);
        memset(start + 8, 0, 8);
        k = (MDB_val){sizeof start, start};
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    }
    for (; rc == 0 && out == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (user_id != 0) {
            if (k.mv_size != 16 || keys__from_be64(k.mv_data) != user_id)
                break;
            out = keys_store_get(st, txn, keys__from_be64((const uint8_t *)k.mv_data + 8), rec);
        } else {
            if (k.mv_size != 8)
                continue;
            rec->id = keys__from_be64(k.mv_data);
            out = keys_record_decode(v.mv_data, v.mv_size, rec);
        }
        if (out == 0)
            out = fn(rec, arg);
    }
    if (out == 0 && rc != 0 && rc != MDB_NOTFOUND)
        out = -PROTO_ERR_STORAGE;
    free(rec);
    mdb_cursor_close(cur);
    return out;
}
