#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "proto/errors.h"
#include "schema-svc/schema.h"

/*
 * DRF's DefaultContentNegotiation over drf-spectacular's renderers, so that clients written
 * against Pegasus get the same answer: ?format= narrows the renderers (unknown format: 404);
 * Accept entries are grouped by precedence (type/sub with parameters, type/sub, type/any,
 * any/any), q-values are ignored as DRF ignores them, and within a group the first renderer
 * (in the order below) that any entry matches wins.
 */

static const struct {
    const char *type, *sub, *content_type, *format;
} schema__renderers[] = {
    [SCHEMA_R_OAI_YAML] = {"application", "vnd.oai.openapi", "application/vnd.oai.openapi; charset=utf-8", "yaml"},
    [SCHEMA_R_YAML] = {"application", "yaml", "application/yaml; charset=utf-8", "yaml"},
    [SCHEMA_R_OAI_JSON] = {"application", "vnd.oai.openapi+json", "application/vnd.oai.openapi+json", "json"},
    [SCHEMA_R_JSON] = {"application", "json", "application/json", "json"},
};
#define SCHEMA__NUM_RENDERERS (sizeof schema__renderers / sizeof *schema__renderers)
#define SCHEMA__MAX_ACCEPT 32

typedef struct st_schema__media_t {
    proto_str_t type, sub;
    int precedence;
} schema__media_t;

static proto_str_t schema__trim(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return (proto_str_t){p, (size_t)(end - p)};
}

/* Parses one Accept entry; false for garbage, which DRF would not match either. */
static bool schema__media_parse(proto_str_t entry, schema__media_t *m)
{
    const char *semi = memchr(entry.ptr, ';', entry.len), *end = entry.ptr + entry.len;
    proto_str_t mt = schema__trim(entry.ptr, semi != NULL ? semi : end);
    const char *slash = memchr(mt.ptr, '/', mt.len);
    if (slash == NULL)
        return false;
    m->type = schema__trim(mt.ptr, slash);
    m->sub = schema__trim(slash + 1, mt.ptr + mt.len);
    if (m->type.len == 0 || m->sub.len == 0)
        return false;
    bool params = false; /* parameters other than q raise the precedence */
    for (const char *p = semi; p != NULL && p < end;) {
        const char *next = memchr(p + 1, ';', (size_t)(end - p - 1));
        proto_str_t param = schema__trim(p + 1, next != NULL ? next : end);
        if (param.len != 0 && !(param.len >= 2 && (param.ptr[0] == 'q' || param.ptr[0] == 'Q') && param.ptr[1] == '='))
            params = true;
        p = next;
    }
    if (PROTO_STR_EQ(m->type, "*"))
        m->precedence = 0;
    else if (PROTO_STR_EQ(m->sub, "*"))
        m->precedence = 1;
    else
        m->precedence = params ? 3 : 2;
    return true;
}

static bool schema__part_matches(proto_str_t accepted, const char *renderer)
{
    return PROTO_STR_EQ(accepted, "*") ||
           (accepted.len == strlen(renderer) && strncasecmp(accepted.ptr, renderer, accepted.len) == 0);
}

int schema_negotiate(const char *format, proto_str_t accept, schema_renderer_t *out)
{
    bool allowed[SCHEMA__NUM_RENDERERS], any = false;
    for (size_t r = 0; r < SCHEMA__NUM_RENDERERS; r++) {
        allowed[r] = format == NULL || strcmp(format, schema__renderers[r].format) == 0;
        any = any || allowed[r];
    }
    if (!any)
        return -PROTO_ERR_NOT_FOUND;
    if (accept.len == 0)
        accept = PROTO_STR_LIT("*/*");
    schema__media_t media[SCHEMA__MAX_ACCEPT];
    size_t n = 0;
    for (const char *p = accept.ptr, *end = accept.ptr + accept.len; p < end && n < SCHEMA__MAX_ACCEPT;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        proto_str_t entry = schema__trim(p, comma != NULL ? comma : end);
        if (entry.len != 0 && schema__media_parse(entry, &media[n]))
            n++;
        p = comma != NULL ? comma + 1 : end;
    }
    for (int precedence = 3; precedence >= 0; precedence--) {
        for (size_t r = 0; r < SCHEMA__NUM_RENDERERS; r++) {
            if (!allowed[r])
                continue;
            for (size_t i = 0; i < n; i++) {
                if (media[i].precedence == precedence && schema__part_matches(media[i].type, schema__renderers[r].type) &&
                    schema__part_matches(media[i].sub, schema__renderers[r].sub)) {
                    *out = (schema_renderer_t)r;
                    return 0;
                }
            }
        }
    }
    return -PROTO_ERR_NOT_ACCEPTABLE;
}

const char *schema_renderer_content_type(schema_renderer_t r)
{
    return schema__renderers[r].content_type;
}

int schema_renderer_is_json(schema_renderer_t r)
{
    return r == SCHEMA_R_OAI_JSON || r == SCHEMA_R_JSON;
}
