/* schema-svc in process: negotiation, the registry's choice of fragments, the endpoints. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/errors.h"
#include "schema-svc/schema.h"
#include "services/runtime/dispatch.h"

/* ---- negotiation (drf-spectacular's renderers under DRF's rules) ----------------------- */

static int neg(const char *format, const char *accept, schema_renderer_t *r)
{
    proto_str_t a = {accept != NULL ? accept : "", accept != NULL ? strlen(accept) : 0};
    return schema_negotiate(format, a, r);
}

Test(negotiate, like_drf_spectacular)
{
    schema_renderer_t r;
    cr_assert_eq(neg(NULL, NULL, &r), 0);
    cr_assert_eq(r, SCHEMA_R_OAI_YAML, "no Accept: YAML");
    cr_assert_eq(neg(NULL, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", &r), 0);
    cr_assert_eq(r, SCHEMA_R_OAI_YAML, "a browser: YAML");
    cr_assert_eq(neg("json", NULL, &r), 0);
    cr_assert_eq(r, SCHEMA_R_OAI_JSON);
    cr_assert_eq(neg(NULL, "application/vnd.oai.openapi+json", &r), 0);
    cr_assert_eq(r, SCHEMA_R_OAI_JSON);
    cr_assert_eq(neg(NULL, "application/json", &r), 0);
    cr_assert_eq(r, SCHEMA_R_JSON);
    cr_assert_eq(neg(NULL, "application/yaml", &r), 0);
    cr_assert_eq(r, SCHEMA_R_YAML);
    cr_assert_eq(neg("json", "application/json", &r), 0);
    cr_assert_eq(r, SCHEMA_R_JSON, "format narrows, Accept still chooses");
    cr_assert_eq(neg(NULL, "application/*", &r), 0);
    cr_assert_eq(r, SCHEMA_R_OAI_YAML);
    cr_assert_eq(neg(NULL, "*/*, application/json", &r), 0);
    cr_assert_eq(r, SCHEMA_R_JSON, "the more specific entry wins whatever its place");
    cr_assert_eq(neg(NULL, "application/json;q=0.1, application/yaml", &r), 0);
    cr_assert_eq(r, SCHEMA_R_YAML, "q is ignored; renderer order decides within a precedence");
    cr_assert_eq(neg(NULL, "text/html", &r), -PROTO_ERR_NOT_ACCEPTABLE);
    cr_assert_eq(neg(NULL, "garbage", &r), -PROTO_ERR_NOT_ACCEPTABLE);
    cr_assert_eq(neg("json", "application/yaml", &r), -PROTO_ERR_NOT_ACCEPTABLE);
    cr_assert_eq(neg("xml", NULL, &r), -PROTO_ERR_NOT_FOUND);
    cr_assert_str_eq(schema_renderer_content_type(SCHEMA_R_OAI_YAML), "application/vnd.oai.openapi; charset=utf-8");
    cr_assert_str_eq(schema_renderer_content_type(SCHEMA_R_OAI_JSON), "application/vnd.oai.openapi+json");
}

/* ---- the registry --------------------------------------------------------------------------- */

#define S 1000000LL /* one second in microseconds */

static const schema_info_t info = {.title = "apibus", .version = "0.1.0"};

static void announce(schema_registry_t *r, const char *svc, const char *inst, uint64_t started, const char *path,
                     bool bye, int64_t now)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"service\":\"%s\",\"version\":\"1.0.0\",\"fragment\":{\"paths\":{\"%s\":{\"get\":{\"operationId\":"
             "\"op%s\",\"responses\":{\"200\":{\"description\":\"\"}}}}}}}",
             svc, path, path + 1);
    proto_announce_t a = {.service = {svc, strlen(svc)}, .version = PROTO_STR_LIT("1.0.0"),
                          .instance = {inst, strlen(inst)}, .started_us = started, .stopping = bye,
                          .fragment = {text, bye ? 0 : strlen(text)}};
    schema_registry_announce(r, &a, now);
}

static bool has_path(schema_registry_t *r, const char *path)
{
    const schema_doc_t *doc = schema_registry_lock(r);
    bool has = json_object_get(json_object_get(doc->document, "paths"), path) != NULL;
    schema_registry_unlock(r);
    return has;
}

static json_t *service_health(schema_registry_t *r, const char *name, int64_t now)
{
    json_t *h = schema_registry_health(r, now), *s, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(h, "services"), i, s) {
        if (strcmp(json_string_value(json_object_get(s, "service")), name) == 0)
            found = json_incref(s);
    }
    json_decref(h);
    cr_assert_not_null(found);
    return found;
}

Test(registry, rebuilds_only_when_a_fragment_changes)
{
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    uint64_t builds = schema_registry_builds(r);
    announce(r, "emp", "h:1", 100, "/a/", false, 1 * S);
    cr_assert_eq(schema_registry_builds(r), builds + 1);
    announce(r, "emp", "h:1", 100, "/a/", false, 2 * S);
    announce(r, "emp", "h:2", 90, "/a/", false, 2 * S); /* a second instance, same fragment */
    schema_registry_tick(r, 3 * S);
    cr_assert_eq(schema_registry_builds(r), builds + 1, "same fragments: no rebuild");
    json_t *s = service_health(r, "emp", 3 * S);
    cr_assert_eq(json_array_size(json_object_get(s, "instances")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "up");
    json_decref(s);
    schema_registry_destroy(r);
}

Test(registry, a_restarted_service_with_a_changed_route_wins_at_once)
{
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    announce(r, "emp", "h:1", 100, "/old/", false, 1 * S);
    cr_assert(has_path(r, "/old/"));
    announce(r, "emp", "h:2", 200, "/new/", false, 2 * S); /* newer start time */
    cr_assert(has_path(r, "/new/"));
    cr_assert(!has_path(r, "/old/"));
    announce(r, "emp", "h:1", 100, "/old/", false, 3 * S); /* the old one, still alive, does not flip it back */
    cr_assert(has_path(r, "/new/"));
    schema_registry_destroy(r);
}

Test(registry, a_service_that_is_down_keeps_its_fragment)
{
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    announce(r, "emp", "h:1", 100, "/a/", false, 1 * S);
    announce(r, "other", "h:9", 100, "/b/", false, 1 * S);
    announce(r, "other", "h:9", 100, "/b/", true, 2 * S); /* a clean stop */
    schema_registry_tick(r, 30 * S);                                      /* and emp went silent */
    cr_assert(has_path(r, "/a/"));
    cr_assert(has_path(r, "/b/"));
    json_t *s = service_health(r, "emp", 30 * S);
    cr_assert_str_eq(json_string_value(json_object_get(s, "status")), "down");
    cr_assert_eq(json_array_size(json_object_get(s, "instances")), 0);
    cr_assert_str_eq(json_string_value(json_object_get(s, "version")), "1.0.0");
    json_decref(s);
    json_t *h = schema_registry_health(r, 30 * S);
    cr_assert_str_eq(json_string_value(json_object_get(h, "status")), "degraded");
    json_decref(h);
    schema_registry_destroy(r);
}

Test(registry, conflicts_show_in_health)
{
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    announce(r, "alpha", "h:1", 100, "/same/", false, 1 * S);
    announce(r, "beta", "h:2", 100, "/same/", false, 1 * S);
    json_t *h = schema_registry_health(r, 1 * S);
    cr_assert_eq(json_array_size(json_object_get(h, "conflicts")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(h, "status")), "degraded");
    json_decref(h);
    schema_registry_destroy(r);
}

/* ---- the endpoints, in process ------------------------------------------------------------ */

static svc_t *svc;
static char dir[64];

static void open_svc(void)
{
    char port[16];
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(port, sizeof port, "%d", 30000 + rand() % 20000);
    setenv("APIBUS_BUS_PORT_BASE", port, 1);
    snprintf(dir, sizeof dir, "/tmp/apibus-schema-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    svc_config_t cfg;
    svc_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.map_size = (uint64_t)16 << 20;
    cr_assert_eq(svc_open(&schema_service, &cfg, &svc), 0);
}

static void close_svc(void)
{
    char cmd[128];
    svc_close(svc);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void call(const char *path, const char *query, const char *accept, const char *inm, svc_result_t *res)
{
    proto_request_t req;
    memset(&req, 0, sizeof req);
    req.method = PROTO_STR_LIT("GET");
    req.path = (proto_str_t){path, strlen(path)};
    req.query = (proto_str_t){query != NULL ? query : "", query != NULL ? strlen(query) : 0};
    req.budget_ms = 1000;
    if (accept != NULL)
        req.headers[req.num_headers++] = (proto_header_t){PROTO_STR_LIT("accept"), {accept, strlen(accept)}};
    if (inm != NULL)
        req.headers[req.num_headers++] = (proto_header_t){PROTO_STR_LIT("if-none-match"), {inm, strlen(inm)}};
    svc_handle_request(svc, &req, res);
}

static const char *header(const svc_result_t *res, const char *name)
{
    static char buf[256];
    proto_str_t v = proto_header_get(res->headers, res->num_headers, name);
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.ptr);
    return buf;
}

Test(endpoints, schema_representations_and_etags, .init = open_svc, .fini = close_svc)
{
    svc_result_t res;
    char etag[256];
    call("/api/schema/", NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    cr_assert_str_eq(header(&res, "content-type"), "application/vnd.oai.openapi; charset=utf-8");
    cr_assert_str_eq(header(&res, "content-disposition"), "inline; filename=\"apibus.yaml\"");
    cr_assert(res.body.len > 15 && memcmp(res.body.ptr, "openapi: 3.0.3\n", 15) == 0);
    snprintf(etag, sizeof etag, "%s", header(&res, "etag"));
    cr_assert_eq(strlen(etag), 34);
    svc_result_dispose(&res);

    call("/api/schema/", NULL, NULL, etag, &res);
    cr_assert_eq(res.status, 304);
    cr_assert_eq(res.body.len, 0);
    svc_result_dispose(&res);

    call("/api/schema/", "format=json", NULL, etag, &res);
    cr_assert_eq(res.status, 200, "another representation, another ETag");
    cr_assert_str_eq(header(&res, "content-type"), "application/vnd.oai.openapi+json");
    cr_assert(memcmp(res.body.ptr, "{\n    \"openapi\": \"3.0.3\",", 25) == 0);
    svc_result_dispose(&res);

    call("/api/schema/", NULL, "application/json", NULL, &res);
    cr_assert_str_eq(header(&res, "content-type"), "application/json");
    svc_result_dispose(&res);

    call("/api/schema/", NULL, "text/html", NULL, &res);
    cr_assert_eq(res.status, 406);
    cr_assert_str_eq(header(&res, "content-type"), "application/vnd.oai.openapi; charset=utf-8");
    svc_result_dispose(&res);

    call("/api/schema/", "format=xml", NULL, NULL, &res);
    cr_assert_eq(res.status, 404);
    svc_result_dispose(&res);
}

Test(endpoints, pages_and_health, .init = open_svc, .fini = close_svc)
{
    svc_result_t res;
    call("/api/schema/swagger-ui/", NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    cr_assert_str_eq(header(&res, "content-type"), "text/html; charset=utf-8");
    cr_assert_not_null(memmem(res.body.ptr, res.body.len, "/docs/swagger-ui/swagger-ui-bundle.js", 37));
    cr_assert_null(memmem(res.body.ptr, res.body.len, "https://", 8), "nothing from another host");
    svc_result_dispose(&res);
    call("/api/schema/redoc/", NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    cr_assert_not_null(memmem(res.body.ptr, res.body.len, "/docs/redoc/redoc.standalone.js", 31));
    svc_result_dispose(&res);
    call("/api/health/", NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    json_t *h = json_loadb(res.body.ptr, res.body.len, 0, NULL);
    cr_assert_not_null(json_object_get(json_object_get(h, "document"), "etag"));
    json_decref(h);
    svc_result_dispose(&res);
}

Test(registry, forgotten_instances_free_their_slot)
{
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    announce(r, "emp", "h:1", 100, "/a/", false, 1 * S);
    announce(r, "emp", "h:2", 200, "/b/", false, 1 * S);
    announce(r, "emp", "h:1", 100, "/a/", true, 2 * S); /* h:1 leaves and is forgotten: h:2 speaks */
    announce(r, "emp", "h:3", 300, "/c/", false, 3 * S); /* takes the freed slot */
    cr_assert(has_path(r, "/c/"));
    json_t *s = service_health(r, "emp", 3 * S);
    cr_assert_eq(json_array_size(json_object_get(s, "instances")), 2);
    json_decref(s);
    schema_registry_destroy(r);
}
