/*
 * Running a service in process, without the bus: what svc_main and the worker threads do,
 * exposed so that tests can open a service on a temporary data directory and drive its handlers
 * with hand-made requests.
 *
 *   svc_config_t cfg;
 *   svc_config_defaults(&cfg);
 *   snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", tmpdir);
 *   svc_t *svc;
 *   svc_open(&employees_def, &cfg, &svc);
 *   proto_request_t req = {.method = PROTO_STR_LIT("GET"), .path = PROTO_STR_LIT("/x/"), ...};
 *   svc_result_t res;
 *   svc_handle_request(svc, &req, &res);      (res.status, res.headers, res.body)
 *   svc_result_dispose(&res);
 *   svc_close(svc);
 */
#ifndef APIBUS_SERVICES_RUNTIME_DISPATCH_H
#define APIBUS_SERVICES_RUNTIME_DISPATCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.h"
#include "services/runtime/service.h"

/* The runtime's configuration. svc_main reads it once from the environment (see config.c for
 * the variables and their defaults). */
typedef struct st_svc_config_t {
    unsigned workers;          /* APIBUS_WORKERS: worker threads, each one bus connection */
    size_t max_body;           /* APIBUS_MAX_BODY: largest request body accepted */
    size_t max_reply;          /* APIBUS_MAX_REPLY: largest reply body sent */
    char data_dir[PATH_MAX];   /* APIBUS_DATA_DIR: the environment lives in <data_dir>/<service>/ */
    uint64_t map_size;         /* APIBUS_LMDB_MAP_SIZE: set once, large */
    unsigned max_readers;      /* APIBUS_LMDB_MAX_READERS: read slots shared by all processes */
    unsigned reader_check_ms;  /* APIBUS_LMDB_READER_CHECK_MS: period of mdb_reader_check */
    unsigned write_batch_max;  /* APIBUS_WRITE_BATCH_MAX: most writes in one durable commit */
    unsigned idempotency_ttl_s; /* APIBUS_IDEMPOTENCY_TTL_S: how long a POST's outcome is kept for retries */
    unsigned shutdown_grace_ms; /* APIBUS_SHUTDOWN_GRACE_MS: SIGTERM -> exit, finishing held requests */
} svc_config_t;

/* Fills cfg with the defaults. */
void svc_config_defaults(svc_config_t *cfg);
/* Reads the APIBUS_* variables over the defaults already in cfg. Returns 0, or -1 with a
 * one-line explanation (naming the variable, never echoing secrets) in err. */
int svc_config_from_env(svc_config_t *cfg, char *err, size_t err_cap);

/* Opens the service: creates <data_dir>/<name>/, opens the LMDB environment and the named
 * databases, starts the writer thread, then runs def->init. The bus is not touched. Returns 0
 * or a negative proto error (the reason is logged). */
int svc_open(const svc_def_t *def, const svc_config_t *cfg, svc_t **out);
/* Runs def->fini, stops the writer (pending writes finish first) and closes the environment.
 * svc_close(NULL) is a no-op. No request may be running. */
void svc_close(svc_t *svc);
const svc_config_t *svc_config(const svc_t *svc);

/* The outcome of one request. headers and body stay valid until svc_result_dispose. */
typedef struct st_svc_result_t {
    int status;
    proto_header_t headers[PROTO_MAX_HEADERS];
    size_t num_headers;
    proto_str_t body;
    void *owner_; /* private: the request's memory */
} svc_result_t;

/* Runs one request through dispatch, the permission check, validation and the handler, on the
 * calling thread. Always fills *res (errors become error replies); the caller must dispose it.
 * Thread-safe: the worker threads call it concurrently. */
void svc_handle_request(svc_t *svc, const proto_request_t *req, svc_result_t *res);
/* svc_result_dispose(NULL) and of a disposed result are no-ops. */
void svc_result_dispose(svc_result_t *res);
/* Appends the RESULT envelope for job_id to out. Returns 0 or -PROTO_ERR_NO_MEMORY. */
int svc_result_encode(const svc_result_t *res, uint64_t job_id, proto_buf_t *out);

#endif
