/*
 * schema-svc: the service that owns /api/schema/ (the merged OpenAPI document, Swagger UI and
 * Redoc pages) and /api/health/ (every service, its live instances and fragment version).
 *
 * Services push their fragments (proto/announce.h) to the PULL socket this service binds at
 * PROTO_PORT_FRAGMENTS; the collector thread hands each to the registry, which keeps the
 * latest fragment per service and rebuilds the document (schema-svc/doc.h) only when the
 * fragment chosen for some service changed.
 */
#ifndef APIBUS_SCHEMA_SVC_SCHEMA_H
#define APIBUS_SCHEMA_SVC_SCHEMA_H

#include <stdint.h>

#include "proto/announce.h"
#include "schema-svc/doc.h"
#include "services/runtime/service.h"

extern const svc_def_t schema_service;

/* --- registry.c: instances, the choice of fragment per service, the current document ------ */

typedef struct st_schema_registry_t schema_registry_t;

/* An instance is live while its pushes arrive at most ttl_us apart and it has not said bye.
 * Builds the first (empty) document. Returns 0 or -1 (out of memory). */
int schema_registry_create(const schema_info_t *info, int64_t ttl_us, schema_registry_t **out);
/* NULL is a no-op. */
void schema_registry_destroy(schema_registry_t *r);
/* Records one announcement received at now_us; rebuilds the document when the fragment chosen
 * for its service changed. Thread-safe. */
void schema_registry_announce(schema_registry_t *r, const proto_announce_t *a, int64_t now_us);
/* Expires silent instances (the newest live instance of a service provides its fragment, so
 * this can change the document too). Thread-safe. */
void schema_registry_tick(schema_registry_t *r, int64_t now_us);
/* The current document, valid until schema_registry_unlock; the lock is held in between, so
 * copy what is needed and unlock quickly. */
const schema_doc_t *schema_registry_lock(schema_registry_t *r);
void schema_registry_unlock(schema_registry_t *r);
/* The health report (see routes.c for its schema): a new reference. */
json_t *schema_registry_health(schema_registry_t *r, int64_t now_us);
/* How many times the document was built (tests). */
uint64_t schema_registry_builds(schema_registry_t *r);

/* --- collector.c: the PULL socket and its thread ------------------------------------------ */

typedef struct st_schema_collector_t schema_collector_t;

/* Binds endpoint and starts the thread. Returns 0 or -1 (reason logged: typically another
 * schema-svc already bound the port). */
int schema_collector_start(schema_registry_t *r, const char *endpoint, schema_collector_t **out);
/* NULL is a no-op. */
void schema_collector_stop(schema_collector_t *c);

/* --- negotiate.c: DRF's content negotiation over drf-spectacular's four renderers ----------- */

typedef enum en_schema_renderer_t {
    SCHEMA_R_OAI_YAML, /* application/vnd.oai.openapi; charset=utf-8 (format yaml): the default */
    SCHEMA_R_YAML,     /* application/yaml; charset=utf-8 (format yaml) */
    SCHEMA_R_OAI_JSON, /* application/vnd.oai.openapi+json (format json) */
    SCHEMA_R_JSON      /* application/json (format json) */
} schema_renderer_t;

/* Chooses a renderer for ?format= (NULL when absent) and the Accept header (empty: any).
 * Returns 0 and *out, -PROTO_ERR_NOT_FOUND for an unknown format (DRF's 404), or
 * -PROTO_ERR_NOT_ACCEPTABLE when no renderer satisfies Accept. */
int schema_negotiate(const char *format, proto_str_t accept, schema_renderer_t *out);
/* The Content-Type to send with a renderer's output. */
const char *schema_renderer_content_type(schema_renderer_t r);
/* Whether the renderer writes JSON (else YAML). */
int schema_renderer_is_json(schema_renderer_t r);

/* --- pages.c: the Swagger UI and Redoc pages ------------------------------------------------ */

/* The page as a malloc'ed NUL-terminated HTML text (title HTML-escaped). */
char *schema_page_swagger_ui(const char *title, size_t *len);
char *schema_page_redoc(const char *title, size_t *len);

/* --- handlers.c --------------------------------------------------------------------------- */

void schema_get(svc_ctx_t *ctx);
void schema_swagger_ui(svc_ctx_t *ctx);
void schema_redoc(svc_ctx_t *ctx);
void schema_health(svc_ctx_t *ctx);
int schema_init(svc_t *svc);
void schema_fini(svc_t *svc);

#endif
