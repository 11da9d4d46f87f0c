/* tests proto/size.c: the sizes of APIBUS_* settings, read alike by the gateway and services. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/size.h"

Test(size, numbers_and_suffixes)
{
    static const struct {
        const char *s;
        uint64_t v;
    } ok[] = {{"0", 0},          {"512", 512},           {"1k", 1024},          {"64KiB", 65536},
              {"1M", 1u << 20},  {"7MB", 7u << 20},      {"2g", 2147483648ull}, {"1Ti", 1ull << 40},
              {"18446744073709551615", UINT64_MAX}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        cr_assert_eq(proto_parse_size(ok[i].s, &v), 0, "%s", ok[i].s);
        cr_assert_eq(v, ok[i].v, "%s", ok[i].s);
    }
    static const char *const bad[] = {"", "-1", " 1", "1 ", "1X", "1KX", "1iB", "1B", "0x10", "k", "1P",
                                      "18446744073709551616", "16777216T"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        cr_assert_eq(proto_parse_size(bad[i], &v), -1, "%s", bad[i]);
    }
    uint64_t v;
    cr_assert_eq(proto_parse_size(NULL, &v), -1);
}

Test(size, from_the_environment)
{
    char err[128] = "";
    uint64_t v = 42;
    unsetenv("APIBUS_TEST_SIZE");
    cr_assert_eq(proto_env_size("APIBUS_TEST_SIZE", 1, 100, &v, err, sizeof err), 0);
    cr_assert_eq(v, 42, "unset: left alone");
    setenv("APIBUS_TEST_SIZE", "", 1);
    cr_assert_eq(proto_env_size("APIBUS_TEST_SIZE", 1, 100, &v, err, sizeof err), 0);
    cr_assert_eq(v, 42, "empty: left alone");
    setenv("APIBUS_TEST_SIZE", "64", 1);
    cr_assert_eq(proto_env_size("APIBUS_TEST_SIZE", 1, 100, &v, err, sizeof err), 0);
    cr_assert_eq(v, 64);
    setenv("APIBUS_TEST_SIZE", "1K", 1);
    cr_assert_eq(proto_env_size("APIBUS_TEST_SIZE", 1, 100, &v, err, sizeof err), -1);
    cr_assert_str_eq(err, "APIBUS_TEST_SIZE must be a number from 1 to 100");
    cr_assert_eq(v, 64);
    unsetenv("APIBUS_TEST_SIZE");
}
