#include "gateway/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/size.h"

static const char *gw__env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : fallback;
}

static int gw__fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

bool gw_config_list_next(const char **cursor, const char **item, size_t *len)
{
    const char *p = *cursor;
    while (*p == ' ' || *p == ',')
        p++;
    const char *start = p;
    while (*p != '\0' && *p != ',' && *p != ' ')
        p++;
    *cursor = p;
    *item = start;
    *len = (size_t)(p - start);
    return *len != 0;
}

int gw_config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int gw_config_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (proto_parse_size(s, &v) != 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Sizes take the services' suffixes (K, M, G; binary), so one APIBUS_MAX_BODY fits all. */
static int gw__uint_ex(const char *name, uint64_t fallback, uint64_t min, uint64_t max, bool size, uint64_t *out,
                       char *err, size_t cap)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0') {
        *out = fallback;
        return 0;
    }
    if ((size ? gw_config_parse_size(s, min, max, out) : gw_config_parse_uint(s, min, max, out)) != 0)
        return gw__fail(err, cap, "%s=%s: expected an integer in %llu..%llu", name, s, (unsigned long long)min,
                        (unsigned long long)max);
    return 0;
}

static int gw__uint(const char *name, uint64_t fallback, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t cap)
{
    return gw__uint_ex(name, fallback, min, max, false, out, err, cap);
}

static int gw__str(const char *name, const char *fallback, char *out, size_t cap, char *err, size_t err_cap)
{
    const char *v = gw__env(name, fallback);
    if (strlen(v) >= cap)
        return gw__fail(err, err_cap, "%s is too long (at most %zu bytes)", name, cap - 1);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

/* Reads the current secret of a keyring file (proto/keyring.h): its first line; trailing
 * whitespace (the newline an editor adds) is not part of it. The whole keyring is loaded by
 * gw_jwt_init_keyring. */
static int gw__read_secret_file(const char *path, char *out, size_t *len, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gw__fail(err, cap,
                        "no JWT secret: set APIBUS_JWT_SECRET or create %s (at least %d random bytes; "
                        "e.g. openssl rand -hex 32 > %s)",
                        path, GW_SECRET_MIN, path);
    size_t n = fread(out, 1, GW_SECRET_MAX + 1, f);
    fclose(f);
    const char *eol = memchr(out, '\n', n);
    if (eol != NULL)
        n = (size_t)(eol - out);
    if (n > GW_SECRET_MAX)
        return gw__fail(err, cap, "%s: the JWT secret is longer than %d bytes", path, GW_SECRET_MAX);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    *len = n;
    return 0;
}

static int gw__secret(const char *name, const char *value, char *out, size_t *len, char *err, size_t cap)
{
    size_t n = strlen(value);
    if (n > GW_SECRET_MAX)
        return gw__fail(err, cap, "%s is longer than %d bytes", name, GW_SECRET_MAX);
    memcpy(out, value, n + 1);
    *len = n;
    return 0;
}

static int gw__roles(const char *list, bool *required, char *err, size_t cap)
{
    char buf[512];
    if (strlen(list) >= sizeof buf)
        return gw__fail(err, cap, "APIBUS_REQUIRED_ROLES is too long");
    memcpy(buf, list, strlen(list) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
        const proto_role_t *role = proto_role_by_name(tok);
        if (role == NULL)
            return gw__fail(err, cap, "APIBUS_REQUIRED_ROLES: unknown role '%s'", tok);
        required[role - proto_roles] = true;
    }
    return 0;
}

int gw_config_load(gw_config_t *cfg, char *err, size_t cap)
{
    uint64_t v;
    memset(cfg, 0, sizeof *cfg);
    if (proto_num_roles > sizeof cfg->required_roles / sizeof cfg->required_roles[0])
        return gw__fail(err, cap, "the role registry has more roles than the gateway supports");

    if (gw__str("APIBUS_HTTP_BIND", "127.0.0.1", cfg->http_bind, sizeof cfg->http_bind, err, cap) != 0 ||
        gw__str("APIBUS_DATA_DIR", "./var", cfg->data_dir, sizeof cfg->data_dir, err, cap) != 0 ||
        gw__str("APIBUS_STATIC_DIR", "./static", cfg->static_dir, sizeof cfg->static_dir, err, cap) != 0 ||
        gw__str("APIBUS_PUBLIC_URL", "", cfg->public_url, sizeof cfg->public_url, err, cap) != 0 ||
        gw__str("APIBUS_CORS_ALLOWED_ORIGINS", "http://localhost:5173,http://127.0.0.1:5173", cfg->cors_origins,
                sizeof cfg->cors_origins, err, cap) != 0 ||
        gw__str("APIBUS_TRUSTED_PROXIES", "", cfg->trusted_proxies, sizeof cfg->trusted_proxies, err, cap) != 0)
        return -1;
    /* An explicitly empty APIBUS_CORS_ALLOWED_ORIGINS could mean "none"; "none" says it plainly. */
    if (strcmp(cfg->cors_origins, "none") == 0)
        cfg->cors_origins[0] = '\0';
    size_t pl = strlen(cfg->public_url);
    while (pl > 0 && cfg->public_url[pl - 1] == '/')
        cfg->public_url[--pl] = '\0';
    if (pl != 0 && strncmp(cfg->public_url, "http://", 7) != 0 && strncmp(cfg->public_url, "https://", 8) != 0)
        return gw__fail(err, cap, "APIBUS_PUBLIC_URL=%s: expected http://host[:port] or https://...", cfg->public_url);

    if (gw__uint("APIBUS_HTTP_PORT", 8000, 1, 65535, &v, err, cap) != 0)
        return -1;
    cfg->http_port = (uint16_t)v;
    if (gw__uint("APIBUS_QUEUE_MAX", 1024, 1, 1000000, &v, err, cap) != 0)
        return -1;
    cfg->queue_max = v;
    if (gw__uint("APIBUS_UPSTREAM_TIMEOUT_MS", 10000, 10, 3600000, &v, err, cap) != 0)
        return -1;
    cfg->upstream_timeout_ms = (uint32_t)v;
    if (gw__uint("APIBUS_NO_WORKER_WAIT_MS", 3000, 0, 3600000, &v, err, cap) != 0)
        return -1;
    cfg->no_worker_wait_ms = (uint32_t)v;
    if (gw__uint("APIBUS_PING_IDLE_MS", 1000, 10, 600000, &v, err, cap) != 0)
        return -1;
    cfg->ping_idle_ms = (uint32_t)v;
    if (gw__uint("APIBUS_PING_TIMEOUT_MS", 200, 10, 600000, &v, err, cap) != 0)
        return -1;
    cfg->ping_timeout_ms = (uint32_t)v;
    if (gw__uint("APIBUS_SHUTDOWN_GRACE_MS", 5000, 0, 600000, &v, err, cap) != 0)
        return -1;
    cfg->shutdown_grace_ms = (uint32_t)v;
    if (gw__uint_ex("APIBUS_MAX_BODY", 1048576, 0, 1024 * 1048576ull, true, &v, err, cap) != 0)
        return -1;
    cfg->max_body = v;
    if (gw__uint_ex("APIBUS_MAX_REPLY", 8388608, 1024, 1024 * 1048576ull, true, &v, err, cap) != 0)
        return -1;
    cfg->max_reply = v;
    if (gw__uint("APIBUS_JWT_LEEWAY_S", 30, 0, 3600, &v, err, cap) != 0)
        return -1;
    cfg->jwt_leeway_s = (uint32_t)v;
    if (gw__uint("APIBUS_EVENTS_RESYNC_MS", 500, 50, 3600000, &v, err, cap) != 0)
        return -1;
    cfg->events_resync_ms = (uint32_t)v;
    if (gw__uint("APIBUS_SESSION_CACHE_MS", 2000, 0, 600000, &v, err, cap) != 0)
        return -1;
    cfg->session_cache_ms = (uint32_t)v;
    if (gw__uint("APIBUS_KEY_CACHE_MS", 300000, 0, 86400000, &v, err, cap) != 0)
        return -1;
    cfg->key_cache_ms = (uint32_t)v;
    if (gw__uint("APIBUS_KEY_USAGE_FLUSH_MS", 5000, 100, 3600000, &v, err, cap) != 0)
        return -1;
    cfg->key_usage_flush_ms = (uint32_t)v;
    if (gw__uint("APIBUS_KEY_FAIL_FREE", 10, 0, 1000000, &v, err, cap) != 0)
        return -1;
    cfg->key_fail_free = (uint32_t)v;
    if (gw__uint("APIBUS_KEY_FAIL_MAX_DELAY_S", 60, 1, 86400, &v, err, cap) != 0)
        return -1;
    cfg->key_fail_max_delay_s = (uint32_t)v;
    if (gw__roles(gw__env("APIBUS_REQUIRED_ROLES", "auth,keys,employees"), cfg->required_roles, err, cap) != 0)
        return -1;

    const char *secret = getenv("APIBUS_JWT_SECRET");
    if (secret != NULL && *secret != '\0') {
        if (gw__secret("APIBUS_JWT_SECRET", secret, cfg->jwt_secret, &cfg->jwt_secret_len, err, cap) != 0)
            return -1;
    } else {
        snprintf(cfg->jwt_keyring_path, sizeof cfg->jwt_keyring_path, "%s/jwt-secret", cfg->data_dir);
        if (gw__read_secret_file(cfg->jwt_keyring_path, cfg->jwt_secret, &cfg->jwt_secret_len, err, cap) != 0)
            return -1;
        cfg->jwt_from_file = true;
    }
    const char *previous = getenv("APIBUS_JWT_PREVIOUS_SECRET");
    if (previous != NULL && *previous != '\0' &&
        gw__secret("APIBUS_JWT_PREVIOUS_SECRET", previous, cfg->jwt_previous_secret, &cfg->jwt_previous_secret_len,
                   err, cap) != 0)
        return -1;
    /* Length rules are enforced by gw_jwt_init, which the unit tests exercise directly. */
    return 0;
}
