/*
 * apibus test support: what process-level test tiers (gateway, auth, keys, end-to-end) share.
 * Free port bases, temporary data folders, starting and stopping the real binaries from
 * $APIBUS_BUILD_DIR with an environment, a small blocking HTTP/1.1 client, and JWT minting.
 *
 * A suite (ts_suite_t) is one isolated apibus: its own data folder, HTTP port, bus port base
 * and JWT secret. Every process a suite starts is killed by ts_suite_stop, so a failing test
 * leaves nothing behind. Functions abort the test (criterion assertion) only where noted;
 * everything else returns 0 / -1.
 */
#ifndef APIBUS_TESTS_SUPPORT_H
#define APIBUS_TESTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TS_MAX_ENV 48
#define TS_MAX_PROCS 8
#define TS_SECRET "apibus-test-secret-0123456789abcdef-0123456789"

/* ---- environment for a child ------------------------------------------------------------- */
typedef struct st_ts_env_t {
    char *vars[TS_MAX_ENV]; /* "NAME=value", malloc'ed */
    size_t num;
} ts_env_t;

/* Sets (or replaces) NAME=value. */
void ts_env_set(ts_env_t *env, const char *name, const char *value);
void ts_env_setf(ts_env_t *env, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ts_env_unset(ts_env_t *env, const char *name);
void ts_env_dispose(ts_env_t *env);

/* ---- processes ----------------------------------------------------------------------------- */
typedef struct st_ts_proc_t {
    pid_t pid; /* 0: not running */
    char name[64];
    char log_path[512]; /* stdout and stderr of the child */
} ts_proc_t;

/* The path of a built binary: $APIBUS_BUILD_DIR/<rel> (e.g. "gateway/apibus-gateway"). Static. */
const char *ts_binary(const char *rel);
/* Starts binary with exactly env (plus PATH) and its output appended to log_path. 0 or -1. */
int ts_proc_start(ts_proc_t *proc, const char *binary, const ts_env_t *env, const char *log_path);
/* Sends sig (SIGSTOP, SIGCONT, ...). */
int ts_proc_signal(ts_proc_t *proc, int sig);
/* SIGTERM, waits up to timeout_ms, then SIGKILL. Returns the exit status (waitpid form) or -1. */
int ts_proc_stop(ts_proc_t *proc, int timeout_ms);
/* SIGKILL and reap. */
void ts_proc_kill(ts_proc_t *proc);
/* Whether it is still running (reaps it if not). */
bool ts_proc_alive(ts_proc_t *proc);
/* Prints the last lines of its log to stderr (for failing tests). */
void ts_proc_dump_log(const ts_proc_t *proc);
/* Whether its log holds s (the log outlives the process). */
bool ts_proc_log_contains(const ts_proc_t *proc, const char *s);

/* ---- folders and ports ------------------------------------------------------------------- */
/* A new empty folder under $TMPDIR (malloc'ed path). */
char *ts_tempdir(const char *tag);
/* rm -rf path. */
void ts_rmtree(const char *path);
/* A port p such that p..p+span-1 are free on 127.0.0.1 now (random, in 20000..59999). */
int ts_free_port_base(int span);

/* ---- HTTP client ------------------------------------------------------------------------- */
typedef struct st_ts_http_header_t {
    char *name; /* lower-cased */
    char *value;
} ts_http_header_t;

typedef struct st_ts_http_res_t {
    int status; /* 0: no response (connection failed or timed out) */
    ts_http_header_t *headers;
    size_t num_headers;
    char *body; /* NUL-terminated */
    size_t body_len;
} ts_http_res_t;

/* One request on a new connection (Connection: close). headers: "Name: value" strings,
 * NULL-terminated, or NULL. body may be NULL. Returns 0 (res filled; free it) or -1 (then
 * res->status is 0). */
int ts_http(int port, const char *method, const char *path, const char *const *headers, const void *body,
            size_t body_len, int timeout_ms, ts_http_res_t *res);
/* The value of a response header (case-insensitive), or NULL. */
const char *ts_http_header(const ts_http_res_t *res, const char *name);
void ts_http_res_dispose(ts_http_res_t *res);
/* Polls GET path until it answers status, up to timeout_ms. 0 or -1. */
int ts_http_wait_status(int port, const char *path, int status, int timeout_ms);

/* ---- JWT --------------------------------------------------------------------------------- */
/* A token signed with secret using alg ("HS512", "HS256", "none"); claims is a JSON object;
 * kid NULL for none. Returns a malloc'ed string. */
char *ts_jwt_mint(const char *secret, const char *alg, const char *claims_json, const char *kid);
/* The key id apibus gives a secret: the first 16 hex digits of SHA-256 (malloc'ed). */
char *ts_jwt_kid(const char *secret);
/* A valid access token for user_id under TS_SECRET (exp in an hour). */
char *ts_jwt_access(long user_id);

/* ---- a suite ----------------------------------------------------------------------------- */
typedef struct st_ts_suite_t {
    char *dir;      /* data folder (APIBUS_DATA_DIR) and logs */
    int http_port;  /* APIBUS_HTTP_PORT */
    int bus_base;   /* APIBUS_BUS_PORT_BASE */
    ts_env_t env;   /* the base environment of every process; tests may add to it */
    ts_proc_t procs[TS_MAX_PROCS];
} ts_suite_t;

/* Makes the folder, picks ports, sets APIBUS_DATA_DIR, APIBUS_HTTP_PORT, APIBUS_BUS_PORT_BASE,
 * APIBUS_JWT_SECRET=TS_SECRET, APIBUS_STATIC_DIR (an empty folder). Asserts on failure. */
void ts_suite_init(ts_suite_t *suite, const char *tag);
/* Sets APIBUS_BUS_HOST in the suite's environment to "127.0.0.1:<base>,..." for the gateways
 * whose bus port bases are given: services started from then on take jobs from and publish
 * events to every one of them (a gateway ignores the variable). */
void ts_suite_gateways(ts_suite_t *suite, const int *bus_bases, size_t num);
/* Starts $APIBUS_BUILD_DIR/<rel> as procs[slot] with the suite's env plus extra ("N=V"
 * strings, NULL-terminated, or NULL). Asserts that it started. */
ts_proc_t *ts_suite_start(ts_suite_t *suite, int slot, const char *rel, const char *const *extra);
/* Starts apibus-gateway in slot 0 and waits until /healthz answers. Asserts. */
ts_proc_t *ts_suite_start_gateway(ts_suite_t *suite, const char *const *extra);
/* Starts apibus-<service> in slot. Asserts that it started. */
ts_proc_t *ts_suite_start_service(ts_suite_t *suite, int slot, const char *service, const char *const *extra);
/* Waits for /readyz 200. Asserts (and dumps logs) on timeout. */
void ts_suite_wait_ready(ts_suite_t *suite, int timeout_ms);
/* Kills every process and removes the folder (kept when TS_KEEP is set, for post-mortems). */
void ts_suite_stop(ts_suite_t *suite);
/* Dumps every process's log tail to stderr. */
void ts_suite_dump_logs(const ts_suite_t *suite);

#endif
