#include "gateway/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/server.h"
#include "proto/bus.h"
#include "proto/errors.h"

/* One request from a client of the endpoint, until its result is sent back. The received
 * message stays alive: the decoded request points into it. */
typedef struct st_gw_internal_job_t {
    gw_internal_t *in;
    proto_bus_hdr_t hdr;
    void *raw;
    proto_msg_t msg;
    uint64_t client_job_id;
} gw_internal_job_t;

const proto_role_t *gw_internal_role(const char *path, size_t len)
{
    size_t plen = sizeof GW_INTERNAL_PREFIX - 1;
    if (len <= plen || memcmp(path, GW_INTERNAL_PREFIX, plen) != 0)
        return proto_role_for_path(path, len);
    const char *name = path + plen, *slash = memchr(name, '/', len - plen);
    char buf[64];
    if (slash == NULL || (size_t)(slash - name) >= sizeof buf)
        return NULL;
    memcpy(buf, name, (size_t)(slash - name));
    buf[slash - name] = '\0';
    return proto_role_by_name(buf);
}

static void gw__internal_free(gw_internal_job_t *job)
{
    proto_bus_free(job->raw);
    free(job);
}

static void gw__internal_answer(gw_internal_job_t *job, int err, const proto_reply_t *reply)
{
    proto_msg_t res = {.version = PROTO_VERSION, .kind = PROTO_KIND_RESULT, .job_id = job->client_job_id};
    if (err != 0) {
        size_t len;
        const char *body = proto_err_body(err, &len);
        res.reply.status = (uint16_t)proto_err_status(err);
        res.reply.body = (proto_str_t){body, len};
        res.reply.headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
        res.reply.num_headers = 1;
    } else {
        res.reply = *reply;
    }
    proto_buf_t buf = {0};
    if (proto_encode(&res, &buf) == 0 && proto_bus_board_send(job->in->sock, &job->hdr, buf.data, buf.size) != 0)
        fprintf(stderr, "apibus-gateway: internal: cannot answer a request: %s\n", strerror(errno));
    proto_buf_dispose(&buf);
}

static int gw__internal_encode(void *owner, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out)
{
    gw_internal_job_t *job = owner;
    job->msg.job_id = job_id;
    job->msg.req.budget_ms = budget_ms;
    return proto_encode(&job->msg, out);
}

static void gw__internal_done(void *owner, int err, const proto_reply_t *reply)
{
    gw_internal_job_t *job = owner;
    /* `apibus key revoke` through this gateway: refused here at once, as for the API */
    for (size_t i = 0; err == 0 && i < reply->num_headers; i++) {
        proto_str_t v = reply->headers[i].value;
        char prefix[PROTO_KEY_PREFIX_LEN + 1];
        if (!PROTO_STR_EQ(reply->headers[i].name, "x-apibus-revoked-key") || v.len != PROTO_KEY_PREFIX_LEN)
            continue;
        memcpy(prefix, v.ptr, v.len);
        prefix[v.len] = '\0';
        gw_keys_revoke(&job->in->loop->keys, prefix);
    }
    gw__internal_answer(job, err, reply);
    gw__internal_free(job);
}

static const gw_job_callbacks_t gw__internal_callbacks = {.encode = gw__internal_encode,
                                                          .done = gw__internal_done};

static void gw__internal_request(gw_internal_t *in, const proto_bus_hdr_t *hdr, void *raw, size_t len)
{
    gw_internal_job_t *job = calloc(1, sizeof *job);
    if (job == NULL) {
        proto_bus_free(raw);
        return;
    }
    job->in = in;
    job->hdr = *hdr;
    job->raw = raw;
    in->requests++;
    int rc = proto_decode(raw, len, in->max_msg, &job->msg);
    if (rc == 0 && job->msg.kind != PROTO_KIND_JOB)
        rc = -PROTO_ERR_MSG_BAD_TYPE;
    job->client_job_id = job->msg.job_id;
    const proto_role_t *role = NULL;
    if (rc == 0 && (role = gw_internal_role(job->msg.req.path.ptr, job->msg.req.path.len)) == NULL)
        rc = -PROTO_ERR_NOT_FOUND;
    if (rc != 0) {
        gw__internal_answer(job, rc == -PROTO_ERR_NOT_FOUND ? rc : -PROTO_ERR_BAD_REQUEST, NULL);
        gw__internal_free(job);
        return;
    }
    /* whatever the client said, it acts as the operator: that is what this endpoint is */
    proto_principal_t *pr = &job->msg.req.principal;
    memset(pr, 0, sizeof *pr);
    pr->cred = PROTO_CRED_SYSTEM;
    pr->is_staff = true;
    pr->scope = PROTO_SCOPE_ALL;
    if (job->msg.req.client.len == 0)
        job->msg.req.client = PROTO_STR_LIT("internal");
    uint64_t id;
    bool idempotent = PROTO_STR_EQ(job->msg.req.method, "GET");
    if ((rc = gw_board_submit(in->loop->boards[role - proto_roles], &gw__internal_callbacks, job, idempotent, &id)) != 0) {
        gw__internal_answer(job, rc, NULL);
        gw__internal_free(job);
    }
}

static void gw__internal_readable(h2o_socket_t *sock, const char *err)
{
    gw_internal_t *in = sock->data;
    if (err != NULL)
        return;
    for (;;) {
        void *msg = NULL;
        proto_bus_hdr_t hdr;
        long n = proto_bus_board_recv(in->sock, &msg, &hdr);
        if (n < 0)
            break;
        gw__internal_request(in, &hdr, msg, (size_t)n);
    }
}

int gw_internal_init(gw_internal_t *in, struct st_gw_loop_t *loop, h2o_loop_t *h2o_loop, size_t max_msg)
{
    char endpoint[600];
    memset(in, 0, sizeof *in);
    in->loop = loop;
    in->sock = -1;
    in->max_msg = max_msg;
    if (proto_endpoint(PROTO_PORT_INTERNAL, PROTO_SIDE_BIND, endpoint, sizeof endpoint) != 0)
        return -1;
    if ((in->sock = proto_bus_board_bind(endpoint, max_msg)) < 0) {
        fprintf(stderr, "apibus-gateway: cannot bind the internal endpoint at %s: %s\n", endpoint, strerror(errno));
        return -1;
    }
    int fd = proto_bus_recv_fd(in->sock);
    int dupfd = fd >= 0 ? dup(fd) : -1;
    if (dupfd < 0) {
        fprintf(stderr, "apibus-gateway: cannot watch the internal endpoint: %s\n", strerror(errno));
        return -1;
    }
    in->watch = h2o_evloop_socket_create(h2o_loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    in->watch->data = in;
    h2o_socket_read_start(in->watch, gw__internal_readable);
    return 0;
}

void gw_internal_dispose(gw_internal_t *in)
{
    if (in == NULL)
        return;
    if (in->watch != NULL)
        h2o_socket_close(in->watch);
    in->watch = NULL;
    proto_bus_close(in->sock);
    in->sock = -1;
}
