#include "gateway/board.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/errors.h"

typedef enum en_gw_worker_state_t {
    GW_WORKER_IDLE,    /* its READY is unanswered: it can take a job */
    GW_WORKER_BUSY,    /* runs job_id */
    GW_WORKER_PINGING, /* answered with a PING, waiting for the READY */
    GW_WORKER_SUSPECT  /* missed a deadline; takes nothing until it speaks again */
} gw_worker_state_t;

typedef struct st_gw_worker_t {
    uint32_t key;        /* pipe key */
    proto_bus_hdr_t hdr; /* the header of its latest request, which is what we answer */
    gw_worker_state_t state;
    bool answered;       /* hdr has been answered (job or PING) */
    uint64_t job_id;     /* BUSY / SUSPECT */
    int64_t last_seen_ms, state_since_ms;
    h2o_linklist_t idle_link; /* in board->idle while IDLE */
} gw_worker_t;

typedef enum en_gw_job_state_t { GW_JOB_QUEUED, GW_JOB_RUNNING } gw_job_state_t;

typedef struct st_gw_job_t {
    uint64_t id;
    const gw_job_callbacks_t *cb;
    void *owner; /* NULL once cancelled */
    gw_job_state_t state;
    bool idempotent;
    unsigned attempts;
    uint32_t worker_key; /* RUNNING */
    int64_t submitted_ms, deadline_ms, attempt_deadline_ms;
    proto_buf_t envelope; /* RUNNING: the bytes sent, re-sent on a duplicate READY */
    h2o_linklist_t link;  /* in board->queue or board->running */
} gw_job_t;

struct st_gw_board_t {
    const proto_role_t *role;
    gw_board_config_t config;
    int sock;
    h2o_socket_t *watch;
    gw_map_t workers; /* (pipe key | 1 << 32) -> gw_worker_t* */
    gw_map_t jobs;    /* job id -> gw_job_t* */
    h2o_linklist_t idle, queue, running;
    size_t num_queued;
    uint32_t epoch, counter;
    uint64_t broken_seen;
    int64_t no_worker_since_ms; /* 0 while some worker is live */
    proto_buf_t ping;           /* the PING message, encoded once */
    gw_board_stats_t stats;
};

int64_t gw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t gw__worker_map_key(uint32_t pipe)
{
    /* pipe keys may be 0, map keys may not */
    return (uint64_t)pipe | (1ull << 32);
}

static uint32_t gw__new_epoch(void)
{
    uint32_t e;
    do
        e = randombytes_random();
    while (e == 0);
    return e;
}

static uint64_t gw__next_job_id(gw_board_t *b)
{
    if (++b->counter == 0) {
        /* after 2^32 jobs, a fresh epoch keeps ids of long-finished jobs from coming back */
        b->epoch = gw__new_epoch();
        b->counter = 1;
    }
    return (uint64_t)b->epoch << 32 | b->counter;
}

/* ---- workers ------------------------------------------------------------------------------ */

static void gw__worker_set_idle(gw_board_t *b, gw_worker_t *w, const proto_bus_hdr_t *hdr, int64_t now)
{
    w->hdr = *hdr;
    w->answered = false;
    w->job_id = 0;
    w->state = GW_WORKER_IDLE;
    w->last_seen_ms = w->state_since_ms = now;
    if (h2o_linklist_is_linked(&w->idle_link))
        h2o_linklist_unlink(&w->idle_link);
    h2o_linklist_insert(&b->idle, &w->idle_link);
}

static void gw__worker_leave_idle(gw_worker_t *w)
{
    if (h2o_linklist_is_linked(&w->idle_link))
        h2o_linklist_unlink(&w->idle_link);
}

static void gw__worker_forget(gw_board_t *b, gw_worker_t *w)
{
    gw__worker_leave_idle(w);
    gw_map_remove(&b->workers, gw__worker_map_key(w->key));
    b->stats.forgotten++;
    free(w);
}

static void gw__worker_ping(gw_board_t *b, gw_worker_t *w, int64_t now)
{
    gw__worker_leave_idle(w);
    w->state = GW_WORKER_PINGING;
    w->answered = true;
    w->state_since_ms = now;
    b->stats.pings++;
    if (proto_bus_board_send(b->sock, &w->hdr, b->ping.data, b->ping.size) != 0)
        gw__worker_forget(b, w);
}

/* ---- jobs --------------------------------------------------------------------------------- */

static void gw__job_free(gw_job_t *job)
{
    proto_buf_dispose(&job->envelope);
    free(job);
}

/* Ends a job: unlinks it first, so that an owner reacting to done (or cancelling) finds nothing. */
static void gw__job_finish(gw_board_t *b, gw_job_t *job, int err, const proto_reply_t *reply)
{
    gw_map_remove(&b->jobs, job->id);
    if (h2o_linklist_is_linked(&job->link))
        h2o_linklist_unlink(&job->link);
    if (job->state == GW_JOB_QUEUED)
        b->num_queued--;
    if (job->owner != NULL)
        job->cb->done(job->owner, err, reply);
    gw__job_free(job);
}

static void gw__job_requeue_front(gw_board_t *b, gw_job_t *job)
{
    if (h2o_linklist_is_linked(&job->link))
        h2o_linklist_unlink(&job->link);
    proto_buf_dispose(&job->envelope);
    job->state = GW_JOB_QUEUED;
    job->worker_key = 0;
    h2o_linklist_insert(b->queue.next, &job->link);
    b->num_queued++;
}

/* The running job's attempt failed without an answer (err says how, for when it cannot be
 * retried). Retry rules are those of the header comment. */
static void gw__job_attempt_failed(gw_board_t *b, gw_job_t *job, int err, int64_t now)
{
    if (job->owner != NULL && job->idempotent && job->attempts < 2 && job->deadline_ms - now >= GW_BOARD_RETRY_MIN_MS) {
        b->stats.retries++;
        gw__job_requeue_front(b, job);
        return;
    }
    gw__job_finish(b, job, err, NULL);
}

static gw_job_t *gw__running_job_of(gw_board_t *b, const gw_worker_t *w)
{
    if (w->job_id == 0)
        return NULL;
    gw_job_t *job = gw_map_get(&b->jobs, w->job_id);
    return job != NULL && job->state == GW_JOB_RUNNING && job->worker_key == w->key ? job : NULL;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static void gw__dispatch(gw_board_t *b)
{
    while (!h2o_linklist_is_empty(&b->queue) && !h2o_linklist_is_empty(&b->idle)) {
        gw_job_t *job = H2O_STRUCT_FROM_MEMBER(gw_job_t, link, b->queue.next);
        gw_worker_t *w = H2O_STRUCT_FROM_MEMBER(gw_worker_t, idle_link, b->idle.next);
        int64_t now = gw_now_ms();
        int64_t remaining = job->deadline_ms - now;
        if (remaining <= 0) {
            gw__job_finish(b, job, -PROTO_ERR_TIMEOUT, NULL);
            continue;
        }
        int64_t budget = remaining;
        if (job->idempotent && job->attempts == 0 && remaining / 2 >= GW_BOARD_RETRY_MIN_MS)
            budget = remaining / 2;
        proto_buf_dispose(&job->envelope);
        int rc = job->cb->encode(job->owner, job->id, (uint32_t)budget, &job->envelope);
        if (rc != 0) {
            gw__job_finish(b, job, rc, NULL);
            continue;
        }
        h2o_linklist_unlink(&job->link);
        b->num_queued--;
        gw__worker_leave_idle(w);
        if (proto_bus_board_send(b->sock, &w->hdr, job->envelope.data, job->envelope.size) != 0) {
            /* the worker's pipe is gone: forget it, the job stays first in line */
            h2o_linklist_insert(b->queue.next, &job->link);
            b->num_queued++;
            gw__worker_forget(b, w);
            continue;
        }
        job->state = GW_JOB_RUNNING;
        job->worker_key = w->key;
        job->attempts++;
        job->attempt_deadline_ms = now + budget;
        h2o_linklist_insert(&b->running, &job->link);
        w->state = GW_WORKER_BUSY;
        w->answered = true;
        w->job_id = job->id;
        w->state_since_ms = now;
        b->stats.jobs++;
    }
}

/* ---- messages from workers ---------------------------------------------------------------- */

static void gw__resend(gw_board_t *b, gw_worker_t *w, int64_t now)
{
    gw_job_t *job = w->state == GW_WORKER_BUSY ? gw__running_job_of(b, w) : NULL;
    b->stats.duplicates++;
    if (job != NULL) {
        proto_bus_board_send(b->sock, &w->hdr, job->envelope.data, job->envelope.size);
        return;
    }
    /* We answered with a PING, or with a job that has since ended: a PING is a safe answer
     * either way, since the REQ takes only one reply per request id. */
    gw__worker_ping(b, w, now);
}

static void gw__on_message(gw_board_t *b, const proto_bus_hdr_t *hdr, const void *data, size_t len)
{
    int64_t now = gw_now_ms();
    uint32_t key = proto_bus_hdr_pipe(hdr);
    gw_worker_t *w = gw_map_get(&b->workers, gw__worker_map_key(key));

    if (w != NULL && proto_bus_hdr_request(&w->hdr) == proto_bus_hdr_request(hdr)) {
        if (w->answered)
            gw__resend(b, w, now);
        else
            w->last_seen_ms = now; /* a resent READY that is still waiting: nothing new */
        return;
    }
    if (w == NULL) {
        if ((w = calloc(1, sizeof *w)) == NULL)
            return; /* the worker stays unknown and unanswered; its REQ keeps it pending */
        w->key = key;
        if (gw_map_put(&b->workers, gw__worker_map_key(key), w) != 0) {
            free(w);
            return;
        }
    }

    proto_msg_t msg;
    int rc = proto_decode(data, len, b->config.max_reply + 65536, &msg);
    gw_job_t *current = gw__running_job_of(b, w);
    if (rc != 0) {
        b->stats.bad_results++;
        if (current != NULL)
            gw__job_finish(b, current, -PROTO_ERR_BAD_REPLY, NULL);
        current = NULL;
    } else if (msg.kind == PROTO_KIND_RESULT) {
        b->stats.results++;
        gw_job_t *job = gw_map_get(&b->jobs, msg.job_id);
        if (job != NULL && job == current) {
            if (msg.reply.body.len > b->config.max_reply)
                gw__job_finish(b, job, -PROTO_ERR_REPLY_TOO_LARGE, NULL);
            else
                gw__job_finish(b, job, 0, &msg.reply);
            current = NULL;
        } else {
            /* late (deadline passed), from an earlier gateway, or for a retried job: dropped */
            b->stats.dropped_results++;
        }
    }
    if (current != NULL) {
        /* it asks for work without answering its job: that attempt is lost */
        gw__job_attempt_failed(b, current, -PROTO_ERR_BAD_REPLY, now);
    }
    /* whatever it sent, a REQ now waits for an answer: it is idle */
    gw__worker_set_idle(b, w, hdr, now);
}

static void gw__on_readable(h2o_socket_t *sock, const char *err)
{
    gw_board_t *b = sock->data;
    if (err != NULL)
        return;
    for (;;) {
        void *msg = NULL;
        proto_bus_hdr_t hdr;
        long n = proto_bus_board_recv(b->sock, &msg, &hdr);
        if (n < 0)
            break;
        gw__on_message(b, &hdr, msg, (size_t)n);
        proto_bus_free(msg);
    }
    gw__dispatch(b);
}

/* ---- the public face ---------------------------------------------------------------------- */

gw_board_t *gw_board_create(h2o_loop_t *loop, const proto_role_t *role, const char *endpoint,
                            const gw_board_config_t *config)
{
    gw_board_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->role = role;
    b->config = *config;
    b->sock = -1;
    h2o_linklist_init_anchor(&b->idle);
    h2o_linklist_init_anchor(&b->queue);
    h2o_linklist_init_anchor(&b->running);
    b->epoch = gw__new_epoch();
    b->no_worker_since_ms = gw_now_ms();

    proto_msg_t ping = {.version = PROTO_VERSION, .kind = PROTO_KIND_PING};
    if (proto_encode(&ping, &b->ping) != 0)
        goto fail;
    /* results may be up to max_reply plus headers; bigger messages make nanomsg drop the
     * connection (the board side recovers: the worker reconnects) and the job times out */
    if ((b->sock = proto_bus_board_bind(endpoint, config->max_reply + 65536)) < 0) {
        fprintf(stderr, "apibus-gateway: cannot bind the %s job board at %s: %s\n", role->name, endpoint,
                strerror(errno));
        goto fail;
    }
    b->broken_seen = proto_bus_broken_connections(b->sock);
    int fd = proto_bus_recv_fd(b->sock);
    int dupfd = fd >= 0 ? dup(fd) : -1;
    if (dupfd < 0) {
        fprintf(stderr, "apibus-gateway: cannot watch the %s job board: %s\n", role->name, strerror(errno));
        goto fail;
    }
    /* DONT_READ: h2o must never read nanomsg's eventfd; a dup because h2o closes what it gets */
    b->watch = h2o_evloop_socket_create(loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    b->watch->data = b;
    h2o_socket_read_start(b->watch, gw__on_readable);
    return b;
fail:
    gw_board_destroy(b);
    return NULL;
}

void gw_board_destroy(gw_board_t *b)
{
    if (b == NULL)
        return;
    if (b->watch != NULL)
        h2o_socket_close(b->watch);
    proto_bus_close(b->sock);
    for (size_t i = 0; i < b->jobs.capacity; i++)
        if (b->jobs.slots[i].key != 0)
            gw__job_free(b->jobs.slots[i].value);
    for (size_t i = 0; i < b->workers.capacity; i++)
        if (b->workers.slots[i].key != 0)
            free(b->workers.slots[i].value);
    gw_map_dispose(&b->jobs);
    gw_map_dispose(&b->workers);
    proto_buf_dispose(&b->ping);
    free(b);
}

int gw_board_submit(gw_board_t *b, const gw_job_callbacks_t *cb, void *owner, bool idempotent, uint64_t *job_id)
{
    if (b->num_queued >= b->config.queue_max)
        return -PROTO_ERR_QUEUE_FULL;
    gw_job_t *job = calloc(1, sizeof *job);
    if (job == NULL)
        return -PROTO_ERR_NO_MEMORY;
    job->id = gw__next_job_id(b);
    job->cb = cb;
    job->owner = owner;
    job->idempotent = idempotent;
    job->state = GW_JOB_QUEUED;
    job->submitted_ms = gw_now_ms();
    job->deadline_ms = job->submitted_ms + b->config.timeout_ms;
    if (gw_map_put(&b->jobs, job->id, job) != 0) {
        free(job);
        return -PROTO_ERR_NO_MEMORY;
    }
    h2o_linklist_insert(&b->queue, &job->link);
    b->num_queued++;
    *job_id = job->id;
    gw__dispatch(b);
    return 0;
}

void gw_board_cancel(gw_board_t *b, uint64_t job_id)
{
    gw_job_t *job = gw_map_get(&b->jobs, job_id);
    if (job == NULL)
        return;
    job->owner = NULL;
    if (job->state == GW_JOB_QUEUED)
        gw__job_finish(b, job, 0, NULL);
}

void gw_board_tick(gw_board_t *b)
{
    int64_t now = gw_now_ms();

    /* running jobs past their attempt deadline: the worker is suspect, the job retried or 504 */
    for (h2o_linklist_t *l = b->running.next, *next; l != &b->running; l = next) {
        next = l->next;
        gw_job_t *job = H2O_STRUCT_FROM_MEMBER(gw_job_t, link, l);
        if (now < job->attempt_deadline_ms)
            continue;
        gw_worker_t *w = gw_map_get(&b->workers, gw__worker_map_key(job->worker_key));
        if (w != NULL && w->state == GW_WORKER_BUSY && w->job_id == job->id) {
            w->state = GW_WORKER_SUSPECT;
            w->state_since_ms = now;
        }
        b->stats.timeouts++;
        gw__job_attempt_failed(b, job, -PROTO_ERR_TIMEOUT, now);
        /* done() may have let the owner touch the board: start over from the head (jobs not
         * yet due are skipped quickly) */
        next = b->running.next;
    }

    /* workers: heartbeat the idle ones, forget the silent. Pinging or forgetting changes the
     * map, so the table is walked from a snapshot. */
    bool broke = false;
    uint64_t broken = proto_bus_broken_connections(b->sock);
    if (broken != b->broken_seen) {
        b->broken_seen = broken;
        broke = true;
    }
    size_t n = 0;
    gw_worker_t **snapshot = b->workers.size != 0 ? malloc(b->workers.size * sizeof *snapshot) : NULL;
    if (snapshot != NULL)
        for (size_t i = 0; i < b->workers.capacity; i++)
            if (b->workers.slots[i].key != 0)
                snapshot[n++] = b->workers.slots[i].value;
    for (size_t i = 0; i < n; i++) {
        gw_worker_t *w = snapshot[i];
        if (w->state == GW_WORKER_IDLE && (broke || now - w->last_seen_ms >= b->config.ping_idle_ms))
            gw__worker_ping(b, w, now);
        else if (w->state == GW_WORKER_PINGING && now - w->state_since_ms >= b->config.ping_timeout_ms)
            gw__worker_forget(b, w);
        else if (w->state == GW_WORKER_SUSPECT && now - w->state_since_ms >= GW_BOARD_SUSPECT_FORGET_MS)
            gw__worker_forget(b, w);
    }
    free(snapshot);
    size_t live = gw_board_live_workers(b);
    if (live > 0)
        b->no_worker_since_ms = 0;
    else if (b->no_worker_since_ms == 0)
        b->no_worker_since_ms = now;

    /* queued jobs: the overall deadline, and the grace period while no worker is live */
    for (h2o_linklist_t *l = b->queue.next, *next; l != &b->queue; l = next) {
        next = l->next;
        gw_job_t *job = H2O_STRUCT_FROM_MEMBER(gw_job_t, link, l);
        int64_t wait_from = job->submitted_ms > b->no_worker_since_ms ? job->submitted_ms : b->no_worker_since_ms;
        if (now >= job->deadline_ms)
            gw__job_finish(b, job, -PROTO_ERR_TIMEOUT, NULL);
        else if (live == 0 && now - wait_from >= b->config.no_worker_wait_ms)
            gw__job_finish(b, job, job->attempts > 0 ? -PROTO_ERR_TIMEOUT : -PROTO_ERR_UNAVAILABLE, NULL);
    }
    gw__dispatch(b);
}

size_t gw_board_live_workers(const gw_board_t *b)
{
    size_t live = 0;
    for (size_t i = 0; i < b->workers.capacity; i++)
        if (b->workers.slots[i].key != 0 && ((gw_worker_t *)b->workers.slots[i].value)->state != GW_WORKER_SUSPECT)
            live++;
    return live;
}

size_t gw_board_active_jobs(const gw_board_t *b)
{
    return b->jobs.size;
}

const gw_board_stats_t *gw_board_stats(const gw_board_t *b)
{
    return &b->stats;
}

const proto_role_t *gw_board_role(const gw_board_t *b)
{
    return b->role;
}
