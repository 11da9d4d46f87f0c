#include "services/auth/throttle.h"

#define AUTH_US 1000000
#define AUTH_WINDOW_US ((int64_t)AUTH_THROTTLE_WINDOW_S * AUTH_US)

int64_t auth_throttle_delay(const auth_throttle_rule_t *rule, uint64_t failures)
{
    if (failures <= rule->free)
        return 0;
    uint64_t excess = failures - rule->free - 1;
    /* 2^excess overflows long before it matters: anything past 2^30 is the cap */
    int64_t delay = excess >= 30 ? rule->max_delay_s : (int64_t)1 << excess;
    return delay > rule->max_delay_s ? rule->max_delay_s : delay;
}

static bool auth__throttle_stale(const auth_throttle_rule_t *rule, const auth_throttle_state_t *st, int64_t now_us)
{
    return st->failures == 0 || now_us - st->last_us >= rule->forget_s * AUTH_US;
}

int64_t auth_throttle_wait(const auth_throttle_rule_t *rule, const auth_throttle_state_t *st, int64_t now_us)
{
    if (auth__throttle_stale(rule, st, now_us))
        return 0;
    int64_t until = st->last_us + auth_throttle_delay(rule, st->failures) * AUTH_US;
    return until <= now_us ? 0 : (until - now_us + AUTH_US - 1) / AUTH_US;
}

void auth_throttle_fail(const auth_throttle_rule_t *rule, auth_throttle_state_t *st, int64_t now_us)
{
    if (auth__throttle_stale(rule, st, now_us))
        st->failures = 0;
    st->failures++;
    st->last_us = now_us;
}

int64_t auth_throttle_keep_s(const auth_throttle_rule_t *rule)
{
    return rule->forget_s > rule->max_delay_s ? rule->forget_s : rule->max_delay_s;
}

int64_t auth_throttle_window_wait(unsigned limit, const auth_throttle_state_t *st, int64_t now_us)
{
    if (now_us - st->last_us >= AUTH_WINDOW_US || st->failures < limit)
        return 0;
    return (st->last_us + AUTH_WINDOW_US - now_us + AUTH_US - 1) / AUTH_US;
}

void auth_throttle_window_count(auth_throttle_state_t *st, int64_t now_us)
{
    if (now_us - st->last_us >= AUTH_WINDOW_US) {
        st->failures = 0;
        st->last_us = now_us;
    }
    st->failures++;
}
