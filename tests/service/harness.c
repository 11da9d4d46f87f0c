#include "tests/service/harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/roles.h"

extern char **environ;

/* A guard against a hung child, not a performance expectation: generous on a loaded CI box. */
#define HARNESS_WAIT_MS 30000
#define HARNESS_MAX_MSG (16u << 20)

static int64_t harness_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static proto_str_t harness_str(const char *s)
{
    return (proto_str_t){s != NULL ? s : "", s != NULL ? strlen(s) : 0};
}

/* A port the kernel just called free; the board binds it right after (retried on a race). */
static unsigned harness_free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void harness_bind(harness_t *h)
{
    const proto_role_t *role = proto_role_by_name(h->role);
    char endpoint[256], base[16];

    cr_assert_not_null(role, "unknown role %s", h->role);
    for (int attempt = 0; attempt < 20; attempt++) {
        unsigned port = harness_free_port();
        if (port <= role->port_offset)
            continue;
        snprintf(base, sizeof base, "%u", port - role->port_offset);
        /* the child inherits these, so both sides derive the same endpoint */
        setenv("APIBUS_BUS_PORT_BASE", base, 1);
        cr_assert_eq(proto_endpoint(role->port_offset, PROTO_SIDE_BIND, endpoint, sizeof endpoint), 0);
        if ((h->board = proto_bus_board_bind(endpoint, HARNESS_MAX_MSG)) >= 0)
            return;
    }
    cr_assert_fail("could not bind a job board: %s", strerror(errno));
}

static void harness_spawn(harness_t *h)
{
    char *argv[] = {h->binary, NULL};
    int rc = posix_spawn(&h->child, h->binary, NULL, NULL, argv, environ);

    cr_assert_eq(rc, 0, "cannot start %s: %s", h->binary, strerror(rc));
}

/* Remembers an idle worker; a pipe has at most one entry (a resent READY only refreshes it). */
static void harness_add_idle(harness_t *h, const proto_bus_hdr_t *hdr)
{
    for (size_t i = 0; i < h->num_idle; i++) {
        if (proto_bus_hdr_pipe(&h->idle[i]) == proto_bus_hdr_pipe(hdr)) {
            h->idle[i] = *hdr;
            return;
        }
    }
    cr_assert_lt(h->num_idle, HARNESS_MAX_WORKERS);
    h->idle[h->num_idle++] = *hdr;
}

static void harness_reply_dispose(harness_reply_t *r)
{
    json_decref(r->json);
    proto_bus_free(r->raw_);
    memset(r, 0, sizeof *r);
}

/* Waits for the next message on the board. Fails the test when the child exits or nothing
 * arrives in HARNESS_WAIT_MS. Returns the raw message (free with proto_bus_free). */
static void *harness_recv(harness_t *h, proto_bus_hdr_t *hdr, proto_msg_t *msg)
{
    int64_t deadline = harness_now_ms() + HARNESS_WAIT_MS;
    struct pollfd pfd = {.fd = proto_bus_recv_fd(h->board), .events = POLLIN};
    void *raw;
    long n;
    int status = 0;

    cr_assert_geq(pfd.fd, 0);
    for (;;) {
        if ((n = proto_bus_board_recv(h->board, &raw, hdr)) >= 0) {
            cr_assert_eq(proto_decode(raw, (size_t)n, HARNESS_MAX_MSG, msg), 0, "undecodable message from the service");
            return raw;
        }
        cr_assert_eq(errno, EAGAIN);
        cr_assert_eq(waitpid(h->child, &status, WNOHANG), 0, "the service exited (status %d)", status);
        cr_assert_lt(harness_now_ms(), deadline, "no message from the service in %d ms", HARNESS_WAIT_MS);
        poll(&pfd, 1, 50);
    }
}

static void harness_wait_ready(harness_t *h)
{
    while (h->num_idle == 0) {
        proto_bus_hdr_t hdr;
        proto_msg_t msg;
        void *raw = harness_recv(h, &hdr, &msg);
        /* a fresh worker says READY; nothing else can come before the first job */
        cr_assert_eq(msg.kind, PROTO_KIND_READY);
        harness_add_idle(h, &hdr);
        proto_bus_free(raw);
    }
}

void harness_start(harness_t *h, const char *role)
{
    const char *build = getenv("APIBUS_BUILD_DIR");

    memset(h, 0, sizeof *h);
    h->role = role;
    h->board = -1;
    cr_assert_not_null(build, "APIBUS_BUILD_DIR is not set (run the test through ctest)");
    snprintf(h->binary, sizeof h->binary, "%s/services/%s/apibus-%s", build, role, role);
    cr_assert_eq(access(h->binary, X_OK), 0, "%s is not built", h->binary);
    snprintf(h->data_dir, sizeof h->data_dir, "/tmp/apibus-svc-XXXXXX");
    cr_assert_not_null(mkdtemp(h->data_dir));
    setenv("APIBUS_DATA_DIR", h->data_dir, 1);
    setenv("APIBUS_BUS_TRANSPORT", "tcp", 1);
    setenv("APIBUS_BUS_HOST", "127.0.0.1", 1);
    setenv("APIBUS_BUS_BIND", "127.0.0.1", 1);
    /* two workers, so the harness sees more than one connection */
    setenv("APIBUS_WORKERS", "2", 1);
    harness_bind(h);
    harness_spawn(h);
    harness_wait_ready(h);
}

static int harness_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Ends the child and waits for it; SIGKILL if it ignores sig. */
static void harness_end_child(harness_t *h, int sig)
{
    int64_t deadline = harness_now_ms() + HARNESS_WAIT_MS;
    int status;

    if (h->child <= 0)
        return;
    kill(h->child, sig);
    while (waitpid(h->child, &status, WNOHANG) == 0) {
        if (harness_now_ms() > deadline) {
            kill(h->child, SIGKILL);
            waitpid(h->child, &status, 0);
            break;
        }
        usleep(10000);
    }
    h->child = 0;
}

void harness_stop(harness_t *h)
{
    harness_reply_dispose(&h->last);
    harness_end_child(h, SIGTERM);
    proto_bus_close(h->board);
    h->board = -1;
    if (h->data_dir[0] != '\0')
        nftw(h->data_dir, harness_rm, 8, FTW_DEPTH | FTW_PHYS);
}

void harness_restart(harness_t *h, int sig)
{
    int64_t deadline = harness_now_ms() + HARNESS_WAIT_MS;
    proto_bus_hdr_t hdr;
    void *raw;

    harness_end_child(h, sig);
    /* Headers of the dead child's workers would swallow jobs silently: wait until nanomsg has
     * dropped their connections, then forget them and anything they left queued. */
    while (proto_bus_current_connections(h->board) != 0) {
        cr_assert_lt(harness_now_ms(), deadline, "the dead service's connections did not close");
        usleep(10000);
    }
    while (proto_bus_board_recv(h->board, &raw, &hdr) >= 0)
        proto_bus_free(raw);
    h->num_idle = 0;
    harness_spawn(h);
    harness_wait_ready(h);
}

const harness_reply_t *harness_call(harness_t *h, const proto_principal_t *who, const char *method, const char *path,
                                    const char *query, const char *body)
{
    char request_id[32];
    proto_msg_t job = {.version = PROTO_VERSION, .kind = PROTO_KIND_JOB, .job_id = ++h->next_job};
    proto_buf_t buf = {0};
    proto_bus_hdr_t worker, hdr;

    harness_reply_dispose(&h->last);
    harness_wait_ready(h);
    snprintf(request_id, sizeof request_id, "req-%llu", (unsigned long long)job.job_id);
    job.req.id = harness_str(request_id);
    job.req.budget_ms = HARNESS_WAIT_MS;
    job.req.method = harness_str(method);
    job.req.path = harness_str(path);
    job.req.query = harness_str(query);
    job.req.client = harness_str("127.0.0.1");
    job.req.base_url = harness_str(HARNESS_BASE_URL);
    job.req.principal = *who;
    if (body != NULL) {
        job.req.headers[0] = (proto_header_t){harness_str("content-type"), harness_str("application/json")};
        job.req.num_headers = 1;
        job.req.body = harness_str(body);
    }
    cr_assert_eq(proto_encode(&job, &buf), 0);

    worker = h->idle[--h->num_idle];
    cr_assert_eq(proto_bus_board_send(h->board, &worker, buf.data, buf.size), 0);
    proto_buf_dispose(&buf);

    for (;;) {
        proto_msg_t msg;
        void *raw = harness_recv(h, &hdr, &msg);
        /* a RESULT is also its worker's next READY */
        harness_add_idle(h, &hdr);
        if (msg.kind == PROTO_KIND_RESULT && msg.job_id == job.job_id) {
            h->last.raw_ = raw;
            h->last.msg = msg;
            h->last.status = msg.reply.status;
            h->last.body = msg.reply.body;
            if (msg.reply.body.len > 0)
                h->last.json = json_loadb(msg.reply.body.ptr, msg.reply.body.len, 0, NULL);
            return &h->last;
        }
        proto_bus_free(raw);
    }
}

proto_principal_t harness_anonymous(int auth_error)
{
    return (proto_principal_t){.cred = PROTO_CRED_NONE, .auth_error = auth_error};
}

proto_principal_t harness_jwt(uint64_t user_id)
{
    return (proto_principal_t){.user_id = user_id, .cred = PROTO_CRED_JWT, .scope = PROTO_SCOPE_ALL};
}

proto_principal_t harness_api_key(uint64_t user_id, uint32_t scope)
{
    proto_principal_t p = {.user_id = user_id, .cred = PROTO_CRED_API_KEY, .scope = scope};

    snprintf(p.key_prefix, sizeof p.key_prefix, "k%07llu", (unsigned long long)user_id);
    return p;
}

void harness_assert_json(const json_t *j, const char *expected)
{
    json_error_t err;
    json_t *want = json_loads(expected, 0, &err);
    char *got;

    cr_assert_not_null(want, "bad expected JSON: %s", err.text);
    got = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    cr_assert(j != NULL && json_equal(j, want), "got %s, expected %s", got != NULL ? got : "(no JSON)", expected);
    free(got);
    json_decref(want);
}
