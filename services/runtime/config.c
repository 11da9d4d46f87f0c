#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/size.h"
#include "services/runtime/internal.h"

/*
 * Configuration, read once at start. Every variable has a working default:
 *   APIBUS_WORKERS               4        worker threads (1..256)
 *   APIBUS_MAX_BODY              1048576  largest request body, bytes (K/M/G suffixes allowed)
 *   APIBUS_MAX_REPLY             8388608  largest reply body, bytes
 *   APIBUS_DATA_DIR              ./var    the environment is <dir>/<service>/
 *   APIBUS_LMDB_MAP_SIZE         8G       LMDB map size, set once
 *   APIBUS_LMDB_MAX_READERS      1024     LMDB reader slots (all processes sharing the env)
 *   APIBUS_LMDB_READER_CHECK_MS  5000     period of mdb_reader_check
 *   APIBUS_WRITE_BATCH_MAX       256      most writes in one durable commit
 *   APIBUS_IDEMPOTENCY_TTL_S     86400    how long a POST's outcome is kept for a retry with
 *                                         the same Idempotency-Key (24 h, as Stripe)
 *   APIBUS_SHUTDOWN_GRACE_MS     5000     on SIGTERM: longest wait for the gateway to stop
 *                                         sending work and for held requests to finish
 */

void svc_config_defaults(svc_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->workers = 4;
    cfg->max_body = (size_t)1 << 20;
    cfg->max_reply = (size_t)8 << 20;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "./var");
    cfg->map_size = (uint64_t)8 << 30;
    cfg->max_readers = 1024;
    cfg->reader_check_ms = 5000;
    cfg->write_batch_max = 256;
    cfg->idempotency_ttl_s = 86400;
    cfg->shutdown_grace_ms = 5000;
}

/* A decimal number with an optional binary suffix (K, M, G, T). */
int svc_config_from_env(svc_config_t *cfg, char *err, size_t err_cap)
{
    uint64_t workers = cfg->workers, max_body = cfg->max_body, max_reply = cfg->max_reply;
    uint64_t map_size = cfg->map_size, readers = cfg->max_readers, check = cfg->reader_check_ms;
    uint64_t batch = cfg->write_batch_max, ttl = cfg->idempotency_ttl_s, grace = cfg->shutdown_grace_ms;
    if (proto_env_size("APIBUS_WORKERS", 1, 256, &workers, err, err_cap) != 0 ||
        proto_env_size("APIBUS_MAX_BODY", 1024, (uint64_t)1 << 30, &max_body, err, err_cap) != 0 ||
        proto_env_size("APIBUS_MAX_REPLY", 1024, (uint64_t)1 << 30, &max_reply, err, err_cap) != 0 ||
        proto_env_size("APIBUS_LMDB_MAP_SIZE", (uint64_t)1 << 20, (uint64_t)1 << 44, &map_size, err, err_cap) != 0 ||
        proto_env_size("APIBUS_LMDB_MAX_READERS", 16, 65536, &readers, err, err_cap) != 0 ||
        proto_env_size("APIBUS_LMDB_READER_CHECK_MS", 100, 3600000, &check, err, err_cap) != 0 ||
        proto_env_size("APIBUS_WRITE_BATCH_MAX", 1, 65536, &batch, err, err_cap) != 0 ||
        proto_env_size("APIBUS_IDEMPOTENCY_TTL_S", 60, 30 * 86400, &ttl, err, err_cap) != 0 ||
        proto_env_size("APIBUS_SHUTDOWN_GRACE_MS", 0, 600000, &grace, err, err_cap) != 0)
        return -1;
    const char *dir = getenv("APIBUS_DATA_DIR");
    if (dir != NULL && *dir != '\0') {
        if (strlen(dir) + 1 > sizeof cfg->data_dir - 64) {
            snprintf(err, err_cap, "APIBUS_DATA_DIR is too long");
            return -1;
        }
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", dir);
    }
    cfg->workers = (unsigned)workers;
    cfg->max_body = (size_t)max_body;
    cfg->max_reply = (size_t)max_reply;
    cfg->map_size = map_size;
    cfg->max_readers = (unsigned)readers;
    cfg->reader_check_ms = (unsigned)check;
    cfg->write_batch_max = (unsigned)batch;
    cfg->idempotency_ttl_s = (unsigned)ttl;
    cfg->shutdown_grace_ms = (unsigned)grace;
    return 0;
}
