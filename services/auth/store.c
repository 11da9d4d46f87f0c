#include "services/auth/store.h"

#include <limits.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"
#include "services/runtime/service.h"

const char *const auth_store_databases[AUTH_DB_COUNT + 1] = {
    [AUTH_DB_USERS] = "users",     [AUTH_DB_BY_EMAIL] = "by_email", [AUTH_DB_SESSIONS] = "sessions",
    [AUTH_DB_REVOKED] = "revoked", [AUTH_DB_THROTTLE] = "throttle", [AUTH_DB_OTP] = "otp",
    [AUTH_DB_OTP_LOGIN] = "otp_login", [AUTH_DB_COUNT] = NULL,
};

#define AUTH_USER_FIELDS 10
#define AUTH_SESSION_VERSION 1u

static void auth__be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t auth__from_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

static int auth__mdb(int rc)
{
    return rc == 0 ? 0 : rc == MDB_NOTFOUND ? -PROTO_ERR_NOT_FOUND : -PROTO_ERR_STORAGE;
}

/* --- the user record --------------------------------------------------------------------- */

static int auth__pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str_with_body(pk, s, n);
}

int auth_user_encode(const auth_user_t *u, char **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, AUTH_USER_FIELDS) | msgpack_pack_uint32(&pk, AUTH_USER_VERSION) |
             auth__pack_str(&pk, u->email) | auth__pack_str(&pk, u->first_name) | auth__pack_str(&pk, u->last_name) |
             auth__pack_str(&pk, u->password) | (u->is_staff ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
             (u->is_active ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk)) |
             msgpack_pack_int64(&pk, u->created_us) | msgpack_pack_int64(&pk, u->last_login_us) |
             msgpack_pack_int64(&pk, u->valid_after_us);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return -PROTO_ERR_NO_MEMORY;
    }
    *out = sb.data;
    *len = sb.size;
    return 0;
}

static int auth__copy(proto_str_t s, char *out, size_t cap)
{
    if (s.len >= cap || memchr(s.ptr, '\0', s.len) != NULL)
        return -1;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

int auth_user_decode(const void *data, size_t len, auth_user_t *u)
{
    proto_mp_t mp;
    uint32_t count;
    uint64_t version;
    proto_str_t email, first, last, pw;
    uint64_t id = u->id;
    memset(u, 0, sizeof *u);
    u->id = id;
    proto_mp_init(&mp, data, len);
    if (proto_mp_validate(data, len) != 0 || proto_mp_read_array(&mp, &count) != 0 || count < AUTH_USER_FIELDS ||
        proto_mp_read_uint(&mp, &version) != 0 || version == 0 || version > UINT32_MAX ||
        proto_mp_read_str(&mp, &email) != 0 || proto_mp_read_str(&mp, &first) != 0 ||
        proto_mp_read_str(&mp, &last) != 0 || proto_mp_read_str(&mp, &pw) != 0 ||
        proto_mp_read_bool(&mp, &u->is_staff) != 0 || proto_mp_read_bool(&mp, &u->is_active) != 0 ||
        proto_mp_read_int(&mp, &u->created_us) != 0 || proto_mp_read_int(&mp, &u->last_login_us) != 0 ||
        proto_mp_read_int(&mp, &u->valid_after_us) != 0)
        return -PROTO_ERR_STORAGE;
    if (auth__copy(email, u->email, sizeof u->email) != 0 || auth__copy(first, u->first_name, sizeof u->first_name) != 0 ||
        auth__copy(last, u->last_name, sizeof u->last_name) != 0 || auth__copy(pw, u->password, sizeof u->password) != 0)
        return -PROTO_ERR_STORAGE;
    u->version = (uint32_t)version;
    u->newer = version > AUTH_USER_VERSION;
    return 0;
}

/* --- users ---------------------------------------------------------------------------------- */

int auth_store_user_get(const auth_store_t *st, MDB_txn *txn, uint64_t id, auth_user_t *user)
{
    uint8_t kb[8];
    auth__be64(kb, id);
    MDB_val k = {sizeof kb, kb}, v;
    int rc = mdb_get(txn, st->dbi[AUTH_DB_USERS], &k, &v);
    if (rc != 0)
        return auth__mdb(rc);
    user->id = id;
    return auth_user_decode(v.mv_data, v.mv_size, user);
}

int auth_store_user_by_email(const auth_store_t *st, MDB_txn *txn, const char *email, auth_user_t *user)
{
    char key[AUTH_EMAIL_MAX + 1];
    int n = auth_email_key(email, strlen(email), key);
    if (n < 0)
        return -PROTO_ERR_NOT_FOUND;
    MDB_val k = {(size_t)n, key}, v;
    int rc = mdb_get(txn, st->dbi[AUTH_DB_BY_EMAIL], &k, &v);
    if (rc != 0)
        return auth__mdb(rc);
    if (v.mv_size != 8)
        return -PROTO_ERR_STORAGE;
    return auth_store_user_get(st, txn, auth__from_be64(v.mv_data), user);
}

int auth_store_user_put(const auth_store_t *st, svc_t *svc, MDB_txn *txn, auth_user_t *u)
{
    char key[AUTH_EMAIL_MAX + 1], old_key[AUTH_EMAIL_MAX + 1];
    int n = auth_email_key(u->email, strlen(u->email), key), rc;
    if (n < 0)
        return -PROTO_ERR_BAD_REQUEST;
    MDB_val ek = {(size_t)n, key}, ev;
    /* the e-mail must be free, or already this user's */
    rc = mdb_get(txn, st->dbi[AUTH_DB_BY_EMAIL], &ek, &ev);
    if (rc == 0 && (ev.mv_size != 8 || auth__from_be64(ev.mv_data) != u->id))
        return -PROTO_ERR_BAD_REQUEST;
    if (rc != 0 && rc != MDB_NOTFOUND)
        return -PROTO_ERR_STORAGE;
    if (u->id == 0) {
        if ((rc = svc_next_id(svc, txn, "users", &u->id)) != 0)
            return rc;
    } else {
        auth_user_t old;
        if ((rc = auth_store_user_get(st, txn, u->id, &old)) != 0)
            return rc;
        if (old.newer)
            return -PROTO_ERR_STORAGE;
        int on = auth_email_key(old.email, strlen(old.email), old_key);
        if (on > 0 && (on != n || memcmp(old_key, key, (size_t)n) != 0)) {
            MDB_val ok = {(size_t)on, old_key};
            if ((rc = mdb_del(txn, st->dbi[AUTH_DB_BY_EMAIL], &ok, NULL)) != 0 && rc != MDB_NOTFOUND)
                return -PROTO_ERR_STORAGE;
        }
    }
    uint8_t idb[8];
    auth__be64(idb, u->id);
    MDB_val ik = {sizeof idb, idb}, iv = {sizeof idb, idb};
    char *data;
    size_t len;
    if ((rc = auth_user_encode(u, &data, &len)) != 0)
        return rc;
    MDB_val rv = {len, data};
    rc = mdb_put(txn, st->dbi[AUTH_DB_USERS], &ik, &rv, 0);
    free(data);
    if (rc == 0)
        rc = mdb_put(txn, st->dbi[AUTH_DB_BY_EMAIL], &ek, &iv, 0);
    return rc == 0 ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_users_each(const auth_store_t *st, MDB_txn *txn, int (*fn)(const auth_user_t *, void *), void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, st->dbi[AUTH_DB_USERS], &cur);
    if (rc != 0)
        return -PROTO_ERR_STORAGE;
    auth_user_t *u = malloc(sizeof *u);
    if (u == NULL) {
        mdb_cursor_close(cur);
        return -PROTO_ERR_NO_MEMORY;
    }
    int out = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && out == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8)
            continue;
        u->id = auth__from_be64(k.mv_data);
        out = auth_user_decode(v.mv_data, v.mv_size, u);
        if (out == 0)
            out = fn(u, arg);
    }
    if (out == 0 && rc != MDB_NOTFOUND)
        out = -PROTO_ERR_STORAGE;
    free(u);
    mdb_cursor_close(cur);
    return out;
}

/* --- sessions ------------------------------------------------------------------------------- */

int auth_store_session_put(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN],
                           const auth_session_t *s)
{
    char buf[64];
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, 4) | msgpack_pack_uint32(&pk, AUTH_SESSION_VERSION) |
             msgpack_pack_uint64(&pk, s->user_id) | msgpack_pack_int64(&pk, s->created_us) |
             msgpack_pack_int64(&pk, s->expires_us);
    if (rc != 0 || sb.size > sizeof buf) {
        msgpack_sbuffer_destroy(&sb);
        return -PROTO_ERR_NO_MEMORY;
    }
    MDB_val k = {PROTO_SESSION_HASH_LEN, (void *)(uintptr_t)hash}, v = {sb.size, sb.data};
    rc = mdb_put(txn, st->dbi[AUTH_DB_SESSIONS], &k, &v, 0);
    msgpack_sbuffer_destroy(&sb);
    return rc == 0 ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_session_get(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN],
                           auth_session_t *s)
{
    MDB_val k = {PROTO_SESSION_HASH_LEN, (void *)(uintptr_t)hash}, v;
    int rc = mdb_get(txn, st->dbi[AUTH_DB_SESSIONS], &k, &v);
    if (rc != 0)
        return auth__mdb(rc);
    proto_mp_t mp;
    uint32_t count;
    uint64_t version;
    proto_mp_init(&mp, v.mv_data, v.mv_size);
    if (proto_mp_validate(v.mv_data, v.mv_size) != 0 || proto_mp_read_array(&mp, &count) != 0 || count < 4 ||
        proto_mp_read_uint(&mp, &version) != 0 || proto_mp_read_uint(&mp, &s->user_id) != 0 ||
        proto_mp_read_int(&mp, &s->created_us) != 0 || proto_mp_read_int(&mp, &s->expires_us) != 0)
        return -PROTO_ERR_STORAGE;
    return 0;
}

int auth_store_session_del(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN])
{
    MDB_val k = {PROTO_SESSION_HASH_LEN, (void *)(uintptr_t)hash};
    int rc = mdb_del(txn, st->dbi[AUTH_DB_SESSIONS], &k, NULL);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}

/* --- revoked refresh tokens ------------------------------------------------------------------- */

int auth_store_revoke(const auth_store_t *st, MDB_txn *txn, const char *jti, int64_t exp)
{
    uint8_t vb[8];
    auth__be64(vb, (uint64_t)exp);
    MDB_val k = {strlen(jti), (void *)(uintptr_t)jti}, v = {sizeof vb, vb};
    if (k.mv_size == 0)
        return -PROTO_ERR_BAD_REQUEST;
    return mdb_put(txn, st->dbi[AUTH_DB_REVOKED], &k, &v, 0) == 0 ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_revoked(const auth_store_t *st, MDB_txn *txn, const char *jti)
{
    MDB_val k = {strlen(jti), (void *)(uintptr_t)jti}, v;
    if (k.mv_size == 0)
        return -PROTO_ERR_NOT_FOUND;
    return auth__mdb(mdb_get(txn, st->dbi[AUTH_DB_REVOKED], &k, &v));
}

/* --- throttle counters ------------------------------------------------------------------------ */

int auth_store_throttle_get(const auth_store_t *st, MDB_txn *txn, const char *key, auth_throttle_state_t *out)
{
    MDB_val k = {strlen(key), (void *)(uintptr_t)key}, v;
    memset(out, 0, sizeof *out);
    int rc = mdb_get(txn, st->dbi[AUTH_DB_THROTTLE], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0 || v.mv_size != 16)
        return -PROTO_ERR_STORAGE;
    out->failures = auth__from_be64(v.mv_data);
    out->last_us = (int64_t)auth__from_be64((const uint8_t *)v.mv_data + 8);
    return 0;
}

int auth_store_throttle_put(const auth_store_t *st, MDB_txn *txn, const char *key, const auth_throttle_state_t *s)
{
    uint8_t vb[16];
    auth__be64(vb, s->failures);
    auth__be64(vb + 8, (uint64_t)s->last_us);
    MDB_val k = {strlen(key), (void *)(uintptr_t)key}, v = {sizeof vb, vb};
    return mdb_put(txn, st->dbi[AUTH_DB_THROTTLE], &k, &v, 0) == 0 ? 0 : -PROTO_ERR_STORAGE;
}

int auth_store_throttle_del(const auth_store_t *st, MDB_txn *txn, const char *key)
{
    MDB_val k = {strlen(key), (void *)(uintptr_t)key};
    int rc = mdb_del(txn, st->dbi[AUTH_DB_THROTTLE], &k, NULL);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}

#define AUTH_PRUNE_LOOK 4 /* entries looked at per deletion allowed */

static void auth__prune_remember(auth_store_t *st, const MDB_val *k)
{
    /* a longer key (none is) is cut: resuming at its prefix only looks at a few keys again */
    st->prune_at_len = k->mv_size < sizeof st->prune_at ? k->mv_size : sizeof st->prune_at;
    memcpy(st->prune_at, k->mv_data, st->prune_at_len);
}

int auth_store_throttle_prune(auth_store_t *st, MDB_txn *txn, int64_t now_us, int64_t max_age_us, unsigned budget)
{
    unsigned char start[sizeof st->prune_at];
    size_t start_len = st->prune_at_len;
    unsigned look = budget > UINT_MAX / AUTH_PRUNE_LOOK ? UINT_MAX : budget * AUTH_PRUNE_LOOK, deleted = 0;
    bool wrapped = start_len == 0; /* from the first key: the end is the end of the lap */
    int64_t cutoff = now_us - max_age_us;
    MDB_cursor *cur;
    MDB_val k, v, sk = {start_len, start};
    if (budget == 0)
        return 0;
    memcpy(start, st->prune_at, start_len);
    if (mdb_cursor_open(txn, st->dbi[AUTH_DB_THROTTLE], &cur) != 0)
        return -PROTO_ERR_STORAGE;
    k = sk;
    int rc = mdb_cursor_get(cur, &k, &v, start_len == 0 ? MDB_FIRST : MDB_SET_RANGE);
    for (;;) {
        if (rc == MDB_NOTFOUND && !wrapped) {
            wrapped = true;
            rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        }
        if (rc != 0)
            break;
        /* a whole lap done, or this call's share of it */
        if ((wrapped && start_len != 0 && mdb_cmp(txn, st->dbi[AUTH_DB_THROTTLE], &k, &sk) >= 0) || look == 0 ||
            deleted == budget)
            break;
        look--;
        /* A corrupt counter is deleted, not skipped: auth_store_throttle_get refuses it, so every
         * login or code check under its key fails with a storage error until it goes; gone, it
         * reads as zeros like any forgotten counter (at worst one key's throttle starts over).
         * Skipped, such rows would also pile up forever, the growth this walk exists to stop. */
        bool corrupt = v.mv_size != 16;
        if (corrupt || (int64_t)auth__from_be64((const uint8_t *)v.mv_data + 8) < cutoff) {
            if ((rc = mdb_cursor_del(cur, 0)) != 0)
                break;
            deleted++;
        }
        /* after a deletion the cursor already stands on the next entry: MDB_NEXT returns that one */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0)
        auth__prune_remember(st, &k);
    else if (rc == MDB_NOTFOUND) /* the end (an empty database, or a lap that began at the first key) */
        st->prune_at_len = 0;
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -PROTO_ERR_STORAGE;
}
