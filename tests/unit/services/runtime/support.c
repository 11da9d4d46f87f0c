#include "tests/unit/services/runtime/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

svc_t *t_svc;
static char t_dir[256];

static const char *const t_color_values[] = {"red", "green"};
static const char *const t_color_labels[] = {"Red", "Green"};
static const svc_enum_t t_color = {.name = "ColorEnum", .values = t_color_values, .labels = t_color_labels, .count = 2};

static const svc_field_t t_thing_fields[] = {
    {.name = "id", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "name", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = 100},
    {.name = "color", .type = SVC_T_ENUM, .flags = SVC_F_REQUIRED, .enumeration = &t_color},
    {.name = "salary", .type = SVC_T_INTEGER, .flags = SVC_F_RANGE, .minimum = 0, .maximum = 2147483647},
    {.name = "active", .type = SVC_T_BOOLEAN},
    {.name = "email", .type = SVC_T_EMAIL, .flags = SVC_F_NULLABLE},
    {.name = "score", .type = SVC_T_NUMBER},
    {.name = "when", .type = SVC_T_DATETIME},
    {.name = "note", .type = SVC_T_STRING, .flags = SVC_F_BLANK},
    {.name = "created_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
};
const svc_model_t t_thing = {.name = "Thing", .fields = t_thing_fields, .num_fields = SVC_COUNT(t_thing_fields)};

static void t_echo_input(svc_ctx_t *ctx)
{
    svc_reply_json(ctx, svc_route(ctx)->status != 0 ? svc_route(ctx)->status : 200, json_incref(svc_input(ctx)));
}

t_page_mode_t t_page_mode;

/* The page written in place, as a handler that produces its items one by one would: a hint of
 * one byte, so that the body has to grow. */
static void t_list_in_place(svc_ctx_t *ctx, uint64_t count, uint64_t offset, uint64_t limit)
{
    svc_buf_t *body = svc_page_reply_begin(ctx, count, 1);
    svc_buf_append(body, "[", 1);
    for (uint64_t i = 0; i < limit; i++) {
        char item[32];
        int n = snprintf(item, sizeof item, "%s%llu", i == 0 ? "" : ",", (unsigned long long)(offset + i + 1));
        svc_buf_append(body, item, (size_t)n);
    }
    if (t_page_mode == T_PAGE_HUGE)
        for (size_t i = 0; i <= svc_config(svc_service(ctx))->max_reply; i += 9)
            svc_buf_append(body, ",\"xxxxxx\"", 9);
    svc_buf_append(body, "]", 1);
    if (t_page_mode == T_PAGE_ABANDONED) {
        svc_reply_field_error(ctx, NULL, "abandoned");
        return;
    }
    svc_page_reply_end(ctx);
}

/* GET list: ?n= says how many items exist; replies the page's item numbers (as svc_page_reply,
 * svc_page_reply_raw or svc_page_reply_begin/end would: see t_page_mode). */
static void t_list(svc_ctx_t *ctx)
{
    const char *n = svc_query(ctx, "n");
    uint64_t count = n != NULL ? strtoull(n, NULL, 10) : 0, offset = 0, limit = 0;
    if (t_page_mode != T_PAGE_NO_PAGE_BEGIN && svc_page_begin(ctx, count, &offset, &limit) != 0)
        return;
    switch (t_page_mode) {
    case T_PAGE_NO_REPLY_BEGIN: svc_page_reply_end(ctx); return;
    case T_PAGE_TWICE: svc_reply_field_error(ctx, NULL, "first"); /* fall through */
    case T_PAGE_IN_PLACE:
    case T_PAGE_NO_PAGE_BEGIN:
    case T_PAGE_ABANDONED:
    case T_PAGE_HUGE: t_list_in_place(ctx, count, offset, limit); return;
    default: break;
    }
    json_t *results = json_array();
    for (uint64_t i = 0; i < limit; i++)
        json_array_append_new(results, json_integer((json_int_t)(offset + i + 1)));
    if (t_page_mode == T_PAGE_JSON) {
        svc_page_reply(ctx, count, results);
        return;
    }
    char *text = json_dumps(results, JSON_COMPACT);
    json_decref(results);
    svc_page_reply_raw(ctx, count, text, strlen(text));
    free(text);
}

static void t_retrieve(svc_ctx_t *ctx)
{
    uint64_t id;
    if (svc_path_id(ctx, "id", &id) != 0)
        return;
    svc_reply_json(ctx, 200, json_pack("{s:I}", "id", (json_int_t)id));
}

static void t_delete(svc_ctx_t *ctx)
{
    svc_reply_empty(ctx, 204);
}

static void t_ok(svc_ctx_t *ctx)
{
    svc_reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

static void t_silent(svc_ctx_t *ctx)
{
}

static void t_huge(svc_ctx_t *ctx)
{
    size_t n = svc_config(svc_service(ctx))->max_reply + 10;
    char *s = malloc(n + 1);
    memset(s, 'x', n);
    s[n] = '\0';
    svc_reply_json(ctx, 200, json_pack("{s:s}", "x", s));
    free(s);
}

static const int t_errors[] = {400, 404, 0};

static const svc_route_t t_routes[] = {
    {.method = "GET", .path = "/api/things/", .handler = t_list, .operation_id = "things_list",
     .permission = SVC_PERM_USER_OR_API_KEY, .paginated = true, .response = &t_thing},
    {.method = "POST", .path = "/api/things/", .handler = t_echo_input, .operation_id = "things_create",
     .permission = SVC_PERM_USER_OR_API_KEY, .request = &t_thing, .response = &t_thing, .status = 201,
     .errors = t_errors},
    {.method = "GET", .path = "/api/things/{id}/", .handler = t_retrieve, .operation_id = "things_retrieve",
     .permission = SVC_PERM_USER_OR_API_KEY, .response = &t_thing},
    {.method = "PATCH", .path = "/api/things/{id}/", .handler = t_echo_input, .operation_id = "things_partial_update",
     .permission = SVC_PERM_USER_OR_API_KEY, .request = &t_thing, .response = &t_thing},
    {.method = "DELETE", .path = "/api/things/{id}/", .handler = t_delete, .operation_id = "things_destroy",
     .permission = SVC_PERM_USER_OR_API_KEY, .status = 204},
    {.method = "GET", .path = "/api/staff/", .handler = t_ok, .operation_id = "staff", .permission = SVC_PERM_STAFF},
    {.method = "GET", .path = "/api/public/", .handler = t_ok, .operation_id = "public", .permission = SVC_PERM_PUBLIC,
     .tag = "open"},
    {.method = "GET", .path = "/api/user-only/", .handler = t_ok, .operation_id = "user_only", .permission = SVC_PERM_USER},
    {.method = "POST", .path = "/api/system/", .handler = t_ok, .operation_id = "system", .permission = SVC_PERM_SYSTEM},
    {.method = "GET", .path = "/api/silent/", .handler = t_silent, .operation_id = "silent", .permission = SVC_PERM_PUBLIC},
    {.method = "GET", .path = "/api/huge/", .handler = t_huge, .operation_id = "huge", .permission = SVC_PERM_PUBLIC},
};

static const char *const t_databases[] = {"things", NULL};

const svc_def_t t_def = {.name = "things", .version = "1.2.3", .routes = t_routes, .num_routes = SVC_COUNT(t_routes),
                         .databases = t_databases};

void t_open(void)
{
    snprintf(t_dir, sizeof t_dir, "/tmp/apibus-runtime-test-XXXXXX");
    cr_assert_not_null(mkdtemp(t_dir));
    svc_config_t cfg;
    svc_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", t_dir);
    cfg.map_size = (uint64_t)64 << 20;
    cfg.max_reply = 4096;
    cr_assert_eq(svc_open(&t_def, &cfg, &t_svc), 0);
}

void t_close(void)
{
    svc_close(t_svc);
    t_svc = NULL;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
    cr_assert_eq(system(cmd), 0);
}

proto_principal_t t_user(uint64_t id)
{
    return (proto_principal_t){.user_id = id, .cred = PROTO_CRED_JWT, .scope = PROTO_SCOPE_ALL};
}

proto_principal_t t_anon(int auth_error)
{
    return (proto_principal_t){.cred = PROTO_CRED_NONE, .auth_error = auth_error};
}

proto_principal_t t_key(uint64_t id, uint32_t scope)
{
    return (proto_principal_t){.user_id = id, .cred = PROTO_CRED_API_KEY, .scope = scope, .key_prefix = "abcdefgh"};
}

static proto_str_t t_str(const char *s)
{
    return s != NULL ? (proto_str_t){s, strlen(s)} : (proto_str_t){"", 0};
}

void t_call(const char *method, const char *path, const char *query, const char *content_type, const char *body,
            const proto_principal_t *who, svc_result_t *res)
{
    proto_request_t req;
    memset(&req, 0, sizeof req);
    req.id = PROTO_STR_LIT("req-1");
    req.budget_ms = 1000;
    req.method = t_str(method);
    req.path = t_str(path);
    req.query = t_str(query);
    req.base_url = PROTO_STR_LIT("http://testserver");
    if (content_type != NULL) {
        req.headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), t_str(content_type)};
        req.num_headers = 1;
    }
    req.body = t_str(body);
    req.principal = who != NULL ? *who : t_user(1);
    svc_handle_request(t_svc, &req, res);
}

json_t *t_json(const svc_result_t *res)
{
    return json_loadb(res->body.ptr, res->body.len, JSON_DECODE_ANY, NULL);
}

const char *t_header(const svc_result_t *res, const char *name)
{
    static char buf[512];
    proto_str_t v = proto_header_get(res->headers, res->num_headers, name);
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.ptr);
    return buf;
}
