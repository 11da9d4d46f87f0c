#include <stdio.h>
#include <string.h>

#include "services/runtime/internal.h"

/*
 * The OpenAPI fragment, derived from the route table in drf-spectacular's shapes so that the
 * merged document (schema-svc) matches what Pegasus publishes. Built with jansson and printed
 * with sorted keys, so the same binary always prints the same bytes.
 */

static void svc__set(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        svc__oom();
}

static json_t *svc__ref(const char *name)
{
    char ref[sizeof "#/components/schemas/" + 256]; /* names come from 256-byte buffers */
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", ref);
}

static json_t *svc__enum_schema(const svc_enum_t *e)
{
    json_t *values = json_array(), *schema = json_object();
    char desc[2048];
    size_t used = 0;
    desc[0] = '\0';
    for (size_t i = 0; i < e->count; i++) {
        json_array_append_new(values, json_string(e->values[i]));
        int w = snprintf(desc + used, sizeof desc - used, "%s* `%s` - %s", i == 0 ? "" : "\n", e->values[i],
                         e->labels != NULL ? e->labels[i] : e->values[i]);
        if (w > 0 && (size_t)w < sizeof desc - used)
            used += (size_t)w;
    }
    svc__set(schema, "enum", values);
    svc__set(schema, "type", json_string("string"));
    svc__set(schema, "description", json_string(desc));
    return schema;
}

static void svc__add_model(json_t *schemas, const svc_model_t *model, bool patched);

static json_t *svc__type_schema(json_t *schemas, svc_type_t type, const svc_field_t *f)
{
    switch (type) {
    case SVC_T_INTEGER: return json_pack("{s:s}", "type", "integer");
    case SVC_T_NUMBER: return json_pack("{s:s, s:s}", "type", "number", "format", "double");
    case SVC_T_STRING: return json_pack("{s:s}", "type", "string");
    case SVC_T_BOOLEAN: return json_pack("{s:s}", "type", "boolean");
    case SVC_T_DATETIME: return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
    case SVC_T_EMAIL: return json_pack("{s:s, s:s}", "type", "string", "format", "email");
    case SVC_T_ENUM:
        if (f == NULL || f->enumeration == NULL)
            return json_pack("{s:s}", "type", "string");
        if (json_object_get(schemas, f->enumeration->name) == NULL)
            svc__set(schemas, f->enumeration->name, svc__enum_schema(f->enumeration));
        return svc__ref(f->enumeration->name);
    case SVC_T_OBJECT:
        if (f == NULL || f->model == NULL)
            return json_pack("{s:s}", "type", "object");
        svc__add_model(schemas, f->model, false);
        return svc__ref(f->model->name);
    case SVC_T_ARRAY: {
        json_t *items = f != NULL && f->model != NULL ? svc__type_schema(schemas, SVC_T_OBJECT, f)
                                                        : svc__type_schema(schemas, f != NULL ? f->items_type : SVC_T_STRING, NULL);
        return json_pack("{s:s, s:o}", "type", "array", "items", items);
    }
    }
    return json_object();
}

static json_t *svc__field_schema(json_t *schemas, const svc_field_t *f)
{
    json_t *s;
    if (f->schema_json != NULL && (s = json_loads(f->schema_json, 0, NULL)) != NULL)
        return s;
    s = svc__type_schema(schemas, f->type, f);
    if (json_object_get(s, "$ref") != NULL &&
        ((f->flags & (SVC_F_READ_ONLY | SVC_F_WRITE_ONLY | SVC_F_NULLABLE)) != 0 || f->description != NULL)) {
        /* siblings of $ref are ignored by OpenAPI 3.0: drf-spectacular wraps it in allOf */
        s = json_pack("{s:[o]}", "allOf", s);
    }
    if (f->max_length != 0)
        svc__set(s, "maxLength", json_integer((json_int_t)f->max_length));
    if (f->min_length != 0)
        svc__set(s, "minLength", json_integer((json_int_t)f->min_length));
    if ((f->flags & SVC_F_RANGE) != 0) {
        svc__set(s, "maximum", json_integer(f->maximum));
        svc__set(s, "minimum", json_integer(f->minimum));
    }
    if ((f->flags & SVC_F_READ_ONLY) != 0)
        svc__set(s, "readOnly", json_true());
    if ((f->flags & SVC_F_WRITE_ONLY) != 0)
        svc__set(s, "writeOnly", json_true());
    if ((f->flags & SVC_F_NULLABLE) != 0)
        svc__set(s, "nullable", json_true());
    if (f->description != NULL)
        svc__set(s, "description", json_string(f->description));
    return s;
}

static void svc__add_model(json_t *schemas, const svc_model_t *model, bool patched)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", patched ? "Patched" : "", model->name);
    if (json_object_get(schemas, name) != NULL)
        return;
    json_t *schema = json_object(), *props = json_object(), *required = json_array();
    svc__set(schemas, name, schema); /* first, so a model that nests itself ends */
    svc__set(schema, "type", json_string("object"));
    for (size_t i = 0; i < model->num_fields; i++) {
        const svc_field_t *f = &model->fields[i];
        svc__set(props, f->name, svc__field_schema(schemas, f));
        /* drf-spectacular lists read-only fields as required: responses always carry them,
         * except those a route declares as sometimes left out (a login that asks for a code) */
        if ((f->flags & (SVC_F_REQUIRED | SVC_F_READ_ONLY)) != 0 && (f->flags & SVC_F_OPTIONAL) == 0)
            json_array_append_new(required, json_string(f->name));
    }
    svc__set(schema, "properties", props);
    if (!patched && json_array_size(required) != 0)
        svc__set(schema, "required", required);
    else
        json_decref(required);
    if (model->description != NULL)
        svc__set(schema, "description", json_string(model->description));
}

static json_t *svc__paginated(json_t *schemas, const svc_model_t *model)
{
    char name[256];
    snprintf(name, sizeof name, "Paginated%sList", model->name);
    if (json_object_get(schemas, name) == NULL) {
        svc__add_model(schemas, model, false);
        json_t *s = json_pack(
            "{s:s, s:[s,s], s:{s:{s:s, s:i}, s:{s:s, s:b, s:s, s:s}, s:{s:s, s:b, s:s, s:s}, s:{s:s, s:o}}}",
            "type", "object", "required", "count", "results", "properties",
            "count", "type", "integer", "example", 123,
            "next", "type", "string", "nullable", 1, "format", "uri", "example", "http://api.example.org/accounts/?page=4",
            "previous", "type", "string", "nullable", 1, "format", "uri", "example", "http://api.example.org/accounts/?page=2",
            "results", "type", "array", "items", svc__ref(model->name));
        svc__set(schemas, name, s);
    }
    return svc__ref(name);
}

/* drf-spectacular's order: the authentication classes (session, JWT), then the SECURITY
 * setting's ApiKeyAuth; a typescript-fetch client applies them in this order. Public routes
 * say "none" explicitly ([]): a missing list would read as "not documented" to linters. */
static json_t *svc__security(svc_permission_t perm)
{
    switch (perm) {
    case SVC_PERM_PUBLIC: return json_array();
    case SVC_PERM_USER_OR_API_KEY:
        return json_pack("[{s:[]}, {s:[]}, {s:[]}]", "cookieAuth", "jwtAuth", "ApiKeyAuth");
    default: return json_pack("[{s:[]}, {s:[]}]", "cookieAuth", "jwtAuth");
    }
}

static json_t *svc__parameters(const svc_route_t *r)
{
    json_t *params = json_array();
    for (const char *p = strchr(r->path, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (close == NULL)
            break;
        json_t *param = json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1, (size_t)(close - p - 1), "in", "path",
                                  "required", 1, "schema", "type", "integer");
        json_array_append_new(params, param);
    }
    if (r->paginated)
        json_array_append_new(params, json_pack("{s:s, s:b, s:s, s:s, s:{s:s}}", "name", "page", "required", 0, "in",
                                                "query", "description", "A page number within the paginated result set.",
                                                "schema", "type", "integer"));
    for (size_t i = 0; i < r->num_query; i++) {
        const svc_param_t *q = &r->query[i];
        json_t *param = json_pack("{s:s, s:b, s:s, s:o}", "name", q->name, "required", q->required, "in", "query",
                                  "schema", svc__type_schema(NULL, q->type, NULL));
        if (q->description != NULL)
            svc__set(param, "description", json_string(q->description));
        json_array_append_new(params, param);
    }
    return params;
}

static const char *svc__reason(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* The bodies every error reply has (proto/errors.h): {"detail", "code"?}, and DRF's field
 * errors for 400. */
static json_t *svc__error_ref(json_t *schemas, int status)
{
    if (json_object_get(schemas, "ErrorDetail") == NULL) {
        svc__set(schemas, "ErrorDetail",
                 json_pack("{s:s, s:s, s:[s], s:{s:{s:s}, s:{s:s}}}", "type", "object", "description",
                           "An error: `detail` says what went wrong; `code` names it when a client may act on it.",
                           "required", "detail", "properties", "detail", "type", "string", "code", "type", "string"));
        svc__set(schemas, "ValidationError",
                 json_pack("{s:s, s:s, s:{s:[{s:s, s:{s:s}}, {s:s}]}}", "type", "object", "description",
                           "Invalid input, as DRF reports it: each field (or `non_field_errors`) with its messages, "
                           "or a `detail`.",
                           "additionalProperties", "oneOf", "type", "array", "items", "type", "string", "type",
                           "string"));
    }
    return svc__ref(status == 400 ? "ValidationError" : "ErrorDetail");
}

static void svc__add_error(json_t *schemas, json_t *responses, int status)
{
    char key[8];
    snprintf(key, sizeof key, "%d", status);
    if (json_object_get(responses, key) != NULL)
        return;
    svc__set(responses, key,
             json_pack("{s:{s:{s:o}}, s:s}", "content", "application/json", "schema", svc__error_ref(schemas, status),
                       "description", svc__reason(status)));
}

/* The errors the runtime itself answers for this row, so that a client (and the schema check
 * of the end-to-end tests) knows every status it can meet. */
static void svc__derived_errors(json_t *schemas, json_t *responses, const svc_route_t *r)
{
    bool unsafe = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
    if (r->request != NULL)
        svc__add_error(schemas, responses, 400);
    if (r->permission != SVC_PERM_PUBLIC)
        svc__add_error(schemas, responses, 401);
    /* 403: an API key on a user-only route, a read-only key on an unsafe method, a non-staff user */
    if (r->permission == SVC_PERM_USER || r->permission == SVC_PERM_STAFF ||
        (r->permission == SVC_PERM_USER_OR_API_KEY && unsafe))
        svc__add_error(schemas, responses, 403);
    if (strchr(r->path, '{') != NULL || r->paginated)
        svc__add_error(schemas, responses, 404);
}

static json_t *svc__responses(json_t *schemas, const svc_route_t *r)
{
    json_t *responses = json_object();
    int status = r->status != 0 ? r->status : 200;
    char key[8];
    snprintf(key, sizeof key, "%d", status);
    if (r->response == NULL) {
        svc__set(responses, key, json_pack("{s:s}", "description", "No response body"));
    } else {
        json_t *schema;
        if (r->paginated) {
            schema = svc__paginated(schemas, r->response);
        } else {
            svc__add_model(schemas, r->response, false);
            schema = svc__ref(r->response->name);
            if (r->response_is_list)
                schema = json_pack("{s:s, s:o}", "type", "array", "items", schema);
        }
        svc__set(responses, key,
                 json_pack("{s:{s:{s:o}}, s:s}", "content", "application/json", "schema", schema, "description", ""));
    }
    svc__derived_errors(schemas, responses, r);
    for (const int *e = r->errors; e != NULL && *e != 0; e++)
        svc__add_error(schemas, responses, *e);
    return responses;
}

static json_t *svc__request_body(json_t *schemas, const svc_route_t *r)
{
    bool patch = strcmp(r->method, "PATCH") == 0;
    char name[256];
    svc__add_model(schemas, r->request, patch);
    snprintf(name, sizeof name, "%s%s", patch ? "Patched" : "", r->request->name);
    json_t *body = json_pack("{s:{s:{s:o}, s:{s:o}, s:{s:o}}}", "content", "application/json", "schema",
                             svc__ref(name), "application/x-www-form-urlencoded", "schema", svc__ref(name),
                             "multipart/form-data", "schema", svc__ref(name));
    if (!patch)
        svc__set(body, "required", json_true());
    return body;
}

/* drf-spectacular's default tag: the first path segment */
static json_t *svc__tag(const svc_route_t *r)
{
    if (r->tag != NULL)
        return json_pack("[s]", r->tag);
    const char *p = r->path + (r->path[0] == '/');
    const char *slash = strchr(p, '/');
    return json_pack("[s%]", p, slash != NULL ? (size_t)(slash - p) : strlen(p));
}

/* drf-spectacular's get_operation_id() for a row that names none: the path without its
 * {parameters}, '/' and '-' as '_', then the action ("/api/health/" GET -> api_health_retrieve). */
static json_t *svc__default_operation_id(const svc_route_t *r)
{
    char id[256];
    size_t n = 0;
    for (const char *p = r->path; *p != '\0' && n + 1 < sizeof id; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            p = close != NULL ? close : p + strlen(p) - 1;
            continue;
        }
        char c = *p == '/' || *p == '-' ? '_' : *p;
        if (c == '_' && (n == 0 || id[n - 1] == '_'))
            continue;
        id[n++] = c;
    }
    while (n > 0 && id[n - 1] == '_')
        n--;
    id[n] = '\0';
    const char *action = strcmp(r->method, "POST") == 0     ? "create"
                         : strcmp(r->method, "PUT") == 0    ? "update"
                         : strcmp(r->method, "PATCH") == 0  ? "partial_update"
                         : strcmp(r->method, "DELETE") == 0 ? "destroy"
                         : r->paginated || r->response_is_list ? "list"
                                                               : "retrieve";
    return json_pack("s++", id, n != 0 ? "_" : "", action);
}

static json_t *svc__operation(json_t *schemas, const svc_route_t *r)
{
    json_t *op = json_object();
    svc__set(op, "operationId", r->operation_id != NULL ? json_string(r->operation_id) : svc__default_operation_id(r));
    if (r->summary != NULL)
        svc__set(op, "summary", json_string(r->summary));
    if (r->description != NULL)
        svc__set(op, "description", json_string(r->description));
    svc__set(op, "tags", svc__tag(r));
    json_t *params = svc__parameters(r);
    if (json_array_size(params) != 0)
        svc__set(op, "parameters", params);
    else
        json_decref(params);
    if (r->request != NULL)
        svc__set(op, "requestBody", svc__request_body(schemas, r));
    svc__set(op, "security", svc__security(r->permission));
    svc__set(op, "responses", svc__responses(schemas, r));
    return op;
}

static void svc__lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < cap; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
}

json_t *svc__fragment(const svc_def_t *def)
{
    json_t *paths = json_object(), *schemas = json_object();
    for (size_t i = 0; i < def->num_routes; i++) {
        const svc_route_t *r = &def->routes[i];
        if (r->permission == SVC_PERM_SYSTEM || r->schema_exclude) /* not part of the public API */
            continue;
        json_t *item = json_object_get(paths, r->path);
        if (item == NULL)
            svc__set(paths, r->path, item = json_object());
        char method[16];
        svc__lower(r->method, method, sizeof method);
        svc__set(item, method, svc__operation(schemas, r));
    }
    json_t *schemes = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
        "ApiKeyAuth", "type", "apiKey", "in", "header", "name", "Authorization", "description",
        "API key, sent as `Api-Key <key>`",
        "jwtAuth", "type", "http", "scheme", "bearer", "bearerFormat", "JWT",
        "cookieAuth", "type", "apiKey", "in", "cookie", "name", "sessionid");
    return json_pack("{s:s, s:s, s:{s:o, s:{s:o, s:o}}}", "service", def->name, "version",
                     def->version != NULL ? def->version : "0.0.0", "fragment", "paths", paths, "components",
                     "schemas", schemas, "securitySchemes", schemes);
}
