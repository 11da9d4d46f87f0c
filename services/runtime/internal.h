/*
 * Private to services/runtime/: the shapes behind svc_t and svc_ctx_t and the functions the
 * runtime's files share. Nothing outside this folder includes it (tests excepted).
 */
#ifndef APIBUS_SERVICES_RUNTIME_INTERNAL_H
#define APIBUS_SERVICES_RUNTIME_INTERNAL_H

#include <jansson.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/runtime/dispatch.h"
#include "services/runtime/service.h"

#define SVC__MAX_PATH_PARAMS 8
#define SVC__JSON_MAX_DEPTH 32
#define SVC__PAGE_SIZE 100
#define SVC__RUNTIME_DB "_runtime"
#define SVC__IDEM_DB "_idempotency"         /* (scope, key) -> stored outcome */
#define SVC__IDEM_EXPIRY_DB "_idempotency_exp" /* (created, scope, key) -> "": expiry order */
#define SVC__IDEM_KEY_MAX 255                /* longest Idempotency-Key accepted (Stripe's limit) */
#define SVC__RUNTIME_DBS 3                   /* named databases the runtime adds to a service's */

/* --- arena.c: per-request memory, released in one go ------------------------------------ */

typedef struct st_svc__arena_chunk_t svc__arena_chunk_t;
typedef struct st_svc__arena_t {
    svc__arena_chunk_t *chunks;
} svc__arena_t;

void *svc__arena_alloc(svc__arena_t *arena, size_t size);
char *svc__arena_strndup(svc__arena_t *arena, const char *s, size_t len);
void svc__arena_release(svc__arena_t *arena);
/* Out of memory: the documented policy is to log and abort. */
_Noreturn void svc__oom(void);

/* --- writer.c ----------------------------------------------------------------------------- */

typedef struct st_svc__writer_t svc__writer_t;
typedef struct st_svc__idem_t svc__idem_t;
int svc__writer_start(svc_t *svc, svc__writer_t **out);
/* Finishes everything queued, then stops. NULL is a no-op. */
void svc__writer_stop(svc__writer_t *w);
/* Runs fn on the writer thread and waits. With idem (a request carrying an Idempotency-Key),
 * see idempotency.c: the write's batch stays open until svc__writer_finalize stores the reply. */
int svc__writer_submit(svc__writer_t *w, svc_write_fn fn, void *arg, svc__idem_t *idem);
/* Stores idem's outcome (record, already encoded) in the batch its write is in, or in a new
 * one when that batch had to commit without it; waits until it is durable. 0 or -err. */
int svc__writer_finalize(svc__writer_t *w, svc__idem_t *idem);

/* --- idempotency.c: Idempotency-Key on POST ------------------------------------------------- */

struct st_svc__idem_t {
    bool active;   /* the request carries a valid key on a POST route: writes are tracked */
    bool holding;  /* writer thread: its write sits in the open batch, waiting for the reply */
    bool applied;  /* a write of this request succeeded (the outcome must be stored) */
    bool replay;   /* the writer found the key already stored by another process: replay it */
    bool claimed;  /* the key is in this process's in-flight set */
    char key[16 + 24 + SVC__IDEM_KEY_MAX]; /* scope ("u:<user id>:") + the key */
    size_t key_len;
    unsigned char fingerprint[32];         /* BLAKE2b of method, path, query, content type, body */
    int64_t now_us;
    void *stored;       /* replay: the stored record (malloc'ed) */
    size_t stored_len;
    proto_buf_t record; /* finalize: the record to store */
};

/* Before the handler: validates the key, replays a stored outcome, refuses a reused key (422) or
 * one in flight (409). Returns 0 to run the handler, or -1 when it has replied. */
int svc__idem_begin(svc_ctx_t *ctx);
/* After the handler: stores the outcome with the write (or replays what another instance
 * stored first), then releases the key. No-op for requests without a key. */
void svc__idem_finish(svc_ctx_t *ctx);
/* Writer thread, inside the write's nested transaction, before fn: 0 to run fn, or a negative
 * error (the key was stored meanwhile: idem->replay is set, or the body differs). */
int svc__idem_check_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem);
/* Writer thread, after fn succeeded: records the key as pending in the same transaction. */
int svc__idem_mark_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem);
/* Writer thread: stores idem->record. */
int svc__idem_store_in_txn(svc_t *svc, MDB_txn *txn, svc__idem_t *idem);
/* Writer thread, when idle: removes outcomes older than the TTL (a bounded number per call). */
void svc__idem_purge(svc_t *svc);
/* In-flight keys of this process. */

/* --- store.c ------------------------------------------------------------------------------ */

int svc__store_open(svc_t *svc);
void svc__store_close(svc_t *svc);
/* Clears read slots left by dead processes; logs what it cleared. */
void svc__store_reader_check(svc_t *svc);
/* LMDB refused a read transaction with EAGAIN: another PID namespace holds our PID's reader
 * lock (tech notes §11). Logs why and what to change, and exits the process (status 78). */
_Noreturn void svc__store_pidns_fatal(const char *where);
#define SVC__EXIT_CONFIG 78 /* sysexits EX_CONFIG: a deployment mistake, restarting will not help */

struct st_svc_t {
    const svc_def_t *def;
    svc_config_t cfg;
    MDB_env *env;
    MDB_dbi *dbis; /* parallel to def->databases */
    size_t num_dbis;
    MDB_dbi runtime_dbi;
    MDB_dbi idem_dbi, idem_expiry_dbi;
    int pidns_lock; /* the PID-namespace guard's lock file, held while the env is open; -1 */
    svc__writer_t *writer;
    void *data;
    pthread_mutex_t idem_lock; /* guards idem_inflight */
    svc__idem_t **idem_inflight;
    size_t idem_num_inflight, idem_cap_inflight;
};

/* --- the request ---------------------------------------------------------------------------- */

typedef struct st_svc__param_t {
    const char *name; /* from the route template */
    size_t name_len;
    proto_str_t value;
} svc__param_t;

struct st_svc_ctx_t {
    svc_t *svc;
    const proto_request_t *req;
    const svc_route_t *route;
    svc__arena_t arena;
    svc__param_t params[SVC__MAX_PATH_PARAMS];
    size_t num_params;
    json_t *input;
    MDB_txn *read_txn;
    bool replied;
    int status;
    proto_header_t headers[PROTO_MAX_HEADERS];
    size_t num_headers;
    char *body; /* the reply's: malloc'ed and NUL-terminated, or NULL */
    size_t body_len;
    svc_buf_t draft; /* a body being written in place, not yet replied (svc_page_reply_begin) */
    uint64_t page, num_pages; /* set by svc_page_begin */
    svc__idem_t idem;
};

/* ctx.c */
void svc__ctx_init(svc_ctx_t *ctx, svc_t *svc, const proto_request_t *req);
/* Ends the read transaction and drops the input; the arena and body stay for the result. */
void svc__ctx_finish(svc_ctx_t *ctx);
void svc__ctx_release(svc_ctx_t *ctx);
/* Replies with a ready-made JSON body (copied). */
void svc__reply_raw(svc_ctx_t *ctx, int status, const char *body, size_t len);
/* The same with a body the request takes over: malloc'ed, NUL-terminated at body[len]. Freed at
 * once when the reply is dropped (a second reply). */
void svc__reply_take(svc_ctx_t *ctx, int status, char *body, size_t len);

/* dispatch.c: the RESULT envelope of a result, pointing into it. */
void svc__result_msg(const svc_result_t *res, uint64_t job_id, proto_msg_t *msg);

/* route.c: matching a path against the table. */
typedef enum en_svc__match_t { SVC__MATCH_OK, SVC__MATCH_NO_PATH, SVC__MATCH_NO_METHOD } svc__match_t;
/* On OK sets ctx->route and the path parameters; on NO_METHOD sets ctx->route to the first
 * route of that path (for the permission check) and writes the Allow value into allow. */
svc__match_t svc__route_match(svc_ctx_t *ctx, char *allow, size_t allow_cap);
/* Whether path (not NUL-terminated) matches template; captures {params} when params != NULL. */
bool svc__path_match(const char *tmpl, proto_str_t path, svc__param_t *params, size_t *num_params);

/* perm.c: 0, or -PROTO_ERR_*; *www_authenticate is set for 401s. */
int svc__permission_check(svc_permission_t perm, proto_str_t method, const proto_principal_t *who,
                          const char **www_authenticate);
bool svc__method_is_safe(proto_str_t method);

/* validate.c: the body against a model with DRF's rules. Returns 0 with *out (a new object),
 * or a negative proto error with *errors the JSON body to send (a new reference; NULL: the
 * error's standard body). */
int svc__validate_body(const svc_model_t *model, bool partial, proto_str_t content_type, proto_str_t body,
                       json_t **out, json_t **errors);

/* form.c: application/x-www-form-urlencoded. */
typedef struct st_svc__pair_t {
    char *key, *value; /* decoded, NUL-terminated (may contain NUL bytes: see value_len) */
    size_t key_len, value_len;
} svc__pair_t;
/* Splits and percent-decodes s ('+' is a space). *pairs is malloc'ed; free with free(). */
int svc__form_parse(const char *s, size_t len, svc__pair_t **pairs, size_t *num);
void svc__form_free(svc__pair_t *pairs, size_t num);
/* Appends quote_plus(s) (Python's urlencode). */
void svc__buf_append_quoted(svc_buf_t *buf, const char *data, size_t len);

/* reply.c: makes room for extra more bytes (and the NUL) at once, so that a body of known size
 * is not copied by every doubling on its way there. */
void svc__buf_reserve(svc_buf_t *buf, size_t extra);

/* page.c */
/* The links of DRF's PageNumberPagination: base + path + query with page replaced (or removed
 * for page 1). Returns a malloc'ed string. */
char *svc__page_link(const proto_request_t *req, uint64_t page);

/* fragment.c */
json_t *svc__fragment(const svc_def_t *def);


/* log.c */
void svc__log_set_service(const char *name);

#endif
