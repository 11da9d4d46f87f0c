#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-svc/doc.h"

/*
 * The merge. Everything is built in a scratch "state" first (who defined what), then written
 * out once in canonical order, so the arrival order of fragments never shows in the bytes.
 */

/* drf-spectacular's method order (SORT_OPERATIONS) and operation key order. */
static const char *const schema__methods[] = {"get", "post", "put", "patch", "delete", "head", "options", "trace"};
static const char *const schema__op_keys[] = {"operationId", "summary", "description", "parameters", "tags",
                                              "requestBody", "security", "responses"};

typedef struct st_schema_merge_t {
    json_t *ops;        /* path -> method -> operation (borrowed from a fragment) */
    json_t *op_owner;   /* path -> method -> service */
    json_t *op_ids;     /* operationId -> "service: METHOD path" */
    json_t *components; /* section -> name -> value */
    json_t *comp_owner; /* section -> name -> service */
    json_t *conflicts;
    size_t num_operations;
} schema_merge_t;

static json_t *schema__child(json_t *parent, const char *key)
{
    json_t *c = json_object_get(parent, key);
    if (c == NULL) {
        c = json_object();
        json_object_set_new(parent, key, c);
    }
    return c;
}

static void schema__conflict(schema_merge_t *m, json_t *entry, const char *kept, const char *dropped, const char *detail)
{
    json_object_set_new(entry, "services", json_pack("[s,s]", kept, dropped));
    json_object_set_new(entry, "detail", json_string(detail));
    json_array_append_new(m->conflicts, entry);
}

static void schema__merge_operation(schema_merge_t *m, const char *service, const char *path, const char *method,
                                    json_t *op)
{
    char detail[1024], where[768];
    json_t *owners = schema__child(m->op_owner, path);
    const char *owner = json_string_value(json_object_get(owners, method));
    if (owner != NULL) {
        snprintf(detail, sizeof detail, "%s %s is defined by %s and by %s; %s's definition is left out", method, path,
                 owner, service, service);
        schema__conflict(m, json_pack("{s:s, s:s, s:s}", "kind", "operation", "path", path, "method", method), owner,
                         service, detail);
        return;
    }
    const char *op_id = json_string_value(json_object_get(op, "operationId"));
    if (op_id != NULL) {
        const char *seen = json_string_value(json_object_get(m->op_ids, op_id));
        if (seen != NULL) {
            char first[128];
            snprintf(first, sizeof first, "%.*s", (int)strcspn(seen, ":"), seen);
            snprintf(detail, sizeof detail, "operationId %s of %s %s (%s) is already used by %s; left out", op_id,
                     method, path, service, seen);
            schema__conflict(m, json_pack("{s:s, s:s, s:s, s:s}", "kind", "operationId", "operationId", op_id, "path",
                                          path, "method", method),
                             first, service, detail);
            return;
        }
        snprintf(where, sizeof where, "%s: %s %s", service, method, path);
        json_object_set_new(m->op_ids, op_id, json_string(where));
    }
    json_object_set_new(owners, method, json_string(service));
    json_object_set(schema__child(m->ops, path), method, op);
    m->num_operations++;
}

static void schema__merge_component(schema_merge_t *m, const char *service, const char *section, const char *name,
                                    json_t *value)
{
    json_t *have = json_object_get(schema__child(m->components, section), name);
    json_t *owners = schema__child(m->comp_owner, section);
    if (have == NULL) {
        json_object_set(json_object_get(m->components, section), name, value);
        json_object_set_new(owners, name, json_string(service));
        return;
    }
    if (json_equal(have, value))
        return; /* the same definition from two services (ErrorDetail, the security schemes) */
    char detail[1024];
    const char *owner = json_string_value(json_object_get(owners, name));
    snprintf(detail, sizeof detail, "components/%s/%s differs between %s and %s; %s's definition is kept", section,
             name, owner, service, owner);
    schema__conflict(m, json_pack("{s:s, s:s, s:s}", "kind", "component", "section", section, "name", name), owner,
                     service, detail);
}

static void schema__invalid(schema_merge_t *m, const char *service, const char *what)
{
    char detail[512];
    snprintf(detail, sizeof detail, "the fragment of %s is not usable: %s; it is left out", service, what);
    json_array_append_new(m->conflicts, json_pack("{s:s, s:[s], s:s}", "kind", "invalid", "services", service,
                                                  "detail", detail));
}

static void schema__merge_fragment(schema_merge_t *m, const schema_fragment_t *f)
{
    json_t *paths = json_object_get(f->fragment, "paths"), *components = json_object_get(f->fragment, "components");
    const char *key, *sub;
    json_t *value, *item;
    if ((paths != NULL && !json_is_object(paths)) || (components != NULL && !json_is_object(components))) {
        schema__invalid(m, f->service, "paths and components must be objects");
        return;
    }
    json_object_foreach(paths, key, item) {
        if (!json_is_object(item) || key[0] != '/') {
            schema__invalid(m, f->service, "a path must start with '/' and map methods to operations");
            continue;
        }
        json_object_foreach(item, sub, value) schema__merge_operation(m, f->service, key, sub, value);
    }
    json_object_foreach(components, key, item) {
        if (!json_is_object(item)) {
            schema__invalid(m, f->service, "a components section must be an object");
            continue;
        }
        json_object_foreach(item, sub, value) schema__merge_component(m, f->service, key, sub, value);
    }
}

/* --- canonical output --------------------------------------------------------------------- */

static int schema__cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *schema__canon(json_t *v);

/* Copies obj into out: first the keys of `first` (in that order), then the others sorted. */
static void schema__ordered(json_t *out, json_t *obj, const char *const *first, size_t num_first,
                            json_t *(*copy)(json_t *))
{
    size_t n = json_object_size(obj), k = 0;
    const char **keys = calloc(n != 0 ? n : 1, sizeof *keys);
    const char *key;
    json_t *value;
    if (keys == NULL)
        return;
    for (size_t i = 0; i < num_first; i++)
        if ((value = json_object_get(obj, first[i])) != NULL)
            json_object_set_new(out, first[i], copy(value));
    json_object_foreach(obj, key, value) {
        bool listed = false;
        for (size_t i = 0; i < num_first && !listed; i++)
            listed = strcmp(first[i], key) == 0;
        if (!listed)
            keys[k++] = key;
    }
    qsort(keys, k, sizeof *keys, schema__cmp_keys);
    for (size_t i = 0; i < k; i++)
        json_object_set_new(out, keys[i], copy(json_object_get(obj, keys[i])));
    free(keys);
}

static json_t *schema__canon(json_t *v)
{
    if (json_is_object(v)) {
        json_t *out = json_object();
        schema__ordered(out, v, NULL, 0, schema__canon);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array(), *item;
        size_t i;
        json_array_foreach(v, i, item) json_array_append_new(out, schema__canon(item));
        return out;
    }
    return json_deep_copy(v);
}

static json_t *schema__canon_operation(json_t *op)
{
    if (!json_is_object(op))
        return schema__canon(op);
    json_t *out = json_object();
    schema__ordered(out, op, schema__op_keys, sizeof schema__op_keys / sizeof *schema__op_keys, schema__canon);
    return out;
}

static json_t *schema__canon_path_item(json_t *item)
{
    json_t *out = json_object();
    schema__ordered(out, item, schema__methods, sizeof schema__methods / sizeof *schema__methods,
                    schema__canon_operation);
    return out;
}

static json_t *schema__canon_paths(json_t *paths)
{
    json_t *out = json_object();
    schema__ordered(out, paths, NULL, 0, schema__canon_path_item);
    return out;
}

static json_t *schema__document(const schema_info_t *info, schema_merge_t *m)
{
    static const char *const sections[] = {"schemas", "securitySchemes"};
    json_t *doc = json_object(), *info_obj = json_object(), *components = json_object();
    json_object_set_new(doc, "openapi", json_string(SCHEMA_OPENAPI_VERSION));
    json_object_set_new(info_obj, "title", json_string(info->title));
    json_object_set_new(info_obj, "version", json_string(info->version));
    if (info->description[0] != '\0')
        json_object_set_new(info_obj, "description", json_string(info->description));
    json_object_set_new(doc, "info", info_obj);
    /* relative: Swagger UI's "Try it out" calls the origin that served the page */
    json_object_set_new(doc, "servers", json_pack("[{s:s}]", "url", "/"));
    json_object_set_new(doc, "paths", schema__canon_paths(m->ops));
    schema__ordered(components, m->components, sections, 2, schema__canon);
    json_object_set_new(doc, "components", components);
    return doc;
}

static int schema__cmp_fragments(const void *a, const void *b)
{
    return strcmp((*(const schema_fragment_t *const *)a)->service, (*(const schema_fragment_t *const *)b)->service);
}

int schema_doc_build(const schema_info_t *info, const schema_fragment_t *frags, size_t n, schema_doc_t **out)
{
    schema_merge_t m = {.ops = json_object(), .op_owner = json_object(), .op_ids = json_object(),
                        .components = json_object(), .comp_owner = json_object(), .conflicts = json_array()};
    const schema_fragment_t **order = calloc(n != 0 ? n : 1, sizeof *order);
    schema_doc_t *doc = calloc(1, sizeof *doc);
    int rc = -1;
    if (order == NULL || doc == NULL || m.ops == NULL || m.op_owner == NULL || m.op_ids == NULL ||
        m.components == NULL || m.comp_owner == NULL || m.conflicts == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)
        order[i] = &frags[i];
    qsort(order, n, sizeof *order, schema__cmp_fragments);
    for (size_t i = 0; i < n; i++)
        schema__merge_fragment(&m, order[i]);
    doc->document = schema__document(info, &m);
    doc->conflicts = json_incref(m.conflicts);
    doc->num_operations = m.num_operations;
    if ((doc->yaml = schema_emit_yaml(doc->document, &doc->yaml_len)) == NULL ||
        (doc->json = schema_emit_json(doc->document, &doc->json_len)) == NULL)
        goto fail;
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)doc->json, doc->json_len, NULL, 0);
    sodium_bin2hex(doc->hash, sizeof doc->hash, h, sizeof h);
    *out = doc;
    doc = NULL;
    rc = 0;
fail:
    schema_doc_destroy(doc);
    free(order);
    json_decref(m.ops);
    json_decref(m.op_owner);
    json_decref(m.op_ids);
    json_decref(m.components);
    json_decref(m.comp_owner);
    json_decref(m.conflicts);
    return rc;
}

void schema_doc_destroy(schema_doc_t *doc)
{
    if (doc == NULL)
        return;
    json_decref(doc->document);
    json_decref(doc->conflicts);
    free(doc->yaml);
    free(doc->json);
    free(doc);
}
