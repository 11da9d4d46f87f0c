/* schema-svc/merge.c, emit.c, validate.c, info.c: the document library shared with `apibus schema`. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "schema-svc/doc.h"

static const schema_info_t info = {.title = "apibus", .version = "0.1.0"};

static schema_fragment_t frag(const char *service, const char *fragment_json)
{
    char text[8192], err[256];
    schema_fragment_t f;
    snprintf(text, sizeof text, "{\"service\":\"%s\",\"version\":\"1.0.0\",\"fragment\":%s}", service, fragment_json);
    cr_assert_eq(schema_fragment_parse(text, strlen(text), &f, err, sizeof err), 0, "%s", err);
    return f;
}

#define OP(id) "{\"operationId\":\"" id "\",\"responses\":{\"200\":{\"description\":\"\"}},\"tags\":[\"api\"]}"
#define ALPHA                                                                                                    \
    "{\"paths\":{\"/api/a/\":{\"post\":" OP("a_create") ",\"get\":" OP("a_list") "}},"                             \
    "\"components\":{\"schemas\":{\"Shared\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}}}," \
    "\"Thing\":{\"type\":\"string\"}}}}"
#define BETA                                                                                                     \
    "{\"paths\":{\"/api/b/\":{\"get\":" OP("b_list") "},\"/api/a/\":{\"get\":" OP("b_steals") "}},"                \
    "\"components\":{\"schemas\":{\"Shared\":{\"properties\":{\"x\":{\"type\":\"string\"}},\"type\":\"object\"}," \
    "\"Thing\":{\"type\":\"integer\"}}}}"

static schema_doc_t *build(schema_fragment_t *frags, size_t n)
{
    schema_doc_t *doc;
    cr_assert_eq(schema_doc_build(&info, frags, n, &doc), 0);
    return doc;
}

Test(doc, order_of_arrival_never_shows)
{
    schema_fragment_t ab[2] = {frag("alpha", ALPHA), frag("beta", BETA)};
    schema_fragment_t ba[2] = {ab[1], ab[0]};
    schema_doc_t *d1 = build(ab, 2), *d2 = build(ba, 2);
    cr_assert_str_eq(d1->yaml, d2->yaml);
    cr_assert_str_eq(d1->json, d2->json);
    cr_assert_str_eq(d1->hash, d2->hash);
    static const char yaml_head[] = "openapi: 3.0.3\ninfo:\n  title: apibus\n  version: 0.1.0\nservers:\n- url: /\npaths:\n";
    static const char json_head[] = "{\n    \"openapi\": \"3.0.3\",";
    cr_assert(strncmp(d1->yaml, yaml_head, sizeof yaml_head - 1) == 0, "%s", d1->yaml);
    cr_assert(strncmp(d1->json, json_head, sizeof json_head - 1) == 0, "%s", d1->json);
    /* methods in drf-spectacular's order: get before post */
    cr_assert_lt(strstr(d1->yaml, "a_list"), strstr(d1->yaml, "a_create"));
    schema_doc_destroy(d1);
    schema_doc_destroy(d2);
    schema_fragment_dispose(&ab[0]);
    schema_fragment_dispose(&ab[1]);
}

Test(doc, conflicts_are_reported_and_the_first_service_keeps)
{
    schema_fragment_t fs[2] = {frag("beta", BETA), frag("alpha", ALPHA)};
    schema_doc_t *d = build(fs, 2);
    json_t *ops = json_object_get(json_object_get(d->document, "paths"), "/api/a/");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ops, "get"), "operationId")), "a_list");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(
                         d->document, "components"), "schemas"), "Thing"), "type")),
                     "string");
    cr_assert_eq(json_array_size(d->conflicts), 2, "one operation and one component: %s", json_dumps(d->conflicts, 0));
    json_t *c0 = json_array_get(d->conflicts, 0), *c1 = json_array_get(d->conflicts, 1);
    cr_assert_str_eq(json_string_value(json_object_get(c0, "kind")), "operation");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(c0, "services"), 0)), "alpha");
    cr_assert_str_eq(json_string_value(json_object_get(c1, "kind")), "component");
    cr_assert_str_eq(json_string_value(json_object_get(c1, "name")), "Thing");
    cr_assert_eq(d->num_operations, 3);
    schema_doc_destroy(d);
    schema_fragment_dispose(&fs[0]);
    schema_fragment_dispose(&fs[1]);
}

Test(doc, repeated_operation_id_is_a_conflict)
{
    schema_fragment_t fs[2] = {frag("alpha", "{\"paths\":{\"/x/\":{\"get\":" OP("same") "}}}"),
                               frag("beta", "{\"paths\":{\"/y/\":{\"get\":" OP("same") "}}}")};
    schema_doc_t *d = build(fs, 2);
    cr_assert_eq(json_array_size(d->conflicts), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(d->conflicts, 0), "kind")), "operationId");
    cr_assert_null(json_object_get(json_object_get(d->document, "paths"), "/y/"));
    schema_doc_destroy(d);
    schema_fragment_dispose(&fs[0]);
    schema_fragment_dispose(&fs[1]);
}

Test(doc, an_unusable_fragment_is_reported)
{
    schema_fragment_t f = frag("odd", "{\"paths\":[1,2]}");
    schema_doc_t *d = build(&f, 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(d->conflicts, 0), "kind")), "invalid");
    schema_doc_destroy(d);
    schema_fragment_dispose(&f);
    char err[256];
    cr_assert_neq(schema_fragment_parse("{\"service\":1}", 13, &f, err, sizeof err), 0);
    cr_assert_neq(schema_fragment_parse("nope", 4, &f, err, sizeof err), 0);
}

static void expect_yaml(const char *json_text, const char *want)
{
    json_t *v = json_loads(json_text, 0, NULL);
    size_t len;
    char *got = schema_emit_yaml(v, &len);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want);
    cr_expect_eq(len, strlen(got));
    free(got);
    json_decref(v);
}

Test(yaml, strings_that_would_read_as_something_else_are_quoted)
{
    expect_yaml("{\"openapi\":\"3.0.3\"}", "openapi: 3.0.3\n");
    expect_yaml("{\"200\":\"x\"}", "'200': x\n");
    expect_yaml("{\"a\":\"1.5\",\"b\":\"1e5\",\"c\":\"0x1F\",\"d\":\"-3\"}", "a: '1.5'\nb: '1e5'\nc: '0x1F'\nd: '-3'\n");
    expect_yaml("{\"a\":\"yes\",\"b\":\"Off\",\"c\":\"null\",\"d\":\"~\",\"e\":\"\"}", "a: 'yes'\nb: 'Off'\nc: 'null'\nd: '~'\ne: ''\n");
    expect_yaml("{\"t\":\"2024-10-14T21:25:44.123456Z\"}", "t: '2024-10-14T21:25:44.123456Z'\n");
    expect_yaml("{\"r\":\"#/components/schemas/X\"}", "r: '#/components/schemas/X'\n");
    expect_yaml("{\"u\":\"http://api.example.org/accounts/?page=4\"}", "u: http://api.example.org/accounts/?page=4\n");
}

Test(yaml, values_and_shapes)
{
    expect_yaml("{\"t\":true,\"f\":false,\"n\":null,\"i\":5,\"r\":66000.5}", "t: true\nf: false\n'n': null\ni: 5\nr: 66000.5\n"); /* n: YAML 1.1's no */
    expect_yaml("{\"e\":[],\"o\":{},\"l\":[\"a\",{\"b\":1}]}", "e: []\no: {}\nl:\n- a\n- b: 1\n");
    expect_yaml("{\"d\":\"* `hr` - HR\\n* `sales` - Sales\"}", "d: |-\n  * `hr` - HR\n  * `sales` - Sales\n");
    expect_yaml("{\"k\":\"caf\\u00e9\"}", "k: caf\xc3\xa9\n");
}

Test(validate, catches_what_a_merge_can_break)
{
    json_t *doc = json_loads(
        "{\"openapi\":\"3.0.3\",\"info\":{},\"paths\":{\"/x/{id}/\":{\"get\":{\"operationId\":\"x\",\"responses\":{"
        "\"200\":{\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Gone\"}}}}},"
        "\"security\":[{\"nope\":[]}]},\"put\":{\"operationId\":\"x\",\"responses\":{}}}},\"components\":{}}",
        0, NULL);
    json_t *problems = schema_doc_validate(doc);
    char *text = json_dumps(problems, 0);
    cr_assert_eq(json_array_size(problems), 6, "%s", text); /* ref, param x2, scheme, twice-used id, no responses */
    free(text);
    json_decref(problems);
    json_decref(doc);
}

Test(validate, a_merged_document_is_valid)
{
    schema_fragment_t fs[2] = {frag("alpha", ALPHA), frag("beta", BETA)};
    schema_doc_t *d = build(fs, 2);
    json_t *problems = schema_doc_validate(d->document);
    cr_assert_eq(json_array_size(problems), 0);
    json_decref(problems);
    schema_doc_destroy(d);
    schema_fragment_dispose(&fs[0]);
    schema_fragment_dispose(&fs[1]);
}

Test(info, from_the_environment)
{
    schema_info_t i;
    char err[128];
    setenv("APIBUS_SCHEMA_TITLE", "Acme API", 1);
    unsetenv("APIBUS_SCHEMA_VERSION");
    cr_assert_eq(schema_info_from_env(&i, err, sizeof err), 0);
    cr_assert_str_eq(i.title, "Acme API");
    cr_assert_str_eq(i.version, "0.1.0");
    cr_assert_str_eq(i.description, "");
    unsetenv("APIBUS_SCHEMA_TITLE");
}
