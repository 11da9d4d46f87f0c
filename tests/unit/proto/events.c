/* tests proto/events.c: the event codec */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/events.h"

Test(events, round_trip)
{
    proto_event_t ev = {.seq = 12, .type = PROTO_EVENT_USER_VALID_AFTER, .user_id = 7, .at_us = 1700000000123456};
    strcpy(ev.key, "abc");
    char *msg, pub[16];
    size_t len;
    cr_assert_eq(proto_event_encode("auth", &ev, &msg, &len), 0);
    proto_event_t back;
    cr_assert_eq(proto_event_decode(msg, len, pub, sizeof pub, &back), 0);
    cr_expect_str_eq(pub, "auth");
    cr_expect_eq(back.seq, 12);
    cr_expect_eq(back.type, PROTO_EVENT_USER_VALID_AFTER);
    cr_expect_eq(back.user_id, 7);
    cr_expect_eq(back.at_us, 1700000000123456);
    cr_expect_str_eq(back.key, "abc");
    free(msg);
}

Test(events, unknown_types_survive_as_unknown)
{
    const char *m = "{\"publisher\":\"keys\",\"seq\":3,\"type\":\"from.the.future\",\"key\":\"x\"}";
    proto_event_t ev;
    char pub[16];
    cr_assert_eq(proto_event_decode(m, strlen(m), pub, sizeof pub, &ev), 0);
    cr_expect_eq(ev.type, PROTO_EVENT_UNKNOWN);
    cr_expect_eq(ev.seq, 3, "its number still counts for gap detection");
}

Test(events, malformed_is_refused)
{
    static const char *const bad[] = {
        "", "[]", "{\"publisher\":\"auth\",\"type\":\"jwt.keyring\"}",                    /* no seq */
        "{\"publisher\":\"auth\",\"seq\":0,\"type\":\"jwt.keyring\"}",                     /* seq 0 */
        "{\"publisher\":\"auth\",\"seq\":\"1\",\"type\":\"jwt.keyring\"}",                 /* seq a string */
        "{\"seq\":1,\"type\":\"jwt.keyring\"}",                                            /* no publisher */
        "{\"publisher\":\"auth\",\"seq\":1,\"type\":\"user.valid_after\",\"user_id\":-1}", /* negative id */
        "{\"publisher\":\"auth\",\"seq\":1,\"seq\":2,\"type\":\"jwt.keyring\"}",            /* duplicate key */
    };
    proto_event_t ev;
    char pub[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(proto_event_decode(bad[i], strlen(bad[i]), pub, sizeof pub, &ev), -1, "%s", bad[i]);
    char big[PROTO_EVENT_MAX_MSG + 8];
    memset(big, ' ', sizeof big);
    cr_expect_eq(proto_event_decode(big, sizeof big, pub, sizeof pub, &ev), -1, "too large");
}
