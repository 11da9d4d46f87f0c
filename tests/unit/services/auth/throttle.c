/* tests services/auth/throttle.c: the delays are the documented numbers */
#include <criterion/criterion.h>

#include "services/auth/throttle.h"

#define S 1000000LL

static const auth_throttle_rule_t rule = {.free = 5, .max_delay_s = 300, .forget_s = 900};

Test(throttle, free_failures_then_doubling_up_to_the_cap)
{
    for (uint64_t f = 0; f <= 5; f++)
        cr_expect_eq(auth_throttle_delay(&rule, f), 0);
    cr_expect_eq(auth_throttle_delay(&rule, 6), 1);
    cr_expect_eq(auth_throttle_delay(&rule, 7), 2);
    cr_expect_eq(auth_throttle_delay(&rule, 10), 16);
    cr_expect_eq(auth_throttle_delay(&rule, 14), 256);
    cr_expect_eq(auth_throttle_delay(&rule, 15), 300, "capped");
    cr_expect_eq(auth_throttle_delay(&rule, 1000000), 300, "no overflow");
}

Test(throttle, wait_counts_down_from_the_last_failure)
{
    auth_throttle_state_t st = {0};
    int64_t t = 1000 * S;
    for (int i = 0; i < 6; i++)
        auth_throttle_fail(&rule, &st, t);
    cr_expect_eq(st.failures, 6);
    cr_expect_eq(auth_throttle_wait(&rule, &st, t), 1);
    cr_expect_eq(auth_throttle_wait(&rule, &st, t + S / 2), 1, "rounded up");
    cr_expect_eq(auth_throttle_wait(&rule, &st, t + S), 0);
    auth_throttle_fail(&rule, &st, t + S);
    cr_expect_eq(auth_throttle_wait(&rule, &st, t + S), 2);
}

Test(throttle, forgotten_after_a_quiet_while)
{
    auth_throttle_state_t st = {0};
    int64_t t = 1000 * S;
    for (int i = 0; i < 12; i++)
        auth_throttle_fail(&rule, &st, t);
    cr_expect_gt(auth_throttle_wait(&rule, &st, t + 10 * S), 0);
    cr_expect_eq(auth_throttle_wait(&rule, &st, t + 900 * S), 0, "15 minutes later");
    auth_throttle_fail(&rule, &st, t + 900 * S);
    cr_expect_eq(st.failures, 1, "and it starts over");
}

Test(throttle, registration_window)
{
    auth_throttle_state_t st = {0};
    int64_t t = 5000 * S;
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(auth_throttle_window_wait(3, &st, t + i * S), 0);
        auth_throttle_window_count(&st, t + i * S);
    }
    cr_expect_eq(auth_throttle_window_wait(3, &st, t + 10 * S), 3590, "until the hour is over");
    cr_expect_eq(auth_throttle_window_wait(3, &st, t + 3600 * S), 0);
}
