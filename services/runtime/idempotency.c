#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

/*
 * Idempotency-Key on POST (Stripe's API; IETF draft-ietf-httpapi-idempotency-key-header). A
 * client that got no answer (a 504, a dropped connection) retries with the same key and body
 * and gets the first outcome back instead of a second employee. Every POST route of every
 * service has it: the runtime does the work, handlers know nothing about it.
 *
 * - The key is scoped to the caller ("u:<user id>:" or "a:" for anonymous requests) and bound to
 *   a fingerprint of the request (method, path, query, content type, body): the same key with
 *   another request is 422 (PROTO_ERR_IDEMPOTENCY_MISMATCH), as both specifications say.
 * - The outcome (status, headers, body) is stored in the same LMDB transaction as the handler's
 *   write: the write's batch stays open until the handler has replied (writer.c), so there is
 *   never a committed write without its outcome, nor an outcome without its write. A POST whose
 *   handler wrote nothing (a validation error, a login with a wrong password) stores nothing:
 *   running it again changes nothing either.
 * - Concurrent duplicates never both execute: the same key in flight in this process is 409
 *   (PROTO_ERR_IDEMPOTENCY_IN_FLIGHT); in another process, the key is checked again inside the
 *   write transaction (LMDB serializes writers across processes), so the second writer finds the
 *   first one's outcome and replays it instead of writing.
 * - A replay carries `idempotent-replayed: true`. Outcomes expire after APIBUS_IDEMPOTENCY_TTL_S
 *   (24 h): the idle writer removes them in expiry order (a second database keyed by time).
 *
 * Record (value of _idempotency, key = scope + key):
 *   [0] format 1  [1] state (1 pending: written, outcome not yet stored; 2 complete)
 *   [2..8) zero   [8..16) created, microseconds, big-endian   [16..48) fingerprint
 *   [48..) complete only: the RESULT envelope (proto/envelope.h, msgpack, versioned)
 * Expiry index (_idempotency_exp): key = created (8 bytes big-endian) + record key, value empty.
 */

#define SVC__IDEM_FORMAT 1
#define SVC__IDEM_PENDING 1
#define SVC__IDEM_COMPLETE 2
#define SVC__IDEM_HEAD 48
#define SVC__IDEM_PURGE_MAX 1000 /* records removed per idle pass, to keep the write short */

static void svc__be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t svc__get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static bool svc__idem_expired(const svc_t *svc, int64_t created_us, int64_t now_us)
{
    return now_us - created_us >= (int64_t)svc->cfg.idempotency_ttl_s * 1000000;
}

/* --- the in-flight set of this process -------------------------------------------------------- */

static bool svc__idem_claim(svc_t *svc, svc__idem_t *idem)
{
    bool ok = true;
    pthread_mutex_lock(&svc->idem_lock);
    for (size_t i = 0; i < svc->idem_num_inflight && ok; i++) {
        const svc__idem_t *o = svc->idem_inflight[i];
        ok = o->key_len != idem->key_len || memcmp(o->key, idem->key, idem->key_len) != 0;
    }
    if (ok) {
        if (svc->idem_num_inflight == svc->idem_cap_inflight) {
            size_t cap = svc->idem_cap_inflight != 0 ? svc->idem_cap_inflight * 2 : 16;
            svc__idem_t **grown = realloc(svc->idem_inflight, cap * sizeof *grown);
            if (grown == NULL)
                svc__oom();
            svc->idem_inflight = grown;
            svc->idem_cap_inflight = cap;
        }
        svc->idem_inflight[svc->idem_num_inflight++] = idem;
        idem->claimed = true;
    }
    pthread_mutex_unlock(&svc->idem_lock);
    return ok;
}

static void svc__idem_release(svc_t *svc, svc__idem_t *idem)
{
    if (!idem->claimed)
        return;
    pthread_mutex_lock(&svc->idem_lock);
    for (size_t i = 0; i < svc->idem_num_inflight; i++)
        if (svc->idem_inflight[i] == idem) {
            svc->idem_inflight[i] = svc->idem_inflight[--svc->idem_num_inflight];
            break;
        }
    pthread_mutex_unlock(&svc->idem_lock);
    idem->claimed = false;
}

/* --- the request ------------------------------------------------------------------------------- */

static void svc__hash_str(crypto_generichash_state *st, proto_str_t s)
{
    /* length-prefixed, so that no two different requests hash the same concatenation */
    unsigned char len[8];
    svc__be64(len, s.len);
    crypto_generichash_update(st, len, sizeof len);
    crypto_generichash_update(st, (const unsigned char *)s.ptr, s.len);
}

static void svc__idem_fingerprint(const proto_request_t *req, unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    svc__hash_str(&st, req->method);
    svc__hash_str(&st, req->path);
    svc__hash_str(&st, req->query);
    svc__hash_str(&st, proto_header_get(req->headers, req->num_headers, "content-type"));
    svc__hash_str(&st, req->body);
    crypto_generichash_final(&st, out, 32);
}

/* The key as sent: a token (Stripe) or a quoted string (the IETF draft's sf-string). */
static int svc__idem_key(proto_str_t v, proto_str_t *out)
{
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') {
        v.ptr++;
        v.len -= 2;
    }
    if (v.len == 0 || v.len > SVC__IDEM_KEY_MAX)
        return -1;
    for (size_t i = 0; i < v.len; i++)
        if (v.ptr[i] < 0x20 || v.ptr[i] > 0x7e)
            return -1;
    *out = v;
    return 0;
}

static void svc__idem_scope(svc__idem_t *idem, const proto_principal_t *who, proto_str_t key)
{
    int n = who->user_id != 0 ? snprintf(idem->key, sizeof idem->key, "u:%llu:", (unsigned long long)who->user_id)
                              : snprintf(idem->key, sizeof idem->key, "%s", who->cred == PROTO_CRED_SYSTEM ? "s:" : "a:");
    memcpy(idem->key + n, key.ptr, key.len);
    idem->key_len = (size_t)n + key.len;
}

/* Replaces whatever reply ctx holds with the stored one. */
static void svc__idem_replay(svc_ctx_t *ctx, const unsigned char *rec, size_t len)
{
    proto_msg_t msg;
    free(ctx->body);
    ctx->body = NULL;
    ctx->body_len = 0;
    ctx->num_headers = 0;
    ctx->replied = false;
    if (len <= SVC__IDEM_HEAD ||
        proto_decode(rec + SVC__IDEM_HEAD, len - SVC__IDEM_HEAD, len, &msg) != 0 || msg.kind != PROTO_KIND_RESULT) {
        svc_log("error", "idempotency: a stored outcome does not decode");
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
        return;
    }
    for (size_t i = 0; i < msg.reply.num_headers && i + 1 < PROTO_MAX_HEADERS; i++) {
        const proto_header_t *h = &msg.reply.headers[i];
        char *name = svc__arena_strndup(&ctx->arena, h->name.ptr, h->name.len);
        char *value = svc__arena_strndup(&ctx->arena, h->value.ptr, h->value.len);
        svc_reply_header(ctx, name, value);
    }
    svc_reply_header(ctx, "idempotent-replayed", "true");
    svc__reply_raw(ctx, msg.reply.status, msg.reply.body.ptr, msg.reply.body.len);
}

/* What a stored record says about this request: 0 (absent or expired: go on), 1 (replay it) or
 * a negative error (another body: 422; still pending: 409). */
static int svc__idem_judge(const svc_t *svc, const svc__idem_t *idem, const MDB_val *v)
{
    const unsigned char *rec = v->mv_data;
    if (v->mv_size < SVC__IDEM_HEAD || rec[0] != SVC__IDEM_FORMAT)
        return 0; /* unknown format (a newer version's record): treat as absent */
    if (svc__idem_expired(svc, (int64_t)svc__get_be64(rec + 8), idem->now_us))
        return 0;
    if (sodium_memcmp(rec + 16, idem->fingerprint, 32) != 0)
        return -PROTO_ERR_IDEMPOTENCY_MISMATCH;
    return rec[1] == SVC__IDEM_COMPLETE ? 1 : -PROTO_ERR_IDEMPOTENCY_IN_FLIGHT;
}

int svc__idem_begin(svc_ctx_t *ctx)
{
    const proto_request_t *req = ctx->req;
    svc__idem_t *idem = &ctx->idem;
    proto_str_t key;
    /* A reply holding tokens or a new API key must not sit in the database for a day, so such
     * routes run as if no key was sent. */
    if (!PROTO_STR_EQ(req->method, "POST") || req->op.len != 0 || ctx->route->secret_reply)
        return 0;
    proto_str_t raw = proto_header_get(req->headers, req->num_headers, "idempotency-key");
    if (raw.len == 0)
        return 0;
    if (svc__idem_key(raw, &key) != 0) {
        svc_reply_json(ctx, 400, json_pack("{s:s}", "detail",
                                           "The Idempotency-Key header must be 1 to 255 printable ASCII characters."));
        return -1;
    }
    svc__idem_scope(idem, &req->principal, key);
    svc__idem_fingerprint(req, idem->fingerprint);
    idem->now_us = svc_now_us();

    MDB_txn *txn = svc_read_txn(ctx);
    if (txn == NULL) {
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
        return -1;
    }
    MDB_val k = {idem->key_len, idem->key}, v;
    int rc = mdb_get(txn, ctx->svc->idem_dbi, &k, &v);
    if (rc == 0 && (rc = svc__idem_judge(ctx->svc, idem, &v)) != 0) {
        if (rc == 1)
            svc__idem_replay(ctx, v.mv_data, v.mv_size);
        else
            svc_reply_error(ctx, rc);
        return -1;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        svc_reply_error(ctx, svc_storage_error(rc));
        return -1;
    }
    if (!svc__idem_claim(ctx->svc, idem)) {
        svc_reply_error(ctx, -PROTO_ERR_IDEMPOTENCY_IN_FLIGHT);
        return -1;
    }
    idem->active = true;
    return 0;
}

void svc__idem_finish(svc_ctx_t *ctx)
{
    svc__idem_t *idem = &ctx->idem;
    if (!idem->active)
        return;
    if (idem->replay) {
        /* another instance stored this key between our look-up and our write */
        svc__idem_replay(ctx, idem->stored, idem->stored_len);
    } else if (idem->applied) {
        proto_msg_t msg;
        memset(&msg, 0, sizeof msg);
        msg.version = PROTO_VERSION;
        msg.kind = PROTO_KIND_RESULT;
        msg.reply.status = (uint16_t)ctx->status;
        memcpy(msg.reply.headers, ctx->headers, sizeof msg.reply.headers);
        msg.reply.num_headers = ctx->num_headers;
        msg.reply.body = (proto_str_t){ctx->body != NULL ? ctx->body : "", ctx->body_len};
        if (proto_encode(&msg, &idem->record) != 0)
            svc__oom();
        int rc = svc__writer_finalize(ctx->svc->writer, idem);
        if (rc != 0) {
            /* the batch did not commit: neither did the write, and the client may retry */
            free(ctx->body);
            ctx->body = NULL;
            ctx->body_len = 0;
            ctx->num_headers = 0;
            ctx->replied = false;
            svc_reply_error(ctx, rc);
        }
    }
    svc__idem_release(ctx->svc, idem);
    free(idem->stored);
    idem->stored = NULL;
    proto_buf_dispose(&idem->record);
    idem->active = false;
}

/* --- the writer's side --------------------------------------------------------------------------- */

int svc__idem_check_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem)
{
    MDB_val k = {idem->key_len, idem->key}, v;
    int rc = mdb_get(txn, svc->idem_dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return svc_storage_error(rc);
    if ((rc = svc__idem_judge(svc, idem, &v)) != 1)
        return rc;
    if ((idem->stored = malloc(v.mv_size)) == NULL)
        svc__oom();
    memcpy(idem->stored, v.mv_data, v.mv_size);
    idem->stored_len = v.mv_size;
    idem->replay = true;
    return -PROTO_ERR_IDEMPOTENCY_IN_FLIGHT; /* the handler's reply is replaced by the replay */
}

static int svc__idem_put(svc_t *svc, MDB_txn *txn, svc__idem_t *idem, int state, const proto_buf_t *outcome)
{
    size_t olen = outcome != NULL ? outcome->size : 0;
    unsigned char *rec = malloc(SVC__IDEM_HEAD + olen), ekey[8 + sizeof idem->key];
    if (rec == NULL)
        svc__oom();
    memset(rec, 0, SVC__IDEM_HEAD);
    rec[0] = SVC__IDEM_FORMAT;
    rec[1] = (unsigned char)state;
    svc__be64(rec + 8, (uint64_t)idem->now_us);
    memcpy(rec + 16, idem->fingerprint, 32);
    if (olen != 0)
        memcpy(rec + SVC__IDEM_HEAD, outcome->data, olen);
    svc__be64(ekey, (uint64_t)idem->now_us);
    memcpy(ekey + 8, idem->key, idem->key_len);
    MDB_val k = {idem->key_len, idem->key}, v = {SVC__IDEM_HEAD + olen, rec};
    MDB_val ek = {8 + idem->key_len, ekey}, ev = {0, ""};
    int rc = mdb_put(txn, svc->idem_dbi, &k, &v, 0);
    if (rc == 0)
        rc = mdb_put(txn, svc->idem_expiry_dbi, &ek, &ev, 0);
    free(rec);
    return svc_storage_error(rc);
}

int svc__idem_mark_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem)
{
    return svc__idem_put(svc, txn, idem, SVC__IDEM_PENDING, NULL);
}

int svc__idem_store_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem)
{
    return svc__idem_put(svc, txn, idem, SVC__IDEM_COMPLETE, &idem->record);
}

void svc__idem_purge(svc_t *svc)
{
    int64_t now = svc_now_us();
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t removed = 0;
    if (mdb_txn_begin(svc->env, NULL, 0, &txn) != 0)
        return;
    if (mdb_cursor_open(txn, svc->idem_expiry_dbi, &cur) != 0) {
        mdb_txn_abort(txn);
        return;
    }
    /* always the oldest: each pass removes the first entry of the expiry order */
    while (removed < SVC__IDEM_PURGE_MAX && mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 && k.mv_size > 8) {
        int64_t created = (int64_t)svc__get_be64(k.mv_data);
        if (!svc__idem_expired(svc, created, now))
            break;
        /* the record may have been replaced by a newer use of the key: remove only this one */
        MDB_val rk = {k.mv_size - 8, (char *)k.mv_data + 8}, rv;
        if (mdb_get(txn, svc->idem_dbi, &rk, &rv) == 0 && rv.mv_size >= 16 &&
            (int64_t)svc__get_be64((const unsigned char *)rv.mv_data + 8) == created)
            mdb_del(txn, svc->idem_dbi, &rk, NULL);
        if (mdb_cursor_del(cur, 0) != 0)
            break;
        removed++;
    }
    mdb_cursor_close(cur);
    if (removed == 0 || mdb_txn_commit(txn) != 0) {
        if (removed == 0)
            mdb_txn_abort(txn);
        return;
    }
    svc_log("info", "idempotency: %zu expired key(s) removed", removed);
}
