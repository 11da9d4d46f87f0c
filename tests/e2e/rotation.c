/* End to end: `apibus jwt rotate` with the keyring file shared by auth and the gateway. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/e2e/common.h"

static char keyring[1024];

static void setup(void)
{
    ts_suite_init(&suite, "e2e-rotate");
    /* no secret in the environment: the keyring file, as `make run` has it */
    ts_env_unset(&suite.env, "APIBUS_JWT_SECRET");
    snprintf(keyring, sizeof keyring, "%s/jwt-secret", suite.dir);
    FILE *f = fopen(keyring, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", TS_SECRET);
    fclose(f);
    chmod(keyring, 0600);
    e2e_start(NULL);
}

TestSuite(rotation, .init = setup, .fini = e2e_fini, .timeout = E2E_TIMEOUT);

static char *kid_of(const char *token)
{
    /* the header is {"alg":"HS512","kid":"<16 hex>","typ":"JWT"} in base64url: decode it */
    char header[256];
    const char *dot = strchr(token, '.');
    cr_assert_not_null(dot);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = token; p < dot && n < sizeof header - 1; p++) {
        acc = acc << 6 | (unsigned)(strchr(tbl, *p) - tbl);
        if ((bits += 6) >= 8) {
            header[n++] = (char)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    header[n] = '\0';
    const char *k = strstr(header, "\"kid\":\"");
    cr_assert_not_null(k, "%s", header);
    return strndup(k + 7, 16);
}

static int lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    while (f != NULL && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

Test(rotation, old_tokens_stay_valid_new_ones_use_the_new_key)
{
    json_decref(e2e_register("rotor@example.com"));
    char *old_access, *old_refresh;
    e2e_login("rotor@example.com", E2E_PASSWORD, &old_access, &old_refresh);
    char *old_kid = kid_of(old_access);

    char out[4096];
    int rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"jwt", "rotate", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect_eq(lines_of(keyring), 2, "current + previous");
    struct stat st;
    cr_assert_eq(stat(keyring, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0600, "the keyring stays private");
    FILE *f = fopen(keyring, "r");
    char line[2][512];
    cr_assert(fscanf(f, "%511s %511s", line[0], line[1]) == 2);
    fclose(f);
    e2e_secret(line[0]);

    char *new_access;
    e2e_login("rotor@example.com", E2E_PASSWORD, &new_access, NULL);
    char *new_kid = kid_of(new_access);
    cr_expect_str_neq(new_kid, old_kid, "new tokens name the new key");
    cr_expect(strstr(out, new_kid) != NULL, "the command names it: %s", out);

    /* the gateway follows within its resync period at worst */
    long t0 = e2e_now_ms();
    while (e2e_employees_status(0, new_access) != 200 && e2e_now_ms() - t0 < 5000)
        e2e_sleep_ms(50);
    cr_expect_eq(e2e_employees_status(0, new_access), 200, "a token of the new key");
    cr_expect_eq(e2e_employees_status(0, old_access), 200, "a token of the previous key, until it expires");
    char body[4096];
    snprintf(body, sizeof body, "{\"refresh\":\"%s\"}", old_refresh);
    ts_http_res_t res;
    e2e_post(0, &res, AUTH "token/refresh/", NULL, body);
    cr_expect_eq(res.status, 200, "an old refresh token still refreshes: %s", res.body);
    if (res.status == 200) {
        json_t *j = e2e_json(&res);
        char *kid = kid_of(json_string_value(json_object_get(j, "access")));
        cr_expect_str_eq(kid, new_kid, "into a token of the new key");
        free(kid);
        json_decref(j);
    }
    ts_http_res_dispose(&res);

    /* `apibus token` signs with the current key too */
    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"token", "--user-id", "1", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    out[strcspn(out, "\n")] = '\0';
    e2e_secret(out);
    cr_expect_eq(e2e_employees_status(0, out), 200);

    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"jwt", "rotate", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect_eq(lines_of(keyring), 3, "both previous keys kept while their tokens live");
    f = fopen(keyring, "r");
    cr_assert(fscanf(f, "%511s", line[0]) == 1);
    fclose(f);
    e2e_secret(line[0]);
    cr_expect_eq(e2e_employees_status(0, old_access), 200);
    free(old_kid);
    free(new_kid);
    free(old_access);
    free(old_refresh);
    free(new_access);
}
