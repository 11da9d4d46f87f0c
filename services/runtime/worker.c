#include <errno.h>
#include <pthread.h>
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
 */

/* Room for the envelope around a body of APIBUS_MAX_BODY bytes. */
#define SVC__ENVELOPE_OVERHEAD (64u * 1024u)
/* How often an idle worker looks at the stop flag. */
#define SVC__POLL_MS 200

typedef struct st_svc__worker_t {
    svc_workers_t *pool;
    pthread_t thread;
    int sock;
    unsigned index;
    bool started;
} svc__worker_t;

struct st_svc_workers_t {
    svc_t *svc;
    atomic_bool stop;
    size_t max_msg;
    svc__worker_t *workers;
    unsigned count;
};

static int svc__send_ready(svc__worker_t *w)
{
    proto_msg_t msg;
    proto_buf_t buf = {0};
    memset(&msg, 0, sizeof msg);
    msg.version = PROTO_VERSION;
    msg.kind = PROTO_KIND_READY;
    int rc = proto_encode(&msg, &buf);
    if (rc == 0 && proto_bus_worker_send(w->sock, buf.data, buf.size) != 0) {
        svc_log("error", "worker %u: cannot send READY: %s", w->index, strerror(errno));
        rc = -1;
    }
    proto_buf_dispose(&buf);
    return rc;
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
    proto_buf_t buf = {0};
    svc_handle_request(w->pool->svc, req, &res);
    if (svc_result_encode(&res, msg->job_id, &buf) != 0)
        svc__oom();
    svc_result_dispose(&res);
    if (proto_bus_worker_send(w->sock, buf.data, buf.size) != 0)
        svc_log("error", "worker %u: cannot send a result: %s", w->index, strerror(errno));
    proto_buf_dispose(&buf);
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
    case PROTO_KIND_PING: svc__send_ready(w); break;
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

static void *svc__worker_main(void *arg)
{
    svc__worker_t *w = arg;
    svc__send_ready(w);
    while (!atomic_load(&w->pool->stop)) {
        void *data = NULL;
        long n = proto_bus_worker_recv(w->sock, &data, SVC__POLL_MS);
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
    }
    return NULL;
}

int svc_workers_start(svc_t *svc, const char *endpoint, svc_workers_t **out)
{
    const svc_config_t *cfg = svc_config(svc);
    svc_workers_t *pool = calloc(1, sizeof *pool);
    if (pool == NULL || (pool->workers = calloc(cfg->workers, sizeof *pool->workers)) == NULL)
        svc__oom();
    pool->svc = svc;
    pool->max_msg = cfg->max_body + SVC__ENVELOPE_OVERHEAD;
    atomic_init(&pool->stop, false);
    for (unsigned i = 0; i < cfg->workers; i++) {
        svc__worker_t *w = &pool->workers[i];
        w->pool = pool;
        w->index = i;
        if ((w->sock = proto_bus_worker_connect(endpoint, pool->max_msg)) < 0) {
            svc_log("error", "cannot connect to %s: %s", endpoint, strerror(errno));
            goto fail;
        }
        pool->count++;
        if (pthread_create(&w->thread, NULL, svc__worker_main, w) != 0) {
            svc_log("error", "cannot start worker thread %u", i);
            goto fail;
        }
        w->started = true;
    }
    svc_log("info", "%u worker(s) asking %s for work", cfg->workers, endpoint);
    *out = pool;
    return 0;
fail:
    svc_workers_stop(pool);
    return -PROTO_ERR_UNAVAILABLE;
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
    free(pool);
}
