#include "gateway/revocations.h"

#include <stdlib.h>

int gw_revocations_set(gw_revocations_t *r, uint64_t user_id, int64_t at_us)
{
    if (user_id == 0)
        return 0;
    int64_t *cur = gw_map_get(&r->valid_after, user_id);
    if (cur != NULL) {
        if (at_us > *cur)
            *cur = at_us;
        return 0;
    }
    if ((cur = malloc(sizeof *cur)) == NULL)
        return -1;
    *cur = at_us;
    if (gw_map_put(&r->valid_after, user_id, cur) != 0) {
        free(cur);
        return -1;
    }
    return 0;
}

int64_t gw_revocations_get(const gw_revocations_t *r, uint64_t user_id)
{
    const int64_t *cur = user_id != 0 ? gw_map_get(&r->valid_after, user_id) : NULL;
    return cur != NULL ? *cur : 0;
}

bool gw_revocations_void(const gw_revocations_t *r, uint64_t user_id, int64_t issued_us)
{
    return issued_us < gw_revocations_get(r, user_id);
}

void gw_revocations_dispose(gw_revocations_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->valid_after.capacity; i++)
        if (r->valid_after.slots[i].key != 0)
            free(r->valid_after.slots[i].value);
    gw_map_dispose(&r->valid_after);
}

gw_seq_verdict_t gw_seq_observe(gw_seq_t *s, uint64_t seq)
{
    if (seq <= s->last)
        return GW_SEQ_OLD;
    if (seq == s->last + 1 && s->synced) {
        s->last = seq;
        return GW_SEQ_NEXT;
    }
    /* before the first resync nothing is known about what came earlier */
    return GW_SEQ_GAP;
}

void gw_seq_resynced(gw_seq_t *s, uint64_t through, uint64_t head, bool more)
{
    if (more) {
        if (through > s->last)
            s->last = through;
        return;
    }
    /* the reply held everything up to the publisher's head (a head below `last` means its
     * store started over: follow it) */
    s->last = head;
    s->synced = true;
}
