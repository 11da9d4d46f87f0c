#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/bus.h"
#include "services/runtime/worker.h"

/*
 * Worker threads and the job board (tech notes §10): each thread owns one REQ connection to its
 * role's board, says READY, and then alternates: a JOB is handled and answered with a RESULT
 * (which the board also counts as the next READY); a PING is answered with READY. Only idle
 * workers are given work, so a slow request never queues others behind it.
 *
 * Draining (SIGTERM). A READY cannot be taken back: while the gateway holds one, it may send a
 * job on it at any moment, and a job sent to a connection that has just closed is lost without
 * an error (nanomsg discards it; a POST would end in a 504). So a draining worker keeps its
 * connection and keeps serving jobs until the gateway stops sending them, which it does when it
 * PINGs an idle worker: a draining worker leaves that PING unanswered and is "released" (the
 * board sends nothing to a worker it is pinging and forgets it 200 ms later). The board pings
 * all idle workers whenever a connection to it breaks, so the draining process makes that happen
 * by opening and closing a throw-away connection every SVC__NUDGE_MS (svc__nudge). Once every
 * worker is released, or APIBUS_SHUTDOWN_GRACE_MS has passed, the connections close. Meanwhile
 * the other instances take the work; with no other instance the gateway queues requests for
 * APIBUS_NO_WORKER_WAIT_MS, which covers a restart.
 *
 * Several gateways. One REQ can only be connected to one board: a REQ connected to two resends
 * its READY to either and leaves ghost registrations (tech notes §10, point 10). So the pool has
 * APIBUS_WORKERS threads per gateway, each connected to that gateway alone; every gateway then
 * has the same credits it has with one, and a slow request on one gateway's worker never holds
 * another gateway's work. Draining is per board: a nudge goes to each gateway that still holds
 * an unreleased worker of ours, and each gateway releases its own workers by its PING.
 */

/* Room for the envelope around a body of APIBUS_MAX_BODY bytes. */
#define SVC__ENVELOPE_OVERHEAD (64u * 1024u)
/* How often an idle worker looks at the stop flag. */
#define SVC__POLL_MS 200
/* While draining: how often to make the board ping its idle workers, and how often a worker
 * looks at the clock. */
#define SVC__NUDGE_MS 100
#define SVC__DRAIN_POLL_MS 20
/* A draining worker that has heard nothing and sent nothing for this long is released anyway:
 * the gateway pings within a few of its 20 ms ticks after a nudge, so silence means a peer that
 * never pings (a test's stand-in board) or none at all. Same for a worker with no connection. */
#define SVC__DRAIN_QUIET_MS 500

typedef struct st_svc__worker_t {
    svc_workers_t *pool;
    pthread_t thread;
    int sock;
    unsigned index;       /* over the whole pool, for the log */
    unsigned board;       /* which gateway's board (index into the pool's endpoints) */
    bool started;
    atomic_bool released; /* draining: the gateway will send it nothing more */
    atomic_bool quiet;    /* released by silence rather than by a PING */
    int64_t active_ms;    /* draining: when it last sent or received */
} svc__worker_t;

struct st_svc_workers_t {
    svc_t *svc;
    atomic_bool stop;     /* leave now (after the request in hand) */
    atomic_bool draining; /* serve until released, see above */
    size_t max_msg;
    char (*endpoints)[PROTO_ENDPOINT_MAX]; /* one board per gateway */
    size_t num_boards;
    svc__worker_t *workers; /* per_board consecutive workers per board */
    unsigned per_board, count;
};

/* The envelope is encoded straight into a message of the transport's, which is handed over
 * rather than copied: a reply body is copied once on its way from the handler to the socket. */
static int svc__send(svc__worker_t *w, const proto_msg_t *msg)
{
    size_t len, written;
    int rc = proto_encoded_len(msg, &len);
    if (rc != 0) {
        svc_log("error", "worker %u: cannot encode a message: %s", w->index, proto_err_name(rc));
        return rc;
    }
    void *buf = proto_bus_msg_alloc(len);
    if (buf == NULL)
        svc__oom();
    if ((rc = proto_encode_into(msg, buf, len, &written)) != 0 || written != len) {
        svc_log("error", "worker %u: a message of %zu bytes encoded as %zu", w->index, len, written);
        proto_bus_free(buf);
        return -PROTO_ERR_INTERNAL;
    }
    if (proto_bus_worker_send_msg(w->sock, buf) != 0) {
        svc_log("error", "worker %u: cannot send a %s: %s", w->index,
                msg->kind == PROTO_KIND_RESULT ? "result" : "READY", strerror(errno));
        return -PROTO_ERR_UNAVAILABLE;
    }
    return 0;
}

static int svc__send_ready(svc__worker_t *w)
{
    proto_msg_t msg;
    memset(&msg, 0, sizeof msg);
    msg.version = PROTO_VERSION;
    msg.kind = PROTO_KIND_READY;
    return svc__send(w, &msg);
}

static void svc__run_job(svc__worker_t *w, const proto_msg_t *msg)
{
    const proto_request_t *req = &msg->req;
    if (req->budget_ms == 0) {
        /* the gateway has already answered 504: working on it would only delay the next job */
        svc_log("warn", "worker %u: job %llu dropped: no time budget left", w->index, (unsigned long long)msg->job_id);
        svc__send_ready(w);
        return;
    }
    svc_result_t res;
    proto_msg_t out;
    svc_handle_request(w->pool->svc, req, &res);
    svc__result_msg(&res, msg->job_id, &out);
    svc__send(w, &out);
    svc_result_dispose(&res);
}

static void svc__handle_message(svc__worker_t *w, const void *data, size_t len)
{
    proto_msg_t msg;
    int rc = proto_decode(data, len, w->pool->max_msg, &msg);
    if (rc != 0) {
        /* nothing in it can be trusted, not even the job id: ask for the next one */
        svc_log("error", "worker %u: undecodable message of %zu bytes: %s", w->index, len, proto_err_name(rc));
        svc__send_ready(w);
        return;
    }
    switch (msg.kind) {
    case PROTO_KIND_JOB: svc__run_job(w, &msg); break;
    case PROTO_KIND_PING:
        if (atomic_load(&w->pool->draining))
            atomic_store(&w->released, true); /* unanswered: the board stops sending us work */
        else
            svc__send_ready(w);
        break;
    default:
        svc_log("error", "worker %u: unexpected message kind %d", w->index, (int)msg.kind);
        svc__send_ready(w);
        break;
    }
}

static void svc__pause(void)
{
    struct timespec ts = {0, SVC__POLL_MS * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t svc__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Draining: released when the board has been silent for a while or the connection is gone. */
static void svc__drain_check(svc__worker_t *w)
{
    int64_t now = svc__mono_ms();
    if (w->active_ms == 0)
        w->active_ms = now;
    if (now - w->active_ms >= SVC__DRAIN_QUIET_MS || proto_bus_current_connections(w->sock) == 0) {
        atomic_store(&w->quiet, true);
        atomic_store(&w->released, true);
    }
}

static void *svc__worker_main(void *arg)
{
    svc__worker_t *w = arg;
    svc__send_ready(w);
    while (!atomic_load(&w->pool->stop) && !atomic_load(&w->released)) {
        if (atomic_load(&w->pool->draining)) {
            svc__drain_check(w);
            if (atomic_load(&w->released))
                break;
        }
        void *data = NULL;
        long n = proto_bus_worker_recv(w->sock, &data,
                                       atomic_load(&w->pool->draining) ? SVC__DRAIN_POLL_MS : SVC__POLL_MS);
        if (n < 0) {
            if (errno == ETIMEDOUT || errno == EAGAIN || errno == EINTR)
                continue;
            if (errno == EBADF)
                break;
            /* e.g. EFSM after a failed send: start over with a fresh READY */
            svc_log("error", "worker %u: receive failed: %s", w->index, strerror(errno));
            svc__pause();
            svc__send_ready(w);
            continue;
        }
        svc__handle_message(w, data, (size_t)n);
        proto_bus_free(data);
        if (atomic_load(&w->pool->draining))
            w->active_ms = svc__mono_ms(); /* it just answered (a RESULT is a READY): wait again */
    }
    return NULL;
}

int svc_workers_start(svc_t *svc, const char (*endpoints)[PROTO_ENDPOINT_MAX], size_t num_endpoints,
                      svc_workers_t **out)
{
    const svc_config_t *cfg = svc_config(svc);
    svc_workers_t *pool = calloc(1, sizeof *pool);
    size_t total = (size_t)cfg->workers * num_endpoints;
    if (pool == NULL || (pool->workers = calloc(total, sizeof *pool->workers)) == NULL ||
        (pool->endpoints = calloc(num_endpoints, sizeof *pool->endpoints)) == NULL)
        svc__oom();
    pool->svc = svc;
    pool->max_msg = cfg->max_body + SVC__ENVELOPE_OVERHEAD;
    pool->per_board = cfg->workers;
    pool->num_boards = num_endpoints;
    memcpy(pool->endpoints, endpoints, num_endpoints * sizeof *endpoints);
    atomic_init(&pool->stop, false);
    atomic_init(&pool->draining, false);
    for (unsigned i = 0; i < total; i++) {
        svc__worker_t *w = &pool->workers[i];
        w->pool = pool;
        w->index = i;
        w->board = i / pool->per_board;
        atomic_init(&w->released, false);
        atomic_init(&w->quiet, false);
        if ((w->sock = proto_bus_worker_connect(pool->endpoints[w->board], pool->max_msg)) < 0) {
            svc_log("error", "cannot connect to %s: %s", pool->endpoints[w->board], strerror(errno));
            goto fail;
        }
        pool->count++;
        if (pthread_create(&w->thread, NULL, svc__worker_main, w) != 0) {
            svc_log("error", "cannot start worker thread %u", i);
            goto fail;
        }
        w->started = true;
    }
    for (size_t b = 0; b < num_endpoints; b++)
        svc_log("info", "%u worker(s) asking %s for work", cfg->workers, pool->endpoints[b]);
    *out = pool;
    return 0;
fail:
    svc_workers_stop(pool);
    return -PROTO_ERR_UNAVAILABLE;
}

static void svc__sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A connection to a board that opens and closes: the board counts a broken connection and
 * pings its idle workers, ours among them. */
static void svc__nudge(const svc_workers_t *pool, size_t board)
{
    int sock = proto_bus_worker_connect(pool->endpoints[board], pool->max_msg);
    if (sock < 0)
        return;
    for (int i = 0; i < 10 && proto_bus_current_connections(sock) == 0; i++)
        svc__sleep_ms(5);
    proto_bus_close(sock);
}

static bool svc__is_released(const svc__worker_t *w)
{
    return !w->started || atomic_load(&w->released);
}

static unsigned svc__released(const svc_workers_t *pool)
{
    unsigned n = 0;
    for (unsigned i = 0; i < pool->count; i++)
        n += svc__is_released(&pool->workers[i]);
    return n;
}

/* Whether the board still holds a worker of ours that it has not released. */
static bool svc__board_holds(const svc_workers_t *pool, size_t board)
{
    for (unsigned i = 0; i < pool->count; i++)
        if (pool->workers[i].board == board && !svc__is_released(&pool->workers[i]))
            return true;
    return false;
}

unsigned svc_workers_connected(const svc_workers_t *pool)
{
    unsigned n = 0;
    for (unsigned i = 0; i < pool->count; i++)
        if (proto_bus_current_connections(pool->workers[i].sock) > 0)
            n++;
    return n;
}

int svc_workers_drain(svc_workers_t *pool, unsigned grace_ms)
{
    if (pool == NULL)
        return 0;
    int64_t start = svc__mono_ms(), deadline = start + grace_ms;
    atomic_store(&pool->draining, true);
    while (svc__released(pool) < pool->count && svc__mono_ms() < deadline) {
        for (size_t b = 0; b < pool->num_boards; b++)
            if (svc__board_holds(pool, b))
                svc__nudge(pool, b);
        svc__sleep_ms(SVC__NUDGE_MS);
    }
    unsigned released = svc__released(pool), quiet = 0;
    for (unsigned i = 0; i < pool->count; i++)
        quiet += pool->workers[i].started && atomic_load(&pool->workers[i].quiet);
    if (released < pool->count) {
        for (size_t b = 0; b < pool->num_boards; b++)
            if (svc__board_holds(pool, b))
                svc_log("warn", "drain: %s did not release every worker within %u ms", pool->endpoints[b], grace_ms);
        svc_log("warn", "drain: %u of %u worker(s) released by the gateway within %u ms; closing anyway",
                released, pool->count, grace_ms);
    } else if (quiet == 0 && pool->num_boards == 1)
        svc_log("info", "drain: the gateway released all %u worker(s) in %lld ms", pool->count,
                (long long)(svc__mono_ms() - start));
    else if (quiet == 0)
        svc_log("info", "drain: all %zu gateways released their workers (%u) in %lld ms", pool->num_boards,
                pool->count, (long long)(svc__mono_ms() - start));
    else
        svc_log("info", "drain: %u worker(s) released in %lld ms, %u of them after %d ms without a word from "
                "the board (no gateway, or one that does not ping)", pool->count,
                (long long)(svc__mono_ms() - start), quiet, SVC__DRAIN_QUIET_MS);
    return released == pool->count ? 0 : -1;
}

void svc_workers_stop(svc_workers_t *pool)
{
    if (pool == NULL)
        return;
    /* each worker finishes the request in hand, then sees the flag within SVC__POLL_MS */
    atomic_store(&pool->stop, true);
    for (unsigned i = 0; i < pool->count; i++) {
        if (pool->workers[i].started)
            pthread_join(pool->workers[i].thread, NULL);
        proto_bus_close(pool->workers[i].sock);
    }
    free(pool->workers);
    free(pool->endpoints);
    free(pool);
}
