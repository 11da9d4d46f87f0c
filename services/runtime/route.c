#include <stdio.h>
#include <string.h>

#include "services/runtime/internal.h"

bool svc__path_match(const char *tmpl, proto_str_t path, svc__param_t *params, size_t *num_params)
{
    const char *t = tmpl, *p = path.ptr, *pend = path.ptr + path.len;
    size_t n = 0;
    while (*t != '\0') {
        if (*t == '{') {
            const char *close = strchr(t, '}');
            if (close == NULL)
                return false;
            /* {name} takes one non-empty segment */
            const char *seg = p;
            while (p < pend && *p != '/')
                p++;
            if (p == seg)
                return false;
            if (params != NULL) {
                if (n == SVC__MAX_PATH_PARAMS)
                    return false;
                params[n++] = (svc__param_t){.name = t + 1, .name_len = (size_t)(close - t - 1),
                                            .value = {seg, (size_t)(p - seg)}};
            }
            t = close + 1;
        } else {
            /* literal text, trailing slash included: "/a/" and "/a" are different paths */
            if (p == pend || *p != *t)
                return false;
            p++;
            t++;
        }
    }
    if (p != pend)
        return false;
    if (num_params != NULL)
        *num_params = n;
    return true;
}

static bool svc__method_eq(const char *m, proto_str_t method)
{
    return strlen(m) == method.len && memcmp(m, method.ptr, method.len) == 0;
}

svc__match_t svc__route_match(svc_ctx_t *ctx, char *allow, size_t allow_cap)
{
    const svc_def_t *def = ctx->svc->def;
    proto_str_t method = ctx->req->method;
    /* HEAD is GET without a body, as in Django. */
    if (PROTO_STR_EQ(method, "HEAD"))
        method = PROTO_STR_LIT("GET");
    const svc_route_t *first = NULL;
    size_t used = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < def->num_routes; i++) {
        const svc_route_t *r = &def->routes[i];
        if (!svc__path_match(r->path, ctx->req->path, NULL, NULL))
            continue;
        if (svc__method_eq(r->method, method)) {
            ctx->route = r;
            svc__path_match(r->path, ctx->req->path, ctx->params, &ctx->num_params);
            return SVC__MATCH_OK;
        }
        if (first == NULL)
            first = r;
        int w = snprintf(allow + used, allow_cap - used, "%s%s", used != 0 ? ", " : "", r->method);
        if (w > 0 && (size_t)w < allow_cap - used)
            used += (size_t)w;
        if (strcmp(r->method, "GET") == 0) {
            w = snprintf(allow + used, allow_cap - used, ", HEAD");
            if (w > 0 && (size_t)w < allow_cap - used)
                used += (size_t)w;
        }
    }
    ctx->route = first;
    return first == NULL ? SVC__MATCH_NO_PATH : SVC__MATCH_NO_METHOD;
}
