/*
 * The OpenAPI document of the suite, built from the services' fragments. One library, linked by
 * schema-svc (which serves the document) and by `apibus schema` (which dumps it without a
 * running suite), so that both produce the same bytes from the same fragments: the same merge,
 * the same canonical order, the same YAML and JSON writers.
 *
 * Merge rules (docs/RATIONALE.md "Schema: merge and conflicts"):
 *  - fragments are taken in service-name order, whatever order they arrived in;
 *  - a path+method defined by two services, a repeated operationId, or a component name with
 *    two different definitions is a conflict: the first service (by name) keeps it, the other
 *    definition is left out, and the conflict is listed (log, /api/health/); nothing is merged
 *    silently; identical components (ErrorDetail, the security schemes) are shared;
 *  - the output is canonical: top level openapi, info, servers ("/": same origin), paths,
 *    components; paths sorted; methods
 *    in drf-spectacular's order (get, post, put, patch, delete, ...); operation keys in
 *    drf-spectacular's order; every other object with sorted keys.
 */
#ifndef APIBUS_SCHEMA_SVC_DOC_H
#define APIBUS_SCHEMA_SVC_DOC_H

#include <jansson.h>
#include <stddef.h>

#define SCHEMA_OPENAPI_VERSION "3.0.3"

/* `info` of the document: APIBUS_SCHEMA_TITLE (default "apibus"), APIBUS_SCHEMA_VERSION
 * (default "0.1.0", Pegasus's SPECTACULAR_SETTINGS VERSION) and APIBUS_SCHEMA_DESCRIPTION
 * (default empty: left out). */
typedef struct st_schema_info_t {
    char title[256];
    char version[64];
    char description[2048];
} schema_info_t;

/* Fills info from the environment. Returns 0, or -1 with a one-line reason in err. */
int schema_info_from_env(schema_info_t *info, char *err, size_t err_cap);

/* One service's contribution: what `apibus-<svc> --print-fragment` prints. */
typedef struct st_schema_fragment_t {
    char *service, *version; /* malloc'ed */
    json_t *fragment;        /* {"paths": {...}, "components": {...}}; owned */
} schema_fragment_t;

/* Parses the printed text {"service","version","fragment"} into *out. Returns 0, or -1 with a
 * reason in err (not JSON, missing or ill-typed members). */
int schema_fragment_parse(const char *text, size_t len, schema_fragment_t *out, char *err, size_t err_cap);
/* Frees what *f owns; a zeroed fragment is a no-op. */
void schema_fragment_dispose(schema_fragment_t *f);

/* A built document: immutable once built, shared by readers (see schema-svc/registry.c). */
typedef struct st_schema_doc_t {
    json_t *document;  /* the merged document */
    json_t *conflicts; /* [{"kind","detail","services":[...], ...}], empty when none */
    char *yaml, *json; /* the two serialisations, NUL-terminated */
    size_t yaml_len, json_len;
    char hash[33];     /* 128-bit hash of the JSON text, hex: the base of every ETag */
    size_t num_operations;
} schema_doc_t;

/* Merges n fragments (borrowed; any order) under info. Returns 0 and *out (destroy it with
 * schema_doc_destroy), or -1 when out of memory or when the YAML writer fails. */
int schema_doc_build(const schema_info_t *info, const schema_fragment_t *frags, size_t n, schema_doc_t **out);
/* NULL is a no-op. */
void schema_doc_destroy(schema_doc_t *doc);

/* Structural checks of a built document (dangling $refs, operations without responses or with a
 * repeated operationId, undeclared path parameters, unknown security schemes). Returns a new
 * array of one-line problems, empty when there are none. */
json_t *schema_doc_validate(const json_t *doc);

/* The writers, exposed for tests. Both walk objects in their insertion order. Return a
 * malloc'ed NUL-terminated text and its length, or NULL. */
char *schema_emit_yaml(const json_t *value, size_t *len);
char *schema_emit_json(const json_t *value, size_t *len);

#endif
