#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema-svc/doc.h"

static int schema__env(const char *name, const char *fallback, char *out, size_t cap, char *err, size_t err_cap)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        v = fallback;
    if (strlen(v) >= cap) {
        snprintf(err, err_cap, "%s is longer than %zu bytes", name, cap - 1);
        return -1;
    }
    snprintf(out, cap, "%s", v);
    return 0;
}

int schema_info_from_env(schema_info_t *info, char *err, size_t err_cap)
{
    memset(info, 0, sizeof *info);
    if (schema__env("APIBUS_SCHEMA_TITLE", "apibus", info->title, sizeof info->title, err, err_cap) != 0 ||
        schema__env("APIBUS_SCHEMA_VERSION", "0.1.0", info->version, sizeof info->version, err, err_cap) != 0 ||
        schema__env("APIBUS_SCHEMA_DESCRIPTION", "", info->description, sizeof info->description, err, err_cap) != 0)
        return -1;
    return 0;
}

int schema_fragment_parse(const char *text, size_t len, schema_fragment_t *out, char *err, size_t err_cap)
{
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, err_cap, "not JSON: %s (line %d)", jerr.text, jerr.line);
        return -1;
    }
    const char *service = json_string_value(json_object_get(root, "service"));
    const char *version = json_string_value(json_object_get(root, "version"));
    json_t *fragment = json_object_get(root, "fragment");
    if (service == NULL || *service == '\0' || version == NULL || !json_is_object(fragment)) {
        snprintf(err, err_cap, "expected {\"service\": string, \"version\": string, \"fragment\": object}");
        json_decref(root);
        return -1;
    }
    out->service = strdup(service);
    out->version = strdup(version);
    out->fragment = json_incref(fragment);
    json_decref(root);
    if (out->service == NULL || out->version == NULL) {
        schema_fragment_dispose(out);
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    return 0;
}

void schema_fragment_dispose(schema_fragment_t *f)
{
    if (f == NULL)
        return;
    free(f->service);
    free(f->version);
    json_decref(f->fragment);
    memset(f, 0, sizeof *f);
}
