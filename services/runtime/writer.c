#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "services/runtime/internal.h"

/*
 * The writer thread. LMDB allows one write transaction at a time and each durable commit costs
 * an fsync (~100 per second on ordinary disks), so workers hand their writes to this thread:
 * it takes everything queued, runs each write in a nested transaction of one batch (a failing
 * write is rolled back alone), commits the batch once, and only then wakes the workers. Under
 * concurrency batches form by themselves and throughput grows with the number of waiters.
 * Write transactions must end on the thread that began them, which this also guarantees.
 */

typedef struct st_svc__write_t svc__write_t;
struct st_svc__write_t {
    svc_write_fn fn;
    void *arg;
    int result;
    bool done;
    svc__write_t *next;
};

struct st_svc__writer_t {
    svc_t *svc;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the writer: work arrived or stop */
    pthread_cond_t done; /* the workers: a batch finished */
    svc__write_t *head, **tail;
    bool stopping;
};

static void svc__writer_run_batch(svc__writer_t *w, svc__write_t *batch)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(w->svc->env, NULL, 0, &txn);
    if (rc != 0) {
        svc_log("error", "writer: cannot begin a transaction: %s", mdb_strerror(rc));
        for (svc__write_t *it = batch; it != NULL; it = it->next)
            it->result = -PROTO_ERR_STORAGE;
        return;
    }
    size_t kept = 0;
    for (svc__write_t *it = batch; it != NULL; it = it->next) {
        MDB_txn *child;
        if ((rc = mdb_txn_begin(w->svc->env, txn, 0, &child)) != 0) {
            it->result = svc_storage_error(rc);
            continue;
        }
        it->result = it->fn(child, it->arg);
        /* a raw LMDB code (MDB_* are large negatives, errno values positive) leaked out of fn */
        if (it->result > 0 || it->result <= -PROTO_ERR_COUNT_)
            it->result = svc_storage_error(it->result);
        if (it->result != 0) {
            mdb_txn_abort(child);
        } else if ((rc = mdb_txn_commit(child)) != 0) {
            it->result = svc_storage_error(rc);
        } else {
            kept++;
        }
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
        svc_log("error", "writer: commit of %zu write(s) failed: %s", kept, mdb_strerror(rc));
        for (svc__write_t *it = batch; it != NULL; it = it->next)
            if (it->result == 0)
                it->result = -PROTO_ERR_STORAGE;
    }
}

/* Takes up to the batch limit from the queue. Called with the lock held. */
static svc__write_t *svc__writer_take(svc__writer_t *w)
{
    svc__write_t *batch = w->head, *last = batch;
    for (unsigned n = 1; n < w->svc->cfg.write_batch_max && last->next != NULL; n++)
        last = last->next;
    w->head = last->next;
    if (w->head == NULL)
        w->tail = &w->head;
    last->next = NULL;
    return batch;
}

static void svc__deadline(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

static void *svc__writer_main(void *arg)
{
    svc__writer_t *w = arg;
    struct timespec check_at;
    svc__deadline(&check_at, w->svc->cfg.reader_check_ms);
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->head == NULL && !w->stopping) {
            /* The idle writer also clears stale reader slots: a dead process's slot pins old
             * pages and makes the file grow (tech notes §8). */
            if (pthread_cond_timedwait(&w->wake, &w->lock, &check_at) == ETIMEDOUT) {
                pthread_mutex_unlock(&w->lock);
                svc__store_reader_check(w->svc);
                svc__deadline(&check_at, w->svc->cfg.reader_check_ms);
                pthread_mutex_lock(&w->lock);
            }
        }
        if (w->head == NULL)
            break;
        svc__write_t *batch = svc__writer_take(w);
        pthread_mutex_unlock(&w->lock);
        svc__writer_run_batch(w, batch);
        pthread_mutex_lock(&w->lock);
        for (svc__write_t *it = batch; it != NULL; it = it->next)
            it->done = true;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int svc__writer_start(svc_t *svc, svc__writer_t **out)
{
    svc__writer_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        svc__oom();
    w->svc = svc;
    w->tail = &w->head;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, &attr);
    pthread_cond_init(&w->done, NULL);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w->thread, NULL, svc__writer_main, w) != 0) {
        svc_log("error", "writer: cannot start its thread");
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->done);
        free(w);
        return -PROTO_ERR_INTERNAL;
    }
    *out = w;
    return 0;
}

void svc__writer_stop(svc__writer_t *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    free(w);
}

int svc__writer_submit(svc__writer_t *w, svc_write_fn fn, void *arg)
{
    svc__write_t item = {.fn = fn, .arg = arg};
    pthread_mutex_lock(&w->lock);
    *w->tail = &item;
    w->tail = &item.next;
    pthread_cond_signal(&w->wake);
    while (!item.done)
        pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return item.result;
}

int svc_store_write(svc_t *svc, svc_write_fn fn, void *arg)
{
    return svc__writer_submit(svc->writer, fn, arg);
}

int svc_write(svc_ctx_t *ctx, svc_write_fn fn, void *arg)
{
    return svc__writer_submit(ctx->svc->writer, fn, arg);
}
