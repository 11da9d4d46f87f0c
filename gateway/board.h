/*
 * The job board of one role (tech notes §10): the gateway binds a raw REP socket, each service
 * worker thread connects a REQ and sends READY; an idle worker is answered with a job and its
 * RESULT is its next READY. Only idle workers get work, so a slow or stuck instance takes none.
 *
 * Workers are keyed by pipe key (header bytes 0..3), never listed by header: a REQ's resend of
 * the message we already answered (same pipe key and request id) gets the very same answer
 * again, because nanomsg 1.1.5 can drop a reply that crosses a resend. Job ids carry a random
 * board epoch, so a RESULT meant for an earlier gateway process or a finished job is dropped
 * (and still counts as READY).
 *
 * Deadlines: a job's budget starts when it is submitted. A non-idempotent job gets one attempt
 * with the whole budget. An idempotent job's first attempt gets half of what remains when it
 * is dispatched; when that expires the worker is marked suspect and the job is dispatched once
 * more, to another worker, with the rest (the envelope always carries the budget of its attempt,
 * so the service gives up when the gateway does). This recovers jobs sent to a worker that died
 * (its header looks valid until a ping fails) or that hangs, without ever running a
 * non-idempotent request twice.
 *
 * Liveness: idle workers silent for ping_idle_ms are PINGed and forgotten if no READY comes back
 * within ping_timeout_ms; all idle workers are pinged at once when the socket's broken-connection
 * count rises. A suspect worker takes no work until it speaks again; it is forgotten after
 * GW_BOARD_SUSPECT_FORGET_MS of silence. While a role has no live worker, jobs wait up to
 * no_worker_wait_ms, then fail with PROTO_ERR_UNAVAILABLE.
 *
 * Everything runs on its event loop's thread.
 */
#ifndef APIBUS_GATEWAY_BOARD_H
#define APIBUS_GATEWAY_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

#include "gateway/map.h"
#include "proto/bus.h"
#include "proto/envelope.h"
#include "proto/roles.h"

#define GW_BOARD_SUSPECT_FORGET_MS 60000
#define GW_BOARD_RETRY_MIN_MS 50 /* a retry needs at least this much budget left */

/* How the owner of a job (the HTTP request) takes part. Both run on the loop thread. */
typedef struct st_gw_job_callbacks_t {
    /* Appends the JOB envelope for job_id with budget_ms into out. Returns 0 or -err. */
    int (*encode)(void *owner, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out);
    /* The outcome, exactly once unless the job was cancelled: err 0 and the service's reply
     * (valid only during the call), or a negative proto_err_t and NULL. */
    void (*done)(void *owner, int err, const proto_reply_t *reply);
} gw_job_callbacks_t;

typedef struct st_gw_board_config_t {
    size_t queue_max;
    uint32_t timeout_ms;
    uint32_t no_worker_wait_ms;
    uint32_t ping_idle_ms;
    uint32_t ping_timeout_ms;
    size_t max_reply; /* largest reply body accepted (larger: PROTO_ERR_REPLY_TOO_LARGE) */
} gw_board_config_t;

typedef struct st_gw_board_stats_t {
    uint64_t jobs, results, dropped_results, bad_results, duplicates, timeouts, retries, pings, forgotten;
} gw_board_stats_t;

typedef struct st_gw_board_t gw_board_t;

/* Binds the role's board at endpoint and watches it from loop. Returns NULL (reason on stderr). */
gw_board_t *gw_board_create(h2o_loop_t *loop, const proto_role_t *role, const char *endpoint,
                            const gw_board_config_t *config);
/* Closes the socket and frees every job without calling back. NULL is a no-op. */
void gw_board_destroy(gw_board_t *board);

/* Queues a job; sets *job_id. Returns 0, or -PROTO_ERR_QUEUE_FULL / -PROTO_ERR_NO_MEMORY
 * (then the callbacks are never called). May dispatch at once, but never calls done. */
int gw_board_submit(gw_board_t *board, const gw_job_callbacks_t *cb, void *owner, bool idempotent,
                    uint64_t *job_id);
/* The owner is gone: done will not be called. A queued job is dropped; a running one is kept
 * until its result or deadline so that the worker's state stays right. Unknown ids are ignored. */
void gw_board_cancel(gw_board_t *board, uint64_t job_id);

/* Deadlines, pings, the no-worker grace period; call every few tens of milliseconds. */
void gw_board_tick(gw_board_t *board);

/* Workers that are idle, busy or being pinged (not suspect). */
size_t gw_board_live_workers(const gw_board_t *board);
/* Jobs queued or running. */
size_t gw_board_active_jobs(const gw_board_t *board);
const gw_board_stats_t *gw_board_stats(const gw_board_t *board);
const proto_role_t *gw_board_role(const gw_board_t *board);

/* Milliseconds of a monotonic clock. */
int64_t gw_now_ms(void);

#endif
