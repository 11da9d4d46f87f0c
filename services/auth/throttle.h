/*
 * Login throttling: growing delays, never lock-outs. A key (an account's e-mail, a client
 * address) may fail `free` times; each failure after that makes the next attempt wait twice as
 * long as the last (1 s, 2 s, 4 s, ... up to max_delay_s). Counters are forgotten `forget_s`
 * after the last failure; a successful login clears its account's counter (not the address's,
 * or one good account would reset a whole address). Pure arithmetic, so it is unit tested;
 * services/auth/store.c keeps the counters.
 */
#ifndef APIBUS_SERVICES_AUTH_THROTTLE_H
#define APIBUS_SERVICES_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct st_auth_throttle_rule_t {
    uint32_t free;       /* failures without delay */
    int64_t max_delay_s; /* the longest wait */
    int64_t forget_s;    /* a counter idle this long starts over */
} auth_throttle_rule_t;

typedef struct st_auth_throttle_state_t {
    uint64_t failures; /* also: registrations in the window */
    int64_t last_us;   /* the last failure; also: the window's start */
} auth_throttle_state_t;

/* The delay (seconds) imposed after `failures` failures. */
int64_t auth_throttle_delay(const auth_throttle_rule_t *rule, uint64_t failures);
/* Seconds the key must still wait at now_us (0: it may try); rounded up. */
int64_t auth_throttle_wait(const auth_throttle_rule_t *rule, const auth_throttle_state_t *st, int64_t now_us);
/* Records a failure at now_us (forgetting a stale counter first). */
void auth_throttle_fail(const auth_throttle_rule_t *rule, auth_throttle_state_t *st, int64_t now_us);

/* How long (seconds) after its last update a counter of this rule can still change a decision:
 * auth_throttle_wait and auth_throttle_fail treat it as absent from forget_s on. max_delay_s is
 * included too, so a counter still serving its longest wait is kept even if the forgetting rule
 * ever changed to start after the wait. */
int64_t auth_throttle_keep_s(const auth_throttle_rule_t *rule);

#define AUTH_THROTTLE_WINDOW_S 3600 /* the registration window */

/* Registrations per address: `limit` per hour in fixed windows. Seconds to wait (0: allowed). */
int64_t auth_throttle_window_wait(unsigned limit, const auth_throttle_state_t *st, int64_t now_us);
/* Counts one registration at now_us. */
void auth_throttle_window_count(auth_throttle_state_t *st, int64_t now_us);

#endif
