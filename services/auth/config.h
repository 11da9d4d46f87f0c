/*
 * The auth service's settings: APIBUS_* variables with working defaults (all listed in
 * deploy/apibus.env.example), read once at start.
 */
#ifndef APIBUS_SERVICES_AUTH_CONFIG_H
#define APIBUS_SERVICES_AUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/auth/throttle.h"

/* Argon2id's cost: OWASP's Password Storage Cheat Sheet gives five settings of equal strength
 * (p = 1): m = 46 MiB t = 1, 19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5. The service
 * refuses any setting below that line. The default is its last point: on this project's 2-core
 * machine 7 MiB t = 5 takes ~11.6 ms of CPU against ~18.4 ms for 19 MiB t = 2 (fewer pages to
 * map and zero per hash, a block set that stays closer in cache) and a third of the memory per
 * hash in flight (docs/benchmarks.md, row e). */
#define AUTH_ARGON2_DEFAULT_MEMORY (7u << 20)
#define AUTH_ARGON2_DEFAULT_OPS 5u
#define AUTH_ARGON2_MIN_MEMORY (7u << 20) /* with t >= 5 */

/* OWASP's least memory for t passes (bytes): the line above, flat from t = 5 on. */
uint64_t auth_argon2_min_memory(uint64_t ops);

typedef struct st_auth_config_t {
    int64_t access_lifetime_s;  /* APIBUS_JWT_ACCESS_LIFETIME_S, 3600 */
    int64_t refresh_lifetime_s; /* APIBUS_JWT_REFRESH_LIFETIME_S, 604800 */
    bool rotate_refresh;        /* APIBUS_JWT_ROTATE_REFRESH, 0 (Simple JWT's and Pegasus's default) */
    int64_t leeway_s;           /* APIBUS_JWT_LEEWAY_S, 30 (shared with the gateway) */
    uint64_t argon2_memory;     /* APIBUS_AUTH_ARGON2_MEMORY, 7M (at least auth_argon2_min_memory(ops)) */
    uint64_t argon2_ops;        /* APIBUS_AUTH_ARGON2_OPS, 5 (1 to 64) */
    unsigned hash_threads;      /* APIBUS_AUTH_HASH_THREADS, 2 */
    unsigned hash_nice;         /* APIBUS_AUTH_HASH_NICE, 10: how far hashing yields to other requests */
    unsigned hash_max_waiting;  /* APIBUS_AUTH_HASH_MAX_WAITING: hashes queued or running; default and
                                 * cap: worker threads - 2, so two workers always serve refreshes */
    unsigned password_min;      /* APIBUS_AUTH_PASSWORD_MIN_LENGTH, 8 */
    int64_t session_age_s;      /* APIBUS_SESSION_AGE_S, 1209600 (Django's two weeks) */
    char avatar_base[256];      /* APIBUS_AUTH_AVATAR_BASE, "" (no avatar URL) */
    auth_throttle_rule_t account; /* APIBUS_AUTH_THROTTLE_ACCOUNT_FREE 5, _ACCOUNT_MAX_DELAY_S 300 */
    auth_throttle_rule_t address; /* APIBUS_AUTH_THROTTLE_ADDRESS_FREE 20, _ADDRESS_MAX_DELAY_S 60 */
    unsigned register_per_hour;   /* APIBUS_AUTH_REGISTER_PER_HOUR, 10 per client address */
    char otp_issuer[65];          /* APIBUS_AUTH_OTP_ISSUER, "apibus": the name authenticator apps show */
    int64_t otp_token_lifetime_s; /* APIBUS_AUTH_OTP_TOKEN_LIFETIME_S, 300: login's temp_otp_token */
    uint32_t otp_token_attempts;  /* APIBUS_AUTH_OTP_TOKEN_ATTEMPTS, 5 wrong codes end a temp_otp_token */
    auth_throttle_rule_t otp_user; /* APIBUS_AUTH_OTP_THROTTLE_FREE 5, _MAX_DELAY_S 300: wrong codes per user */
} auth_config_t;

void auth_config_defaults(auth_config_t *cfg, unsigned workers);
/* Reads the environment over the defaults. 0, or -1 with a one-line reason in err. */
int auth_config_from_env(auth_config_t *cfg, unsigned workers, char *err, size_t err_cap);

#endif
