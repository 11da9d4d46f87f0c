/*
 * The bus alone: apibus's job board (tech notes §10) with no HTTP, no envelope and no handler,
 * so that every benchmark run shows what the transport by itself carries on this machine. No
 * row of the suite can beat it, since each of them also pays for HTTP, the envelope and the
 * service's work.
 *
 *   bench-bus-floor [-p PORT] [-e ENDPOINT] [-c IN_FLIGHT] [-w WORKERS] [-j JOB_BYTES]
 *                   [-r REPLY_BYTES] [-d SECONDS] [-u WARMUP_SECONDS] [-t TIMEOUT_MS]
 *
 * The shape of production, through proto/bus.h (the code the gateway and the runtime use):
 *  - this process plays the gateway: one thread binds a board (tcp://127.0.0.1:PORT; PORT from
 *    -p, else $BENCH_FLOOR_PORT, else 17900), waits on its receive fd as the h2o loop does,
 *    keeps IN_FLIGHT jobs (64) going as wrk keeps 64 connections busy, answers each READY with
 *    a job of JOB_BYTES (600, about a request envelope) and checks every RESULT;
 *  - a child process, forked before any nanomsg call (nanomsg's I/O thread does not survive
 *    fork), runs WORKERS threads (16, as employees does), each a REQ connected to the board that
 *    answers every job with REPLY_BYTES (16543, the list page) carrying the job's id.
 *
 * After WARMUP_SECONDS (1) it counts for SECONDS (5) and prints one line:
 *
 *   BUSFLOOR reply=R requests=N duration_us=.. p50_us=.. p99_us=.. errors=.. cpu_us=.. rps=..
 *            p50_ms=.. p99_ms=.. cpu_us_per_req=.. bus_p50_us=.. bus_p99_us=.. timeouts=..
 *            mismatches=.. late=.. duplicates=.. gateway_cpu_us=.. worker_cpu_us=.. ...
 *
 * p50/p99 run from when a job became due (its slot freed, as a wrk connection sends its next
 * request on a response) to its RESULT: queueing on the board plus the round trip, which is
 * what wrk measures of the HTTP rows. bus_p50/bus_p99 run from the job's send to its RESULT.
 * cpu_us is user + system time of both processes, all threads, over the counted seconds.
 * errors = timeouts (no RESULT within TIMEOUT_MS, 1000) + mismatches (a RESULT with the wrong
 * id or length, or anything else unexpected) + send failures. Exit status 0 when it measured
 * (errors or not), 1 after saying why on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/bus.h"

#define FLOOR_ID_BYTES 8
/* How long an idle worker thread waits before it looks at the stop flag. */
#define FLOOR_POLL_MS 100

typedef struct st_floor_config_t {
    char endpoint[256];
    unsigned in_flight, workers;
    size_t job_bytes, reply_bytes;
    unsigned seconds, warmup_seconds, timeout_ms;
} floor_config_t;

static int64_t floor__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t floor__rusage_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* every thread, nanomsg's own included */
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void floor__put_id(unsigned char *p, uint64_t id)
{
    for (int i = 0; i < FLOOR_ID_BYTES; i++)
        p[i] = (unsigned char)(id >> (56 - 8 * i));
}

static uint64_t floor__get_id(const unsigned char *p)
{
    uint64_t id = 0;
    for (int i = 0; i < FLOOR_ID_BYTES; i++)
        id = id << 8 | p[i];
    return id;
}

static size_t floor__max_msg(const floor_config_t *cfg)
{
    /* as the runtime does: the largest message plus room for headers */
    return (cfg->job_bytes > cfg->reply_bytes ? cfg->job_bytes : cfg->reply_bytes) + 65536;
}

/* ---- the worker process ------------------------------------------------------------------- */

typedef struct st_floor_thread_t {
    const floor_config_t *cfg;
    atomic_bool *stop;
    pthread_t thread;
    int sock;
} floor_thread_t;

/* READY is an id of 0, which no job has: the board tells it from a RESULT by that alone. */
static void *floor__worker_main(void *arg)
{
    floor_thread_t *t = arg;
    unsigned char *reply = malloc(t->cfg->reply_bytes), ready[FLOOR_ID_BYTES] = {0};
    if (reply == NULL)
        return NULL;
    memset(reply, 'r', t->cfg->reply_bytes);
    proto_bus_worker_send(t->sock, ready, sizeof ready);
    while (!atomic_load(t->stop)) {
        void *job = NULL;
        long n = proto_bus_worker_recv(t->sock, &job, FLOOR_POLL_MS);
        if (n < 0) {
            if (errno == ETIMEDOUT || errno == EAGAIN || errno == EINTR)
                continue;
            if (errno == EBADF)
                break;
            /* as the runtime does after a failed exchange: start over with a fresh READY */
            proto_bus_worker_send(t->sock, ready, sizeof ready);
            continue;
        }
        /* the id goes back as it came: the board checks it, so a mixed-up reply shows */
        floor__put_id(reply, n >= FLOOR_ID_BYTES ? floor__get_id(job) : 0);
        proto_bus_free(job);
        proto_bus_worker_send(t->sock, reply, t->cfg->reply_bytes);
    }
    free(reply);
    return NULL;
}

/* Serves until the parent says 'q' or goes away; on 's' writes its CPU time (us) to out. */
static int floor__worker_process(const floor_config_t *cfg, int in, int out)
{
    /* no worker outlives the benchmark, even when the parent is killed */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 1;
    atomic_bool stop;
    atomic_init(&stop, false);
    floor_thread_t *threads = calloc(cfg->workers, sizeof *threads);
    unsigned started = 0;
    int rc = 1;
    if (threads == NULL)
        goto out;
    for (; started < cfg->workers; started++) {
        floor_thread_t *t = &threads[started];
        t->cfg = cfg;
        t->stop = &stop;
        if ((t->sock = proto_bus_worker_connect(cfg->endpoint, floor__max_msg(cfg))) < 0) {
            fprintf(stderr, "bus-floor: worker cannot connect to %s: %s\n", cfg->endpoint, strerror(errno));
            goto out;
        }
        if (pthread_create(&t->thread, NULL, floor__worker_main, t) != 0) {
            proto_bus_close(t->sock);
            fprintf(stderr, "bus-floor: cannot start worker thread %u\n", started);
            goto out;
        }
    }
    for (char c; read(in, &c, 1) == 1 && c != 'q';) {
        int64_t us = floor__rusage_us();
        if (c == 's' && write(out, &us, sizeof us) != sizeof us)
            break;
    }
    rc = 0;
out:
    atomic_store(&stop, true);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(threads[i].thread, NULL);
        proto_bus_close(threads[i].sock);
    }
    free(threads);
    return rc;
}

/* ---- the gateway -------------------------------------------------------------------------- */

typedef struct st_floor_worker_t {
    uint32_t key;        /* pipe key */
    proto_bus_hdr_t hdr; /* its latest request, which is what a job answers */
    bool idle;           /* hdr unanswered, in the idle FIFO */
    bool busy;           /* hdr answered with a job */
    bool gone;           /* a send to it failed: its pipe is closed */
    uint64_t job_id;     /* busy: the job it runs, 0 once that job timed out */
    int64_t due_ns, sent_ns;
} floor_worker_t;

typedef struct st_floor_samples_t {
    uint32_t *us;
    size_t len, cap;
} floor_samples_t;

typedef struct st_floor_gateway_t {
    const floor_config_t *cfg;
    int sock, fd;
    floor_worker_t *workers; /* never shrinks: reconnects add entries, so there is room for many */
    size_t num_workers, cap_workers;
    size_t *idle; /* FIFO of indices into workers, as the board's idle list */
    size_t idle_head, idle_len;
    int64_t *due; /* FIFO of queued jobs: when each became due; in_flight places */
    size_t due_head, due_len;
    unsigned char *job;
    uint64_t next_id;
    bool counting;
    uint64_t requests, timeouts, mismatches, send_failures, late, duplicates;
    floor_samples_t total, bus;
} floor_gateway_t;

static void floor__sample(floor_samples_t *s, int64_t ns)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        uint32_t *us = realloc(s->us, cap * sizeof *us);
        if (us == NULL)
            return; /* a missing sample skews a percentile by nothing visible */
        s->us = us;
        s->cap = cap;
    }
    s->us[s->len++] = (uint32_t)(ns / 1000);
}

static int floor__cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The same percentile as measure.py's. */
static uint32_t floor__percentile(floor_samples_t *s, double p)
{
    if (s->len == 0)
        return 0;
    qsort(s->us, s->len, sizeof *s->us, floor__cmp_u32);
    size_t i = (size_t)(s->len * p);
    return s->us[i < s->len ? i : s->len - 1];
}

static void floor__due_push(floor_gateway_t *g, int64_t when, bool front)
{
    size_t cap = g->cfg->in_flight;
    if (front) {
        g->due_head = (g->due_head + cap - 1) % cap;
        g->due[g->due_head] = when;
    } else {
        g->due[(g->due_head + g->due_len) % cap] = when;
    }
    g->due_len++;
}

static void floor__idle_push(floor_gateway_t *g, size_t w)
{
    g->idle[(g->idle_head + g->idle_len) % g->cap_workers] = w;
    g->idle_len++;
    g->workers[w].idle = true;
}

static floor_worker_t *floor__worker(floor_gateway_t *g, uint32_t key)
{
    /* a linear search: a few dozen entries, as cheap as the gateway's hash map at this size */
    for (size_t i = 0; i < g->num_workers; i++)
        if (g->workers[i].key == key && !g->workers[i].gone)
            return &g->workers[i];
    if (g->num_workers == g->cap_workers)
        return NULL;
    floor_worker_t *w = &g->workers[g->num_workers++];
    memset(w, 0, sizeof *w);
    w->key = key;
    return w;
}

static size_t floor__live_workers(const floor_gateway_t *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->num_workers; i++)
        n += !g->workers[i].gone;
    return n;
}

/* A job ended (answered, lost or timed out): its place is due again at once, as a wrk
 * connection sends its next request when it has a response. */
static void floor__job_ended(floor_gateway_t *g, int64_t now)
{
    floor__due_push(g, now, false);
}

static void floor__on_message(floor_gateway_t *g, const proto_bus_hdr_t *hdr, const unsigned char *data, size_t len,
                              int64_t now)
{
    floor_worker_t *w = floor__worker(g, proto_bus_hdr_pipe(hdr));
    if (w == NULL) {
        g->mismatches++; /* more connections than the table holds: nothing sane is going on */
        return;
    }
    if (w->hdr.len != 0 && proto_bus_hdr_request(&w->hdr) == proto_bus_hdr_request(hdr)) {
        /* a resend of the request we hold (tech notes §10): the REQ takes one reply per id */
        g->duplicates++;
        if (w->busy && w->job_id != 0) {
            floor__put_id(g->job, w->job_id);
            proto_bus_board_send(g->sock, &w->hdr, g->job, g->cfg->job_bytes);
        }
        return;
    }
    uint64_t id = len >= FLOOR_ID_BYTES ? floor__get_id(data) : UINT64_MAX;
    if (w->busy) {
        if (w->job_id == 0) {
            g->late++; /* its job timed out and was counted then */
        } else if (id == w->job_id && len == g->cfg->reply_bytes) {
            if (g->counting) {
                g->requests++;
                floor__sample(&g->total, now - w->due_ns);
                floor__sample(&g->bus, now - w->sent_ns);
            }
            floor__job_ended(g, now);
        } else {
            if (g->counting)
                g->mismatches++;
            floor__job_ended(g, now);
        }
        w->busy = false;
    } else if (id != 0 || len != FLOOR_ID_BYTES) {
        if (g->counting)
            g->mismatches++; /* only a READY may come from a worker without a job */
    }
    w->hdr = *hdr;
    if (!w->idle)
        floor__idle_push(g, (size_t)(w - g->workers));
}

static void floor__dispatch(floor_gateway_t *g)
{
    while (g->due_len != 0 && g->idle_len != 0) {
        floor_worker_t *w = &g->workers[g->idle[g->idle_head]];
        g->idle_head = (g->idle_head + 1) % g->cap_workers;
        g->idle_len--;
        w->idle = false;
        int64_t due = g->due[g->due_head];
        g->due_head = (g->due_head + 1) % g->cfg->in_flight;
        g->due_len--;
        uint64_t id = g->next_id++;
        floor__put_id(g->job, id);
        if (proto_bus_board_send(g->sock, &w->hdr, g->job, g->cfg->job_bytes) != 0) {
            if (g->counting)
                g->send_failures++;
            w->gone = true;
            floor__due_push(g, due, true);
            continue;
        }
        w->busy = true;
        w->job_id = id;
        w->due_ns = due;
        w->sent_ns = floor__now_ns();
    }
}

static void floor__expire(floor_gateway_t *g, int64_t now)
{
    int64_t limit = (int64_t)g->cfg->timeout_ms * 1000000;
    for (size_t i = 0; i < g->num_workers; i++) {
        floor_worker_t *w = &g->workers[i];
        if (w->gone || !w->busy || w->job_id == 0 || now - w->sent_ns < limit)
            continue;
        if (g->counting)
            g->timeouts++;
        w->job_id = 0; /* the worker stays busy until it speaks: its RESULT will be late */
        floor__job_ended(g, now);
    }
}

/* Runs the board until the clock reaches end_ns, or, with want_workers, until that many workers
 * have registered. Returns -1 if the worker process died. */
static int floor__run(floor_gateway_t *g, pid_t child, int64_t end_ns, size_t want_workers)
{
    int64_t last_check = 0;
    for (;;) {
        int64_t now = floor__now_ns();
        if (now >= end_ns || (want_workers != 0 && floor__live_workers(g) >= want_workers))
            return 0;
        if (now - last_check >= 10000000) {
            floor__expire(g, now);
            if (waitpid(child, NULL, WNOHANG) != 0) {
                fprintf(stderr, "bus-floor: the worker process died\n");
                return -1;
            }
            last_check = now;
        }
        struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
        int wait_ms = (int)((end_ns - now) / 1000000);
        poll(&pfd, 1, wait_ms < 10 ? wait_ms + 1 : 10);
        /* as the gateway's loop does: take everything queued, then hand out work */
        for (;;) {
            void *msg = NULL;
            proto_bus_hdr_t hdr;
            long n = proto_bus_board_recv(g->sock, &msg, &hdr);
            if (n < 0)
                break;
            floor__on_message(g, &hdr, msg, (size_t)n, floor__now_ns());
            proto_bus_free(msg);
        }
        floor__dispatch(g);
    }
}

/* CPU time (us) of both processes. */
static int floor__cpu_us(int to_child, int from_child, int64_t *gateway_us, int64_t *worker_us)
{
    *gateway_us = floor__rusage_us();
    return write(to_child, "s", 1) == 1 && read(from_child, worker_us, sizeof *worker_us) == sizeof *worker_us ? 0 : -1;
}

static void floor__reap(pid_t child, int to_child)
{
    if (write(to_child, "q", 1) != 1) {
        /* the pipe is gone: the child sees the end of file just the same */
    }
    close(to_child);
    for (int i = 0; i < 300; i++) {
        if (waitpid(child, NULL, WNOHANG) != 0)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bus-floor: the worker process did not stop within 3 s; killing it\n");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

static unsigned floor__number(const char *s, const char *what)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v == 0 || v > 100000000) {
        fprintf(stderr, "bus-floor: %s must be a positive number, not '%s'\n", what, s);
        exit(1);
    }
    return (unsigned)v;
}

static void floor__parse(int argc, char **argv, floor_config_t *cfg)
{
    const char *port = getenv("BENCH_FLOOR_PORT");
    *cfg = (floor_config_t){.in_flight = 64, .workers = 16, .job_bytes = 600, .reply_bytes = 16543,
                            .seconds = 5, .warmup_seconds = 1, .timeout_ms = 1000};
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "tcp://127.0.0.1:%s", port != NULL && *port ? port : "17900");
    for (int opt; (opt = getopt(argc, argv, "p:e:c:w:j:r:d:u:t:")) != -1;) {
        switch (opt) {
        case 'p': snprintf(cfg->endpoint, sizeof cfg->endpoint, "tcp://127.0.0.1:%u", floor__number(optarg, "-p")); break;
        case 'e': snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s", optarg); break;
        case 'c': cfg->in_flight = floor__number(optarg, "-c"); break;
        case 'w': cfg->workers = floor__number(optarg, "-w"); break;
        case 'j': cfg->job_bytes = floor__number(optarg, "-j"); break;
        case 'r': cfg->reply_bytes = floor__number(optarg, "-r"); break;
        case 'd': cfg->seconds = floor__number(optarg, "-d"); break;
        case 'u': cfg->warmup_seconds = floor__number(optarg, "-u"); break;
        case 't': cfg->timeout_ms = floor__number(optarg, "-t"); break;
        default:
            fprintf(stderr, "usage: %s [-p PORT] [-e ENDPOINT] [-c IN_FLIGHT] [-w WORKERS] [-j JOB_BYTES] "
                            "[-r REPLY_BYTES] [-d SECONDS] [-u WARMUP_SECONDS] [-t TIMEOUT_MS]\n", argv[0]);
            exit(1);
        }
    }
    if (cfg->job_bytes < FLOOR_ID_BYTES || cfg->reply_bytes < FLOOR_ID_BYTES || cfg->reply_bytes == FLOOR_ID_BYTES) {
        /* a reply of exactly 8 bytes would read as a READY */
        fprintf(stderr, "bus-floor: jobs need at least %d bytes and replies more than %d\n", FLOOR_ID_BYTES,
                FLOOR_ID_BYTES);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    floor_config_t cfg;
    floor__parse(argc, argv, &cfg);

    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) {
        perror("bus-floor: pipe");
        return 1;
    }
    /* before any nanomsg call: its I/O thread would not survive the fork (tech notes §10) */
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        perror("bus-floor: fork");
        return 1;
    }
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        _exit(floor__worker_process(&cfg, down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);

    int rc = 1;
    floor_gateway_t g = {.cfg = &cfg, .sock = -1, .next_id = 1};
    g.cap_workers = (size_t)cfg.workers * 4 + 16;
    g.workers = calloc(g.cap_workers, sizeof *g.workers);
    g.idle = calloc(g.cap_workers, sizeof *g.idle);
    g.due = calloc(cfg.in_flight, sizeof *g.due);
    g.job = malloc(cfg.job_bytes);
    if (g.workers == NULL || g.idle == NULL || g.due == NULL || g.job == NULL) {
        fprintf(stderr, "bus-floor: out of memory\n");
        goto out;
    }
    memset(g.job, 'j', cfg.job_bytes);
    if ((g.sock = proto_bus_board_bind(cfg.endpoint, floor__max_msg(&cfg))) < 0) {
        fprintf(stderr, "bus-floor: cannot bind a board at %s: %s\n", cfg.endpoint, strerror(errno));
        goto out;
    }
    if ((g.fd = proto_bus_recv_fd(g.sock)) < 0) {
        fprintf(stderr, "bus-floor: no receive fd: %s\n", strerror(errno));
        goto out;
    }

    /* every worker registered first, so that the warm-up is the full pool at work */
    if (floor__run(&g, child, floor__now_ns() + 10 * 1000000000LL, cfg.workers) != 0)
        goto out;
    if (floor__live_workers(&g) < cfg.workers) {
        fprintf(stderr, "bus-floor: only %zu of %u workers registered within 10 s\n", floor__live_workers(&g),
                cfg.workers);
        goto out;
    }
    int64_t start = floor__now_ns();
    for (unsigned i = 0; i < cfg.in_flight; i++)
        floor__due_push(&g, start, false);
    if (floor__run(&g, child, start + (int64_t)cfg.warmup_seconds * 1000000000, 0) != 0)
        goto out;

    /* the warm-up left the board in its steady state: every RESULT inside the window counts,
     * with its true due and send times, as a job does at any other moment */
    int64_t gw0, wk0, gw1, wk1;
    if (floor__cpu_us(down[1], up[0], &gw0, &wk0) != 0)
        goto cpu_failed;
    int64_t t0 = floor__now_ns();
    g.counting = true;
    if (floor__run(&g, child, t0 + (int64_t)cfg.seconds * 1000000000, 0) != 0)
        goto out;
    g.counting = false;
    int64_t t1 = floor__now_ns();
    if (floor__cpu_us(down[1], up[0], &gw1, &wk1) != 0)
        goto cpu_failed;

    floor__reap(child, down[1]);
    child = 0;
    double secs = (double)(t1 - t0) / 1e9;
    int64_t cpu = (gw1 - gw0) + (wk1 - wk0);
    uint64_t errors = g.timeouts + g.mismatches + g.send_failures;
    uint32_t p50 = floor__percentile(&g.total, 0.5), p99 = floor__percentile(&g.total, 0.99);
    uint32_t bus50 = floor__percentile(&g.bus, 0.5), bus99 = floor__percentile(&g.bus, 0.99);
    printf("BUSFLOOR reply=%zu requests=%" PRIu64 " duration_us=%" PRId64 " p50_us=%u p99_us=%u errors=%" PRIu64
           " cpu_us=%" PRId64 " rps=%.0f p50_ms=%.2f p99_ms=%.2f cpu_us_per_req=%.1f bus_p50_us=%u bus_p99_us=%u"
           " timeouts=%" PRIu64 " mismatches=%" PRIu64 " send_failures=%" PRIu64 " late=%" PRIu64
           " duplicates=%" PRIu64 " gateway_cpu_us=%" PRId64 " worker_cpu_us=%" PRId64
           " job=%zu in_flight=%u workers=%u endpoint=%s\n",
           cfg.reply_bytes, g.requests, (t1 - t0) / 1000, p50, p99, errors, cpu, (double)g.requests / secs,
           p50 / 1000.0, p99 / 1000.0, g.requests ? (double)cpu / (double)g.requests : 0.0, bus50, bus99,
           g.timeouts, g.mismatches, g.send_failures, g.late, g.duplicates, gw1 - gw0, wk1 - wk0, cfg.job_bytes,
           cfg.in_flight, cfg.workers, cfg.endpoint);
    rc = 0;
    goto out;
cpu_failed:
    fprintf(stderr, "bus-floor: the worker process does not answer\n");
out:
    if (child > 0)
        floor__reap(child, down[1]);
    proto_bus_close(g.sock);
    free(g.workers);
    free(g.idle);
    free(g.due);
    free(g.job);
    free(g.total.us);
    free(g.bus.us);
    return rc;
}
