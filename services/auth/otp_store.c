/* Two-factor storage: TOTP enrolments and the temporary tokens between the two login steps. */
#include <msgpack.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"
#include "services/auth/store.h"

#define AUTH_OTP_VERSION 1u
#define AUTH_OTP_FIELDS 7
#define AUTH_OTP_LOGIN_VERSION 1u
#define AUTH_OTP_LOGIN_FIELDS 6

static void auth__otp_key(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static int auth__otp_mdb(int rc)
{
    return rc == 0 ? 0 : rc == MDB_NOTFOUND ? -PROTO_ERR_NOT_FOUND : -PROTO_ERR_STORAGE;
}

/* --- enrolments ------------------------------------------------------------------------------ */

int auth_otp_encode(const auth_otp_t *o, char **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, AUTH_OTP_FIELDS) | msgpack_pack_uint32(&pk, AUTH_OTP_VERSION) |
             (o->active ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
             msgpack_pack_bin_with_body(&pk, o->sealed, sizeof o->sealed) | msgpack_pack_int64(&pk, o->last_step) |
             msgpack_pack_int64(&pk, o->created_us) | msgpack_pack_int64(&pk, o->confirmed_us) |
             msgpack_pack_array(&pk, AUTH_RECOVERY_CODES);
    for (size_t i = 0; i < AUTH_RECOVERY_CODES; i++)
        rc |= msgpack_pack_bin_with_body(&pk, o->recovery[i], o->recovery_left[i] ? AUTH_RECOVERY_HASH_LEN : 0);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return -PROTO_ERR_NO_MEMORY;
    }
    *out = sb.data;
    *len = sb.size;
    return 0;
}

int auth_otp_decode(const void *data, size_t len, auth_otp_t *o)
{
    proto_mp_t mp;
    uint32_t count, codes;
    uint64_t version;
    proto_str_t sealed;
    memset(o, 0, sizeof *o);
    proto_mp_init(&mp, data, len);
    if (proto_mp_validate(data, len) != 0 || proto_mp_read_array(&mp, &count) != 0 || count < AUTH_OTP_FIELDS ||
        proto_mp_read_uint(&mp, &version) != 0 || version == 0 || proto_mp_read_bool(&mp, &o->active) != 0 ||
        proto_mp_read_bin(&mp, &sealed) != 0 || sealed.len != sizeof o->sealed ||
        proto_mp_read_int(&mp, &o->last_step) != 0 || proto_mp_read_int(&mp, &o->created_us) != 0 ||
        proto_mp_read_int(&mp, &o->confirmed_us) != 0 || proto_mp_read_array(&mp, &codes) != 0 ||
        codes > AUTH_RECOVERY_CODES)
        return -PROTO_ERR_STORAGE;
    memcpy(o->sealed, sealed.ptr, sizeof o->sealed);
    for (uint32_t i = 0; i < codes; i++) {
        proto_str_t h;
        if (proto_mp_read_bin(&mp, &h) != 0 || (h.len != 0 && h.len != AUTH_RECOVERY_HASH_LEN))
            return -PROTO_ERR_STORAGE;
        o->recovery_left[i] = h.len != 0;
        if (h.len != 0)
            memcpy(o->recovery[i], h.ptr, h.len);
    }
    o->newer = version > AUTH_OTP_VERSION;
    return 0;
}

int auth_store_otp_get(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, auth_otp_t *out)
{
    uint8_t kb[8];
    auth__otp_key(kb, user_id);
    MDB_val k = {sizeof kb, kb}, v;
    int rc = mdb_get(txn, st->dbi[AUTH_DB_OTP], &k, &v);
    return rc != 0 ? auth__otp_mdb(rc) : auth_otp_decode(v.mv_data, v.mv_size, out);
}

int auth_store_otp_put(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, const auth_otp_t *otp)
{
    uint8_t kb[8];
    char *data;
    size_t len;
    if (otp->newer)
        return -PROTO_ERR_STORAGE;
    int rc = auth_otp_encode(otp, &data, &len);
    if (rc != 0)
        return rc;
    auth__otp_key(kb, user_id);
    MDB_val k = {sizeof kb, kb}, v = {len, data};
    rc = mdb_put(txn, st->dbi[AUTH_DB_OTP], &k, &v, 0);
    sodium_memzero(data, len);
    free(data);
    return rc == 0 ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_otp_del(const auth_store_t *st, MDB_txn *txn, uint64_t user_id)
{
    uint8_t kb[8];
    auth__otp_key(kb, user_id);
    MDB_val k = {sizeof kb, kb};
    int rc = mdb_del(txn, st->dbi[AUTH_DB_OTP], &k, NULL);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_otp_active(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, bool *active)
{
    auth_otp_t *o = malloc(sizeof *o);
    if (o == NULL)
        return -PROTO_ERR_NO_MEMORY;
    int rc = auth_store_otp_get(st, txn, user_id, o);
    *active = rc == 0 && o->active;
    free(o);
    return rc == -PROTO_ERR_NOT_FOUND ? 0 : rc;
}

/* --- temporary login tokens --------------------------------------------------------------------- */

int auth_store_otp_login_put(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN],
                             const auth_otp_login_t *l)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, AUTH_OTP_LOGIN_FIELDS) | msgpack_pack_uint32(&pk, AUTH_OTP_LOGIN_VERSION) |
             msgpack_pack_uint64(&pk, l->user_id) | msgpack_pack_int64(&pk, l->created_us) |
             msgpack_pack_int64(&pk, l->expires_us) | (l->session ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
             msgpack_pack_uint32(&pk, l->attempts);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return -PROTO_ERR_NO_MEMORY;
    }
    MDB_val k = {AUTH_OTP_TOKEN_HASH_LEN, (void *)(uintptr_t)hash}, v = {sb.size, sb.data};
    rc = mdb_put(txn, st->dbi[AUTH_DB_OTP_LOGIN], &k, &v, 0);
    msgpack_sbuffer_destroy(&sb);
    return rc == 0 ? 0 : -PROTO_ERR_STORAGE;
}

static int auth__otp_login_decode(const MDB_val *v, auth_otp_login_t *l)
{
    proto_mp_t mp;
    uint32_t count;
    uint64_t version, attempts;
    proto_mp_init(&mp, v->mv_data, v->mv_size);
    if (proto_mp_validate(v->mv_data, v->mv_size) != 0 || proto_mp_read_array(&mp, &count) != 0 ||
        count < AUTH_OTP_LOGIN_FIELDS || proto_mp_read_uint(&mp, &version) != 0 ||
        proto_mp_read_uint(&mp, &l->user_id) != 0 || proto_mp_read_int(&mp, &l->created_us) != 0 ||
        proto_mp_read_int(&mp, &l->expires_us) != 0 || proto_mp_read_bool(&mp, &l->session) != 0 ||
        proto_mp_read_uint(&mp, &attempts) != 0 || attempts > UINT32_MAX)
        return -PROTO_ERR_STORAGE;
    l->attempts = (uint32_t)attempts;
    return 0;
}

int auth_store_otp_login_get(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN],
                             auth_otp_login_t *l)
{
    MDB_val k = {AUTH_OTP_TOKEN_HASH_LEN, (void *)(uintptr_t)hash}, v;
    int rc = mdb_get(txn, st->dbi[AUTH_DB_OTP_LOGIN], &k, &v);
    return rc != 0 ? auth__otp_mdb(rc) : auth__otp_login_decode(&v, l);
}

int auth_store_otp_login_del(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN])
{
    MDB_val k = {AUTH_OTP_TOKEN_HASH_LEN, (void *)(uintptr_t)hash};
    int rc = mdb_del(txn, st->dbi[AUTH_DB_OTP_LOGIN], &k, NULL);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_otp_login_sweep(const auth_store_t *st, MDB_txn *txn, int64_t now_us, unsigned look)
{
    uint8_t start[AUTH_OTP_TOKEN_HASH_LEN];
    MDB_cursor *cur;
    randombytes_buf(start, sizeof start);
    MDB_val k = {sizeof start, start}, v;
    if (mdb_cursor_open(txn, st->dbi[AUTH_DB_OTP_LOGIN], &cur) != 0)
        return -PROTO_ERR_STORAGE;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (unsigned i = 0; rc == 0 && i < look; i++) {
        auth_otp_login_t l;
        /* an entry that does not decode is no use to anybody either */
        if (auth__otp_login_decode(&v, &l) != 0 || l.expires_us <= now_us)
            rc = mdb_cursor_del(cur, 0);
        if (rc == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}
