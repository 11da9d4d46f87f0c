/*
 * API keys in the gateway (ARCHITECTURE §1, §3, §6). `Authorization: Api-Key <key>` is checked
 * against a per-loop cache keyed by the SHA-512 of the whole key, so a right prefix with a wrong
 * secret is simply a miss, which the keys service answers (POST /_internal/keys/verify/ with
 * the prefix and the hash, never the key). What the cache holds is re-checked at every use
 * against what this gateway has learnt since:
 *   - revoked prefixes: key.revoked events (PUB, and the resync from the keys service), and the
 *     X-Apibus-Revoked-Key header of a revoke reply this gateway relays itself;
 *   - user state: deactivated users, from auth. Auth's events say only "valid after T" (a
 *     password change or a deactivation), so such an event makes its user's keys wait (503) until
 *     the gateway has re-read auth's user list (GET /_internal/auth/users/), which says who is
 *     inactive; the list is also read once at start, and before it is, keys answer 503;
 *   - the key's expiry.
 * Failed attempts are counted per client address (after a number of free ones, growing delays
 * with 429 + Retry-After); uses are collected per prefix and sent to the keys service in one
 * batch every APIBUS_KEY_USAGE_FLUSH_MS (the "last used" time), so a request never writes.
 *
 * The state is plain data and its functions are pure (unit tested); gw_keys_tick and the
 * users-list and usage calls need the loop (gateway/server.h). One per event loop.
 */
#ifndef APIBUS_GATEWAY_KEYS_H
#define APIBUS_GATEWAY_KEYS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/forwarded.h"
#include "gateway/map.h"
#include "proto/apikey.h"
#include "proto/principal.h"

/* Verified keys, set-associative (gateway/assoc.h) by the key's SHA-512: 4,096 entries hold a
 * thousand keys in use with next to no evictions (direct-mapped, 22% of them collided). */
#define GW_KEYS_CACHE_SETS 512
#define GW_KEYS_CACHE_WAYS 8
#define GW_KEYS_THROTTLE_SLOTS 4096

/* What the keys service said about a key. */
typedef struct st_gw_key_entry_t {
    unsigned char hash[PROTO_APIKEY_HASH_LEN]; /* first (the cache's tag); all zero: empty */
    char prefix[PROTO_KEY_PREFIX_LEN + 1];
    uint64_t user_id;
    uint32_t scope;
    int64_t expiry_us;  /* 0: never */
    int64_t fetched_ms; /* monotonic */
} gw_key_entry_t;

/* A key the cache could not answer for: the caller asks the keys service. */
typedef struct st_gw_key_check_t {
    char prefix[PROTO_KEY_PREFIX_LEN + 1];
    unsigned char hash[PROTO_APIKEY_HASH_LEN];
} gw_key_check_t;

typedef struct st_gw_key_fail_t {
    char addr[GW_ADDR_MAX + 1]; /* "": empty slot */
    uint32_t failures;
    int64_t last_ms, blocked_until_ms;
} gw_key_fail_t;

typedef struct st_gw_keys_config_t {
    int64_t cache_ms;      /* APIBUS_KEY_CACHE_MS: a verified key is asked about again after this */
    int64_t flush_ms;      /* APIBUS_KEY_USAGE_FLUSH_MS */
    uint32_t fail_free;    /* APIBUS_KEY_FAIL_FREE: failures per address before delays */
    int64_t fail_max_ms;   /* APIBUS_KEY_FAIL_MAX_DELAY_S, in ms */
} gw_keys_config_t;

struct st_gw_call_t;

typedef struct st_gw_keys_t {
    gw_keys_config_t cfg;
    gw_key_entry_t *cache; /* GW_KEYS_CACHE_SETS * GW_KEYS_CACHE_WAYS, set by set */
    uint8_t *cache_victims; /* GW_KEYS_CACHE_SETS */
    gw_key_fail_t *fails;  /* GW_KEYS_THROTTLE_SLOTS, direct-mapped by address */
    gw_map_t revoked;      /* prefix (gw_keys_prefix_id) -> non-NULL */
    gw_map_t inactive;     /* user id -> non-NULL: deactivated */
    gw_map_t suspect;      /* user id -> generation of its last valid-after event, not yet checked */
    uint64_t generation;   /* counts valid-after events */
    uint64_t users_generation; /* events up to this one are reflected in `inactive` */
    bool users_known;      /* auth's user list has been read at least once */
    bool users_wanted;     /* an event arrived since the last read was started */
    gw_map_t usage;        /* prefix id -> int64_t* newest use (us) */
    json_t *usage_inflight; /* the batch being sent, merged back if it fails */
    struct st_gw_call_t *users_call, *usage_call;
    uint64_t users_call_generation;
    int64_t next_flush_ms, next_users_ms;
    uint64_t hits, misses, refused, throttled, flushed;
} gw_keys_t;

/* 0, or -1 out of memory. */
int gw_keys_init(gw_keys_t *k, const gw_keys_config_t *cfg);
void gw_keys_dispose(gw_keys_t *k);

/* The prefix as a map key (8 letters and digits fit a non-zero uint64). */
uint64_t gw_keys_prefix_id(const char *prefix);

/* Hashes a well-formed key into check. Returns 0, or -PROTO_ERR_API_KEY_NOT_VALID when the key
 * does not have the shape of one (no need to ask anybody). */
int gw_keys_parse(const char *key, size_t len, gw_key_check_t *check);
/* The cached answer for check, admitted (gw_keys_admit) into *out: 0, a negative proto error,
 * or 1 when there is no fresh cached answer (ask the keys service). */
int gw_keys_lookup(gw_keys_t *k, const gw_key_check_t *check, int64_t now_us, int64_t now_ms, proto_principal_t *out);
/* Caches what the keys service said. */
void gw_keys_store(gw_keys_t *k, const gw_key_entry_t *e);
/* Whether e may be used now, and as whom: 0 with *out set, -PROTO_ERR_API_KEY_NOT_VALID
 * (revoked, expired, user deactivated) or -PROTO_ERR_UNAVAILABLE (the user's state is being
 * checked). */
int gw_keys_admit(gw_keys_t *k, const gw_key_entry_t *e, int64_t now_us, proto_principal_t *out);

/* key.revoked: refuse the prefix from now on. 0 or -1 (out of memory). */
int gw_keys_revoke(gw_keys_t *k, const char *prefix);
/* A user's valid-after time moved (password change or deactivation): hold the user's keys
 * until auth's user list has been read again. */
void gw_keys_user_changed(gw_keys_t *k, uint64_t user_id);
/* user.deactivated. */
void gw_keys_user_deactivated(gw_keys_t *k, uint64_t user_id);
/* Applies auth's user list ([{"id","is_active",...}]) read by a call started at generation:
 * the inactive set is replaced, suspects up to generation cleared. 0, or -1 (not a list). */
int gw_keys_users_apply(gw_keys_t *k, const json_t *users, uint64_t generation);

/* Failures per client address. The wait in ms before addr may try again (0: now). */
int64_t gw_keys_throttled(const gw_keys_t *k, const char *addr, int64_t now_ms);
void gw_keys_failed(gw_keys_t *k, const char *addr, int64_t now_ms);

/* A successful use of prefix at at_us, for the next batch. */
void gw_keys_used(gw_keys_t *k, const char *prefix, int64_t at_us);
/* The pending uses as {"used":[{"prefix","at_us"}...]} (new reference; NULL when none); they
 * are forgotten here, kept in usage_inflight until gw_keys_usage_done. */
json_t *gw_keys_usage_take(gw_keys_t *k);
/* The batch was stored (ok) or not (its uses go back into the next batch). */
void gw_keys_usage_done(gw_keys_t *k, bool ok);

struct st_gw_loop_t;
/* Reads auth's user list when wanted, sends the usage batch when due; from the loop's tick. */
void gw_keys_tick(struct st_gw_loop_t *loop);

#endif
