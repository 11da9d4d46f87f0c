#include "services/auth/hasher.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto/errors.h"

typedef struct st_auth_hash_job_t auth_hash_job_t;
struct st_auth_hash_job_t {
    bool verify;
    const char *password;
    size_t len;
    const char *encoded; /* verify */
    char *out;           /* hash */
    int result;
    bool ok, rehash, done;
    auth_hash_job_t *next;
};

struct st_auth_hasher_t {
    uint64_t memory, ops;
    unsigned max_waiting, waiting;
    int nice; /* of every hashing thread: logins yield to token refreshes and key checks */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    auth_hash_job_t *head, **tail;
    bool stopping;
    pthread_t *threads;
    unsigned num_threads;
};

static void auth__hasher_run(auth_hasher_t *h, auth_hash_job_t *job)
{
    if (!job->verify) {
        job->result = crypto_pwhash_str(job->out, job->password, job->len, h->ops, (size_t)h->memory) == 0
                          ? 0
                          : -PROTO_ERR_NO_MEMORY;
        return;
    }
    job->ok = crypto_pwhash_str_verify(job->encoded, job->password, job->len) == 0;
    job->rehash = job->ok && crypto_pwhash_str_needs_rehash(job->encoded, h->ops, (size_t)h->memory) != 0;
    job->result = 0;
}

static void *auth__hasher_main(void *arg)
{
    auth_hasher_t *h = arg;
    /* Linux nices threads one by one: this thread only, so workers keep their priority */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), h->nice);
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (h->head == NULL && !h->stopping)
            pthread_cond_wait(&h->wake, &h->lock);
        if (h->head == NULL)
            break;
        auth_hash_job_t *job = h->head;
        h->head = job->next;
        if (h->head == NULL)
            h->tail = &h->head;
        pthread_mutex_unlock(&h->lock);
        auth__hasher_run(h, job);
        pthread_mutex_lock(&h->lock);
        job->done = true;
        h->waiting--;
        pthread_cond_broadcast(&h->done);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

int auth_hasher_start(uint64_t memory, uint64_t ops, unsigned threads, unsigned max_waiting, int nice,
                      auth_hasher_t **out)
{
    auth_hasher_t *h = calloc(1, sizeof *h);
    if (h == NULL || (h->threads = calloc(threads, sizeof *h->threads)) == NULL) {
        free(h);
        return -PROTO_ERR_NO_MEMORY;
    }
    h->memory = memory;
    h->ops = ops;
    h->max_waiting = max_waiting;
    h->nice = nice;
    h->tail = &h->head;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    pthread_cond_init(&h->done, NULL);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&h->threads[i], NULL, auth__hasher_main, h) != 0) {
            auth_hasher_stop(h);
            return -PROTO_ERR_INTERNAL;
        }
        h->num_threads++;
    }
    *out = h;
    return 0;
}

void auth_hasher_stop(auth_hasher_t *h)
{
    if (h == NULL)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
    for (unsigned i = 0; i < h->num_threads; i++)
        pthread_join(h->threads[i], NULL);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->wake);
    pthread_cond_destroy(&h->done);
    free(h->threads);
    free(h);
}

static int auth__hasher_submit(auth_hasher_t *h, auth_hash_job_t *job)
{
    pthread_mutex_lock(&h->lock);
    if (h->waiting >= h->max_waiting || h->stopping) {
        pthread_mutex_unlock(&h->lock);
        return -PROTO_ERR_BUSY;
    }
    h->waiting++;
    *h->tail = job;
    h->tail = &job->next;
    pthread_cond_signal(&h->wake);
    while (!job->done)
        pthread_cond_wait(&h->done, &h->lock);
    pthread_mutex_unlock(&h->lock);
    return job->result;
}

int auth_hasher_hash(auth_hasher_t *h, const char *password, size_t len, char out[AUTH_HASH_MAX])
{
    auth_hash_job_t job = {.verify = false, .password = password, .len = len, .out = out};
    return auth__hasher_submit(h, &job);
}

int auth_hasher_verify(auth_hasher_t *h, const char *encoded, const char *password, size_t len, bool *ok,
                       bool *rehash)
{
    auth_hash_job_t job = {.verify = true, .password = password, .len = len, .encoded = encoded};
    int rc = auth__hasher_submit(h, &job);
    *ok = rc == 0 && job.ok;
    *rehash = rc == 0 && job.rehash;
    return rc;
}
