#include "gateway/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"

struct st_gw_call_t {
    gw_board_t *board;
    uint64_t job_id;
    gw_call_cb cb;
    void *arg;
    proto_msg_t msg;
    char *strings; /* method, path, query, body, request id: one allocation */
};

static int gw__call_encode(void *owner, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out)
{
    gw_call_t *c = owner;
    c->msg.job_id = job_id;
    c->msg.req.budget_ms = budget_ms;
    return proto_encode(&c->msg, out);
}

static void gw__call_done(void *owner, int err, const proto_reply_t *reply)
{
    gw_call_t *c = owner;
    c->cb(c->arg, err, reply);
    free(c->strings);
    free(c);
}

static const gw_job_callbacks_t gw__call_callbacks = {.encode = gw__call_encode, .done = gw__call_done};

static proto_str_t gw__copy(char **at, const char *s)
{
    size_t n = strlen(s);
    memcpy(*at, s, n + 1);
    proto_str_t out = {*at, n};
    *at += n + 1;
    return out;
}

gw_call_t *gw_call_start(gw_board_t *board, const char *method, const char *path, const char *query,
                         const char *body, gw_call_cb cb, void *arg, int *err)
{
    static unsigned long counter;
    char rid[32];
    snprintf(rid, sizeof rid, "gateway-%lu", ++counter);
    query = query != NULL ? query : "";
    body = body != NULL ? body : "";
    gw_call_t *c = calloc(1, sizeof *c);
    char *s = malloc(strlen(method) + strlen(path) + strlen(query) + strlen(body) + strlen(rid) + 5);
    if (c == NULL || s == NULL) {
        free(c);
        free(s);
        *err = -PROTO_ERR_NO_MEMORY;
        return NULL;
    }
    c->board = board;
    c->cb = cb;
    c->arg = arg;
    c->strings = s;
    proto_request_t *r = &c->msg.req;
    c->msg.version = PROTO_VERSION;
    c->msg.kind = PROTO_KIND_JOB;
    r->method = gw__copy(&s, method);
    r->path = gw__copy(&s, path);
    r->query = gw__copy(&s, query);
    r->body = gw__copy(&s, body);
    r->id = gw__copy(&s, rid);
    r->client = PROTO_STR_LIT("gateway");
    r->headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
    r->num_headers = 1;
    r->principal.cred = PROTO_CRED_SYSTEM;
    r->principal.scope = PROTO_SCOPE_ALL;
    int rc = gw_board_submit(board, &gw__call_callbacks, c, strcmp(method, "GET") == 0, &c->job_id);
    if (rc != 0) {
        free(c->strings);
        free(c);
        *err = rc;
        return NULL;
    }
    return c;
}

void gw_call_cancel(gw_call_t *c)
{
    if (c == NULL)
        return;
    gw_board_cancel(c->board, c->job_id);
    free(c->strings);
    free(c);
}
