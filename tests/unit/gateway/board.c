/* tests gateway/board.c with real nanomsg workers in this process (inproc). */
#include <criterion/criterion.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <stdio.h>
#include <string.h>

#include "gateway/board.h"
#include "proto/errors.h"

static h2o_loop_t *loop;
static gw_board_t *board;
static const char *endpoint = "inproc://gateway-board-test";

typedef struct {
    int done, err, status;
    uint64_t job_id;
    uint32_t last_budget;
} owner_t;

static int encode(void *o, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out)
{
    owner_t *owner = o;
    owner->job_id = job_id;
    owner->last_budget = budget_ms;
    proto_msg_t m = {.version = PROTO_VERSION, .kind = PROTO_KIND_JOB, .job_id = job_id};
    m.req.method = PROTO_STR_LIT("GET");
    m.req.path = PROTO_STR_LIT("/x/");
    m.req.budget_ms = budget_ms;
    return proto_encode(&m, out);
}

static void done(void *o, int err, const proto_reply_t *reply)
{
    owner_t *owner = o;
    owner->done++;
    owner->err = err;
    owner->status = reply != NULL ? reply->status : 0;
}

static const gw_job_callbacks_t cbs = {.encode = encode, .done = done};

static void make_board(uint32_t timeout_ms, uint32_t wait_ms, uint32_t ping_idle_ms)
{
    loop = h2o_evloop_create();
    gw_board_config_t c = {.queue_max = 4, .timeout_ms = timeout_ms, .no_worker_wait_ms = wait_ms,
                           .ping_idle_ms = ping_idle_ms, .ping_timeout_ms = 60, .max_reply = 1 << 20};
    board = gw_board_create(loop, proto_role_by_name("employees"), endpoint, &c);
    cr_assert_not_null(board);
}

/* Turns the loop (and the board's tick) for ms. */
static void run(int ms)
{
    int64_t until = gw_now_ms() + ms;
    while (gw_now_ms() < until) {
        h2o_evloop_run(loop, 5);
        gw_board_tick(board);
    }
}

static void send_msg(int w, proto_kind_t kind, uint64_t job_id, int status)
{
    proto_msg_t m = {.version = PROTO_VERSION, .kind = kind, .job_id = job_id};
    m.reply.status = (uint16_t)status;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&m, &buf), 0);
    cr_assert_eq(proto_bus_worker_send(w, buf.data, buf.size), 0);
    proto_buf_dispose(&buf);
}

/* Receives one message for worker w, turning the loop meanwhile. Returns its kind, 0 if none. */
static int recv_msg(int w, int ms, uint64_t *job_id)
{
    int64_t until = gw_now_ms() + ms;
    while (gw_now_ms() < until) {
        void *msg;
        long n = proto_bus_worker_recv(w, &msg, 0);
        if (n >= 0) {
            proto_msg_t m;
            cr_assert_eq(proto_decode(msg, (size_t)n, 1 << 20, &m), 0);
            if (job_id != NULL)
                *job_id = m.job_id;
            proto_bus_free(msg);
            return m.kind;
        }
        run(2);
    }
    return 0;
}

static int worker(void)
{
    int w = proto_bus_worker_connect(endpoint, 0);
    cr_assert_geq(w, 0);
    send_msg(w, PROTO_KIND_READY, 0, 0);
    return w;
}

static void teardown(void)
{
    gw_board_destroy(board);
    board = NULL;
}

TestSuite(board, .fini = teardown, .timeout = 20);

Test(board, job_result_and_dropped_results)
{
    make_board(2000, 500, 10000);
    int w = worker();
    run(50);
    cr_assert_eq(gw_board_live_workers(board), 1);
    owner_t o = {0};
    uint64_t id, got;
    cr_assert_eq(gw_board_submit(board, &cbs, &o, false, &id), 0);
    cr_assert_eq(recv_msg(w, 1000, &got), PROTO_KIND_JOB);
    cr_assert_eq(got, id);
    cr_assert(o.last_budget > 1900 && o.last_budget <= 2000, "a write gets the whole budget: %u", o.last_budget);
    send_msg(w, PROTO_KIND_RESULT, id, 201);
    run(50);
    cr_assert_eq(o.done, 1);
    cr_assert_eq(o.err, 0);
    cr_assert_eq(o.status, 201);

    /* a RESULT for a job this board never gave (another epoch) is dropped but counts as READY */
    owner_t o2 = {0};
    send_msg(w, PROTO_KIND_RESULT, 0x1234567800000001ull, 200);
    run(50);
    cr_assert_eq(gw_board_stats(board)->dropped_results, 1);
    cr_assert_eq(gw_board_submit(board, &cbs, &o2, true, &id), 0);
    cr_assert_eq(recv_msg(w, 1000, &got), PROTO_KIND_JOB);
    cr_assert(o2.last_budget <= 1000, "a read's first attempt gets half: %u", o2.last_budget);
    send_msg(w, PROTO_KIND_RESULT, got, 200);
    run(50);
    cr_assert_eq(o2.done, 1);
    cr_assert_eq(o2.status, 200);
    nn_close(w);
}

Test(board, no_worker_is_unavailable_after_the_wait)
{
    make_board(5000, 200, 10000);
    owner_t o = {0};
    uint64_t id;
    cr_assert_eq(gw_board_submit(board, &cbs, &o, true, &id), 0);
    run(100);
    cr_assert_eq(o.done, 0, "still waiting for a worker");
    run(300);
    cr_assert_eq(o.done, 1);
    cr_assert_eq(o.err, -PROTO_ERR_UNAVAILABLE);
}

Test(board, queue_bound)
{
    make_board(5000, 5000, 10000);
    owner_t o[5] = {0};
    uint64_t id;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(gw_board_submit(board, &cbs, &o[i], true, &id), 0);
    cr_assert_eq(gw_board_submit(board, &cbs, &o[4], true, &id), -PROTO_ERR_QUEUE_FULL);
    cr_assert_eq(o[4].done, 0, "a refused job is never called back");
    gw_board_cancel(board, id);
    cr_assert_eq(gw_board_active_jobs(board), 3);
}

Test(board, timeout_write_is_504_read_is_retried_elsewhere)
{
    make_board(600, 5000, 10000);
    int stuck = worker();
    run(50);
    owner_t o = {0};
    uint64_t id, got;
    cr_assert_eq(gw_board_submit(board, &cbs, &o, false, &id), 0);
    cr_assert_eq(recv_msg(stuck, 500, &got), PROTO_KIND_JOB);
    run(700);
    cr_assert_eq(o.done, 1);
    cr_assert_eq(o.err, -PROTO_ERR_TIMEOUT);

    /* the stuck worker is suspect now; a healthy one joins; a read is tried there */
    int healthy = worker();
    run(50);
    owner_t r = {0};
    cr_assert_eq(gw_board_submit(board, &cbs, &r, true, &id), 0);
    cr_assert_eq(recv_msg(healthy, 500, &got), PROTO_KIND_JOB);
    send_msg(healthy, PROTO_KIND_RESULT, got, 200);
    run(50);
    cr_assert_eq(r.done, 1);
    cr_assert_eq(r.status, 200);

    /* the late answer of the stuck worker is dropped and revives it */
    send_msg(stuck, PROTO_KIND_RESULT, o.job_id, 201);
    run(50);
    cr_assert_eq(gw_board_live_workers(board), 2);
    nn_close(stuck);
    nn_close(healthy);
}

Test(board, read_retried_when_first_worker_is_silent)
{
    make_board(1000, 5000, 10000);
    int a = worker();
    run(50);
    int b = worker();
    run(50);
    owner_t r = {0};
    uint64_t id, got;
    cr_assert_eq(gw_board_submit(board, &cbs, &r, true, &id), 0);
    /* a got it first (idle workers are used in arrival order) and never answers */
    cr_assert_eq(recv_msg(a, 200, &got), PROTO_KIND_JOB);
    cr_assert_eq(recv_msg(b, 800, &got), PROTO_KIND_JOB, "retried on the other worker");
    cr_assert_eq(got, id, "the same job");
    send_msg(b, PROTO_KIND_RESULT, got, 200);
    run(50);
    cr_assert_eq(r.done, 1);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(gw_board_stats(board)->retries, 1);
    nn_close(a);
    nn_close(b);
}

Test(board, idle_workers_are_pinged_and_silent_ones_forgotten)
{
    make_board(1000, 5000, 100);
    int w = worker();
    run(50);
    cr_assert_eq(recv_msg(w, 500, NULL), PROTO_KIND_PING);
    send_msg(w, PROTO_KIND_READY, 0, 0);
    run(20);
    cr_assert_eq(gw_board_live_workers(board), 1);
    /* the next ping goes unanswered */
    cr_assert_eq(recv_msg(w, 500, NULL), PROTO_KIND_PING);
    run(150);
    cr_assert_eq(gw_board_live_workers(board), 0);
    nn_close(w);
}

Test(board, resent_ready_registers_once)
{
    make_board(2000, 5000, 10000);
    int w = proto_bus_worker_connect(endpoint, 0);
    int resend = 30;
    cr_assert_eq(nn_setsockopt(w, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend), 0);
    send_msg(w, PROTO_KIND_READY, 0, 0);
    run(200); /* several resends of the same READY */
    cr_assert_eq(gw_board_live_workers(board), 1);
    owner_t o1 = {0}, o2 = {0};
    uint64_t id1, id2, got;
    cr_assert_eq(gw_board_submit(board, &cbs, &o1, false, &id1), 0);
    cr_assert_eq(gw_board_submit(board, &cbs, &o2, false, &id2), 0);
    /* only one job may go to the one outstanding READY; the second waits for the RESULT */
    cr_assert_eq(recv_msg(w, 500, &got), PROTO_KIND_JOB);
    cr_assert_eq(got, id1);
    run(100);
    send_msg(w, PROTO_KIND_RESULT, id1, 200);
    cr_assert_eq(recv_msg(w, 500, &got), PROTO_KIND_JOB);
    cr_assert_eq(got, id2);
    send_msg(w, PROTO_KIND_RESULT, id2, 200);
    run(50);
    cr_assert_eq(o1.done, 1);
    cr_assert_eq(o1.status, 200);
    cr_assert_eq(o2.done, 1);
    cr_assert_eq(o2.status, 200);
    nn_close(w);
}
