/*
 * Internal operations (SVC_PERM_SYSTEM, under /_internal/keys/): what the gateway asks on a
 * cache miss, the gateways' batches of last-used times, and the `apibus key` commands. They
 * change data exactly as the API does, so a revocation here publishes the same event.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "services/keys/keys.h"

/* A gateway's clock may run a little ahead of ours; a "last used" far in the future is a bug. */
#define KEYS_USAGE_SKEW_US (60 * 1000000LL)

/* POST {"prefix", "hash": hex SHA-512 of the whole key} -> {"id","prefix","user_id","scope",
 * "expiry_us"} when the key exists, is not revoked, has not expired and the hash matches;
 * otherwise 404, the same answer whatever the reason. The key itself never crosses the bus. */
void keys_verify(svc_ctx_t *ctx)
{
    json_t *in = svc_input(ctx);
    const char *prefix = json_string_value(json_object_get(in, "prefix"));
    const char *hex = json_string_value(json_object_get(in, "hash"));
    unsigned char given[PROTO_APIKEY_HASH_LEN], stored[PROTO_APIKEY_HASH_LEN];
    keys_record_t *rec = svc_alloc(ctx, sizeof *rec);
    if (prefix == NULL || hex == NULL || proto_apikey_parse_stored(hex, strlen(hex), true, given) != 0) {
        svc_reply_field_error(ctx, "hash", "Expected 128 hex digits.");
        return;
    }
    MDB_txn *txn = keys_read_txn_or_500(ctx);
    if (txn == NULL)
        return;
    int rc = keys_store_by_prefix(keys_store(ctx), txn, prefix, rec);
    if (rc == 0 && proto_apikey_parse_stored(rec->hashed_key, strlen(rec->hashed_key), false, stored) != 0)
        rc = -PROTO_ERR_NOT_FOUND; /* not a hash this service can check */
    if (rc == 0 && sodium_memcmp(given, stored, sizeof stored) != 0)
        rc = -PROTO_ERR_NOT_FOUND;
    if (rc == 0 && (rec->revoked || (rec->expiry_us != 0 && rec->expiry_us <= svc_now_us())))
        rc = -PROTO_ERR_NOT_FOUND;
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200,
                   json_pack("{s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)rec->id, "prefix", rec->prefix, "user_id",
                             (json_int_t)rec->user_id, "scope", (json_int_t)rec->scope, "expiry_us",
                             (json_int_t)rec->expiry_us));
}

/* --- last used: one batch, one write ------------------------------------------------------------ */

typedef struct st_keys_usage_write_t {
    const keys_store_t *st;
    svc_t *svc;
    json_t *used;
    int64_t now_us;
    size_t updated;
} keys_usage_write_t;

static int keys__usage_write(MDB_txn *txn, void *arg)
{
    keys_usage_write_t *w = arg;
    keys_record_t rec;
    size_t i;
    json_t *u;
    w->updated = 0;
    json_array_foreach(w->used, i, u) {
        const char *prefix = json_string_value(json_object_get(u, "prefix"));
        int64_t at = json_integer_value(json_object_get(u, "at_us"));
        if (prefix == NULL || at > w->now_us + KEYS_USAGE_SKEW_US)
            continue;
        int rc = keys_store_by_prefix(w->st, txn, prefix, &rec);
        if (rc == -PROTO_ERR_NOT_FOUND || (rc == 0 && (rec.newer || at <= rec.last_used_us)))
            continue;
        if (rc != 0)
            return rc;
        rec.last_used_us = at;
        if ((rc = keys_store_put(w->st, w->svc, txn, &rec)) != 0)
            return rc;
        w->updated++;
    }
    return 0;
}

/* POST {"used": [{"prefix","at_us"}, ...]} from a gateway every few seconds: the newest use of
 * each key it accepted, from its cache or not. Older times than the stored one are ignored. */
void keys_usage(svc_ctx_t *ctx)
{
    keys_usage_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->st = keys_store(ctx);
    w->svc = svc_service(ctx);
    w->used = json_object_get(svc_input(ctx), "used");
    w->now_us = svc_now_us();
    int rc = svc_write(ctx, keys__usage_write, w);
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200, json_pack("{s:I}", "updated", (json_int_t)w->updated));
}

/* --- the operator's commands --------------------------------------------------------------------- */

static int keys__admin_one(const keys_record_t *rec, void *arg)
{
    json_array_append_new(arg, keys_json(rec));
    return 0;
}

/* GET [?user_id=N] -> every key (of one user), newest first. */
void keys_admin_list(svc_ctx_t *ctx)
{
    const char *filter = svc_query(ctx, "user_id");
    uint64_t user = 0;
    if (filter != NULL) {
        char *end;
        user = strtoull(filter, &end, 10);
        if (*filter < '0' || *filter > '9' || *end != '\0') {
            svc_reply_field_error(ctx, "user_id", "A valid integer is required.");
            return;
        }
    }
    MDB_txn *txn = keys_read_txn_or_500(ctx);
    if (txn == NULL)
        return;
    json_t *list = json_array();
    int rc = keys_store_each(keys_store(ctx), txn, user, keys__admin_one, list);
    if (rc != 0) {
        json_decref(list);
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200, list);
}

void keys_admin_create(svc_ctx_t *ctx)
{
    keys_create_for(ctx, (uint64_t)json_integer_value(json_object_get(svc_input(ctx), "user_id")));
}

void keys_admin_revoke(svc_ctx_t *ctx)
{
    const char *prefix = json_string_value(json_object_get(svc_input(ctx), "prefix"));
    keys_record_t *rec = svc_alloc(ctx, sizeof *rec);
    MDB_txn *txn = keys_read_txn_or_500(ctx);
    if (txn == NULL)
        return;
    int rc = keys_store_by_prefix(keys_store(ctx), txn, prefix, rec);
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    keys_revoke_record(ctx, rec);
}

/* --- import from Pegasus ------------------------------------------------------------------------- */

typedef struct st_keys_import_write_t {
    const keys_store_t *st;
    svc_t *svc;
    keys_record_t rec;
    bool existed; /* the same key was imported before: nothing written */
} keys_import_write_t;

static int keys__import_write(MDB_txn *txn, void *arg)
{
    keys_import_write_t *w = arg;
    keys_record_t old;
    int rc = keys_store_by_prefix(w->st, txn, w->rec.prefix, &old);
    if (rc == 0) {
        /* importing a file twice is harmless; another key under the same prefix is not */
        if (strcmp(old.hashed_key, w->rec.hashed_key) != 0 || old.user_id != w->rec.user_id)
            return -PROTO_ERR_BAD_REQUEST;
        w->rec = old;
        w->existed = true;
        return 0;
    }
    if (rc != -PROTO_ERR_NOT_FOUND)
        return rc;
    return keys_store_put(w->st, w->svc, txn, &w->rec);
}

/* POST one row of Pegasus's api_keys_userapikey: {"prefix","hashed_key","user_id","name",
 * "created","expiry_date","revoked"[,"scope"]}. Only djangorestframework-api-key 3.x hashes
 * ("sha512$$<hex>") can be checked without the key; older PBKDF2 ones are refused with a
 * reason. 201 with the key's JSON, or 200 when the same key was imported before. */
void keys_admin_import(svc_ctx_t *ctx)
{
    json_t *in = svc_input(ctx), *v;
    keys_import_write_t *w = svc_alloc(ctx, sizeof *w);
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
    memset(w, 0, sizeof *w);
    w->st = keys_store(ctx);
    w->svc = svc_service(ctx);
    keys_record_t *r = &w->rec;
    const char *prefix = json_string_value(json_object_get(in, "prefix"));
    const char *hashed = json_string_value(json_object_get(in, "hashed_key"));
    if (prefix == NULL || !proto_apikey_prefix_ok(prefix, strlen(prefix))) {
        svc_reply_field_error(ctx, "prefix", "Expected 8 letters and digits.");
        return;
    }
    if (hashed == NULL || proto_apikey_parse_stored(hashed, strlen(hashed), false, hash) != 0) {
        /* name the hasher (Django's "<algorithm>$..."), so the operator knows what they have */
        const char *dollar = hashed != NULL ? strchr(hashed, '$') : NULL;
        int alg_len = dollar != NULL && dollar - hashed < 64 ? (int)(dollar - hashed) : 0;
        char msg[300];
        snprintf(msg, sizeof msg,
                 "Only sha512$$ hashes (djangorestframework-api-key 3.x) can be imported%s%.*s: the key's owner "
                 "must create a new one.",
                 alg_len != 0 ? "; this one is " : "", alg_len, alg_len != 0 ? hashed : "");
        svc_reply_field_error(ctx, "hashed_key", msg);
        return;
    }
    memcpy(r->prefix, prefix, PROTO_KEY_PREFIX_LEN + 1);
    proto_apikey_stored(hash, r->hashed_key); /* canonical: lower-case hex */
    r->user_id = (uint64_t)json_integer_value(json_object_get(in, "user_id"));
    snprintf(r->name, sizeof r->name, "%s", json_is_string(v = json_object_get(in, "name")) ? json_string_value(v) : "");
    /* the runtime has validated both dates and written them in its canonical form */
    r->created_us = svc_now_us();
    v = json_object_get(in, "created");
    if (json_is_string(v) && keys_parse_time(json_string_value(v), &r->created_us) != 0)
        r->created_us = svc_now_us();
    v = json_object_get(in, "expiry_date");
    if (json_is_string(v) && keys_parse_time(json_string_value(v), &r->expiry_us) != 0)
        r->expiry_us = 0;
    r->revoked = json_is_true(json_object_get(in, "revoked"));
    if (r->revoked)
        r->revoked_us = svc_now_us();
    v = json_object_get(in, "scope");
    r->scope = json_is_string(v) && strcmp(json_string_value(v), "read") == 0 ? PROTO_SCOPE_READ : PROTO_SCOPE_ALL;
    int rc = svc_write(ctx, keys__import_write, w);
    if (rc == -PROTO_ERR_BAD_REQUEST) {
        svc_reply_field_error(ctx, "prefix", "Another key with this prefix exists.");
        return;
    }
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    if (!w->existed)
        svc_log("info", "API key %s of user %llu imported", r->prefix, (unsigned long long)r->user_id);
    svc_reply_json(ctx, w->existed ? 200 : 201, keys_json(r));
}
