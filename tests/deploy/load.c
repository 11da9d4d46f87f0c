/*
 * The deploy tier's client: a bounded load against a gateway address (an address on the test
 * bridge, never outside it), with the bookkeeping that the kill and rolling-restart checks need.
 *
 *   deploy_load writes ADDR TOKEN OPS CLIENTS PREFIX PROGRESS KILLFILE WORKERS DEADLINE_MS
 *       OPS operations by CLIENTS threads: every 4th a GET of the list (the gateway retries it
 *       on another worker when one dies), the others a POST of a new employee with an
 *       Idempotency-Key, which the client retries with the same key after a failure (0, 5xx),
 *       as a client that got a 504 would. PROGRESS gets the number of finished operations as
 *       they finish; KILLFILE (written by the script) holds the kill time in ms since the epoch.
 *       At the end: every acknowledged employee is read back, the list holds exactly one per
 *       POST, and the failures are judged: only first attempts in flight at the kill may fail
 *       (at most WORKERS: one per worker thread of the killed instance), each within
 *       DEADLINE_MS (+1 s), and no GET fails. Exit 0 when all holds; a report on stdout.
 *   deploy_load mixed ADDR TOKEN CLIENTS STOPFILE MAXOPS VERIFY_TOKEN
 *       Until STOPFILE exists (at most MAXOPS operations): POST employees (with a key, no client
 *       retry), GET employees, POST auth token/verify of VERIFY_TOKEN (a registered user's),
 *       GET /api/health/ (schema-svc). Every
 *       answer must be 2xx: exit 0 when none failed; a report on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EMPLOYEES "/pegasus/employees/api/employees/"
#define MAX_ATTEMPTS 6

static struct sockaddr_in addr;
static const char *token;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct {
    int status; /* 0: no answer */
    char *body;
    bool replayed;
} reply_t;

/* One request on its own connection. */
static reply_t http(const char *method, const char *path, const char *key, const char *body)
{
    reply_t r = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close(fd);
        return r;
    }
    char head[4096];
    size_t blen = body != NULL ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: apibus\r\nConnection: close\r\nAuthorization: Bearer %s\r\n"
                     "%s%s%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, token, key != NULL ? "Idempotency-Key: " : "", key != NULL ? key : "",
                     key != NULL ? "\r\n" : "", blen);
    if (write(fd, head, (size_t)n) != n || (blen != 0 && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return r;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (len == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        ssize_t got = read(fd, buf + len, cap - len);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (len > 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0 && end != NULL) {
        r.status = atoi(buf + 9);
        *end = '\0';
        r.replayed = strcasestr(buf, "\r\nidempotent-replayed: true") != NULL;
        r.body = strdup(end + 4);
    }
    free(buf);
    return r;
}

static long long json_id(const char *body)
{
    json_t *j = body != NULL ? json_loads(body, 0, NULL) : NULL;
    long long id = json_is_integer(json_object_get(j, "id")) ? json_integer_value(json_object_get(j, "id")) : -1;
    json_decref(j);
    return id;
}

/* --- writes: the kill test ---------------------------------------------------------------------- */

typedef struct {
    long long start, end;
    int status;
} attempt_t;

typedef struct {
    bool is_get;
    attempt_t at[MAX_ATTEMPTS];
    int attempts;
    long long id;
    bool replayed;
} op_t;

static op_t *ops;
static int num_ops;
static const char *prefix, *progress_path;
static atomic_int next_op, finished;

static void progress(void)
{
    int done = atomic_fetch_add(&finished, 1) + 1;
    if (done % 10 != 0)
        return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", progress_path);
    FILE *f = fopen(tmp, "w");
    if (f != NULL) {
        fprintf(f, "%d\n", done);
        fclose(f);
        rename(tmp, progress_path);
    }
}

static void *writes_client(void *arg)
{
    for (int i; (i = atomic_fetch_add(&next_op, 1)) < num_ops;) {
        op_t *op = &ops[i];
        char key[64], body[128];
        op->is_get = i % 4 == 3;
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"engineering\",\"salary\":\"%d\"}", key, i);
        for (int a = 0; a < (op->is_get ? 1 : MAX_ATTEMPTS); a++) {
            attempt_t *at = &op->at[op->attempts++];
            at->start = now_ms();
            reply_t r = op->is_get ? http("GET", EMPLOYEES, NULL, NULL) : http("POST", EMPLOYEES, key, body);
            at->end = now_ms();
            at->status = r.status;
            if (r.status == 201) {
                op->id = json_id(r.body);
                op->replayed = r.replayed;
            }
            free(r.body);
            if (r.status != 0 && r.status < 500)
                break;
            sleep_ms(100); /* a client's back-off before retrying with the same key */
        }
        progress();
    }
    return NULL;
}

static long long read_kill_time(const char *path)
{
    FILE *f = fopen(path, "r");
    long long t = 0;
    if (f != NULL) {
        if (fscanf(f, "%lld", &t) != 1)
            t = 0;
        fclose(f);
    }
    return t;
}

static int run_writes(char **argv)
{
    num_ops = atoi(argv[0]);
    int clients = atoi(argv[1]);
    prefix = argv[2];
    progress_path = argv[3];
    const char *kill_path = argv[4];
    int workers = atoi(argv[5]), deadline = atoi(argv[6]);
    ops = calloc((size_t)num_ops, sizeof *ops);
    pthread_t th[64];
    long long t0 = now_ms();
    for (int i = 0; i < clients && i < 64; i++)
        pthread_create(&th[i], NULL, writes_client, NULL);
    for (int i = 0; i < clients && i < 64; i++)
        pthread_join(th[i], NULL);
    long long t1 = now_ms();
    bool no_kill = strcmp(kill_path, "-") == 0; /* a run without a kill: nothing may fail */
    long long kill_at = no_kill ? 0 : read_kill_time(kill_path);

    /* judge the attempts */
    int in_flight = 0, failed_posts = 0, failed_gets = 0, unacked = 0, posts = 0, replays = 0, bad = 0;
    long long worst_fail = 0, worst_after_kill = 0;
    for (int i = 0; i < num_ops; i++) {
        op_t *op = &ops[i];
        posts += !op->is_get;
        for (int a = 0; a < op->attempts; a++) {
            attempt_t *at = &op->at[a];
            bool ok = at->status != 0 && at->status < 500;
            if (kill_at != 0 && at->start <= kill_at && at->end >= kill_at)
                in_flight++;
            if (ok)
                continue;
            if (op->is_get)
                failed_gets++;
            else
                failed_posts++;
            long long took = at->end - at->start;
            worst_fail = took > worst_fail ? took : worst_fail;
            if (kill_at != 0 && at->end - kill_at > worst_after_kill)
                worst_after_kill = at->end - kill_at;
            /* a job dispatched in the moment before the gateway saw the connection break went to
             * the dead instance too: still one of its workers' jobs */
            if (no_kill || kill_at == 0 || at->start > kill_at + 250 || took > deadline + 1000) {
                printf("  FAIL op %d attempt %d: status %d after %lld ms (started %+lld ms from the kill)\n", i, a,
                       at->status, took, kill_at != 0 ? at->start - kill_at : 0);
                bad++;
            }
        }
        if (!op->is_get && op->id <= 0) {
            printf("  FAIL op %d: never acknowledged\n", i);
            unacked++;
        }
        replays += op->replayed;
    }

    /* every acknowledged write is there, once */
    int verified = 0, missing = 0;
    for (int i = 0; i < num_ops; i++) {
        op_t *op = &ops[i];
        if (op->is_get || op->id <= 0)
            continue;
        char path[128], name[64];
        snprintf(path, sizeof path, EMPLOYEES "%lld/", op->id);
        snprintf(name, sizeof name, "\"name\":\"%s-%d\"", prefix, i);
        reply_t r = http("GET", path, NULL, NULL);
        if (r.status == 200 && r.body != NULL && strstr(r.body, name) != NULL)
            verified++;
        else {
            printf("  FAIL employee %lld (op %d): GET answered %d\n", op->id, i, r.status);
            missing++;
        }
        free(r.body);
    }
    reply_t list = http("GET", EMPLOYEES, NULL, NULL);
    json_t *j = list.body != NULL ? json_loads(list.body, 0, NULL) : NULL;
    long long stored = json_is_integer(json_object_get(j, "count")) ? json_integer_value(json_object_get(j, "count")) : -1;
    json_decref(j);
    free(list.body);

    printf("%s: %d operations (%d POST with Idempotency-Key, %d GET) by %d clients in %lld ms\n", no_kill ? "load" : "kill test", num_ops,
           posts, num_ops - posts, clients, t1 - t0);
    if (!no_kill)
        printf("  in flight at the kill (all instances): %d request(s)\n", in_flight);
    if (no_kill)
        printf("  failed: %d POST attempt(s), %d GET (none may fail)\n", failed_posts, failed_gets);
    else
        printf("  failed: %d POST attempt(s) (limit %d: the killed instance's workers), %d GET; slowest failure %lld ms "
               "(deadline %d ms), last failure %lld ms after the kill\n",
               failed_posts, workers, failed_gets, worst_fail, deadline, worst_after_kill);
    printf("  retried POSTs answered by a replay of the stored outcome: %d\n", replays);
    printf("  acknowledged writes verified by reading them back: %d of %d; stored employees %lld (expected %d)\n",
           verified, posts - unacked, stored, posts);
    if (!no_kill && kill_at == 0)
        printf("  FAIL: the kill time was never written\n");
    bool pass = (no_kill ? failed_posts == 0 : kill_at != 0) && bad == 0 && unacked == 0 && missing == 0 && failed_gets == 0 &&
                failed_posts <= workers && stored == posts;
    printf("  %s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}

/* --- mixed: the rolling restart ------------------------------------------------------------------ */

static const char *stop_path, *verify_token;
static atomic_int mixed_ops, mixed_fail, max_ops;
static atomic_int per_kind[4], fail_kind[4];
static atomic_llong worst_ms;

static void *mixed_client(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    struct stat st;
    char verify[2048];
    snprintf(verify, sizeof verify, "{\"token\":\"%s\"}", verify_token);
    for (int n = 0; stat(stop_path, &st) != 0; n++) {
        int i = atomic_fetch_add(&mixed_ops, 1);
        if (i >= max_ops)
            break;
        int kind = (int)((n + id) % 4);
        char key[64], body[128];
        long long t = now_ms();
        reply_t r;
        switch (kind) {
        case 0:
            snprintf(key, sizeof key, "roll-%lu-%d", (unsigned long)id, n);
            snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"hr\",\"salary\":\"1\"}", key);
            r = http("POST", EMPLOYEES, key, body);
            break;
        case 1: r = http("GET", EMPLOYEES, NULL, NULL); break;
        case 2: r = http("POST", "/api/auth/token/verify/", NULL, verify); break;
        default: r = http("GET", "/api/health/", NULL, NULL); break;
        }
        long long took = now_ms() - t;
        if (took > atomic_load(&worst_ms))
            atomic_store(&worst_ms, took);
        atomic_fetch_add(&per_kind[kind], 1);
        if (r.status < 200 || r.status > 299) {
            atomic_fetch_add(&mixed_fail, 1);
            atomic_fetch_add(&fail_kind[kind], 1);
            printf("  FAIL %s: status %d after %lld ms: %.200s\n",
                   kind == 0 ? "POST employees" : kind == 1 ? "GET employees" : kind == 2 ? "POST token/verify" : "GET health",
                   r.status, took, r.body != NULL ? r.body : "");
        }
        free(r.body);
        sleep_ms(5);
    }
    return NULL;
}

static int run_mixed(char **argv)
{
    int clients = atoi(argv[0]);
    stop_path = argv[1];
    atomic_store(&max_ops, atoi(argv[2]));
    verify_token = argv[3];
    pthread_t th[64];
    long long t0 = now_ms();
    for (uintptr_t i = 0; i < (uintptr_t)clients && i < 64; i++)
        pthread_create(&th[i], NULL, mixed_client, (void *)i);
    for (int i = 0; i < clients && i < 64; i++)
        pthread_join(th[i], NULL);
    int total = atomic_load(&mixed_ops) < atomic_load(&max_ops) ? atomic_load(&mixed_ops) : atomic_load(&max_ops);
    printf("rolling restart: %d requests by %d clients in %lld ms (POST employees %d, GET employees %d, "
           "POST token/verify %d, GET health %d); failed %d; slowest %lld ms\n",
           total, clients, now_ms() - t0, per_kind[0], per_kind[1], per_kind[2], per_kind[3], atomic_load(&mixed_fail),
           (long long)atomic_load(&worst_ms));
    bool stopped = access(stop_path, F_OK) == 0;
    if (!stopped)
        printf("  FAIL: the load ended (MAXOPS) before the restarts did\n");
    return atomic_load(&mixed_fail) == 0 && stopped ? 0 : 1;
}

static int parse_addr(const char *s)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &addr.sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && parse_addr(argv[2]) == 0) {
        token = argv[3];
        if (strcmp(argv[1], "writes") == 0 && argc == 11)
            return run_writes(argv + 4);
        if (strcmp(argv[1], "mixed") == 0 && argc == 8)
            return run_mixed(argv + 4);
    }
    fprintf(stderr, "usage: deploy_load writes ADDR TOKEN OPS CLIENTS PREFIX PROGRESS KILLFILE WORKERS DEADLINE_MS\n"
                    "       deploy_load mixed ADDR TOKEN CLIENTS STOPFILE MAXOPS VERIFY_TOKEN\n");
    return 2;
}
