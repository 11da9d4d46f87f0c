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

/* How long an open batch waits for the reply of an Idempotency-Key request whose write it holds
 * (normally microseconds: the handler builds its reply from what it just wrote). Past this the
 * batch commits with the key marked pending and the outcome follows in a later batch. */
#define SVC__HOLD_MAX_MS 500

typedef enum en_svc__write_kind_t {
    SVC__WRITE_FN,      /* run fn in a nested transaction */
    SVC__WRITE_OUTCOME  /* store an idempotent request's outcome (idem->record) */
} svc__write_kind_t;

typedef struct st_svc__write_t svc__write_t;
struct st_svc__write_t {
    svc__write_kind_t kind;
    svc_write_fn fn;
    void *arg;
    svc__idem_t *idem;
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

/* One batch: a write transaction that collects nested ones until it commits. */
typedef struct st_svc__batch_t {
    MDB_txn *txn;
    svc__write_t *waiting, **waiting_tail; /* released when the batch commits */
    svc__idem_t *holders[64];              /* idempotent writes waiting for their outcome */
    size_t num_holders, kept;
} svc__batch_t;

static void svc__batch_wait(svc__batch_t *b, svc__write_t *it)
{
    it->next = NULL;
    *b->waiting_tail = it;
    b->waiting_tail = &it->next;
}

static void svc__batch_unhold(svc__batch_t *b, svc__idem_t *idem)
{
    for (size_t i = 0; i < b->num_holders; i++)
        if (b->holders[i] == idem) {
            b->holders[i] = b->holders[--b->num_holders];
            break;
        }
    idem->holding = false;
}

/* Runs one item inside the batch. Returns true when its waiter may be woken now (an idempotent
 * write whose batch stays open for the outcome); false when it waits for the commit. */
static bool svc__batch_run(svc__writer_t *w, svc__batch_t *b, svc__write_t *it)
{
    MDB_txn *child;
    int rc;
    if (b->txn == NULL) {
        it->result = -PROTO_ERR_STORAGE;
        return false;
    }
    if ((rc = mdb_txn_begin(w->svc->env, b->txn, 0, &child)) != 0) {
        it->result = svc_storage_error(rc);
        return false;
    }
    svc__idem_t *idem = it->idem;
    if (it->kind == SVC__WRITE_OUTCOME) {
        it->result = svc__idem_store_in_txn(w->svc, child, idem);
        if (idem->holding)
            svc__batch_unhold(b, idem);
    } else if (idem != NULL && !idem->holding && (it->result = svc__idem_check_in_txn(w->svc, child, idem)) != 0) {
        /* stored meanwhile by another instance (replay) or with another body (422): fn must not run */
    } else {
        it->result = it->fn(child, it->arg);
        /* a raw LMDB code (MDB_* are large negatives, errno values positive) leaked out of fn */
        if (it->result > 0 || it->result <= -PROTO_ERR_COUNT_)
            it->result = svc_storage_error(it->result);
        if (it->result == 0 && idem != NULL && !idem->applied)
            it->result = svc__idem_mark_in_txn(w->svc, child, idem);
    }
    if (it->result != 0) {
        mdb_txn_abort(child);
        return false;
    }
    if ((rc = mdb_txn_commit(child)) != 0) {
        it->result = svc_storage_error(rc);
        return false;
    }
    b->kept++;
    if (it->kind == SVC__WRITE_FN && idem != NULL) {
        idem->applied = true;
        if (!idem->holding && b->num_holders < SVC_COUNT(b->holders)) {
            idem->holding = true;
            b->holders[b->num_holders++] = idem;
        }
        /* The batch stays open until the outcome arrives, so the worker continues now: its
         * write is visible to nothing else until the outcome commits with it. */
        return idem->holding;
    }
    return false;
}

/* Takes up to max items from the queue. Called with the lock held. */
static svc__write_t *svc__writer_take(svc__writer_t *w, unsigned max)
{
    svc__write_t *batch = w->head, *last = batch;
    if (batch == NULL)
        return NULL;
    for (unsigned n = 1; n < max && last->next != NULL; n++)
        last = last->next;
    w->head = last->next;
    if (w->head == NULL)
        w->tail = &w->head;
    last->next = NULL;
    return batch;
}

static void svc__deadline(struct timespec *ts, unsigned ms);

/* One batch, from the first queued item to the commit. Called and returns with the lock held. */
static void svc__writer_run_batch(svc__writer_t *w)
{
    svc__batch_t b = {.waiting_tail = &b.waiting};
    unsigned taken = 0, max = w->svc->cfg.write_batch_max;
    struct timespec hold_until;
    bool timed_out = false, hold_started = false;
    int rc;

    pthread_mutex_unlock(&w->lock);
    if ((rc = mdb_txn_begin(w->svc->env, NULL, 0, &b.txn)) != 0) {
        svc_log("error", "writer: cannot begin a transaction: %s", mdb_strerror(rc));
        b.txn = NULL;
    }
    pthread_mutex_lock(&w->lock);
    for (;;) {
        svc__write_t *items = svc__writer_take(w, taken < max ? max - taken : 1);
        if (items != NULL) {
            pthread_mutex_unlock(&w->lock);
            bool woke = false;
            for (svc__write_t *it = items, *next; it != NULL; it = next) {
                next = it->next;
                taken++;
                if (svc__batch_run(w, &b, it)) {
                    pthread_mutex_lock(&w->lock);
                    it->done = true;
                    pthread_mutex_unlock(&w->lock);
                    woke = true;
                } else {
                    svc__batch_wait(&b, it);
                }
            }
            pthread_mutex_lock(&w->lock);
            if (woke)
                pthread_cond_broadcast(&w->done);
            /* the hold is bounded from its start: a stream of other writes joining the batch
             * must not keep it open */
            if (b.num_holders > 0 && !hold_started) {
                svc__deadline(&hold_until, SVC__HOLD_MAX_MS);
                hold_started = true;
            }
            continue;
        }
        if (b.num_holders == 0 || timed_out)
            break;
        /* Outcomes of held writes (and other writes, which join this batch) */
        if (pthread_cond_timedwait(&w->wake, &w->lock, &hold_until) == ETIMEDOUT)
            timed_out = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (b.num_holders > 0)
        svc_log("warn", "writer: %zu idempotent request(s) did not reply within %d ms of their write; their "
                "outcome is stored separately", b.num_holders, SVC__HOLD_MAX_MS);
    for (size_t i = 0; i < b.num_holders; i++)
        b.holders[i]->holding = false;
    if (b.txn != NULL && (rc = mdb_txn_commit(b.txn)) != 0) {
        svc_log("error", "writer: commit of %zu write(s) failed: %s", b.kept, mdb_strerror(rc));
        for (svc__write_t *it = b.waiting; it != NULL; it = it->next)
            if (it->result == 0)
                it->result = -PROTO_ERR_STORAGE;
    }
    pthread_mutex_lock(&w->lock);
    for (svc__write_t *it = b.waiting; it != NULL; it = it->next)
        it->done = true;
    pthread_cond_broadcast(&w->done);
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
            /* The idle writer also clears stale reader slots (a dead process's slot pins old
             * pages and makes the file grow, tech notes §8) and expired idempotency keys. */
            if (pthread_cond_timedwait(&w->wake, &w->lock, &check_at) == ETIMEDOUT) {
                pthread_mutex_unlock(&w->lock);
                svc__store_reader_check(w->svc);
                svc__idem_purge(w->svc);
                svc__deadline(&check_at, w->svc->cfg.reader_check_ms);
                pthread_mutex_lock(&w->lock);
            }
        }
        if (w->head == NULL)
            break;
        svc__writer_run_batch(w);
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

static int svc__writer_queue(svc__writer_t *w, svc__write_t *item)
{
    pthread_mutex_lock(&w->lock);
    *w->tail = item;
    w->tail = &item->next;
    pthread_cond_signal(&w->wake);
    while (!item->done)
        pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return item->result;
}

int svc__writer_submit(svc__writer_t *w, svc_write_fn fn, void *arg, svc__idem_t *idem)
{
    svc__write_t item = {.kind = SVC__WRITE_FN, .fn = fn, .arg = arg, .idem = idem};
    return svc__writer_queue(w, &item);
}

int svc__writer_finalize(svc__writer_t *w, svc__idem_t *idem)
{
    svc__write_t item = {.kind = SVC__WRITE_OUTCOME, .idem = idem};
    return svc__writer_queue(w, &item);
}

int svc_store_write(svc_t *svc, svc_write_fn fn, void *arg)
{
    return svc__writer_submit(svc->writer, fn, arg, NULL);
}

int svc_write(svc_ctx_t *ctx, svc_write_fn fn, void *arg)
{
    return svc__writer_submit(ctx->svc->writer, fn, arg, ctx->idem.active ? &ctx->idem : NULL);
}
