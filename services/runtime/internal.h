/*
 * Private to services/runtime/: the shapes behind svc_t and svc_ctx_t and the functions the
 * runtime's files share. Nothing outside this folder includes it (tests excepted).
 */
#ifndef APIBUS_SERVICES_RUNTIME_INTERNAL_H
#define APIBUS_SERVICES_RUNTIME_INTERNAL_H

#include <jansson.h>
#include <lmdb.h>
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
int svc__writer_start(svc_t *svc, svc__writer_t **out);
/* Finishes everything queued, then stops. NULL is a no-op. */
void svc__writer_stop(svc__writer_t *w);
int svc__writer_submit(svc__writer_t *w, svc_write_fn fn, void *arg);

/* --- store.c ------------------------------------------------------------------------------ */

int svc__store_open(svc_t *svc);
void svc__store_close(svc_t *svc);
/* Clears read slots left by dead processes; logs what it cleared. */
void svc__store_reader_check(svc_t *svc);

struct st_svc_t {
    const svc_def_t *def;
    svc_config_t cfg;
    MDB_env *env;
    MDB_dbi *dbis; /* parallel to def->databases */
    size_t num_dbis;
    MDB_dbi runtime_dbi;
    svc__writer_t *writer;
    void *data;
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
    char *body; /* malloc'ed (jansson) or NULL */
    size_t body_len;
    uint64_t page, num_pages; /* set by svc_page_begin */
};

/* ctx.c */
void svc__ctx_init(svc_ctx_t *ctx, svc_t *svc, const proto_request_t *req);
/* Ends the read transaction and drops the input; the arena and body stay for the result. */
void svc__ctx_finish(svc_ctx_t *ctx);
void svc__ctx_release(svc_ctx_t *ctx);
/* Replies with a ready-made JSON body (copied). */
void svc__reply_raw(svc_ctx_t *ctx, int status, const char *body, size_t len);

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
/* Appends quote_plus(s) (Python's urlencode) to a jansson-free growable string. */
typedef struct st_svc__str_t {
    char *data;
    size_t len, cap;
} svc__str_t;
void svc__str_append(svc__str_t *s, const char *data, size_t len);
void svc__str_append_quoted(svc__str_t *s, const char *data, size_t len);

/* page.c */
/* The links of DRF's PageNumberPagination: base + path + query with page replaced (or removed
 * for page 1). Returns a malloc'ed string. */
char *svc__page_link(const proto_request_t *req, uint64_t page);

/* fragment.c */
json_t *svc__fragment(const svc_def_t *def);


/* log.c */
void svc__log_set_service(const char *name);

#endif
