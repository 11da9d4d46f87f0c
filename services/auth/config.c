#include "services/auth/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/size.h"

void auth_config_defaults(auth_config_t *cfg, unsigned workers)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->access_lifetime_s = 3600;
    cfg->refresh_lifetime_s = 7 * 24 * 3600;
    cfg->rotate_refresh = false;
    cfg->leeway_s = 30;
    cfg->argon2_memory = AUTH_ARGON2_DEFAULT_MEMORY;
    cfg->argon2_ops = AUTH_ARGON2_DEFAULT_OPS;
    cfg->hash_threads = 2;
    cfg->hash_nice = 10;
    cfg->hash_max_waiting = workers > 2 ? workers - 2 : 1;
    cfg->password_min = 8;
    cfg->session_age_s = 14 * 24 * 3600;
    cfg->account = (auth_throttle_rule_t){.free = 5, .max_delay_s = 300, .forget_s = 900};
    cfg->address = (auth_throttle_rule_t){.free = 20, .max_delay_s = 60, .forget_s = 900};
    cfg->register_per_hour = 10;
    snprintf(cfg->otp_issuer, sizeof cfg->otp_issuer, "%s", "apibus");
    cfg->otp_token_lifetime_s = 300;
    cfg->otp_token_attempts = 5;
    cfg->otp_user = (auth_throttle_rule_t){.free = 5, .max_delay_s = 300, .forget_s = 900};
}

uint64_t auth_argon2_min_memory(uint64_t ops)
{
    static const uint64_t mib[] = {46, 19, 12, 9, 7}; /* t = 1 .. 5 */
    return ops == 0 ? UINT64_MAX : mib[ops < 5 ? ops - 1 : 4] << 20;
}

int auth_config_from_env(auth_config_t *cfg, unsigned workers, char *err, size_t cap)
{
    uint64_t access = (uint64_t)cfg->access_lifetime_s, refresh = (uint64_t)cfg->refresh_lifetime_s;
    uint64_t rotate = cfg->rotate_refresh, leeway = (uint64_t)cfg->leeway_s, mem = cfg->argon2_memory;
    uint64_t ops = cfg->argon2_ops, threads = cfg->hash_threads, waiting = cfg->hash_max_waiting;
    uint64_t nice = cfg->hash_nice;
    uint64_t pmin = cfg->password_min, age = (uint64_t)cfg->session_age_s, reg = cfg->register_per_hour;
    uint64_t acc_free = cfg->account.free, acc_max = (uint64_t)cfg->account.max_delay_s;
    uint64_t adr_free = cfg->address.free, adr_max = (uint64_t)cfg->address.max_delay_s;
    uint64_t otp_life = (uint64_t)cfg->otp_token_lifetime_s, otp_attempts = cfg->otp_token_attempts;
    uint64_t otp_free = cfg->otp_user.free, otp_max = (uint64_t)cfg->otp_user.max_delay_s;
    uint64_t waiting_cap = workers > 2 ? workers - 2 : 1;
    if (proto_env_size("APIBUS_JWT_ACCESS_LIFETIME_S", 60, 7 * 24 * 3600, &access, err, cap) != 0 ||
        proto_env_size("APIBUS_JWT_REFRESH_LIFETIME_S", 60, 366 * 24 * 3600, &refresh, err, cap) != 0 ||
        proto_env_size("APIBUS_JWT_ROTATE_REFRESH", 0, 1, &rotate, err, cap) != 0 ||
        proto_env_size("APIBUS_JWT_LEEWAY_S", 0, 3600, &leeway, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_ARGON2_MEMORY", AUTH_ARGON2_MIN_MEMORY, (uint64_t)4 << 30, &mem, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_ARGON2_OPS", 1, 64, &ops, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_HASH_THREADS", 1, 64, &threads, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_HASH_NICE", 0, 19, &nice, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_HASH_MAX_WAITING", 1, waiting_cap, &waiting, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_PASSWORD_MIN_LENGTH", 8, 128, &pmin, err, cap) != 0 ||
        proto_env_size("APIBUS_SESSION_AGE_S", 60, 366 * 24 * 3600, &age, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_REGISTER_PER_HOUR", 1, 1000000, &reg, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_THROTTLE_ACCOUNT_FREE", 1, 1000, &acc_free, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_THROTTLE_ACCOUNT_MAX_DELAY_S", 1, 86400, &acc_max, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_THROTTLE_ADDRESS_FREE", 1, 100000, &adr_free, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_THROTTLE_ADDRESS_MAX_DELAY_S", 1, 86400, &adr_max, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_OTP_TOKEN_LIFETIME_S", 1, 3600, &otp_life, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_OTP_TOKEN_ATTEMPTS", 1, 100, &otp_attempts, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_OTP_THROTTLE_FREE", 1, 1000, &otp_free, err, cap) != 0 ||
        proto_env_size("APIBUS_AUTH_OTP_THROTTLE_MAX_DELAY_S", 1, 86400, &otp_max, err, cap) != 0)
        return -1;
    if (mem < auth_argon2_min_memory(ops)) {
        snprintf(err, cap,
                 "APIBUS_AUTH_ARGON2_MEMORY must be at least %lluM with APIBUS_AUTH_ARGON2_OPS=%llu "
                 "(OWASP's Argon2id settings: 46M t=1, 19M t=2, 12M t=3, 9M t=4, 7M t=5 or more)",
                 (unsigned long long)(auth_argon2_min_memory(ops) >> 20), (unsigned long long)ops);
        return -1;
    }
    const char *issuer = getenv("APIBUS_AUTH_OTP_ISSUER");
    if (issuer != NULL && *issuer != '\0') {
        /* a colon would end the issuer inside the URI's label */
        if (strlen(issuer) >= sizeof cfg->otp_issuer || strchr(issuer, ':') != NULL) {
            snprintf(err, cap, "APIBUS_AUTH_OTP_ISSUER must be 1 to %zu characters without ':'",
                     sizeof cfg->otp_issuer - 1);
            return -1;
        }
        snprintf(cfg->otp_issuer, sizeof cfg->otp_issuer, "%s", issuer);
    }
    const char *avatar = getenv("APIBUS_AUTH_AVATAR_BASE");
    if (avatar != NULL) {
        if (strlen(avatar) >= sizeof cfg->avatar_base) {
            snprintf(err, cap, "APIBUS_AUTH_AVATAR_BASE is too long");
            return -1;
        }
        snprintf(cfg->avatar_base, sizeof cfg->avatar_base, "%s", avatar);
    }
    cfg->access_lifetime_s = (int64_t)access;
    cfg->refresh_lifetime_s = (int64_t)refresh;
    cfg->rotate_refresh = rotate != 0;
    cfg->leeway_s = (int64_t)leeway;
    cfg->argon2_memory = mem;
    cfg->argon2_ops = ops;
    cfg->hash_threads = (unsigned)threads;
    cfg->hash_nice = (unsigned)nice;
    cfg->hash_max_waiting = (unsigned)(waiting > waiting_cap ? waiting_cap : waiting);
    cfg->password_min = (unsigned)pmin;
    cfg->session_age_s = (int64_t)age;
    cfg->register_per_hour = (unsigned)reg;
    cfg->account.free = (uint32_t)acc_free;
    cfg->account.max_delay_s = (int64_t)acc_max;
    cfg->address.free = (uint32_t)adr_free;
    cfg->address.max_delay_s = (int64_t)adr_max;
    cfg->otp_token_lifetime_s = (int64_t)otp_life;
    cfg->otp_token_attempts = (uint32_t)otp_attempts;
    cfg->otp_user.free = (uint32_t)otp_free;
    cfg->otp_user.max_delay_s = (int64_t)otp_max;
    /* A counter is forgotten after forget_s without failures. Shorter than the longest wait, it
     * would be gone before that wait ends and the next attempt would start over with its free
     * tries: a raised *_MAX_DELAY_S would be silently capped at forget_s. So a client must stay
     * quiet for three of its longest waits before its counter starts over (900 s, the default,
     * is exactly that for the default 300 s). */
    auth_throttle_rule_t *rules[] = {&cfg->account, &cfg->address, &cfg->otp_user};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i]->forget_s < 3 * rules[i]->max_delay_s)
            rules[i]->forget_s = 3 * rules[i]->max_delay_s;
    return 0;
}
