/*
 * The gateway tier: what happens when services are missing, stuck, killed or slow. Bounds on
 * time are generous: they only tell a hang from an answer.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/gateway/common.h"

static void setup(void)
{
    ts_suite_init(&suite, "gw-resilience");
}

TestSuite(resilience, .init = setup, .fini = gw_test_fini, .timeout = GW_TEST_TIMEOUT);

static int get_list(long user_id)
{
    ts_http_res_t res;
    request_as(&res, user_id, "GET", EMPLOYEES, NULL);
    int status = res.status;
    if (status >= 500)
        assert_json_error(&res, status, NULL);
    ts_http_res_dispose(&res);
    return status;
}

Test(resilience, no_service_is_503_after_the_wait)
{
    const char *extra[] = {"APIBUS_NO_WORKER_WAIT_MS=700", NULL};
    start_gateway(extra);
    long t0 = now_ms();
    ts_http_res_t res;
    request_as(&res, 1, "GET", EMPLOYEES, NULL);
    long took = now_ms() - t0;
    assert_json_error(&res, 503, "Service temporarily unavailable, try again later.");
    ts_http_res_dispose(&res);
    cr_assert_geq(took, 600, "answered after %ld ms: the request must wait for a worker first", took);
    cr_assert_lt(took, 8000, "took %ld ms", took);
}

Test(resilience, a_service_that_starts_during_the_wait_answers)
{
    const char *extra[] = {"APIBUS_NO_WORKER_WAIT_MS=8000", NULL};
    start_gateway(extra);
    start_employees(1); /* it connects while the request below waits in the queue */
    cr_assert_eq(get_list(1), 200);
}

Test(resilience, stopped_service_is_504_then_recovers)
{
    const char *extra[] = {"APIBUS_UPSTREAM_TIMEOUT_MS=1500", "APIBUS_NO_WORKER_WAIT_MS=20000", NULL};
    start_gateway(extra);
    ts_proc_t *emp = start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    create_employee(1, "before");

    cr_assert_eq(ts_proc_signal(emp, SIGSTOP), 0);
    ts_http_res_t res;
    long t0 = now_ms();
    request_as(&res, 1, "POST", EMPLOYEES, "{\"name\":\"stuck\",\"department\":\"hr\",\"salary\":1}");
    long took = now_ms() - t0;
    assert_json_error(&res, 504, "The service did not answer in time.");
    ts_http_res_dispose(&res);
    cr_assert(took >= 1300 && took < 10000, "504 after %ld ms", took);

    t0 = now_ms();
    cr_assert_eq(get_list(1), 504);
    took = now_ms() - t0;
    cr_assert(took >= 1300 && took < 10000, "504 after %ld ms", took);

    /* it wakes up: its late answers are dropped and it takes work again */
    cr_assert_eq(ts_proc_signal(emp, SIGCONT), 0);
    long deadline = now_ms() + 10000;
    int status = 0;
    while (now_ms() < deadline && (status = get_list(1)) != 200)
        sleep_ms(100);
    cr_assert_eq(status, 200, "no recovery after SIGCONT");
}

Test(resilience, killed_service_restarts)
{
    const char *extra[] = {"APIBUS_UPSTREAM_TIMEOUT_MS=3000", "APIBUS_NO_WORKER_WAIT_MS=500", NULL};
    start_gateway(extra);
    ts_proc_t *emp = start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    long id = create_employee(1, "survivor");

    ts_proc_kill(emp);
    /* the gateway notices the broken connections and, after the wait, answers 503 (a request
     * that raced the detection may see 504 instead): never a hang */
    long t0 = now_ms();
    int status = get_list(1);
    cr_assert(status == 503 || status == 504, "got %d with no service", status);
    cr_assert_lt(now_ms() - t0, 10000);
    cr_assert_eq(ts_http_wait_status(suite.http_port, "/readyz", 503, 5000), 0, "readyz still says ready");

    start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    char item[128];
    snprintf(item, sizeof item, EMPLOYEES "%ld/", id);
    ts_http_res_t res;
    request_as(&res, 1, "GET", item, NULL);
    cr_assert_eq(res.status, 200, "%s", res.body);
    ts_http_res_dispose(&res);
}

Test(resilience, a_stuck_instance_does_not_stop_the_other)
{
    const char *extra[] = {"APIBUS_UPSTREAM_TIMEOUT_MS=4000", NULL};
    start_gateway(extra);
    ts_proc_t *slow = start_employees(1);
    start_employees(2);
    ts_suite_wait_ready(&suite, 10000);
    sleep_ms(500); /* both instances' workers register */
    create_employee(1, "a");

    cr_assert_eq(ts_proc_signal(slow, SIGSTOP), 0);
    /* reads: one that lands on a stuck worker is retried on another after half its budget */
    long t0 = now_ms();
    for (int i = 0; i < 20; i++)
        cr_assert_eq(get_list(1), 200, "read %d failed with one instance stopped", i);
    cr_assert_lt(now_ms() - t0, 30000);
    /* writes are never retried; once the stuck workers were found out by ping they get none */
    sleep_ms(1500);
    t0 = now_ms();
    for (int i = 0; i < 10; i++) {
        ts_http_res_t res;
        request_as(&res, 1, "POST", EMPLOYEES, "{\"name\":\"w\",\"department\":\"sales\",\"salary\":5}");
        cr_assert_eq(res.status, 201, "write %d: %d %s", i, res.status, res.body);
        ts_http_res_dispose(&res);
    }
    cr_assert_lt(now_ms() - t0, 10000);
    ts_proc_signal(slow, SIGCONT);
}

Test(resilience, client_gone_while_its_job_is_pending)
{
    const char *extra[] = {"APIBUS_UPSTREAM_TIMEOUT_MS=1000", NULL};
    start_gateway(extra);
    ts_proc_t *emp = start_employees(1);
    ts_suite_wait_ready(&suite, 10000);
    cr_assert_eq(ts_proc_signal(emp, SIGSTOP), 0);
    /* clients that give up after 100 ms, with their jobs queued or running */
    char *tok = ts_jwt_access(1), auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    const char *h[] = {auth, NULL};
    for (int i = 0; i < 5; i++) {
        ts_http_res_t res;
        cr_assert_eq(ts_http(suite.http_port, "GET", EMPLOYEES, h, NULL, 0, 100, &res), -1);
    }
    free(tok);
    sleep_ms(1200); /* their deadlines pass with nobody to answer */
    cr_assert_eq(ts_proc_signal(emp, SIGCONT), 0);
    long deadline = now_ms() + 10000;
    int status = 0;
    while (now_ms() < deadline && (status = get_list(1)) != 200)
        sleep_ms(100);
    cr_assert_eq(status, 200);
    cr_assert(ts_proc_alive(&suite.procs[0]), "the gateway survived");
}
