#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "schema-svc/doc.h"

/*
 * The structural checks behind `apibus schema --validate` (drf-spectacular validates against
 * the OpenAPI JSON Schema; the full check runs in `make test` with swagger-parser and redocly):
 * what a merge of fragments can get wrong — dangling $refs, operations without responses or
 * with a repeated operationId, undeclared path parameters, unknown security schemes.
 */

static void schema__problem(json_t *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void schema__problem(json_t *problems, const char *fmt, ...)
{
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_array_append_new(problems, json_string(text));
}

static void schema__check_refs(const json_t *doc, const json_t *v, const char *where, json_t *problems)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)(uintptr_t)v, key, child) {
            const char *ref = json_string_value(child);
            if (strcmp(key, "$ref") == 0 && ref != NULL) {
                char section[128], name[256];
                if (sscanf(ref, "#/components/%127[^/]/%255s", section, name) != 2 ||
                    json_object_get(json_object_get(json_object_get(doc, "components"), section), name) == NULL)
                    schema__problem(problems, "%s: $ref %s does not resolve", where, ref);
            } else {
                schema__check_refs(doc, child, where, problems);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) schema__check_refs(doc, child, where, problems);
    }
}

static bool schema__has_path_param(const json_t *op, const char *name, size_t len)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        const char *in = json_string_value(json_object_get(p, "in"));
        if (n != NULL && in != NULL && strcmp(in, "path") == 0 && strlen(n) == len && memcmp(n, name, len) == 0 &&
            json_is_true(json_object_get(p, "required")))
            return true;
    }
    return false;
}

static void schema__check_operation(const json_t *doc, const char *path, const char *method, const json_t *op,
                                    json_t *op_ids, json_t *problems)
{
    char where[600];
    snprintf(where, sizeof where, "%s %s", method, path);
    const char *id = json_string_value(json_object_get(op, "operationId"));
    if (id == NULL)
        schema__problem(problems, "%s: no operationId", where);
    else if (json_object_get(op_ids, id) != NULL)
        schema__problem(problems, "%s: operationId %s is used twice", where, id);
    else
        json_object_set_new(op_ids, id, json_true());
    const json_t *responses = json_object_get(op, "responses");
    if (!json_is_object(responses) || json_object_size(responses) == 0)
        schema__problem(problems, "%s: no responses", where);
    for (const char *p = strchr(path, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (close != NULL && !schema__has_path_param(op, p + 1, (size_t)(close - p - 1)))
            schema__problem(problems, "%s: path parameter %s is not declared", where, p);
    }
    size_t i;
    json_t *req;
    const json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    json_array_foreach(json_object_get(op, "security"), i, req) {
        const char *name;
        json_t *scopes;
        json_object_foreach(req, name, scopes) {
            if (json_object_get(schemes, name) == NULL)
                schema__problem(problems, "%s: security scheme %s is not defined", where, name);
        }
    }
    schema__check_refs(doc, op, where, problems);
}

json_t *schema_doc_validate(const json_t *doc)
{
    json_t *problems = json_array(), *op_ids = json_object();
    const char *path, *method;
    json_t *item, *op;
    if (!json_is_string(json_object_get(doc, "openapi")) || !json_is_object(json_object_get(doc, "info")) ||
        !json_is_object(json_object_get(doc, "paths")))
        schema__problem(problems, "the document lacks openapi, info or paths");
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        json_object_foreach(item, method, op) {
            if (json_is_object(op))
                schema__check_operation(doc, path, method, op, op_ids, problems);
        }
    }
    schema__check_refs(doc, json_object_get(doc, "components"), "components", problems);
    json_decref(op_ids);
    return problems;
}
