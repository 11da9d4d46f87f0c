#include "gateway/session.h"

#include <string.h>

#include "proto/errors.h"

void gw_sessions_init(gw_sessions_t *s, int64_t ttl_ms)
{
    memset(s->slots, 0, sizeof s->slots);
    s->ttl_ms = ttl_ms;
}

static size_t gw__session_slot(const unsigned char *hash)
{
    return (hash[0] | (size_t)hash[1] << 8) % GW_SESSION_CACHE_SLOTS;
}

const gw_session_entry_t *gw_sessions_lookup(const gw_sessions_t *s, const unsigned char *hash, int64_t now_ms)
{
    const gw_session_entry_t *e = &s->slots[gw__session_slot(hash)];
    if (memcmp(e->hash, hash, PROTO_SESSION_HASH_LEN) != 0 || now_ms - e->fetched_ms >= s->ttl_ms)
        return NULL;
    return e;
}

void gw_sessions_store(gw_sessions_t *s, const gw_session_entry_t *entry)
{
    s->slots[gw__session_slot(entry->hash)] = *entry;
}

void gw_sessions_drop(gw_sessions_t *s, const unsigned char *hash)
{
    gw_session_entry_t *e = &s->slots[gw__session_slot(hash)];
    if (memcmp(e->hash, hash, PROTO_SESSION_HASH_LEN) == 0)
        memset(e, 0, sizeof *e);
}

static bool gw__method_safe(const char *m, size_t len)
{
    return (len == 3 && memcmp(m, "GET", 3) == 0) || (len == 4 && memcmp(m, "HEAD", 4) == 0) ||
           (len == 7 && memcmp(m, "OPTIONS", 7) == 0) || (len == 5 && memcmp(m, "TRACE", 5) == 0);
}

/* The origin part of a URL: "scheme://host[:port]" without path, query or fragment. */
static size_t gw__url_origin(const char *url, size_t len)
{
    const char *sep = len >= 3 ? memmem(url, len, "://", 3) : NULL;
    if (sep == NULL)
        return 0;
    size_t i = (size_t)(sep - url) + 3;
    while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    return i;
}

static bool gw__origin_trusted(const char *o, size_t len, const char *own, size_t own_len, const gw_cors_t *cors)
{
    return (len == own_len && memcmp(o, own, len) == 0) || gw_cors_allowed(cors, o, len);
}

int gw_session_csrf_check(const char *method, size_t method_len, const char *id, size_t id_len, const char *csrf,
                          size_t csrf_len, const char *origin, size_t origin_len, const char *referer,
                          size_t referer_len, const char *own, size_t own_len, const gw_cors_t *cors)
{
    if (gw__method_safe(method, method_len))
        return 0;
    /* Django's order: the origin first, then the token */
    if (origin != NULL) {
        if (!gw__origin_trusted(origin, origin_len, own, own_len, cors))
            return -PROTO_ERR_CSRF_ORIGIN;
    } else if (referer != NULL) {
        size_t n = gw__url_origin(referer, referer_len);
        if (n == 0 || !gw__origin_trusted(referer, n, own, own_len, cors))
            return -PROTO_ERR_CSRF_ORIGIN;
    } else {
        /* every browser sends one of them on an unsafe request; a request with neither and a
         * cookie is not one a page of ours made */
        return -PROTO_ERR_CSRF_ORIGIN;
    }
    if (csrf == NULL || csrf_len == 0)
        return -PROTO_ERR_CSRF_MISSING;
    return proto_session_csrf_ok(id, id_len, csrf, csrf_len) ? 0 : -PROTO_ERR_CSRF_INCORRECT;
}
