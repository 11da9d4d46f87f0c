#include <stdlib.h>
#include <string.h>

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

/* --- svc_buf_t: bodies written in place ---------------------------------------------------- */

void svc__buf_reserve(svc_buf_t *buf, size_t extra)
{
    if (extra < buf->cap - buf->len)
        return;
    if (extra > SIZE_MAX / 2 - buf->len)
        svc__oom();
    /* doubling for appends, exactly what was asked for when that is more */
    size_t need = buf->len + extra + 1, cap = buf->cap < 64 ? 128 : buf->cap * 2;
    if (cap < need)
        cap = need;
    char *d = realloc(buf->data, cap);
    if (d == NULL)
        svc__oom();
    buf->data = d;
    buf->cap = cap;
}

void svc_buf_append(svc_buf_t *buf, const void *data, size_t len)
{
    svc__buf_reserve(buf, len);
    if (len != 0)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}
