/*
 * What the gateway has learnt from events (proto/events.h), as plain data so it is unit tested:
 * per-user "valid after" times, and per-publisher sequence tracking that says when to resync.
 *
 * A token or session of a user whose valid-after time is later than the token's auth_us (or
 * the session's creation) is void. Times only move forward: applying an event twice, or an old
 * one after a newer, changes nothing. One per event loop; not thread-safe.
 */
#ifndef APIBUS_GATEWAY_REVOCATIONS_H
#define APIBUS_GATEWAY_REVOCATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/map.h"

typedef struct st_gw_revocations_t {
    gw_map_t valid_after; /* user id -> int64_t* (microseconds) */
} gw_revocations_t;

/* Raises user's valid-after time to at_us (never lowers it). 0 or -1 (out of memory). */
int gw_revocations_set(gw_revocations_t *r, uint64_t user_id, int64_t at_us);
/* The user's valid-after time, 0 when none. */
int64_t gw_revocations_get(const gw_revocations_t *r, uint64_t user_id);
/* Whether something of user_id issued at issued_us is void. */
bool gw_revocations_void(const gw_revocations_t *r, uint64_t user_id, int64_t issued_us);
void gw_revocations_dispose(gw_revocations_t *r);

/* Sequence tracking of one publisher. */
typedef struct st_gw_seq_t {
    uint64_t last;  /* every event up to here has been applied */
    bool synced;    /* a resync has completed since start */
} gw_seq_t;

typedef enum en_gw_seq_verdict_t {
    GW_SEQ_NEXT,  /* the one expected: apply it, it is now `last` */
    GW_SEQ_OLD,   /* already applied (or older): ignore */
    GW_SEQ_GAP    /* something was missed before it: apply it (idempotent) and resync from last */
} gw_seq_verdict_t;

gw_seq_verdict_t gw_seq_observe(gw_seq_t *s, uint64_t seq);
/* A resync reply was applied: it held the events after `last` up to `through`, and, when not
 * `more`, everything up to the publisher's `head`. */
void gw_seq_resynced(gw_seq_t *s, uint64_t through, uint64_t head, bool more);

#endif
