#include "gateway/keys.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/assoc.h"
#include "gateway/call.h"
#include "gateway/server.h"
#include "proto/errors.h"

/* A failure counter is forgotten this long after its last failure (as auth's login throttle). */
#define GW_KEYS_FAIL_FORGET_MS (15 * 60 * 1000)
/* Auth's user list is read again at most this often when events keep coming. */
#define GW_KEYS_USERS_MIN_MS 20
#define GW_KEYS_SET ((void *)(uintptr_t)1)

int gw_keys_init(gw_keys_t *k, const gw_keys_config_t *cfg)
{
    memset(k, 0, sizeof *k);
    k->cfg = *cfg;
    k->cache = calloc(GW_KEYS_CACHE_SETS * GW_KEYS_CACHE_WAYS, sizeof *k->cache);
    k->cache_victims = calloc(GW_KEYS_CACHE_SETS, 1);
    k->fails = calloc(GW_KEYS_THROTTLE_SLOTS, sizeof *k->fails);
    k->users_wanted = true;
    if (k->cache == NULL || k->cache_victims == NULL || k->fails == NULL) {
        gw_keys_dispose(k);
        return -1;
    }
    return 0;
}

static void gw__free_values(gw_map_t *m)
{
    for (size_t i = 0; i < m->capacity; i++)
        if (m->slots[i].key != 0)
            free(m->slots[i].value);
}

void gw_keys_dispose(gw_keys_t *k)
{
    if (k == NULL)
        return;
    gw_call_cancel(k->users_call);
    gw_call_cancel(k->usage_call);
    if (k->cache != NULL)
        sodium_memzero(k->cache, GW_KEYS_CACHE_SETS * GW_KEYS_CACHE_WAYS * sizeof *k->cache);
    free(k->cache);
    free(k->cache_victims);
    free(k->fails);
    gw_map_dispose(&k->revoked);
    gw_map_dispose(&k->inactive);
    gw_map_dispose(&k->suspect);
    gw__free_values(&k->usage);
    gw_map_dispose(&k->usage);
    json_decref(k->usage_inflight);
    memset(k, 0, sizeof *k);
}

uint64_t gw_keys_prefix_id(const char *prefix)
{
    uint64_t v = 0;
    for (size_t i = 0; i < PROTO_KEY_PREFIX_LEN && prefix[i] != '\0'; i++)
        v = v << 8 | (uint8_t)prefix[i];
    return v;
}

int gw_keys_parse(const char *key, size_t len, gw_key_check_t *check)
{
    if (!proto_apikey_parse(key, len, check->prefix))
        return -PROTO_ERR_API_KEY_NOT_VALID;
    proto_apikey_hash(key, len, check->hash);
    return 0;
}

static const gw_assoc_shape_t gw__key_cache = {.sets = GW_KEYS_CACHE_SETS,
                                                .ways = GW_KEYS_CACHE_WAYS,
                                                .entry_size = sizeof(gw_key_entry_t),
                                                .tag_len = PROTO_APIKEY_HASH_LEN};
_Static_assert(offsetof(gw_key_entry_t, hash) == 0, "gateway/assoc.h wants the tag first");

int gw_keys_admit(gw_keys_t *k, const gw_key_entry_t *e, int64_t now_us, proto_principal_t *out)
{
    if (gw_map_get(&k->revoked, gw_keys_prefix_id(e->prefix)) != NULL ||
        (e->expiry_us != 0 && e->expiry_us <= now_us) || gw_map_get(&k->inactive, e->user_id) != NULL)
        return -PROTO_ERR_API_KEY_NOT_VALID;
    /* the user's state is not known yet, or may have changed: answer later rather than wrongly */
    if (!k->users_known || gw_map_get(&k->suspect, e->user_id) != NULL)
        return -PROTO_ERR_UNAVAILABLE;
    memset(out, 0, sizeof *out);
    out->user_id = e->user_id;
    out->cred = PROTO_CRED_API_KEY;
    out->is_staff = false; /* a key never acts as staff: staff routes want a login */
    out->scope = e->scope;
    memcpy(out->key_prefix, e->prefix, sizeof out->key_prefix);
    return 0;
}

int gw_keys_lookup(gw_keys_t *k, const gw_key_check_t *check, int64_t now_us, int64_t now_ms, proto_principal_t *out)
{
    gw_key_entry_t *e = gw_assoc_find(&gw__key_cache, k->cache, check->hash);
    if (e == NULL || now_ms - e->fetched_ms >= k->cfg.cache_ms) {
        k->misses++;
        return 1;
    }
    k->hits++;
    return gw_keys_admit(k, e, now_us, out);
}

void gw_keys_store(gw_keys_t *k, const gw_key_entry_t *e)
{
    gw_key_entry_t *slot = gw_assoc_slot(&gw__key_cache, k->cache, k->cache_victims, e->hash);
    *slot = *e;
}

int gw_keys_revoke(gw_keys_t *k, const char *prefix)
{
    if (!proto_apikey_prefix_ok(prefix, strlen(prefix)))
        return 0;
    return gw_map_put(&k->revoked, gw_keys_prefix_id(prefix), GW_KEYS_SET);
}

void gw_keys_user_changed(gw_keys_t *k, uint64_t user_id)
{
    if (user_id == 0)
        return;
    k->generation++;
    k->users_wanted = true;
    /* out of memory: the user is not held, but the list is still read again */
    gw_map_put(&k->suspect, user_id, (void *)(uintptr_t)k->generation);
}

void gw_keys_user_deactivated(gw_keys_t *k, uint64_t user_id)
{
    if (user_id != 0)
        gw_map_put(&k->inactive, user_id, GW_KEYS_SET);
}

int gw_keys_users_apply(gw_keys_t *k, const json_t *users, uint64_t generation)
{
    if (!json_is_array(users))
        return -1;
    gw_map_t inactive = {0};
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        json_t *id = json_object_get(u, "id");
        if (json_is_integer(id) && json_integer_value(id) > 0 && json_is_false(json_object_get(u, "is_active")) &&
            gw_map_put(&inactive, (uint64_t)json_integer_value(id), GW_KEYS_SET) != 0) {
            gw_map_dispose(&inactive);
            return -1;
        }
    }
    /* a user.deactivated event newer than the list is kept: deactivation is never undone here */
    for (size_t s = 0; s < k->inactive.capacity; s++)
        if (k->inactive.slots[s].key != 0 && gw_map_get(&inactive, k->inactive.slots[s].key) == NULL &&
            gw_map_put(&inactive, k->inactive.slots[s].key, GW_KEYS_SET) != 0) {
            gw_map_dispose(&inactive);
            return -1;
        }
    gw_map_dispose(&k->inactive);
    k->inactive = inactive;
    /* suspects whose event came before the read started are answered by this list */
    for (size_t s = 0; s < k->suspect.capacity;) {
        gw_map_entry_t *e = &k->suspect.slots[s];
        if (e->key != 0 && (uint64_t)(uintptr_t)e->value <= generation) {
            gw_map_remove(&k->suspect, e->key); /* backward shift: look at this slot again */
            continue;
        }
        s++;
    }
    if (generation > k->users_generation)
        k->users_generation = generation;
    k->users_known = true;
    return 0;
}

/* --- failures per address ---------------------------------------------------------------------- */

static gw_key_fail_t *gw__fail_slot(const gw_keys_t *k, const char *addr)
{
    /* FNV-1a: addresses are short and the table only needs to spread them */
    uint32_t h = 2166136261u;
    for (const char *c = addr; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    return &k->fails[h % GW_KEYS_THROTTLE_SLOTS];
}

int64_t gw_keys_throttled(const gw_keys_t *k, const char *addr, int64_t now_ms)
{
    const gw_key_fail_t *f = gw__fail_slot(k, addr);
    if (strcmp(f->addr, addr) != 0 || f->blocked_until_ms <= now_ms)
        return 0;
    return f->blocked_until_ms - now_ms;
}

void gw_keys_failed(gw_keys_t *k, const char *addr, int64_t now_ms)
{
    gw_key_fail_t *f = gw__fail_slot(k, addr);
    /* another address in the slot, or a counter gone quiet: start over */
    if (strcmp(f->addr, addr) != 0 || now_ms - f->last_ms > GW_KEYS_FAIL_FORGET_MS) {
        memset(f, 0, sizeof *f);
        snprintf(f->addr, sizeof f->addr, "%s", addr);
    }
    f->failures++;
    f->last_ms = now_ms;
    if (f->failures <= k->cfg.fail_free)
        return;
    uint32_t over = f->failures - k->cfg.fail_free - 1;
    int64_t wait = over >= 20 ? k->cfg.fail_max_ms : (int64_t)1000 << over;
    if (wait > k->cfg.fail_max_ms)
        wait = k->cfg.fail_max_ms;
    f->blocked_until_ms = now_ms + wait;
}

/* --- last used ------------------------------------------------------------------------------------ */

static void gw__usage_put(gw_keys_t *k, uint64_t id, int64_t at_us)
{
    int64_t *cur = gw_map_get(&k->usage, id);
    if (cur != NULL) {
        if (at_us > *cur)
            *cur = at_us;
        return;
    }
    if ((cur = malloc(sizeof *cur)) == NULL)
        return; /* a lost "last used" is not worth failing a request for */
    *cur = at_us;
    if (gw_map_put(&k->usage, id, cur) != 0)
        free(cur);
}

void gw_keys_used(gw_keys_t *k, const char *prefix, int64_t at_us)
{
    if (proto_apikey_prefix_ok(prefix, strlen(prefix)))
        gw__usage_put(k, gw_keys_prefix_id(prefix), at_us);
}

json_t *gw_keys_usage_take(gw_keys_t *k)
{
    if (k->usage.size == 0 || k->usage_inflight != NULL)
        return NULL;
    json_t *used = json_array();
    for (size_t i = 0; i < k->usage.capacity; i++) {
        gw_map_entry_t *e = &k->usage.slots[i];
        if (e->key == 0)
            continue;
        char prefix[PROTO_KEY_PREFIX_LEN + 1];
        for (int b = 0; b < PROTO_KEY_PREFIX_LEN; b++)
            prefix[b] = (char)(e->key >> (8 * (PROTO_KEY_PREFIX_LEN - 1 - b)));
        prefix[PROTO_KEY_PREFIX_LEN] = '\0';
        json_int_t at = *(int64_t *)e->value;
        json_array_append_new(used, json_pack("{s:s, s:I}", "prefix", prefix, "at_us", at));
        free(e->value);
    }
    gw_map_dispose(&k->usage);
    memset(&k->usage, 0, sizeof k->usage);
    k->usage_inflight = json_pack("{s:o}", "used", used);
    return json_incref(k->usage_inflight);
}

void gw_keys_usage_done(gw_keys_t *k, bool ok)
{
    json_t *batch = k->usage_inflight;
    k->usage_inflight = NULL;
    if (!ok && batch != NULL) {
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(batch, "used"), i, u)
            gw_keys_used(k, json_string_value(json_object_get(u, "prefix")),
                         json_integer_value(json_object_get(u, "at_us")));
    }
    json_decref(batch);
}

/* --- calls from the loop ------------------------------------------------------------------------------ */

static gw_board_t *gw__board(gw_loop_t *loop, const char *role)
{
    const proto_role_t *r = proto_role_by_name(role);
    gw_board_t *b = r != NULL ? loop->boards[r - proto_roles] : NULL;
    return b != NULL && gw_board_live_workers(b) != 0 ? b : NULL;
}

static void gw__on_users(void *arg, int err, const proto_reply_t *reply)
{
    gw_loop_t *loop = arg;
    gw_keys_t *k = &loop->keys;
    k->users_call = NULL;
    json_t *j = err == 0 && reply->status == 200 ? json_loadb(reply->body.ptr, reply->body.len, 0, NULL) : NULL;
    if (gw_keys_users_apply(k, j, k->users_call_generation) != 0) {
        fprintf(stderr, "apibus-gateway: keys: auth's user list could not be read (%s); retrying\n",
                err != 0 ? proto_err_name(err) : "bad reply");
        k->users_wanted = true;
        k->next_users_ms = gw_now_ms() + loop->server->config.events_resync_ms;
    }
    json_decref(j);
}

static void gw__on_usage(void *arg, int err, const proto_reply_t *reply)
{
    gw_loop_t *loop = arg;
    gw_keys_t *k = &loop->keys;
    k->usage_call = NULL;
    bool ok = err == 0 && reply->status == 200;
    if (ok)
        k->flushed++;
    gw_keys_usage_done(k, ok);
}

void gw_keys_tick(gw_loop_t *loop)
{
    gw_keys_t *k = &loop->keys;
    int64_t now = gw_now_ms();
    gw_board_t *board;
    int err = 0;
    if (k->users_wanted && k->users_call == NULL && now >= k->next_users_ms &&
        (board = gw__board(loop, "auth")) != NULL) {
        k->users_wanted = false;
        k->users_call_generation = k->generation;
        k->next_users_ms = now + GW_KEYS_USERS_MIN_MS;
        if ((k->users_call = gw_call_start(board, "GET", "/_internal/auth/users/", NULL, NULL, gw__on_users, loop,
                                           &err)) == NULL)
            k->users_wanted = true;
    }
    if (now >= k->next_flush_ms && k->usage_call == NULL && (board = gw__board(loop, "keys")) != NULL) {
        k->next_flush_ms = now + k->cfg.flush_ms;
        json_t *batch = gw_keys_usage_take(k);
        char *body = batch != NULL ? json_dumps(batch, JSON_COMPACT) : NULL;
        json_decref(batch);
        if (body != NULL &&
            (k->usage_call = gw_call_start(board, "POST", "/_internal/keys/usage/", NULL, body, gw__on_usage, loop,
                                           &err)) == NULL)
            gw_keys_usage_done(k, false);
        else if (body == NULL && k->usage_inflight != NULL)
            gw_keys_usage_done(k, false);
        free(body);
    }
}
