/*
 * The apibus service framework. A service is a static route table plus handlers:
 *
 *   static const svc_route_t employee_routes[] = {
 *       {.method = "GET", .path = "/pegasus/employees/api/employees/", .handler = employees_list,
 *        .operation_id = "employees_list", .permission = SVC_PERM_USER_OR_API_KEY,
 *        .paginated = true, .response = &employee_model},
 *       ...
 *   };
 *   static const svc_def_t employees = {.name = "employees", .routes = employee_routes, ...};
 *   int main(int argc, char **argv) { return svc_main(&employees, argc, argv); }
 *
 * From the table the runtime derives dispatch (method + path template), input validation with
 * DRF's rules, the permission check, and the OpenAPI fragment (`--print-fragment`). It owns
 * main: configuration (APIBUS_*), the bus worker threads, per-request memory, the LMDB
 * environment and the writer thread that group-commits writes durably before replying.
 *
 * Handlers run on worker threads, one request at a time per thread, and must reply exactly once
 * (svc_reply_*). A handler that returns without replying gets a 500.
 *
 * Every POST route takes an Idempotency-Key header: its outcome is stored with its write and
 * replayed for a retry with the same key and body (services/runtime/idempotency.c). On SIGTERM
 * the instance drains before it exits (services/runtime/worker.c).
 *
 * Out of memory: the runtime aborts the process (a service is one of several restartable
 * instances); no svc_* function returns NULL for lack of memory.
 *
 * `--print-fragment` prints, with sorted keys, without opening storage or the bus:
 *   {"service": name, "version": version,
 *    "fragment": {"paths": {...}, "components": {"schemas": {...}, "securitySchemes": {...}}}}
 * Operations carry operationId (drf-spectacular's default when the row gives none), tags,
 * parameters, requestBody, responses and security in drf-spectacular's order (PUBLIC: [], none;
 * USER and STAFF: cookieAuth, jwtAuth; USER_OR_API_KEY: cookieAuth, jwtAuth, ApiKeyAuth).
 * Error responses follow from the row (401/403 from the permission, 400 from a body, 404 from
 * a path parameter or a page) plus .errors, with the ErrorDetail / ValidationError bodies.
 * SVC_PERM_SYSTEM and .schema_exclude routes are left out.
 *
 * While serving, every instance pushes {service, version, instance, fragment} to schema-svc
 * at start, every APIBUS_FRAGMENT_PUSH_MS and when it stops (services/runtime/announce.c).
 *
 * In-process use (tests): services/runtime/dispatch.h.
 */
#ifndef APIBUS_SERVICES_RUNTIME_SERVICE_H
#define APIBUS_SERVICES_RUNTIME_SERVICE_H

#include <jansson.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.h"
#include "proto/errors.h"
#include "proto/principal.h"

typedef struct st_svc_ctx_t svc_ctx_t;
typedef struct st_svc_t svc_t;
typedef void (*svc_handler_fn)(svc_ctx_t *ctx);

/* What a route permits (DRF permission classes). */
typedef enum en_svc_permission_t {
    SVC_PERM_PUBLIC,           /* AllowAny: stale credentials never block it */
    SVC_PERM_USER,             /* a user by JWT or session (not an API key) */
    SVC_PERM_USER_OR_API_KEY,  /* a user by JWT, session or API key (read-only keys: safe methods only) */
    SVC_PERM_STAFF,            /* a staff user by JWT or session */
    SVC_PERM_SYSTEM            /* the internal endpoint only (the `apibus` command) */
} svc_permission_t;

typedef enum en_svc_type_t {
    SVC_T_INTEGER,  /* JSON integer; an integer in a string ("42") is accepted, as DRF does */
    SVC_T_NUMBER,
    SVC_T_STRING,
    SVC_T_BOOLEAN,
    SVC_T_DATETIME, /* ISO-8601 UTC with microseconds and Z */
    SVC_T_EMAIL,
    SVC_T_ENUM,     /* a string from .enumeration */
    SVC_T_OBJECT,   /* an object of .model */
    SVC_T_ARRAY     /* an array of .model objects, or of .items_type values */
} svc_type_t;

typedef struct st_svc_enum_t {
    const char *name;          /* component name, e.g. "DepartmentEnum" */
    const char *const *values; /* wire values */
    const char *const *labels; /* human labels, for the schema description; may be NULL */
    size_t count;
} svc_enum_t;

/* Field flags */
#define SVC_F_REQUIRED 0x01u   /* must be present on create/update (never on PATCH) */
#define SVC_F_READ_ONLY 0x02u  /* output only: ignored in input, as DRF does */
#define SVC_F_WRITE_ONLY 0x04u /* input only: never in output */
#define SVC_F_NULLABLE 0x08u
#define SVC_F_BLANK 0x10u      /* an empty string is allowed (DRF allow_blank) */
#define SVC_F_RANGE 0x20u      /* .minimum/.maximum apply (integers and numbers) */
#define SVC_F_OPTIONAL 0x40u   /* a read-only field some replies leave out: never listed as required */

typedef struct st_svc_model_t svc_model_t;

typedef struct st_svc_field_t {
    const char *name;
    svc_type_t type;
    unsigned flags;
    size_t min_length, max_length; /* strings; max_length 0 = unbounded (the runtime still caps input) */
    int64_t minimum, maximum;      /* with SVC_F_RANGE */
    const svc_enum_t *enumeration; /* SVC_T_ENUM */
    const svc_model_t *model;      /* SVC_T_OBJECT, or SVC_T_ARRAY of objects */
    svc_type_t items_type;         /* SVC_T_ARRAY of scalars (when .model is NULL) */
    const char *schema_json;       /* optional: a literal OpenAPI schema for shapes the table cannot say */
    const char *description;
} svc_field_t;

struct st_svc_model_t {
    const char *name; /* component name, e.g. "Employee"; PATCH bodies use "Patched" + name */
    const svc_field_t *fields;
    size_t num_fields;
    const char *description;
};

#define SVC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct st_svc_param_t {
    const char *name;
    svc_type_t type;
    bool required;
    const char *description;
} svc_param_t;

typedef struct st_svc_route_t {
    const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;         /* template: "/pegasus/employees/api/employees/{id}/"; {name} matches one segment */
    svc_handler_fn handler;
    const char *operation_id; /* e.g. "employees_list" */
    const char *summary, *description;
    const char *tag;          /* default: the first path segment, as drf-spectacular does */
    svc_permission_t permission;
    const svc_model_t *request;  /* body model, validated before the handler runs; NULL: no body */
    const svc_model_t *response; /* success body model; NULL: no body */
    int status;                  /* success status; 0 = 200 */
    bool paginated;              /* response is Paginated<Name>List; adds the `page` parameter */
    bool response_is_list;       /* response is an array of .response (not paginated) */
    const svc_param_t *query;    /* extra query parameters */
    size_t num_query;
    const int *errors;           /* documented error statuses, 0-terminated; may be NULL */
    bool schema_exclude;         /* left out of the OpenAPI fragment (extend_schema(exclude=True)):
                                  * the schema and docs endpoints themselves */
    bool secret_reply;           /* the reply carries a secret (tokens, a new API key): it is never
                                  * stored for Idempotency-Key replay, so the key is ignored */
} svc_route_t;

struct st_svc_def_t;
typedef struct st_svc_def_t {
    const char *name;    /* the role, e.g. "employees" (see proto/roles.h) */
    const char *version; /* e.g. "1.0.0": the fragment's version */
    const svc_route_t *routes;
    size_t num_routes;
    const char *const *databases; /* named LMDB databases, NULL-terminated */
    /* Called once after the environment is open and before workers start. Returns 0 or -err. */
    int (*init)(svc_t *svc);
    void (*fini)(svc_t *svc);
} svc_def_t;

/* The shared main: parses argv (--print-fragment, --help), reads the configuration, opens
 * storage, starts the workers, runs until SIGTERM/SIGINT. Returns the process exit code. */
int svc_main(const svc_def_t *def, int argc, char **argv);

/* --- the request, inside a handler ---------------------------------------------------------- */

const proto_request_t *svc_request(svc_ctx_t *ctx);
const proto_principal_t *svc_principal(svc_ctx_t *ctx);
const svc_route_t *svc_route(svc_ctx_t *ctx);
svc_t *svc_service(svc_ctx_t *ctx);

/* A path parameter as an unsigned id. A missing or non-numeric value replies 404 and returns -1
 * (DRF's lookup behaviour), so a handler stays linear: if (svc_path_id(ctx, "id", &id)) return; */
int svc_path_id(svc_ctx_t *ctx, const char *name, uint64_t *out);
/* A query parameter, percent-decoded into the request arena; NULL when absent. */
const char *svc_query(svc_ctx_t *ctx, const char *name);

/* The validated body: a JSON object holding only the declared, writable fields that were
 * given, with types coerced (an integer given as "42" is an integer here). Borrowed. */
json_t *svc_input(svc_ctx_t *ctx);

/* Memory that lives until the reply is sent. Never NULL (out of memory aborts the process,
 * the documented policy: a service is one of several restartable instances). */
void *svc_alloc(svc_ctx_t *ctx, size_t size);

/* --- replying (exactly once) ----------------------------------------------------------------- */

/* Replies with body serialized as JSON; steals the reference to body. */
void svc_reply_json(svc_ctx_t *ctx, int status, json_t *body);
/* Replies with body, which is already JSON text (as svc_reply_json would send it); copied. */
void svc_reply_raw_json(svc_ctx_t *ctx, int status, const char *body, size_t len);
/* Replies with a body that is not JSON (YAML, HTML) under content_type; body is copied. */
void svc_reply_body(svc_ctx_t *ctx, int status, const char *content_type, const char *body, size_t len);
/* A growing text buffer, for a body written in place (svc_page_reply_begin). data is malloc'ed
 * and NUL-terminated once anything was appended; out of memory aborts, as everywhere. */
typedef struct st_svc_buf_t {
    char *data;
    size_t len, cap;
} svc_buf_t;
void svc_buf_append(svc_buf_t *buf, const void *data, size_t len);

/* Replies with no body (e.g. 204). */
void svc_reply_empty(svc_ctx_t *ctx, int status);
/* Replies with the error's status and DRF body (err may be negative). */
void svc_reply_error(svc_ctx_t *ctx, int err);
/* Replies 400 {"<field>": ["<message>"]} (field NULL: "non_field_errors"). */
void svc_reply_field_error(svc_ctx_t *ctx, const char *field, const char *message);
/* Adds a header to the reply (copied). Call before replying. */
void svc_reply_header(svc_ctx_t *ctx, const char *name, const char *value);

/* Pagination, DRF PageNumberPagination (page size 100): reads ?page= (a number or "last"),
 * and on success sets *offset and *limit and returns 0; an invalid page replies 404
 * {"detail":"Invalid page."} and returns -1. */
int svc_page_begin(svc_ctx_t *ctx, uint64_t count, uint64_t *offset, uint64_t *limit);
/* Replies 200 {"count","next","previous","results"} with absolute next/previous links that keep
 * the other query parameters. Steals results. */
void svc_page_reply(svc_ctx_t *ctx, uint64_t count, json_t *results);
/* The same reply with results given as JSON text, the array brackets included: the bytes of
 * svc_page_reply for the same results. results_json is copied. */
void svc_page_reply_raw(svc_ctx_t *ctx, uint64_t count, const char *results_json, size_t len);
/* svc_page_reply_raw with the results written straight into the reply instead of copied there:
 * begin returns the body being built (the request owns it), which already holds the page's head;
 * append the results array's text, brackets included, then end sends the bytes svc_page_reply_raw
 * would. results_len is the expected length of the results, reserved up front (a wrong guess costs
 * a reallocation). A handler that replies otherwise after begin (an error) just never calls end;
 * begin again starts over. */
svc_buf_t *svc_page_reply_begin(svc_ctx_t *ctx, uint64_t count, size_t results_len);
void svc_page_reply_end(svc_ctx_t *ctx);

/* --- storage ---------------------------------------------------------------------------------- */

/* The named database given in def->databases. */
MDB_dbi svc_dbi(svc_t *svc, const char *name);
MDB_env *svc_env(svc_t *svc);

/* A read-only transaction for this request, begun on first use and ended after the reply. */
MDB_txn *svc_read_txn(svc_ctx_t *ctx);

/* A write: fn runs on the service's writer thread inside a nested transaction of a batch; the
 * batch is committed durably (fsync) before this returns. fn returns 0 to keep its changes or a
 * negative error to discard them (other requests in the batch are unaffected). Returns fn's
 * result, or -PROTO_ERR_STORAGE when the commit failed. Blocks the calling worker.
 * A POST carrying an Idempotency-Key (services/runtime/idempotency.c) differs in one way: this
 * returns once fn's changes are in the batch, and the batch commits together with the reply
 * after the handler has replied (a failed commit turns the reply into a 500). So reply from
 * what fn wrote; a new read transaction would not see it yet. */
typedef int (*svc_write_fn)(MDB_txn *txn, void *arg);
int svc_write(svc_ctx_t *ctx, svc_write_fn fn, void *arg);

/* Current time as microseconds since the epoch, and its DRF text form
 * "2024-10-14T21:25:44.123456Z" (out must hold 32 bytes). */
int64_t svc_now_us(void);
void svc_format_time(int64_t us, char out[32]);

/* --- additions: service state, storage outside a request, ids, logging ----------------------- */

/* A pointer the service keeps for itself (set in init, read in handlers). */
void svc_set_data(svc_t *svc, void *data);
void *svc_data(svc_t *svc);

/* svc_write without a request (init, migrations, tests): same semantics, blocks the caller.
 * Must not be called from inside a write fn (that would wait for itself). */
int svc_store_write(svc_t *svc, svc_write_fn fn, void *arg);

/* Inside a write fn: the next value of the named monotonic sequence (1, 2, 3, ...), stored in
 * the runtime's own database in the same transaction, so an id is never handed out twice and
 * never reused, even after a delete. Returns 0 or -PROTO_ERR_STORAGE. */
int svc_next_id(svc_t *svc, MDB_txn *txn, const char *sequence, uint64_t *out);

/* Maps an LMDB return code: 0 -> 0, MDB_NOTFOUND -> -PROTO_ERR_NOT_FOUND, anything else
 * (MDB_MAP_FULL, I/O errors, ...) -> -PROTO_ERR_STORAGE, logged once here. */
int svc_storage_error(int mdb_rc);

/* --- events (proto/events.h): facts published to gateways ------------------------------------ */

/* Connects this process's PUB socket to the gateway's event endpoint (call from init). Events
 * stay in the log (the runtime's database) for retain_s seconds, for gateways that resync.
 * Returns 0 or -PROTO_ERR_UNAVAILABLE. */
int svc_events_open(svc_t *svc, int64_t retain_s);
/* Closes the PUB socket (call from fini). Safe when never opened. */
void svc_events_close(svc_t *svc);
/* Inside a write fn: gives ev the next sequence number of this service and logs it in the same
 * transaction (a rolled-back write leaves no event). Returns 0 or -PROTO_ERR_STORAGE. */
struct st_proto_event_t;
int svc_event_append(svc_t *svc, MDB_txn *txn, struct st_proto_event_t *ev);
/* After the write has committed: sends ev to the gateways. Best effort: a lost message is found
 * by the gateways' resync. Never blocks. */
void svc_event_publish(svc_t *svc, const struct st_proto_event_t *ev);
/* The handler of the resync route, GET /_internal/<role>/events/?since=N (SVC_PERM_SYSTEM):
 * {"publisher","head","events":[...],"more"} with the events after N, oldest first. */
void svc_events_handler(svc_ctx_t *ctx);

/* One log line on stderr: time, service, level, message. Never pass secrets. */
void svc_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
