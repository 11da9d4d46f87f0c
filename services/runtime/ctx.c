#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

void svc__ctx_init(svc_ctx_t *ctx, svc_t *svc, const proto_request_t *req)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->svc = svc;
    ctx->req = req;
}

void svc__ctx_finish(svc_ctx_t *ctx)
{
    if (ctx->read_txn != NULL)
        mdb_txn_abort(ctx->read_txn);
    ctx->read_txn = NULL;
    json_decref(ctx->input);
    ctx->input = NULL;
}

void svc__ctx_release(svc_ctx_t *ctx)
{
    svc__ctx_finish(ctx);
    free(ctx->body);
    ctx->body = NULL;
    free(ctx->draft.data);
    ctx->draft = (svc_buf_t){0};
    svc__arena_release(&ctx->arena);
}

const proto_request_t *svc_request(svc_ctx_t *ctx)
{
    return ctx->req;
}

const proto_principal_t *svc_principal(svc_ctx_t *ctx)
{
    return &ctx->req->principal;
}

const svc_route_t *svc_route(svc_ctx_t *ctx)
{
    return ctx->route;
}

svc_t *svc_service(svc_ctx_t *ctx)
{
    return ctx->svc;
}

void *svc_alloc(svc_ctx_t *ctx, size_t size)
{
    return svc__arena_alloc(&ctx->arena, size);
}

json_t *svc_input(svc_ctx_t *ctx)
{
    if (ctx->input == NULL && (ctx->input = json_object()) == NULL)
        svc__oom();
    return ctx->input;
}

void svc_set_data(svc_t *svc, void *data)
{
    svc->data = data;
}

void *svc_data(svc_t *svc)
{
    return svc->data;
}

MDB_txn *svc_read_txn(svc_ctx_t *ctx)
{
    if (ctx->read_txn == NULL) {
        int rc = mdb_txn_begin(ctx->svc->env, NULL, MDB_RDONLY, &ctx->read_txn);
        if (rc == EAGAIN)
            svc__store_pidns_fatal("read transaction");
        if (rc != 0) {
            /* MDB_READERS_FULL and friends: the handler gets NULL and answers 500 through
             * svc_storage_error-style handling; the cause is logged here. */
            svc_log("error", "storage: cannot begin a read transaction: %s", mdb_strerror(rc));
            ctx->read_txn = NULL;
        }
    }
    return ctx->read_txn;
}

int svc_path_id(svc_ctx_t *ctx, const char *name, uint64_t *out)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < ctx->num_params; i++) {
        const svc__param_t *p = &ctx->params[i];
        if (p->name_len != nlen || memcmp(p->name, name, nlen) != 0)
            continue;
        /* Django's <int:pk> converter: digits only, no sign, no spaces. */
        uint64_t v = 0;
        if (p->value.len == 0 || p->value.len > 19)
            break;
        for (size_t j = 0; j < p->value.len; j++) {
            char c = p->value.ptr[j];
            if (c < '0' || c > '9')
                goto not_found;
            v = v * 10 + (uint64_t)(c - '0');
        }
        *out = v;
        return 0;
    }
not_found:
    svc_reply_error(ctx, -PROTO_ERR_NOT_FOUND);
    return -1;
}

const char *svc_query(svc_ctx_t *ctx, const char *name)
{
    svc__pair_t *pairs;
    size_t num;
    const char *found = NULL;
    if (svc__form_parse(ctx->req->query.ptr, ctx->req->query.len, &pairs, &num) != 0)
        return NULL;
    /* Django's QueryDict.get: the last value wins. */
    for (size_t i = 0; i < num; i++)
        if (strcmp(pairs[i].key, name) == 0 && strlen(pairs[i].key) == pairs[i].key_len)
            found = svc__arena_strndup(&ctx->arena, pairs[i].value, pairs[i].value_len);
    svc__form_free(pairs, num);
    return found;
}

/* --- replies ---------------------------------------------------------------------------------- */

static bool svc__reply_once(svc_ctx_t *ctx)
{
    if (ctx->replied) {
        svc_log("error", "%.*s %.*s: the handler replied twice; the second reply is dropped",
                (int)ctx->req->method.len, ctx->req->method.ptr, (int)ctx->req->path.len, ctx->req->path.ptr);
        return false;
    }
    ctx->replied = true;
    return true;
}

void svc_reply_header(svc_ctx_t *ctx, const char *name, const char *value)
{
    if (ctx->num_headers == PROTO_MAX_HEADERS) {
        svc_log("error", "reply header %s dropped: too many headers", name);
        return;
    }
    proto_header_t *h = &ctx->headers[ctx->num_headers++];
    size_t nlen = strlen(name);
    char *n = svc__arena_strndup(&ctx->arena, name, nlen);
    for (size_t i = 0; i < nlen; i++)
        if (n[i] >= 'A' && n[i] <= 'Z')
            n[i] = (char)(n[i] - 'A' + 'a');
    h->name = (proto_str_t){n, nlen};
    h->value.len = strlen(value);
    h->value.ptr = svc__arena_strndup(&ctx->arena, value, h->value.len);
}

/* Every body ends here; worker.c encodes it straight into the message it sends, its one copy
 * after this. */
static void svc__reply_set(svc_ctx_t *ctx, int status, char *body, size_t len)
{
    ctx->status = status;
    ctx->body = body;
    ctx->body_len = len;
}

void svc__reply_raw(svc_ctx_t *ctx, int status, const char *body, size_t len)
{
    if (!svc__reply_once(ctx))
        return;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        svc__oom();
    memcpy(copy, body, len);
    copy[len] = '\0';
    svc__reply_set(ctx, status, copy, len);
}

void svc__reply_take(svc_ctx_t *ctx, int status, char *body, size_t len)
{
    if (!svc__reply_once(ctx)) {
        free(body);
        return;
    }
    svc__reply_set(ctx, status, body, len);
}

void svc_reply_json(svc_ctx_t *ctx, int status, json_t *body)
{
    if (body == NULL) {
        /* jansson returns NULL from constructors only for invalid UTF-8 or no memory */
        svc_log("error", "svc_reply_json: no body (invalid UTF-8 in a string?)");
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
        return;
    }
    if (!svc__reply_once(ctx)) {
        json_decref(body);
        return;
    }
    /* DRF's renderer: compact separators, UTF-8 as is, keys in insertion order. */
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    if (text == NULL)
        svc__oom();
    svc__reply_set(ctx, status, text, strlen(text));
}

void svc_reply_empty(svc_ctx_t *ctx, int status)
{
    if (!svc__reply_once(ctx))
        return;
    ctx->status = status;
}

void svc_reply_error(svc_ctx_t *ctx, int err)
{
    size_t len;
    const char *body = proto_err_body(err, &len);
    svc__reply_raw(ctx, proto_err_status(err), body, len);
}

void svc_reply_field_error(svc_ctx_t *ctx, const char *field, const char *message)
{
    json_t *body = json_object(), *list = json_array();
    if (body == NULL || list == NULL)
        svc__oom();
    json_array_append_new(list, json_string(message));
    json_object_set_new(body, field != NULL ? field : "non_field_errors", list);
    svc_reply_json(ctx, 400, body);
}
