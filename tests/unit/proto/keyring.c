/* tests proto/keyring.c: the keyring file shared by auth and the gateway */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/keyring.h"

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int parse(const char *text, proto_keyring_t *kr, char *err)
{
    return proto_keyring_parse(text, strlen(text), kr, err, 256);
}

Test(keyring, single_line_file_of_make_run)
{
    proto_keyring_t kr;
    char err[256];
    cr_assert_eq(parse(A "\n", &kr, err), 0, "%s", err);
    cr_expect_eq(kr.num, 1);
    cr_expect_str_eq(kr.keys[0].secret, A);
    cr_expect_eq(kr.keys[0].retire_s, 0);
    cr_assert_eq(parse(A, &kr, err), 0, "no final newline");
}

Test(keyring, current_and_previous)
{
    proto_keyring_t kr;
    char err[256];
    cr_assert_eq(parse(A "\n" B " 1800000000\n\n", &kr, err), 0, "%s", err);
    cr_expect_eq(kr.num, 2);
    cr_expect_str_eq(kr.keys[1].secret, B);
    cr_expect_eq(kr.keys[1].retire_s, 1800000000);
}

Test(keyring, refusals_never_show_the_secret)
{
    proto_keyring_t kr;
    char err[256];
    cr_expect_eq(parse("", &kr, err), -1);
    cr_expect_eq(parse("short\n", &kr, err), -1);
    cr_expect(strstr(err, "short") == NULL, "%s", err);
    cr_expect_eq(parse(A "\n" B "\n", &kr, err), -1, "a previous secret needs its retirement time");
    cr_expect(strstr(err, B) == NULL, "%s", err);
    cr_expect_eq(parse(A " 12\n", &kr, err), -1, "the current one stands alone");
    cr_expect_eq(parse(A "\n" B " soon\n", &kr, err), -1);
    cr_expect_eq(parse(A "\n" B " 1\n" B " 1\n" B " 1\n" B " 1\n", &kr, err), -1, "at most 4");
}

Test(keyring, save_is_private_and_reads_back)
{
    char dir[] = "/tmp/apibus-keyring-XXXXXX", path[256], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/jwt-secret", dir);
    proto_keyring_t kr, back;
    cr_assert_eq(parse(A "\n" B " 1800000000\n", &kr, err), 0);
    cr_assert_eq(proto_keyring_save(path, &kr, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(proto_keyring_load(path, &back, err, sizeof err), 0, "%s", err);
    cr_expect_eq(back.num, 2);
    cr_expect_str_eq(back.keys[0].secret, A);
    cr_expect_eq(back.keys[1].retire_s, 1800000000);
    unlink(path);
    rmdir(dir);
}
