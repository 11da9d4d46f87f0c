#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

/* {"count":<20 digits>,"next":null,"previous":null,"results": */
#define SVC__PAGE_HEAD_MAX 80

/* DRF's PageNumberPagination over Django's Paginator: 100 per page, ?page=N or ?page=last,
 * an empty list still has page 1, anything else is 404 {"detail":"Invalid page."}. */

static int svc__page_number(const char *s, uint64_t num_pages, uint64_t *page)
{
    if (s == NULL) {
        *page = 1;
        return 0;
    }
    if (strcmp(s, "last") == 0) {
        *page = num_pages;
        return 0;
    }
    /* Python's int(): surrounding whitespace and a sign are fine, nothing else is */
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v > UINT64_MAX / 10 - 1 ? UINT64_MAX / 10 : v * 10 + (uint64_t)(*s - '0');
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    if (*s != '\0' || neg || v < 1 || v > num_pages)
        return -1;
    *page = v;
    return 0;
}

int svc_page_begin(svc_ctx_t *ctx, uint64_t count, uint64_t *offset, uint64_t *limit)
{
    uint64_t num_pages = count == 0 ? 1 : (count + SVC__PAGE_SIZE - 1) / SVC__PAGE_SIZE, page;
    if (svc__page_number(svc_query(ctx, "page"), num_pages, &page) != 0) {
        svc_reply_error(ctx, -PROTO_ERR_INVALID_PAGE);
        return -1;
    }
    ctx->page = page;
    ctx->num_pages = num_pages;
    *offset = (page - 1) * SVC__PAGE_SIZE;
    *limit = count - *offset < SVC__PAGE_SIZE ? count - *offset : SVC__PAGE_SIZE;
    return 0;
}

typedef struct st_svc__qitem_t {
    svc__pair_t *pair;
    size_t order;
} svc__qitem_t;

static int svc__qitem_cmp(const void *a, const void *b)
{
    const svc__qitem_t *x = a, *y = b;
    size_t n = x->pair->key_len < y->pair->key_len ? x->pair->key_len : y->pair->key_len;
    int c = memcmp(x->pair->key, y->pair->key, n);
    if (c == 0 && x->pair->key_len != y->pair->key_len)
        c = x->pair->key_len < y->pair->key_len ? -1 : 1;
    if (c == 0)
        c = x->order < y->order ? -1 : x->order > y->order;
    return c;
}

/* DRF's replace_query_param / remove_query_param: the query is re-encoded with its keys
 * sorted (urlencode(sorted(...), doseq=True)), every value of other keys kept in order. */
char *svc__page_link(const proto_request_t *req, uint64_t page)
{
    svc__pair_t *pairs;
    size_t num;
    svc__form_parse(req->query.ptr, req->query.len, &pairs, &num);
    svc__qitem_t *items = calloc(num + 1, sizeof *items);
    if (items == NULL)
        svc__oom();
    size_t n = 0;
    for (size_t i = 0; i < num; i++)
        if (!(pairs[i].key_len == 4 && memcmp(pairs[i].key, "page", 4) == 0))
            items[n] = (svc__qitem_t){&pairs[i], i}, n++;
    char number[24];
    svc__pair_t page_pair = {.key = "page", .key_len = 4, .value = number};
    if (page != 1) {
        page_pair.value_len = (size_t)snprintf(number, sizeof number, "%llu", (unsigned long long)page);
        items[n++] = (svc__qitem_t){&page_pair, num};
    }
    qsort(items, n, sizeof *items, svc__qitem_cmp);
    svc_buf_t url = {0};
    svc_buf_append(&url, req->base_url.ptr, req->base_url.len);
    svc_buf_append(&url, req->path.ptr, req->path.len);
    for (size_t i = 0; i < n; i++) {
        svc_buf_append(&url, i == 0 ? "?" : "&", 1);
        svc__buf_append_quoted(&url, items[i].pair->key, items[i].pair->key_len);
        svc_buf_append(&url, "=", 1);
        svc__buf_append_quoted(&url, items[i].pair->value, items[i].pair->value_len);
    }
    free(items);
    svc__form_free(pairs, num);
    return url.data;
}

static json_t *svc__link_json(const proto_request_t *req, uint64_t page)
{
    char *link = svc__page_link(req, page);
    json_t *j = json_string(link);
    free(link);
    /* a link built from a query that is not UTF-8 cannot be sent as JSON text */
    return j != NULL ? j : json_null();
}

/* The page object without its results: {"count":..,"next":..,"previous":..} in this order. */
static json_t *svc__page_head(svc_ctx_t *ctx, uint64_t count)
{
    json_t *body = json_object();
    if (body == NULL)
        svc__oom();
    json_object_set_new(body, "count", json_integer((json_int_t)count));
    json_object_set_new(body, "next", ctx->page < ctx->num_pages ? svc__link_json(ctx->req, ctx->page + 1) : json_null());
    json_object_set_new(body, "previous", ctx->page > 1 ? svc__link_json(ctx->req, ctx->page - 1) : json_null());
    return body;
}

void svc_page_reply(svc_ctx_t *ctx, uint64_t count, json_t *results)
{
    if (ctx->page == 0) {
        svc_log("error", "svc_page_reply without svc_page_begin");
        json_decref(results);
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
        return;
    }
    json_t *body = svc__page_head(ctx, count);
    json_object_set_new(body, "results", results != NULL ? results : json_array());
    svc_reply_json(ctx, 200, body);
}

/* A link as jansson writes it in svc_page_reply's object: the same escaping, or null. */
static void svc__append_link(svc_buf_t *out, const proto_request_t *req, uint64_t page)
{
    json_t *link = svc__link_json(req, page);
    char *text = json_dumps(link, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(link);
    if (text == NULL)
        svc__oom();
    svc_buf_append(out, text, strlen(text));
    free(text);
}

/* The page's bytes go straight into the body the reply is sent from: the results are copied
 * once, by the handler that writes them there (or by svc_page_reply_raw). The head is the text
 * of svc_page_reply's object without its closing brace, written without building the object. */
svc_buf_t *svc_page_reply_begin(svc_ctx_t *ctx, uint64_t count, size_t results_len)
{
    svc_buf_t *body = &ctx->draft;
    body->len = 0;
    if (body->data != NULL)
        body->data[0] = '\0';
    if (ctx->page == 0)
        return body; /* svc_page_reply_end answers 500 */
    char head[64];
    int n = snprintf(head, sizeof head, "{\"count\":%" JSON_INTEGER_FORMAT ",\"next\":", (json_int_t)count);
    /* room for a head without links, the results and the closing brace: one allocation */
    svc__buf_reserve(body, SVC__PAGE_HEAD_MAX + results_len + 1);
    svc_buf_append(body, head, (size_t)n);
    if (ctx->page < ctx->num_pages)
        svc__append_link(body, ctx->req, ctx->page + 1);
    else
        svc_buf_append(body, "null", 4);
    svc_buf_append(body, ",\"previous\":", sizeof ",\"previous\":" - 1);
    if (ctx->page > 1)
        svc__append_link(body, ctx->req, ctx->page - 1);
    else
        svc_buf_append(body, "null", 4);
    svc_buf_append(body, ",\"results\":", sizeof ",\"results\":" - 1);
    return body;
}

void svc_page_reply_end(svc_ctx_t *ctx)
{
    svc_buf_t body = ctx->draft;
    ctx->draft = (svc_buf_t){0};
    if (ctx->page == 0 || body.len == 0) {
        svc_log("error", "a page reply without %s", ctx->page == 0 ? "svc_page_begin" : "svc_page_reply_begin");
        free(body.data);
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
        return;
    }
    svc_buf_append(&body, "}", 1);
    svc__reply_take(ctx, 200, body.data, body.len);
}

void svc_page_reply_raw(svc_ctx_t *ctx, uint64_t count, const char *results_json, size_t len)
{
    svc_buf_t *body = svc_page_reply_begin(ctx, count, len);
    svc_buf_append(body, results_json, len);
    svc_page_reply_end(ctx);
}
