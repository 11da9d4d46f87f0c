#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

static void svc__dispatch_error(svc_ctx_t *ctx, int err, json_t *body)
{
    if (body != NULL)
        svc_reply_json(ctx, proto_err_status(err), body);
    else
        svc_reply_error(ctx, err);
}

/* Permission, then validation, then the handler: the order of DRF's APIView.dispatch, so a
 * client learns about credentials before it learns about its body. */
static void svc__dispatch(svc_ctx_t *ctx)
{
    const proto_request_t *req = ctx->req;
    char allow[128];
    svc__match_t m = svc__route_match(ctx, allow, sizeof allow);
    if (m == SVC__MATCH_NO_PATH) {
        svc_reply_error(ctx, -PROTO_ERR_NOT_FOUND);
        return;
    }
    const char *challenge;
    int rc = svc__permission_check(ctx->route->permission, req->method, &req->principal, &challenge);
    if (rc != 0) {
        if (challenge != NULL && proto_err_status(rc) == 401)
            svc_reply_header(ctx, "www-authenticate", challenge);
        svc_reply_error(ctx, rc);
        return;
    }
    if (m == SVC__MATCH_NO_METHOD) {
        svc_reply_header(ctx, "allow", allow);
        /* DRF: {"detail": "Method \"PUT\" not allowed."} */
        char text[64];
        snprintf(text, sizeof text, "Method \"%.*s\" not allowed.", (int)(req->method.len > 16 ? 16 : req->method.len),
                 req->method.ptr);
        json_t *detail = json_string(text);
        if (detail == NULL)
            svc_reply_error(ctx, -PROTO_ERR_METHOD_NOT_ALLOWED);
        else
            svc_reply_json(ctx, 405, json_pack("{s:o}", "detail", detail));
        return;
    }
    if (ctx->route->request != NULL) {
        json_t *errors;
        bool partial = PROTO_STR_EQ(req->method, "PATCH");
        proto_str_t ct = proto_header_get(req->headers, req->num_headers, "content-type");
        rc = svc__validate_body(ctx->route->request, partial, ct, req->body, &ctx->input, &errors);
        if (rc != 0) {
            svc__dispatch_error(ctx, rc, errors);
            return;
        }
    }
    /* after permission and validation: as with Stripe, a request that never reached its endpoint
     * stores no outcome and does not use up its key */
    if (svc__idem_begin(ctx) != 0)
        return;
    ctx->route->handler(ctx);
    if (!ctx->replied) {
        svc_log("error", "%s %s: the handler did not reply", ctx->route->method, ctx->route->path);
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
    }
}

/* A reply larger than the bus allows would break the gateway's connection: send an error. */
static void svc__cap_reply(svc_ctx_t *ctx)
{
    if (ctx->body_len <= ctx->svc->cfg.max_reply)
        return;
    svc_log("error", "%.*s %.*s: reply of %zu bytes exceeds APIBUS_MAX_REPLY", (int)ctx->req->method.len,
            ctx->req->method.ptr, (int)ctx->req->path.len, ctx->req->path.ptr, ctx->body_len);
    free(ctx->body);
    ctx->body = NULL;
    ctx->num_headers = 0;
    ctx->replied = false;
    svc_reply_error(ctx, -PROTO_ERR_REPLY_TOO_LARGE);
}

void svc_handle_request(svc_t *svc, const proto_request_t *req, svc_result_t *res)
{
    svc_ctx_t *ctx = malloc(sizeof *ctx);
    if (ctx == NULL)
        svc__oom();
    svc__ctx_init(ctx, svc, req);
    svc__dispatch(ctx);
    svc__ctx_finish(ctx);
    svc__cap_reply(ctx);
    if (PROTO_STR_EQ(req->method, "HEAD")) {
        free(ctx->body);
        ctx->body = NULL;
        ctx->body_len = 0;
    }
    if (ctx->body != NULL && ctx->num_headers < PROTO_MAX_HEADERS &&
        proto_header_get(ctx->headers, ctx->num_headers, "content-type").len == 0)
        svc_reply_header(ctx, "content-type", "application/json");
    /* the reply is final: store it with the request's write, then release the held batch */
    svc__idem_finish(ctx);
    memset(res, 0, sizeof *res);
    res->status = ctx->status;
    memcpy(res->headers, ctx->headers, sizeof res->headers);
    res->num_headers = ctx->num_headers;
    res->body = (proto_str_t){ctx->body != NULL ? ctx->body : "", ctx->body_len};
    res->owner_ = ctx;
}

void svc_result_dispose(svc_result_t *res)
{
    if (res == NULL || res->owner_ == NULL)
        return;
    svc__ctx_release(res->owner_);
    free(res->owner_);
    memset(res, 0, sizeof *res);
}

void svc__result_msg(const svc_result_t *res, uint64_t job_id, proto_msg_t *msg)
{
    memset(msg, 0, sizeof *msg);
    msg->version = PROTO_VERSION;
    msg->kind = PROTO_KIND_RESULT;
    msg->job_id = job_id;
    msg->reply.status = (uint16_t)res->status;
    memcpy(msg->reply.headers, res->headers, sizeof msg->reply.headers);
    msg->reply.num_headers = res->num_headers;
    msg->reply.body = res->body;
}

int svc_result_encode(const svc_result_t *res, uint64_t job_id, proto_buf_t *out)
{
    proto_msg_t msg;
    svc__result_msg(res, job_id, &msg);
    return proto_encode(&msg, out);
}
