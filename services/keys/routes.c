/*
 * The keys API, declared once: models, routes and the service. Every string field is bounded;
 * internal bodies are validated like public ones but left out of the schema.
 */
#include <sodium.h>
#include <stdlib.h>

#include "services/keys/keys.h"
#include "services/runtime/dispatch.h"

static const char *const keys_scope_values[] = {"read_write", "read"};
static const char *const keys_scope_labels[] = {"Read and write", "Read only (GET and HEAD)"};
static const svc_enum_t keys_scope_enum = {
    .name = "ScopeEnum", .values = keys_scope_values, .labels = keys_scope_labels, .count = 2};

#define KEYS_NAME_FIELD(f)                                                                                           \
    {.name = "name", .type = SVC_T_STRING, .flags = (f), .max_length = KEYS_NAME_MAX_CHARS,                         \
     .description = "A free-form name to tell keys apart."}
#define KEYS_EXPIRY_FIELD                                                                                            \
    {.name = "expiry_date", .type = SVC_T_DATETIME, .flags = SVC_F_NULLABLE,                                       \
     .description = "Once this has passed the key no longer works; null: never expires."}
#define KEYS_SCOPE_FIELD                                                                                             \
    {.name = "scope", .type = SVC_T_ENUM, .enumeration = &keys_scope_enum,                                         \
     .description = "read: the key may only read (GET, HEAD); anything else answers 403 naming the missing "       \
                    "'write' scope. Default read_write: the key acts fully as its user."}

/* The fields of a key as its owner sees it: never the key, never its hash. */
#define KEYS_KEY_FIELDS                                                                                              \
    {.name = "id", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},                                               \
    {.name = "prefix", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,                                             \
     .description = "The first 8 characters of the key: how a key is named in lists and logs."},                   \
    KEYS_NAME_FIELD(SVC_F_REQUIRED),                                                                                 \
    {.name = "user", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY, .description = "The user the key acts as."},  \
    {.name = "created", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},                                         \
    KEYS_EXPIRY_FIELD,                                                                                               \
    {.name = "revoked", .type = SVC_T_BOOLEAN, .flags = SVC_F_READ_ONLY,                                           \
     .description = "A revoked key no longer works, for good."},                                                  \
    {.name = "last_used", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY | SVC_F_NULLABLE,                      \
     .description = "When a gateway last accepted the key (reported in batches: up to a few seconds late)."},     \
    KEYS_SCOPE_FIELD

static const svc_field_t keys_key_fields[] = {KEYS_KEY_FIELDS};
static const svc_model_t keys_key_model = {.name = "APIKey", .fields = keys_key_fields,
                                           .num_fields = SVC_COUNT(keys_key_fields)};

static const svc_field_t keys_created_fields[] = {
    KEYS_KEY_FIELDS,
    {.name = "key", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY | SVC_F_REQUIRED,
     .description = "The whole key, prefix.secret: shown this once, never again. Send it as "
                    "`Authorization: Api-Key <key>`."},
};
static const svc_model_t keys_created_model = {.name = "APIKeyCreated", .fields = keys_created_fields,
                                               .num_fields = SVC_COUNT(keys_created_fields)};

static const svc_field_t keys_rename_fields[] = {KEYS_NAME_FIELD(SVC_F_REQUIRED)};
static const svc_model_t keys_rename_model = {.name = "APIKeyName", .fields = keys_rename_fields,
                                              .num_fields = SVC_COUNT(keys_rename_fields)};

static const svc_param_t keys_list_query[] = {
    {.name = "user", .type = SVC_T_INTEGER,
     .description = "Staff only: the keys of this user (staff see every key without it; others always see "
                    "only their own)."},
};

/* internal bodies */
static const svc_field_t keys_verify_fields[] = {
    {.name = "prefix", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_KEY_PREFIX_LEN},
    {.name = "hash", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_APIKEY_HASH_HEX},
};
static const svc_model_t keys_verify_model = {.name = "KeyVerify", .fields = keys_verify_fields,
                                              .num_fields = SVC_COUNT(keys_verify_fields)};

static const svc_field_t keys_use_fields[] = {
    {.name = "prefix", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_KEY_PREFIX_LEN},
    {.name = "at_us", .type = SVC_T_INTEGER, .flags = SVC_F_REQUIRED},
};
static const svc_model_t keys_use_model = {.name = "KeyUse", .fields = keys_use_fields,
                                           .num_fields = SVC_COUNT(keys_use_fields)};
static const svc_field_t keys_usage_fields[] = {
    {.name = "used", .type = SVC_T_ARRAY, .flags = SVC_F_REQUIRED, .model = &keys_use_model},
};
static const svc_model_t keys_usage_model = {.name = "KeyUsage", .fields = keys_usage_fields,
                                             .num_fields = SVC_COUNT(keys_usage_fields)};

static const svc_field_t keys_admin_create_fields[] = {
    {.name = "user_id", .type = SVC_T_INTEGER, .flags = SVC_F_REQUIRED | SVC_F_RANGE, .minimum = 1,
     .maximum = INT64_MAX},
    KEYS_NAME_FIELD(SVC_F_REQUIRED),
    KEYS_EXPIRY_FIELD,
    KEYS_SCOPE_FIELD,
};
static const svc_model_t keys_admin_create_model = {.name = "AdminKey", .fields = keys_admin_create_fields,
                                                    .num_fields = SVC_COUNT(keys_admin_create_fields)};

static const svc_field_t keys_admin_revoke_fields[] = {
    {.name = "prefix", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_KEY_PREFIX_LEN},
};
static const svc_model_t keys_admin_revoke_model = {.name = "AdminRevoke", .fields = keys_admin_revoke_fields,
                                                    .num_fields = SVC_COUNT(keys_admin_revoke_fields)};

/* One row of Pegasus's api_keys_userapikey (with the owner's id, which `apibus key import`
 * finds from the e-mail). */
static const svc_field_t keys_import_fields[] = {
    {.name = "prefix", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_KEY_PREFIX_LEN},
    {.name = "hashed_key", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = 150},
    {.name = "user_id", .type = SVC_T_INTEGER, .flags = SVC_F_REQUIRED | SVC_F_RANGE, .minimum = 1,
     .maximum = INT64_MAX},
    {.name = "name", .type = SVC_T_STRING, .flags = SVC_F_BLANK, .max_length = KEYS_NAME_MAX_CHARS},
    {.name = "created", .type = SVC_T_DATETIME, .flags = SVC_F_NULLABLE},
    {.name = "expiry_date", .type = SVC_T_DATETIME, .flags = SVC_F_NULLABLE},
    {.name = "revoked", .type = SVC_T_BOOLEAN},
    KEYS_SCOPE_FIELD,
};
static const svc_model_t keys_import_model = {.name = "AdminImport", .fields = keys_import_fields,
                                              .num_fields = SVC_COUNT(keys_import_fields)};

#define KEYS_API "/api/keys/"
#define KEYS_INTERNAL "/_internal/keys/"

static const svc_route_t keys_routes[] = {
    {.method = "GET", .path = KEYS_API, .handler = keys_list, .operation_id = "api_keys_list", .tag = "api",
     .summary = "Your API keys (staff: everyone's), newest first; never the keys themselves.",
     .permission = SVC_PERM_USER, .response = &keys_key_model, .paginated = true, .query = keys_list_query,
     .num_query = SVC_COUNT(keys_list_query)},
    {.method = "POST", .path = KEYS_API, .handler = keys_create, .operation_id = "api_keys_create", .secret_reply = true, .tag = "api",
     .summary = "A new API key for you; the reply holds the whole key, shown this once.",
     .permission = SVC_PERM_USER, .request = &keys_key_model, .response = &keys_created_model, .status = 201},
    {.method = "GET", .path = KEYS_API "{id}/", .handler = keys_retrieve, .operation_id = "api_keys_retrieve",
     .tag = "api", .permission = SVC_PERM_USER, .response = &keys_key_model},
    {.method = "PATCH", .path = KEYS_API "{id}/", .handler = keys_rename, .operation_id = "api_keys_partial_update",
     .tag = "api", .summary = "Renames a key.", .permission = SVC_PERM_USER, .request = &keys_rename_model,
     .response = &keys_key_model},
    {.method = "POST", .path = KEYS_API "{id}/revoke/", .handler = keys_revoke, .operation_id = "api_keys_revoke_create",
     .tag = "api", .summary = "Revokes a key for good: every gateway refuses it within a second.",
     .permission = SVC_PERM_USER, .response = &keys_key_model},

    {.method = "GET", .path = KEYS_INTERNAL "events/", .handler = svc_events_handler, .permission = SVC_PERM_SYSTEM},
    {.method = "POST", .path = KEYS_INTERNAL "verify/", .handler = keys_verify, .permission = SVC_PERM_SYSTEM,
     .request = &keys_verify_model},
    {.method = "POST", .path = KEYS_INTERNAL "usage/", .handler = keys_usage, .permission = SVC_PERM_SYSTEM,
     .request = &keys_usage_model},
    {.method = "GET", .path = KEYS_INTERNAL "keys/", .handler = keys_admin_list, .permission = SVC_PERM_SYSTEM},
    {.method = "POST", .path = KEYS_INTERNAL "keys/", .handler = keys_admin_create, .permission = SVC_PERM_SYSTEM,
     .request = &keys_admin_create_model},
    {.method = "POST", .path = KEYS_INTERNAL "revoke/", .handler = keys_admin_revoke, .permission = SVC_PERM_SYSTEM,
     .request = &keys_admin_revoke_model},
    {.method = "POST", .path = KEYS_INTERNAL "import/", .handler = keys_admin_import, .permission = SVC_PERM_SYSTEM,
     .request = &keys_import_model},
};

const svc_def_t keys_service = {
    .name = "keys",
    .version = "1.0.0",
    .routes = keys_routes,
    .num_routes = SVC_COUNT(keys_routes),
    .databases = keys_store_databases,
    .init = keys_init,
    .fini = keys_fini,
};

int keys_init(svc_t *svc)
{
    keys_store_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return -PROTO_ERR_NO_MEMORY;
    if (sodium_init() < 0) {
        svc_log("error", "libsodium cannot start");
        free(st);
        return -PROTO_ERR_INTERNAL;
    }
    for (int i = 0; i < KEYS_DB_COUNT; i++)
        st->dbi[i] = svc_dbi(svc, keys_store_databases[i]);
    if (svc_events_open(svc, KEYS_EVENT_RETAIN_S) != 0) {
        free(st);
        return -PROTO_ERR_INTERNAL;
    }
    svc_set_data(svc, st);
    return 0;
}

void keys_fini(svc_t *svc)
{
    keys_store_t *st = svc_data(svc);
    if (st == NULL)
        return;
    svc_events_close(svc);
    free(st);
    svc_set_data(svc, NULL);
}
