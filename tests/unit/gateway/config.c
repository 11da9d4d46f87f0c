/* tests gateway/config.c: defaults, bounds, the secret's sources. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

static void clear_env(void)
{
    static const char *names[] = {"APIBUS_HTTP_PORT", "APIBUS_HTTP_BIND", "APIBUS_DATA_DIR", "APIBUS_QUEUE_MAX",
                                  "APIBUS_JWT_SECRET", "APIBUS_JWT_PREVIOUS_SECRET", "APIBUS_REQUIRED_ROLES",
                                  "APIBUS_UPSTREAM_TIMEOUT_MS", "APIBUS_PUBLIC_URL", "APIBUS_MAX_BODY"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

TestSuite(config, .init = clear_env);

Test(config, defaults)
{
    gw_config_t c;
    char err[512];
    setenv("APIBUS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.http_port, 8000);
    cr_assert_str_eq(c.http_bind, "127.0.0.1");
    cr_assert_eq(c.queue_max, 1024);
    cr_assert_eq(c.upstream_timeout_ms, 10000);
    cr_assert_eq(c.no_worker_wait_ms, 3000);
    cr_assert_eq(c.max_body, 1048576);
    cr_assert_eq(c.max_reply, 8388608);
    cr_assert_eq(c.jwt_leeway_s, 30);
    cr_assert_eq(c.jwt_secret_len, 32);
    cr_assert_str_eq(c.static_dir, "./static");
    const proto_role_t *emp = proto_role_by_name("employees");
    cr_assert(c.required_roles[emp - proto_roles]);
}

Test(config, bad_values_refused)
{
    gw_config_t c;
    char err[512];
    setenv("APIBUS_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
    setenv("APIBUS_HTTP_PORT", "70000", 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), -1);
    cr_assert(strstr(err, "APIBUS_HTTP_PORT") != NULL, "%s", err);
    setenv("APIBUS_HTTP_PORT", "80x", 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), -1);
    unsetenv("APIBUS_HTTP_PORT");
    setenv("APIBUS_REQUIRED_ROLES", "employees,nosuch", 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), -1);
    cr_assert(strstr(err, "nosuch") != NULL, "%s", err);
    unsetenv("APIBUS_REQUIRED_ROLES");
    setenv("APIBUS_PUBLIC_URL", "localhost:8000", 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), -1);
}

Test(config, secret_file)
{
    gw_config_t c;
    char err[512], dir[] = "/tmp/apibus-config-XXXXXX", path[600];
    cr_assert_not_null(mkdtemp(dir));
    setenv("APIBUS_DATA_DIR", dir, 1);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), -1, "no secret anywhere");
    cr_assert(strstr(err, "jwt-secret") != NULL, "%s", err);
    snprintf(path, sizeof path, "%s/jwt-secret", dir);
    FILE *f = fopen(path, "w");
    fputs("from-the-file-from-the-file-0123456789\n", f);
    fclose(f);
    cr_assert_eq(gw_config_load(&c, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.jwt_secret, "from-the-file-from-the-file-0123456789", "the newline is not part of it");
    unlink(path);
    rmdir(dir);
}

Test(config, parse_uint)
{
    uint64_t v;
    cr_assert_eq(gw_config_parse_uint("42", 0, 100, &v), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(gw_config_parse_uint("-1", 0, 100, &v), -1);
    cr_assert_eq(gw_config_parse_uint("101", 0, 100, &v), -1);
    cr_assert_eq(gw_config_parse_uint("", 0, 100, &v), -1);
    cr_assert_eq(gw_config_parse_uint(" 1", 0, 100, &v), -1);
}

Test(config, parse_size)
{
    uint64_t v;
    cr_assert_eq(gw_config_parse_size("1M", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 1048576);
    cr_assert_eq(gw_config_parse_size("64KiB", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 65536);
    cr_assert_eq(gw_config_parse_size("2g", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 2147483648ull);
    cr_assert_eq(gw_config_parse_size("512", 0, UINT64_MAX, &v), 0);
    cr_assert_eq(v, 512);
    cr_assert_eq(gw_config_parse_size("1X", 0, UINT64_MAX, &v), -1);
    cr_assert_eq(gw_config_parse_size("2M", 0, 1048576, &v), -1);
}
