/*
 * schema-svc's table. The schema and docs endpoints are left out of the document, as
 * drf-spectacular leaves them out (SERVE_INCLUDE_SCHEMA = False); /api/health/ is part of the API.
 */
#include "schema-svc/schema.h"

static const svc_field_t schema_instance_fields[] = {
    {.name = "instance", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY, .description = "host:pid"},
    {.name = "version", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "started_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
    {.name = "last_seen_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY,
     .description = "When its last fragment push arrived."},
    {.name = "fragment_hash", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
};

static const svc_model_t schema_instance_model = {
    .name = "ServiceInstance",
    .fields = schema_instance_fields,
    .num_fields = SVC_COUNT(schema_instance_fields),
    .description = "A live instance of a service: it pushed its fragment within the last three push periods.",
};

static const svc_field_t schema_service_fields[] = {
    {.name = "service", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "status", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,
     .description = "`up` while an instance is live; `down` when none is (its last fragment is still in the document)."},
    {.name = "version", .type = SVC_T_STRING, .description = "Version of the fragment in the document."},
    {.name = "fragment_hash", .type = SVC_T_STRING},
    {.name = "error", .type = SVC_T_STRING, .description = "Why an instance's fragment could not be used."},
    {.name = "instances", .type = SVC_T_ARRAY, .flags = SVC_F_READ_ONLY, .model = &schema_instance_model},
};

static const svc_model_t schema_service_model = {
    .name = "ServiceHealth",
    .fields = schema_service_fields,
    .num_fields = SVC_COUNT(schema_service_fields),
};

static const svc_field_t schema_conflict_fields[] = {
    {.name = "kind", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,
     .description = "`operation`, `operationId`, `component` or `invalid`."},
    {.name = "detail", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "services", .type = SVC_T_ARRAY, .flags = SVC_F_READ_ONLY, .items_type = SVC_T_STRING,
     .description = "The service whose definition is kept, then the one left out."},
    {.name = "path", .type = SVC_T_STRING},
    {.name = "method", .type = SVC_T_STRING},
    {.name = "operationId", .type = SVC_T_STRING},
    {.name = "section", .type = SVC_T_STRING},
    {.name = "name", .type = SVC_T_STRING},
};

static const svc_model_t schema_conflict_model = {
    .name = "SchemaConflict",
    .fields = schema_conflict_fields,
    .num_fields = SVC_COUNT(schema_conflict_fields),
};

static const svc_field_t schema_document_fields[] = {
    {.name = "etag", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "operations", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "built_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
};

static const svc_model_t schema_document_model = {
    .name = "SchemaDocument",
    .fields = schema_document_fields,
    .num_fields = SVC_COUNT(schema_document_fields),
};

static const svc_field_t schema_health_fields[] = {
    {.name = "status", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,
     .description = "`ok`, or `degraded` when a service is down or fragments conflict."},
    {.name = "document", .type = SVC_T_OBJECT, .flags = SVC_F_READ_ONLY, .model = &schema_document_model},
    {.name = "services", .type = SVC_T_ARRAY, .flags = SVC_F_READ_ONLY, .model = &schema_service_model},
    {.name = "conflicts", .type = SVC_T_ARRAY, .flags = SVC_F_READ_ONLY, .model = &schema_conflict_model},
};

static const svc_model_t schema_health_model = {
    .name = "Health",
    .fields = schema_health_fields,
    .num_fields = SVC_COUNT(schema_health_fields),
};

static const svc_route_t schema_routes[] = {
    {.method = "GET", .path = "/api/schema/", .handler = schema_get, .operation_id = "schema_retrieve",
     .permission = SVC_PERM_PUBLIC, .schema_exclude = true},
    {.method = "GET", .path = "/api/schema/swagger-ui/", .handler = schema_swagger_ui,
     .operation_id = "schema_swagger_ui_retrieve", .permission = SVC_PERM_PUBLIC, .schema_exclude = true},
    {.method = "GET", .path = "/api/schema/redoc/", .handler = schema_redoc, .operation_id = "schema_redoc_retrieve",
     .permission = SVC_PERM_PUBLIC, .schema_exclude = true},
    /* no operation_id: drf-spectacular's default, api_health_retrieve */
    {.method = "GET", .path = "/api/health/", .handler = schema_health, .permission = SVC_PERM_PUBLIC,
     .summary = "The services behind the API, their live instances and fragment versions",
     .response = &schema_health_model},
};

const svc_def_t schema_service = {
    .name = "schema",
    .version = "1.0.0",
    .routes = schema_routes,
    .num_routes = SVC_COUNT(schema_routes),
    .init = schema_init,
    .fini = schema_fini,
};
