/* tests gateway/revocations.c: valid-after times and the sequence tracking that drives resyncs */
#include <criterion/criterion.h>

#include "gateway/revocations.h"

Test(revocations, times_only_move_forward)
{
    gw_revocations_t r = {0};
    cr_expect_eq(gw_revocations_get(&r, 7), 0);
    cr_expect_not(gw_revocations_void(&r, 7, 1));
    cr_assert_eq(gw_revocations_set(&r, 7, 1000), 0);
    cr_expect(gw_revocations_void(&r, 7, 999), "issued before: void");
    cr_expect_not(gw_revocations_void(&r, 7, 1000), "issued at the very time (a login right after): valid");
    cr_expect_not(gw_revocations_void(&r, 8, 1), "other users are untouched");
    gw_revocations_set(&r, 7, 500);
    cr_expect_eq(gw_revocations_get(&r, 7), 1000, "an older event applied late changes nothing");
    gw_revocations_set(&r, 7, 2000);
    cr_expect_eq(gw_revocations_get(&r, 7), 2000);
    gw_revocations_dispose(&r);
}

Test(revocations, sequence_gaps_and_resyncs)
{
    gw_seq_t s = {0};
    cr_expect_eq(gw_seq_observe(&s, 1), GW_SEQ_GAP, "before the first resync nothing is known");
    gw_seq_resynced(&s, 3, 3, false);
    cr_expect(s.synced);
    cr_expect_eq(s.last, 3);
    cr_expect_eq(gw_seq_observe(&s, 4), GW_SEQ_NEXT);
    cr_expect_eq(gw_seq_observe(&s, 4), GW_SEQ_OLD, "twice");
    cr_expect_eq(gw_seq_observe(&s, 2), GW_SEQ_OLD);
    cr_expect_eq(gw_seq_observe(&s, 6), GW_SEQ_GAP, "5 was lost");
    cr_expect_eq(s.last, 4, "and last stays where the gap begins");
    gw_seq_resynced(&s, 5, 9, true);
    cr_expect_eq(s.last, 5, "a partial page");
    gw_seq_resynced(&s, 9, 9, false);
    cr_expect_eq(s.last, 9);
    gw_seq_resynced(&s, 9, 2, false);
    cr_expect_eq(s.last, 2, "the publisher's store started over");
}
