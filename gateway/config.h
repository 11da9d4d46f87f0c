/*
 * The gateway's configuration: APIBUS_* environment variables with working defaults, read
 * once at start. Every variable is listed (with its default) in deploy/apibus.env.example.
 */
#ifndef APIBUS_GATEWAY_CONFIG_H
#define APIBUS_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/roles.h"

#define GW_SECRET_MIN 32   /* bytes; a shorter HMAC secret is refused at start */
#define GW_SECRET_MAX 1024

typedef struct st_gw_config_t {
    char http_bind[64];         /* APIBUS_HTTP_BIND, default 127.0.0.1 */
    uint16_t http_port;         /* APIBUS_HTTP_PORT, default 8000 */
    char data_dir[512];         /* APIBUS_DATA_DIR, default ./var */
    char static_dir[512];       /* APIBUS_STATIC_DIR, default ./static */
    char public_url[256];       /* APIBUS_PUBLIC_URL, default empty: from the Host header */
    char cors_origins[2048];    /* APIBUS_CORS_ALLOWED_ORIGINS */
    char trusted_proxies[2048]; /* APIBUS_TRUSTED_PROXIES, default empty */
    size_t queue_max;           /* APIBUS_QUEUE_MAX, default 1024 jobs per role */
    uint32_t upstream_timeout_ms; /* APIBUS_UPSTREAM_TIMEOUT_MS, default 10000 */
    uint32_t no_worker_wait_ms;   /* APIBUS_NO_WORKER_WAIT_MS, default 3000 */
    uint32_t ping_idle_ms;        /* APIBUS_PING_IDLE_MS, default 1000 */
    uint32_t ping_timeout_ms;     /* APIBUS_PING_TIMEOUT_MS, default 200 */
    uint32_t shutdown_grace_ms;   /* APIBUS_SHUTDOWN_GRACE_MS, default 5000 */
    size_t max_body;            /* APIBUS_MAX_BODY, default 1 MiB */
    size_t max_reply;           /* APIBUS_MAX_REPLY, default 8 MiB */
    uint32_t jwt_leeway_s;      /* APIBUS_JWT_LEEWAY_S, default 30 */
    char jwt_secret[GW_SECRET_MAX + 1];          /* APIBUS_JWT_SECRET or $APIBUS_DATA_DIR/jwt-secret */
    size_t jwt_secret_len;
    char jwt_previous_secret[GW_SECRET_MAX + 1]; /* APIBUS_JWT_PREVIOUS_SECRET, optional */
    size_t jwt_previous_secret_len;
    bool required_roles[16];    /* APIBUS_REQUIRED_ROLES, default "auth,keys,employees"; index as proto_roles */
    bool jwt_from_file;         /* the keyring file $APIBUS_DATA_DIR/jwt-secret (reloaded on rotation) */
    char jwt_keyring_path[600];
    uint32_t events_resync_ms;  /* APIBUS_EVENTS_RESYNC_MS, default 500 */
    uint32_t session_cache_ms;  /* APIBUS_SESSION_CACHE_MS, default 2000 */
    uint32_t key_cache_ms;      /* APIBUS_KEY_CACHE_MS, default 300000 */
    uint32_t key_usage_flush_ms; /* APIBUS_KEY_USAGE_FLUSH_MS, default 5000 */
    uint32_t key_fail_free;     /* APIBUS_KEY_FAIL_FREE, default 10 */
    uint32_t key_fail_max_delay_s; /* APIBUS_KEY_FAIL_MAX_DELAY_S, default 60 */
} gw_config_t;

/* Reads the environment into cfg. On a missing or invalid value writes a one-line reason
 * into err and returns -1; the gateway then refuses to start. */
int gw_config_load(gw_config_t *cfg, char *err, size_t err_cap);

/* Parses an unsigned decimal in [min, max]; 0 or -1. Exposed for the unit tests. */
int gw_config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The same with an optional K, M or G suffix (binary: 1K = 1024; "Ki", "KB" accepted). */
int gw_config_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The next item of a list separated by commas and/or spaces (empty items are skipped): sets
 * *item and *len, advances *cursor and returns true; false at the end of the list. */
bool gw_config_list_next(const char **cursor, const char **item, size_t *len);

#endif
