/*
 * The schema endpoints. /api/schema/ answers like drf-spectacular's SpectacularAPIView (see
 * negotiate.c) with an ETag per representation; the document itself is built by the registry
 * only when a fragment changes, so a request only copies bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/roles.h"
#include "schema-svc/schema.h"

/* An instance is live while its pushes arrive within this many push periods. */
#define SCHEMA__TTL_PERIODS 3
#define SCHEMA__DEFAULT_PUSH_MS 3000

typedef struct st_schema_state_t {
    schema_info_t info;
    schema_registry_t *registry;
    schema_collector_t *collector;
    char *swagger_ui, *redoc; /* the pages, rendered once */
    size_t swagger_ui_len, redoc_len;
    char filename[160];       /* Content-Disposition's base name: the title, made header-safe */
} schema_state_t;

static schema_state_t *schema__state(svc_ctx_t *ctx)
{
    return svc_data(svc_service(ctx));
}

/* The ETag of each renderer's output: one document hash, one suffix per representation. */
static const char *const schema__etag_suffix[] = {
    [SCHEMA_R_OAI_YAML] = "", [SCHEMA_R_YAML] = "-yaml", [SCHEMA_R_OAI_JSON] = "-oai-json", [SCHEMA_R_JSON] = "-json"};

static bool schema__not_modified(const proto_request_t *req, const char *etag)
{
    proto_str_t inm = proto_header_get(req->headers, req->num_headers, "if-none-match");
    if (inm.len == 0)
        return false;
    if (PROTO_STR_EQ(inm, "*"))
        return true;
    size_t n = strlen(etag);
    for (size_t i = 0; i + n <= inm.len; i++)
        if (memcmp(inm.ptr + i, etag, n) == 0)
            return true;
    return false;
}

void schema_get(svc_ctx_t *ctx)
{
    static const char not_acceptable[] = "detail: Could not satisfy the request Accept header.\n";
    schema_state_t *st = schema__state(ctx);
    const proto_request_t *req = svc_request(ctx);
    schema_renderer_t r;
    int rc = schema_negotiate(svc_query(ctx, "format"), proto_header_get(req->headers, req->num_headers, "accept"), &r);
    if (rc == -PROTO_ERR_NOT_ACCEPTABLE) {
        /* drf-spectacular renders this error with its first renderer: YAML */
        svc_reply_body(ctx, 406, schema_renderer_content_type(SCHEMA_R_OAI_YAML), not_acceptable,
                       sizeof not_acceptable - 1);
        return;
    }
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    char etag[64], disposition[200];
    bool json = schema_renderer_is_json(r);
    snprintf(disposition, sizeof disposition, "inline; filename=\"%s.%s\"", st->filename, json ? "json" : "yaml");
    const schema_doc_t *doc = schema_registry_lock(st->registry);
    snprintf(etag, sizeof etag, "\"%s%s\"", doc->hash, schema__etag_suffix[r]);
    svc_reply_header(ctx, "etag", etag);
    /* revalidate every time: a restarted service may have changed the document */
    svc_reply_header(ctx, "cache-control", "no-cache");
    if (schema__not_modified(req, etag)) {
        svc_reply_empty(ctx, 304);
    } else {
        svc_reply_header(ctx, "content-disposition", disposition);
        svc_reply_body(ctx, 200, schema_renderer_content_type(r), json ? doc->json : doc->yaml,
                       json ? doc->json_len : doc->yaml_len);
    }
    schema_registry_unlock(st->registry);
}

void schema_swagger_ui(svc_ctx_t *ctx)
{
    schema_state_t *st = schema__state(ctx);
    svc_reply_body(ctx, 200, "text/html; charset=utf-8", st->swagger_ui, st->swagger_ui_len);
}

void schema_redoc(svc_ctx_t *ctx)
{
    schema_state_t *st = schema__state(ctx);
    svc_reply_body(ctx, 200, "text/html; charset=utf-8", st->redoc, st->redoc_len);
}

void schema_health(svc_ctx_t *ctx)
{
    svc_reply_json(ctx, 200, schema_registry_health(schema__state(ctx)->registry, svc_now_us()));
}

/* The same variable the pushers read (services/runtime/announce.c); its validation is
 * theirs: here an unreadable value falls back to the default. */
static int64_t schema__ttl_us(void)
{
    const char *v = getenv("APIBUS_FRAGMENT_PUSH_MS");
    long ms = SCHEMA__DEFAULT_PUSH_MS;
    if (v != NULL && *v != '\0') {
        char *end;
        errno = 0;
        long parsed = strtol(v, &end, 10);
        if (errno == 0 && *end == '\0' && parsed >= 100 && parsed <= 3600000)
            ms = parsed;
    }
    return (int64_t)ms * 1000 * SCHEMA__TTL_PERIODS;
}

static void schema__filename(const char *title, char *out, size_t cap)
{
    size_t n = 0;
    for (; *title != '\0' && n + 1 < cap; title++)
        out[n++] = *title >= 0x20 && *title < 0x7f && *title != '"' && *title != '\\' ? *title : '_';
    out[n] = '\0';
}

int schema_init(svc_t *svc)
{
    char err[256], endpoint[512];
    schema_state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return -PROTO_ERR_NO_MEMORY;
    if (schema_info_from_env(&st->info, err, sizeof err) != 0) {
        svc_log("error", "%s", err);
        goto fail;
    }
    schema__filename(st->info.title, st->filename, sizeof st->filename);
    if ((st->swagger_ui = schema_page_swagger_ui(st->info.title, &st->swagger_ui_len)) == NULL ||
        (st->redoc = schema_page_redoc(st->info.title, &st->redoc_len)) == NULL ||
        schema_registry_create(&st->info, schema__ttl_us(), &st->registry) != 0 ||
        proto_endpoint(PROTO_PORT_FRAGMENTS, PROTO_SIDE_BIND, endpoint, sizeof endpoint) != 0 ||
        schema_collector_start(st->registry, endpoint, &st->collector) != 0)
        goto fail;
    svc_set_data(svc, st);
    return 0;
fail:
    schema_registry_destroy(st->registry);
    free(st->swagger_ui);
    free(st->redoc);
    free(st);
    return -PROTO_ERR_UNAVAILABLE;
}

void schema_fini(svc_t *svc)
{
    schema_state_t *st = svc_data(svc);
    if (st == NULL)
        return;
    schema_collector_stop(st->collector);
    schema_registry_destroy(st->registry);
    free(st->swagger_ui);
    free(st->redoc);
    free(st);
    svc_set_data(svc, NULL);
}
