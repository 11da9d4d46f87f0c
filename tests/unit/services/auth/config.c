/* tests services/auth/config.c: Argon2id settings on or above OWASP's line, and nothing below. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/config.h"

static int load(const char *memory, const char *ops, auth_config_t *cfg, char *err, size_t cap)
{
    if (memory != NULL)
        setenv("APIBUS_AUTH_ARGON2_MEMORY", memory, 1);
    else
        unsetenv("APIBUS_AUTH_ARGON2_MEMORY");
    if (ops != NULL)
        setenv("APIBUS_AUTH_ARGON2_OPS", ops, 1);
    else
        unsetenv("APIBUS_AUTH_ARGON2_OPS");
    auth_config_defaults(cfg, 48);
    return auth_config_from_env(cfg, 48, err, cap);
}

Test(auth_config, default_is_owasp_seven_mib_five_passes)
{
    auth_config_t cfg;
    char err[256] = "";
    cr_assert_eq(load(NULL, NULL, &cfg, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cfg.argon2_memory, 7u << 20);
    cr_assert_eq(cfg.argon2_ops, 5);
}

Test(auth_config, every_owasp_setting_is_accepted)
{
    static const char *const settings[][2] = {{"46M", "1"}, {"19M", "2"}, {"12M", "3"}, {"9M", "4"}, {"7M", "5"},
                                              {"7M", "10"}, {"64M", "2"}, {"19456K", "2"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        auth_config_t cfg;
        char err[256] = "";
        cr_assert_eq(load(settings[i][0], settings[i][1], &cfg, err, sizeof err), 0, "m=%s t=%s: %s", settings[i][0],
                     settings[i][1], err);
    }
}

Test(auth_config, below_the_line_is_refused_with_the_floor_named)
{
    static const char *const settings[][3] = {{"45M", "1", "46M"}, {"18M", "2", "19M"}, {"11M", "3", "12M"},
                                              {"8M", "4", "9M"},   {"7M", "4", "9M"},   {"19M", "1", "46M"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        auth_config_t cfg;
        char err[256] = "";
        cr_assert_neq(load(settings[i][0], settings[i][1], &cfg, err, sizeof err), 0, "m=%s t=%s", settings[i][0],
                      settings[i][1]);
        cr_assert(strstr(err, "APIBUS_AUTH_ARGON2_MEMORY must be at least") != NULL, "%s", err);
        cr_assert(strstr(err, settings[i][2]) != NULL, "%s", err);
    }
    auth_config_t cfg;
    char err[256] = "";
    cr_assert_neq(load("6M", "10", &cfg, err, sizeof err), 0); /* no setting goes under 7 MiB */
    cr_assert_neq(load("7M", "0", &cfg, err, sizeof err), 0);
}

/* A raised longest wait is served whole: the counter outlives it. */
Test(auth_config, counters_outlive_the_longest_wait)
{
    auth_config_t cfg;
    char err[256] = "";
    setenv("APIBUS_AUTH_THROTTLE_ACCOUNT_MAX_DELAY_S", "3600", 1);
    int rc = load(NULL, NULL, &cfg, err, sizeof err);
    unsetenv("APIBUS_AUTH_THROTTLE_ACCOUNT_MAX_DELAY_S");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(cfg.account.max_delay_s, 3600);
    cr_assert_eq(cfg.account.forget_s, 3 * 3600);
    cr_assert_eq(cfg.address.forget_s, 900, "the defaults keep 900 s");
    cr_assert_eq(cfg.otp_user.forget_s, 900);
    auth_throttle_state_t st = {0};
    int64_t t = 1000000000000;
    for (int i = 0; i < 20; i++)
        auth_throttle_fail(&cfg.account, &st, t);
    cr_assert_eq(auth_throttle_wait(&cfg.account, &st, t), 3600);
    cr_assert_gt(auth_throttle_wait(&cfg.account, &st, t + 3599LL * 1000000), 0,
                 "the counter was forgotten before its wait ended");
}
