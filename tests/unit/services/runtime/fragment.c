/* services/runtime/fragment.c: the OpenAPI fragment of the test table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"
#include "tests/unit/services/runtime/support.h"

static json_t *at(json_t *root, const char *path)
{
    /* a '/'-separated path of object keys; "~1" stands for '/' as in JSON pointers */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *j = root;
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok != NULL && j != NULL; tok = strtok_r(NULL, "/", &save)) {
        char key[256];
        size_t n = 0;
        for (const char *p = tok; *p != '\0' && n + 1 < sizeof key; p++) {
            if (p[0] == '~' && p[1] == '1') {
                key[n++] = '/';
                p++;
            } else {
                key[n++] = *p;
            }
        }
        key[n] = '\0';
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(key)) : json_object_get(j, key);
    }
    cr_assert_not_null(j, "missing %s", path);
    return j;
}

static void expect_json(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    cr_assert_not_null(want, "bad expectation");
    char *text = json_dumps(got, JSON_SORT_KEYS);
    cr_expect(json_equal(got, want), "got %s", text);
    free(text);
    json_decref(want);
}

#define THINGS "paths/~1api~1things~1"
#define THING "paths/~1api~1things~1{id}~1"

Test(fragment, shape)
{
    json_t *f = svc__fragment(&t_def);
    cr_assert_str_eq(json_string_value(at(f, "service")), "things");
    cr_assert_str_eq(json_string_value(at(f, "version")), "1.2.3");
    cr_assert_null(json_object_get(at(f, "fragment/paths"), "/api/system/"), "system routes stay private");
    expect_json(at(f, "fragment/components/securitySchemes"),
                "{\"ApiKeyAuth\":{\"type\":\"apiKey\",\"in\":\"header\",\"name\":\"Authorization\","
                "\"description\":\"API key, sent as `Api-Key <key>`\"},"
                "\"jwtAuth\":{\"type\":\"http\",\"scheme\":\"bearer\",\"bearerFormat\":\"JWT\"},"
                "\"cookieAuth\":{\"type\":\"apiKey\",\"in\":\"cookie\",\"name\":\"sessionid\"}}");
    json_decref(f);
}

Test(fragment, operations)
{
    json_t *f = svc__fragment(&t_def);
    cr_assert_str_eq(json_string_value(at(f, "fragment/" THINGS "/get/operationId")), "things_list");
    expect_json(at(f, "fragment/" THINGS "/get/tags"), "[\"api\"]");
    expect_json(at(f, "fragment/paths/~1api~1public~1/get/tags"), "[\"open\"]");
    expect_json(at(f, "fragment/" THINGS "/get/parameters"),
                "[{\"name\":\"page\",\"required\":false,\"in\":\"query\","
                "\"description\":\"A page number within the paginated result set.\",\"schema\":{\"type\":\"integer\"}}]");
    expect_json(at(f, "fragment/" THINGS "/get/security"), "[{\"cookieAuth\":[]},{\"jwtAuth\":[]},{\"ApiKeyAuth\":[]}]");
    expect_json(at(f, "fragment/paths/~1api~1user-only~1/get/security"), "[{\"cookieAuth\":[]},{\"jwtAuth\":[]}]");
    expect_json(at(f, "fragment/paths/~1api~1public~1/get/security"), "[]");
    expect_json(at(f, "fragment/" THINGS "/get/responses"),
                "{\"200\":{\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/PaginatedThingList\"}}},"
                "\"description\":\"\"},"
                "\"401\":{\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/ErrorDetail\"}}},"
                "\"description\":\"Unauthorized\"},"
                "\"404\":{\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/ErrorDetail\"}}},"
                "\"description\":\"Not Found\"}}");
    expect_json(at(f, "fragment/" THINGS "/post/requestBody"),
                "{\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Thing\"}},"
                "\"application/x-www-form-urlencoded\":{\"schema\":{\"$ref\":\"#/components/schemas/Thing\"}},"
                "\"multipart/form-data\":{\"schema\":{\"$ref\":\"#/components/schemas/Thing\"}}},\"required\":true}");
    cr_assert_str_eq(json_string_value(at(f, "fragment/" THINGS "/post/responses/404/description")), "Not Found");
    cr_assert_not_null(at(f, "fragment/" THINGS "/post/responses/201/content"));
    cr_assert_null(json_object_get(at(f, "fragment/" THING "/patch/requestBody"), "required"));
    cr_assert_str_eq(json_string_value(at(f, "fragment/" THING "/patch/requestBody/content/application~1json/schema/$ref")),
                     "#/components/schemas/PatchedThing");
    expect_json(at(f, "fragment/" THING "/delete/parameters"),
                "[{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"integer\"}}]");
    cr_assert_str_eq(json_string_value(at(f, "fragment/" THING "/delete/responses/204/description")), "No response body");
    cr_assert_null(json_object_get(at(f, "fragment/" THING "/delete/responses/204"), "content"));
    /* derived from the row: a key may be read-only (403), the id may not exist (404) */
    cr_assert_not_null(at(f, "fragment/" THING "/delete/responses/401/content"));
    cr_assert_not_null(at(f, "fragment/" THING "/delete/responses/403/content"));
    cr_assert_not_null(at(f, "fragment/" THING "/delete/responses/404/content"));
    cr_assert_str_eq(json_string_value(at(f, "fragment/" THINGS "/post/responses/400/content/application~1json/schema/$ref")),
                     "#/components/schemas/ValidationError");
    cr_assert_null(json_object_get(at(f, "fragment/paths/~1api~1public~1/get/responses"), "401"), "public: no 401");
    json_decref(f);
}

Test(fragment, components)
{
    json_t *f = svc__fragment(&t_def);
    json_t *thing = at(f, "fragment/components/schemas/Thing");
    expect_json(at(thing, "required"), "[\"id\",\"name\",\"color\",\"created_at\"]");
    expect_json(at(thing, "properties/id"), "{\"type\":\"integer\",\"readOnly\":true}");
    expect_json(at(thing, "properties/name"), "{\"type\":\"string\",\"maxLength\":100}");
    expect_json(at(thing, "properties/salary"), "{\"type\":\"integer\",\"minimum\":0,\"maximum\":2147483647}");
    expect_json(at(thing, "properties/color"), "{\"$ref\":\"#/components/schemas/ColorEnum\"}");
    expect_json(at(thing, "properties/email"), "{\"type\":\"string\",\"format\":\"email\",\"nullable\":true}");
    expect_json(at(thing, "properties/created_at"), "{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true}");
    expect_json(at(f, "fragment/components/schemas/ColorEnum"),
                "{\"enum\":[\"red\",\"green\"],\"type\":\"string\",\"description\":\"* `red` - Red\\n* `green` - Green\"}");
    cr_assert_null(json_object_get(at(f, "fragment/components/schemas/PatchedThing"), "required"));
    expect_json(at(f, "fragment/components/schemas/PaginatedThingList"),
                "{\"type\":\"object\",\"required\":[\"count\",\"results\"],\"properties\":{"
                "\"count\":{\"type\":\"integer\",\"example\":123},"
                "\"next\":{\"type\":\"string\",\"nullable\":true,\"format\":\"uri\",\"example\":\"http://api.example.org/accounts/?page=4\"},"
                "\"previous\":{\"type\":\"string\",\"nullable\":true,\"format\":\"uri\",\"example\":\"http://api.example.org/accounts/?page=2\"},"
                "\"results\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Thing\"}}}}");
    json_decref(f);
}

Test(fragment, deterministic)
{
    json_t *a = svc__fragment(&t_def), *b = svc__fragment(&t_def);
    char *ta = json_dumps(a, JSON_SORT_KEYS), *tb = json_dumps(b, JSON_SORT_KEYS);
    cr_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}

static void t_nothing(svc_ctx_t *ctx)
{
    svc_reply_empty(ctx, 204);
}

/* Rows that name no operationId get drf-spectacular's; schema_exclude rows are left out. */
static const svc_route_t defaults_routes[] = {
    {.method = "GET", .path = "/api/health/", .handler = t_nothing, .permission = SVC_PERM_PUBLIC},
    {.method = "GET", .path = "/api/team-members/", .handler = t_nothing, .permission = SVC_PERM_USER,
     .response = &t_thing, .paginated = true},
    {.method = "PATCH", .path = "/api/team-members/{id}/", .handler = t_nothing, .permission = SVC_PERM_USER,
     .request = &t_thing, .response = &t_thing},
    {.method = "GET", .path = "/api/schema/", .handler = t_nothing, .permission = SVC_PERM_PUBLIC,
     .schema_exclude = true},
};
static const svc_def_t defaults_def = {.name = "defaults", .routes = defaults_routes,
                                       .num_routes = SVC_COUNT(defaults_routes)};

Test(fragment, defaults)
{
    json_t *f = svc__fragment(&defaults_def);
    cr_assert_str_eq(json_string_value(at(f, "fragment/paths/~1api~1health~1/get/operationId")), "api_health_retrieve");
    cr_assert_str_eq(json_string_value(at(f, "fragment/paths/~1api~1team-members~1/get/operationId")),
                     "api_team_members_list");
    cr_assert_str_eq(json_string_value(at(f, "fragment/paths/~1api~1team-members~1{id}~1/patch/operationId")),
                     "api_team_members_partial_update");
    cr_assert_null(json_object_get(at(f, "fragment/paths"), "/api/schema/"), "excluded from the schema");
    json_decref(f);
}
