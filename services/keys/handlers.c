/*
 * The keys API. A user sees and changes only their own keys (someone else's id is simply
 * absent: 404); staff see and revoke everyone's through the same routes. Each handler is a
 * straight line: helpers that fail have already replied.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/errors.h"
#include "services/keys/keys.h"

const keys_store_t *keys_store(svc_ctx_t *ctx)
{
    return svc_data(svc_service(ctx));
}

MDB_txn *keys_read_txn_or_500(svc_ctx_t *ctx)
{
    MDB_txn *txn = svc_read_txn(ctx);
    if (txn == NULL)
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
    return txn;
}

int keys_parse_time(const char *s, int64_t *us)
{
    struct tm tm;
    int year, mon, day, hour, min, sec;
    long frac;
    char z;
    memset(&tm, 0, sizeof tm);
    if (s == NULL || strlen(s) != 27 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6ld%c", &year, &mon, &day, &hour, &min, &sec, &frac, &z) != 8 || z != 'Z')
        return -1;
    tm.tm_year = year - 1900, tm.tm_mon = mon - 1, tm.tm_mday = day;
    tm.tm_hour = hour, tm.tm_min = min, tm.tm_sec = sec;
    *us = (int64_t)timegm(&tm) * 1000000 + frac;
    return 0;
}

json_t *keys_json(const keys_record_t *r)
{
    char created[32], expiry[32], used[32];
    svc_format_time(r->created_us, created);
    svc_format_time(r->expiry_us, expiry);
    svc_format_time(r->last_used_us, used);
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:s?, s:b, s:s?, s:s}", "id", (json_int_t)r->id, "prefix", r->prefix,
                     "name", r->name, "user", (json_int_t)r->user_id, "created", created, "expiry_date",
                     r->expiry_us != 0 ? expiry : NULL, "revoked", r->revoked, "last_used",
                     r->last_used_us != 0 ? used : NULL, "scope",
                     (r->scope & PROTO_SCOPE_WRITE) != 0 ? "read_write" : "read");
}

/* The key with this path id, if the principal may see it (its owner, or staff); else 404. */
static int keys__get_or_404(svc_ctx_t *ctx, keys_record_t *rec)
{
    uint64_t id;
    const proto_principal_t *who = svc_principal(ctx);
    if (svc_path_id(ctx, "id", &id) != 0)
        return -1;
    MDB_txn *txn = keys_read_txn_or_500(ctx);
    if (txn == NULL)
        return -1;
    int rc = keys_store_get(keys_store(ctx), txn, id, rec);
    if (rc == 0 && rec->user_id != who->user_id && !who->is_staff)
        rc = -PROTO_ERR_NOT_FOUND;
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return -1;
    }
    return 0;
}

/* --- list ------------------------------------------------------------------------------------- */

typedef struct st_keys_page_t {
    uint64_t skip, take, seen;
    json_t *results;
} keys_page_t;

static int keys__count_one(const keys_record_t *rec, void *arg)
{
    (void)rec;
    ((keys_page_t *)arg)->seen++;
    return 0;
}

static int keys__page_one(const keys_record_t *rec, void *arg)
{
    keys_page_t *p = arg;
    if (p->seen++ < p->skip)
        return 0;
    if (json_array_size(p->results) >= p->take)
        return 1;
    json_array_append_new(p->results, keys_json(rec));
    return 0;
}

void keys_list(svc_ctx_t *ctx)
{
    const proto_principal_t *who = svc_principal(ctx);
    uint64_t user = who->user_id;
    const char *filter = svc_query(ctx, "user");
    if (who->is_staff) {
        user = 0;
        if (filter != NULL) {
            char *end;
            user = strtoull(filter, &end, 10);
            if (*filter < '0' || *filter > '9' || *end != '\0' || user == 0) {
                svc_reply_field_error(ctx, "user", "A valid integer is required.");
                return;
            }
        }
    }
    MDB_txn *txn = keys_read_txn_or_500(ctx);
    if (txn == NULL)
        return;
    /* a user has a handful of keys: counting them is one short cursor walk */
    keys_page_t page = {0};
    int rc = keys_store_each(keys_store(ctx), txn, user, keys__count_one, &page);
    uint64_t count = page.seen, offset, limit;
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    if (svc_page_begin(ctx, count, &offset, &limit) != 0)
        return;
    page = (keys_page_t){.skip = offset, .take = limit, .results = json_array()};
    rc = keys_store_each(keys_store(ctx), txn, user, keys__page_one, &page);
    if (rc < 0) {
        json_decref(page.results);
        svc_reply_error(ctx, rc);
        return;
    }
    svc_page_reply(ctx, count, page.results);
}

void keys_retrieve(svc_ctx_t *ctx)
{
    keys_record_t *rec = svc_alloc(ctx, sizeof *rec);
    if (keys__get_or_404(ctx, rec) != 0)
        return;
    svc_reply_json(ctx, 200, keys_json(rec));
}

/* --- create ------------------------------------------------------------------------------------ */

typedef struct st_keys_write_t {
    const keys_store_t *st;
    svc_t *svc;
    keys_record_t rec;
    proto_event_t ev;
    uint64_t id;          /* the key to change (rename, revoke) */
    const char *new_name; /* rename */
} keys_write_t;

static int keys__create_write(MDB_txn *txn, void *arg)
{
    keys_write_t *w = arg;
    return keys_store_put(w->st, w->svc, txn, &w->rec);
}

void keys_create_for(svc_ctx_t *ctx, uint64_t user_id)
{
    json_t *in = svc_input(ctx), *expiry = json_object_get(in, "expiry_date"), *scope = json_object_get(in, "scope");
    keys_write_t *w = svc_alloc(ctx, sizeof *w);
    char key[PROTO_APIKEY_LEN + 1];
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
    memset(w, 0, sizeof *w);
    w->st = keys_store(ctx);
    w->svc = svc_service(ctx);
    keys_record_t *r = &w->rec;
    r->user_id = user_id;
    r->created_us = svc_now_us();
    bool read_only = json_is_string(scope) && strcmp(json_string_value(scope), "read") == 0;
    r->scope = read_only ? PROTO_SCOPE_READ : PROTO_SCOPE_ALL;
    snprintf(r->name, sizeof r->name, "%s", json_string_value(json_object_get(in, "name")));
    if (json_is_string(expiry)) {
        if (keys_parse_time(json_string_value(expiry), &r->expiry_us) != 0) {
            svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
            return;
        }
        if (r->expiry_us <= r->created_us) {
            svc_reply_field_error(ctx, "expiry_date", "The expiry date must be in the future.");
            return;
        }
    }
    int rc;
    /* a prefix is 48 bits of chance: a collision is possible in a large store, and retried */
    for (int attempt = 0; attempt < 4; attempt++) {
        proto_apikey_new(key);
        memcpy(r->prefix, key, PROTO_KEY_PREFIX_LEN);
        r->prefix[PROTO_KEY_PREFIX_LEN] = '\0';
        proto_apikey_hash(key, PROTO_APIKEY_LEN, hash);
        proto_apikey_stored(hash, r->hashed_key);
        r->id = 0;
        if ((rc = svc_write(ctx, keys__create_write, w)) != -PROTO_ERR_BAD_REQUEST)
            break;
    }
    if (rc != 0) {
        sodium_memzero(key, sizeof key);
        svc_reply_error(ctx, rc == -PROTO_ERR_BAD_REQUEST ? -PROTO_ERR_INTERNAL : rc);
        return;
    }
    svc_log("info", "API key %s created for user %llu", r->prefix, (unsigned long long)user_id);
    json_t *out = keys_json(r);
    json_object_set_new(out, "key", json_string(key));
    sodium_memzero(key, sizeof key);
    svc_reply_json(ctx, 201, out);
}

void keys_create(svc_ctx_t *ctx)
{
    keys_create_for(ctx, svc_principal(ctx)->user_id);
}

/* --- rename, revoke ---------------------------------------------------------------------------- */

static int keys__rename_write(MDB_txn *txn, void *arg)
{
    keys_write_t *w = arg;
    int rc = keys_store_get(w->st, txn, w->id, &w->rec);
    if (rc != 0)
        return rc;
    snprintf(w->rec.name, sizeof w->rec.name, "%s", w->new_name);
    return keys_store_put(w->st, w->svc, txn, &w->rec);
}

void keys_rename(svc_ctx_t *ctx)
{
    keys_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    if (keys__get_or_404(ctx, &w->rec) != 0)
        return;
    w->st = keys_store(ctx);
    w->svc = svc_service(ctx);
    w->id = w->rec.id;
    w->new_name = json_string_value(json_object_get(svc_input(ctx), "name"));
    if (w->new_name == NULL) {
        svc_reply_json(ctx, 200, keys_json(&w->rec)); /* PATCH without a name changes nothing */
        return;
    }
    int rc = svc_write(ctx, keys__rename_write, w);
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200, keys_json(&w->rec));
}

static int keys__revoke_write(MDB_txn *txn, void *arg)
{
    keys_write_t *w = arg;
    int rc = keys_store_get(w->st, txn, w->id, &w->rec);
    if (rc != 0 || w->rec.revoked)
        return rc; /* revoking twice changes nothing and says nothing new */
    w->rec.revoked = true;
    w->rec.revoked_us = svc_now_us();
    if ((rc = keys_store_put(w->st, w->svc, txn, &w->rec)) != 0)
        return rc;
    memset(&w->ev, 0, sizeof w->ev);
    w->ev.type = PROTO_EVENT_KEY_REVOKED;
    w->ev.user_id = w->rec.user_id;
    w->ev.at_us = w->rec.revoked_us;
    memcpy(w->ev.key, w->rec.prefix, PROTO_KEY_PREFIX_LEN + 1);
    return svc_event_append(w->svc, txn, &w->ev);
}

void keys_revoke_record(svc_ctx_t *ctx, const keys_record_t *rec)
{
    keys_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->st = keys_store(ctx);
    w->svc = svc_service(ctx);
    w->id = rec->id;
    int rc = svc_write(ctx, keys__revoke_write, w);
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    if (w->ev.seq != 0) {
        svc_event_publish(w->svc, &w->ev);
        svc_log("info", "API key %s of user %llu revoked", w->rec.prefix, (unsigned long long)w->rec.user_id);
    }
    /* the gateway relaying this reply refuses the key before the client can send it again */
    svc_reply_header(ctx, KEYS_REVOKED_HEADER, w->rec.prefix);
    svc_reply_json(ctx, 200, keys_json(&w->rec));
}

void keys_revoke(svc_ctx_t *ctx)
{
    keys_record_t *rec = svc_alloc(ctx, sizeof *rec);
    if (keys__get_or_404(ctx, rec) != 0)
        return;
    keys_revoke_record(ctx, rec);
}
