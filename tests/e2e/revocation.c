/* End to end: a password change or a deactivation voids earlier tokens on every gateway within a
 * second, and the `apibus` command manages accounts through the running suite. Two gateways, and
 * every auth and employees instance connected to both (APIBUS_BUS_HOST lists them), as scaled
 * gateways are run: each instance serves through either gateway and publishes to both. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/e2e/common.h"

/* The bound of the issue: every gateway refuses the old token within this long. Both hear the
 * publisher's event at once; a lost event is made up by the resync (every 500 ms by default). */
#define E2E_VOID_WITHIN_MS 1000

static void setup(void)
{
    ts_suite_init(&suite, "e2e-revoke");
    e2e_both_gateways();
    e2e_start(NULL);
    e2e_start_second(NULL);
}

TestSuite(revocation, .init = setup, .fini = e2e_fini, .timeout = E2E_TIMEOUT);

/* Polls both gateways until each answers 401 for the token; returns the slower time (ms). */
static long until_refused_everywhere(const char *access, long since)
{
    bool done[2] = {false, false};
    long last = 0, at[2] = {0, 0};
    while (!(done[0] && done[1]) && e2e_now_ms() - since < 10000) {
        int ports[2] = {suite.http_port, e2e_second.http_port};
        for (int g = 0; g < 2; g++) {
            if (!done[g] && e2e_employees_status(ports[g], access) == 401) {
                done[g] = true;
                last = at[g] = e2e_now_ms() - since;
            }
        }
        if (!(done[0] && done[1]))
            e2e_sleep_ms(20);
    }
    cr_assert(done[0] && done[1], "a gateway still accepts the token after 10 s");
    fprintf(stderr, "e2e: refused by gateway 1 after %ld ms, by gateway 2 after %ld ms\n", at[0], at[1]);
    return last;
}

Test(revocation, password_change_voids_tokens_on_every_gateway)
{
    json_decref(e2e_register("change@example.com"));
    char *old_access, *old_refresh;
    e2e_login("change@example.com", E2E_PASSWORD, &old_access, &old_refresh);
    cr_assert_eq(e2e_employees_status(suite.http_port, old_access), 200);
    cr_assert_eq(e2e_employees_status(e2e_second.http_port, old_access), 200, "one secret, two gateways");

    ts_http_res_t res;
    e2e_post(0, &res, AUTH "password/change/", old_access,
             "{\"old_password\":\"wrong-one-123\",\"new_password1\":\"brand-new-pass-77\",\"new_password2\":\"brand-new-pass-77\"}");
    cr_expect_eq(res.status, 400);
    cr_expect_str_eq(res.body, "{\"old_password\":[\"Your old password was entered incorrectly. Please enter it again.\"]}");
    ts_http_res_dispose(&res);

    e2e_secret("brand-new-pass-77");
    long t0 = e2e_now_ms();
    e2e_post(0, &res, AUTH "password/change/", old_access,
             "{\"old_password\":\"" E2E_PASSWORD "\",\"new_password1\":\"brand-new-pass-77\",\"new_password2\":\"brand-new-pass-77\"}");
    cr_assert_eq(res.status, 200, "%s", res.body);
    cr_expect_str_eq(res.body, "{\"detail\":\"New password has been saved.\"}");
    ts_http_res_dispose(&res);
    long took = until_refused_everywhere(old_access, t0);
    cr_expect_leq(took, E2E_VOID_WITHIN_MS, "old token still accepted after %ld ms", took);
    fprintf(stderr, "e2e: password change voided the old access token on both gateways in %ld ms\n", took);

    char body[4096];
    snprintf(body, sizeof body, "{\"refresh\":\"%s\"}", old_refresh);
    e2e_post(0, &res, AUTH "token/refresh/", NULL, body);
    cr_expect_eq(res.status, 401, "the old refresh token too: %s", res.body);
    ts_http_res_dispose(&res);

    char *access;
    e2e_login("change@example.com", "brand-new-pass-77", &access, NULL);
    cr_expect_eq(e2e_employees_status(suite.http_port, access), 200, "a login after the change works at once");
    cr_expect_eq(e2e_employees_status(e2e_second.http_port, access), 200);
    free(access);
    free(old_access);
    free(old_refresh);
}

Test(revocation, operator_commands_and_deactivation)
{
    char out[8192];
    e2e_secret("operator-pass-5150");
    int rc = e2e_cli("operator-pass-5150\n", out, sizeof out,
                     (const char *[]){"user", "create", "--email", "Boss@Example.com", "--staff", NULL});
    cr_assert_eq(rc, 0, "user create: %s", out);
    rc = e2e_cli("password\n", out, sizeof out, (const char *[]){"user", "create", "--email", "weak@example.com", NULL});
    cr_expect_neq(rc, 0, "the password rules apply to the command too");
    cr_expect(strstr(out, "too common") != NULL, "%s", out);
    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"user", "list", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "Boss@example.com") != NULL && strstr(out, "staff") != NULL, "%s", out);
    cr_expect(strstr(out, "weak@example.com") == NULL, "%s", out);

    char *access;
    e2e_login("boss@example.com", "operator-pass-5150", &access, NULL);
    cr_assert_eq(e2e_employees_status(e2e_second.http_port, access), 200);

    e2e_secret("operator-pass-2");
    rc = e2e_cli("operator-pass-2\n", out, sizeof out, (const char *[]){"user", "set-password", "boss@example.com", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    long took = until_refused_everywhere(access, e2e_now_ms());
    cr_expect_leq(took, E2E_VOID_WITHIN_MS, "%ld ms", took);
    free(access);

    e2e_login("boss@example.com", "operator-pass-2", &access, NULL);
    cr_assert_eq(e2e_employees_status(suite.http_port, access), 200);
    long t0 = e2e_now_ms();
    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"user", "deactivate", "boss@example.com", NULL});
    cr_assert_eq(rc, 0, "%s", out);
    took = until_refused_everywhere(access, t0);
    cr_expect_leq(took, E2E_VOID_WITHIN_MS, "deactivation took %ld ms", took);
    fprintf(stderr, "e2e: deactivation voided the access token on both gateways in %ld ms\n", took);

    ts_http_res_t res;
    e2e_post(0, &res, AUTH "login/", NULL, "{\"email\":\"boss@example.com\",\"password\":\"operator-pass-2\"}");
    cr_expect_eq(res.status, 400, "a deactivated account cannot log in");
    cr_expect_str_eq(res.body, "{\"non_field_errors\":[\"Unable to log in with provided credentials.\"]}");
    ts_http_res_dispose(&res);
    rc = e2e_cli(NULL, out, sizeof out, (const char *[]){"user", "deactivate", "nobody@example.com", NULL});
    cr_expect_neq(rc, 0, "%s", out);
    free(access);
}

/* A login and the employees API through gateway port; asserts success. */
static void serve_through(int port, const char *email, const char *password)
{
    char body[512], *access;
    ts_http_res_t res;
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    e2e_post(port, &res, AUTH "login/", NULL, body);
    cr_assert_eq(res.status, 200, "login through port %d: %d %s", port, res.status, res.body);
    json_t *j = e2e_json(&res);
    ts_http_res_dispose(&res);
    access = strdup(json_string_value(json_object_get(json_object_get(j, "jwt"), "access")));
    json_decref(j);
    e2e_secret(access);
    e2e_post(port, &res, EMPLOYEES, access, "{\"name\":\"Ada\",\"department\":\"engineering\",\"salary\":\"1000\"}");
    cr_assert_eq(res.status, 201, "create through port %d: %d %s", port, res.status, res.body);
    ts_http_res_dispose(&res);
    cr_assert_eq(e2e_employees_status(port, access), 200, "list through port %d", port);
    free(access);
}

/* Stops the instances started for the second gateway (slots 4 and 5): what is left, the
 * instances started with the first, must serve both gateways, and a change made through the
 * second gateway must still void tokens on both. */
Test(revocation, one_instance_serves_and_publishes_to_both_gateways)
{
    json_decref(e2e_register("both@example.com"));
    serve_through(0, "both@example.com", E2E_PASSWORD);
    serve_through(e2e_second.http_port, "both@example.com", E2E_PASSWORD);
    for (int slot = 4; slot <= 5; slot++) {
        ts_proc_t *p = &suite.procs[slot];
        int status = ts_proc_stop(p, 10000);
        cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s did not stop cleanly", p->name);
        /* released by each gateway's ping, not by the grace running out or by silence */
        cr_expect(ts_proc_log_contains(p, "drain: all 2 gateways released their workers"), "%s did not drain both",
                  p->name);
    }
    for (int i = 0; i < 5; i++) {
        serve_through(0, "both@example.com", E2E_PASSWORD);
        serve_through(e2e_second.http_port, "both@example.com", E2E_PASSWORD);
    }

    /* the change goes through the second gateway to the first gateway's auth instance */
    char *access;
    e2e_login("both@example.com", E2E_PASSWORD, &access, NULL);
    ts_http_res_t res;
    char bearer[2200];
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", access);
    const char *headers[] = {"Content-Type: application/json", bearer, NULL};
    e2e_secret("another-new-pass-88");
    long t0 = e2e_now_ms();
    e2e_request(e2e_second.http_port, &res, "POST", AUTH "password/change/", headers,
                "{\"old_password\":\"" E2E_PASSWORD "\",\"new_password1\":\"another-new-pass-88\",\"new_password2\":\"another-new-pass-88\"}");
    cr_assert_eq(res.status, 200, "%s", res.body);
    ts_http_res_dispose(&res);
    long took = until_refused_everywhere(access, t0);
    cr_expect_leq(took, E2E_VOID_WITHIN_MS, "old token still accepted after %ld ms", took);
    free(access);
}
