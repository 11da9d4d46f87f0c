#include <string.h>

#include "gateway/filter.h"
#include "gateway/http_reply.h"
#include "gateway/server.h"
#include "proto/errors.h"

/* Replaces whatever body an error response had with the JSON one chosen in setup. */
typedef struct st_gw_json_ostream_t {
    h2o_ostream_t super;
    h2o_iovec_t body;
} gw_json_ostream_t;

static void gw__json_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    gw_json_ostream_t *o = (void *)self;
    if (h2o_send_state_is_in_progress(state)) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    if (state == H2O_SEND_STATE_ERROR || h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD")))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &o->body, 1, state);
}

static int gw__is_json(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i == -1)
        return 0;
    h2o_iovec_t v = req->res.headers.entries[i].value;
    return v.len >= 16 && strncmp(v.base, "application/json", 16) == 0;
}

static int gw__status_error(int status)
{
    switch (status) {
    case 400: return PROTO_ERR_BAD_REQUEST;
    case 403: return PROTO_ERR_PERMISSION_DENIED;
    case 404: return PROTO_ERR_NOT_FOUND;
    case 405: return PROTO_ERR_METHOD_NOT_ALLOWED;
    case 413: return PROTO_ERR_PAYLOAD_TOO_LARGE;
    case 503: return PROTO_ERR_UNAVAILABLE;
    case 504: return PROTO_ERR_TIMEOUT;
    default: return status >= 500 ? PROTO_ERR_INTERNAL : PROTO_ERR_BAD_REQUEST;
    }
}

/* h2o answers some errors itself, in plain text (a 413 before the handler runs, 405/403/416
 * from the file handler, a malformed request). Clients of a JSON API get JSON every time. */
static void gw__jsonify_error(h2o_req_t *req, h2o_ostream_t ***slot)
{
    if (req->res.status < 400 || gw__is_json(req) || req->res.content_length == SIZE_MAX)
        return;
    size_t len;
    const char *body = proto_err_body(gw__status_error(req->res.status), &len);
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("application/json"), 1);
    req->res.content_length = len;
    gw_json_ostream_t *o = (void *)h2o_add_ostream(req, sizeof *o, *slot);
    o->super.do_send = gw__json_send;
    o->body = h2o_iovec_init(body, len);
    *slot = &o->super.next;
}

static void gw__add_cors(gw_server_t *server, h2o_req_t *req)
{
    if (server->cors.num == 0)
        return;
    /* responses differ by Origin, whether or not this one carried it */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i == -1)
        return;
    h2o_iovec_t origin = req->headers.entries[i].value;
    if (!gw_cors_allowed(&server->cors, origin.base, origin.len))
        return;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL, origin.base, origin.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-credentials"), 0, NULL,
                          H2O_STRLIT("true"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-expose-headers"), 0, NULL,
                          H2O_STRLIT(GW_CORS_EXPOSE_HEADERS));
}

static void gw__on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    gw_req_t *r = gw_req_get(req);
    gw_server_t *server = gw_loop_of(req)->server;
    h2o_iovec_t rid = h2o_strdup(&req->pool, r->request_id, SIZE_MAX);
    h2o_set_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, rid.base, rid.len, 1);
    gw__add_cors(server, req);
    gw__jsonify_error(req, &slot);
    h2o_setup_next_ostream(req, slot);
}

void gw_filter_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *f = h2o_create_filter(pathconf, sizeof *f);
    f->on_setup_ostream = gw__on_setup_ostream;
}
