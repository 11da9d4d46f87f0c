#include "gateway/proxy.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/http_reply.h"
#include "proto/errors.h"

/* The pending request. It lives in req->pool with a dispose callback: when h2o frees the
 * request (the client went away, or the response is done) the board forgets the job, so a late
 * RESULT never touches a dead request. The board refers to it only through the job id. */
typedef struct st_gw_pending_t {
    h2o_req_t *req;
    gw_board_t *board;
    uint64_t job_id; /* 0 once the board has answered */
    proto_msg_t msg; /* the JOB, pointing into req and its pool; job id and budget set per attempt */
} gw_pending_t;

/* Request headers a service may need (ARCHITECTURE §3). Authorization is not passed on: the
 * gateway turns it into the principal. Cookie and X-CSRFToken are for session auth. */
static const char *const gw__passed_headers[] = {"content-type", "accept", "idempotency-key", "origin", "referer",
                                                 "cookie", "x-csrftoken", "accept-language", "user-agent"};

static int gw__encode(void *owner, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out)
{
    gw_pending_t *p = owner;
    p->msg.job_id = job_id;
    p->msg.req.budget_ms = budget_ms;
    return proto_encode(&p->msg, out);
}

static void gw__done(void *owner, int err, const proto_reply_t *reply)
{
    gw_pending_t *p = owner;
    p->job_id = 0;
    if (err != 0)
        gw_reply_error(p->req, err);
    else
        gw_reply_from_service(p->req, reply);
}

static const gw_job_callbacks_t gw__job_callbacks = {.encode = gw__encode, .done = gw__done};

static void gw__pending_dispose(void *data)
{
    gw_pending_t *p = data;
    if (p->job_id != 0)
        gw_board_cancel(p->board, p->job_id);
    p->job_id = 0;
}

static proto_str_t gw__str(h2o_iovec_t v)
{
    return (proto_str_t){v.base != NULL ? v.base : "", v.len};
}

static h2o_iovec_t gw__header(h2o_req_t *req, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);
    return i == -1 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

/* The public base URL for absolute links (pagination): APIBUS_PUBLIC_URL, or the scheme and
 * Host the client used, taken from X-Forwarded-Proto/-Host when a trusted proxy sent them. */
static proto_str_t gw__base_url(gw_server_t *server, gw_req_t *r, h2o_req_t *req)
{
    char buf[300];
    h2o_iovec_t scheme = h2o_iovec_init(H2O_STRLIT("http")), host = req->authority;
    char peer_host[sizeof server->config.http_bind + 8];
    if (r->via_proxy) {
        h2o_iovec_t proto = gw__header(req, H2O_STRLIT("x-forwarded-proto"));
        h2o_iovec_t fhost = gw__header(req, H2O_STRLIT("x-forwarded-host"));
        /* several proxies may each append: the first value is the client-facing one */
        if (proto.base != NULL) {
            size_t n = 0;
            while (n < proto.len && proto.base[n] != ',' && proto.base[n] != ' ')
                n++;
            scheme = h2o_iovec_init(proto.base, n);
        }
        if (fhost.base != NULL) {
            size_t n = 0;
            while (n < fhost.len && fhost.base[n] != ',' && fhost.base[n] != ' ')
                n++;
            host = h2o_iovec_init(fhost.base, n);
        }
    }
    snprintf(peer_host, sizeof peer_host, "%s:%u", server->config.http_bind, server->config.http_port);
    size_t n = gw_base_url(buf, sizeof buf, server->config.public_url, scheme.base, scheme.len, host.base, host.len,
                           peer_host);
    h2o_iovec_t copy = h2o_strdup(&req->pool, buf, n);
    return (proto_str_t){copy.base, copy.len};
}

static bool gw__idempotent(h2o_iovec_t method)
{
    static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (h2o_memis(method.base, method.len, idempotent[i], strlen(idempotent[i])))
            return true;
    return false;
}

int gw_proxy_handle(gw_loop_t *loop, gw_board_t *board, h2o_req_t *req)
{
    gw_server_t *server = loop->server;
    gw_req_t *r = gw_req_get(req);

    if (req->entity.base != NULL && req->entity.len > server->config.max_body) {
        gw_reply_error(req, PROTO_ERR_PAYLOAD_TOO_LARGE);
        return 0;
    }

    gw_pending_t *p = h2o_mem_alloc_shared(&req->pool, sizeof *p, gw__pending_dispose);
    memset(p, 0, sizeof *p);
    p->req = req;
    p->board = board;

    proto_msg_t *m = &p->msg;
    m->version = PROTO_VERSION;
    m->kind = PROTO_KIND_JOB;
    proto_request_t *rq = &m->req;
    rq->id = (proto_str_t){r->request_id, strlen(r->request_id)};
    rq->method = gw__str(req->method);
    rq->path = gw__str(req->path_normalized);
    if (req->query_at != SIZE_MAX)
        rq->query = (proto_str_t){req->path.base + req->query_at + 1, req->path.len - req->query_at - 1};
    else
        rq->query = PROTO_STR_LIT("");
    rq->client = (proto_str_t){r->client, strlen(r->client)};
    rq->base_url = gw__base_url(server, r, req);
    rq->body = gw__str(req->entity);

    rq->headers[rq->num_headers++] = (proto_header_t){PROTO_STR_LIT("x-request-id"), rq->id};
    for (size_t i = 0; i < sizeof gw__passed_headers / sizeof gw__passed_headers[0]; i++) {
        h2o_iovec_t v = gw__header(req, gw__passed_headers[i], strlen(gw__passed_headers[i]));
        if (v.base != NULL && rq->num_headers < PROTO_MAX_HEADERS)
            rq->headers[rq->num_headers++] =
                (proto_header_t){{gw__passed_headers[i], strlen(gw__passed_headers[i])}, gw__str(v)};
    }

    h2o_iovec_t authorization = gw__header(req, H2O_STRLIT("authorization"));
    gw_auth_authenticate(&loop->auth, authorization.base, authorization.len, (int64_t)time(NULL), &rq->principal);

    int rc = gw_board_submit(board, &gw__job_callbacks, p, gw__idempotent(req->method), &p->job_id);
    if (rc != 0) {
        p->job_id = 0;
        gw_reply_error(req, rc);
    }
    return 0;
}
