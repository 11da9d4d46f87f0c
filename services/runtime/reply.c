#include "services/runtime/internal.h"

/* For the few endpoints whose body is not JSON (the schema as YAML, the docs pages): the
 * dispatcher adds application/json only when no content type was set. */
void svc_reply_body(svc_ctx_t *ctx, int status, const char *content_type, const char *body, size_t len)
{
    if (ctx->replied) {
        svc__reply_raw(ctx, status, body, len); /* logs the double reply and drops it */
        return;
    }
    svc_reply_header(ctx, "content-type", content_type);
    svc__reply_raw(ctx, status, body, len);
}

/* The dispatcher adds application/json, as for svc_reply_json. */
void svc_reply_raw_json(svc_ctx_t *ctx, int status, const char *body, size_t len)
{
    svc__reply_raw(ctx, status, body, len);
}
