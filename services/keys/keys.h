/*
 * The keys service: per-user API keys (djangorestframework-api-key as Pegasus uses it) with a
 * JSON API under /api/keys/ for logged-in users (JWT or session, never a key), and the internal
 * operations the gateway and the `apibus` command use under /_internal/keys/.
 *
 *   routes.c    models, the route table, init/fini
 *   handlers.c  the API: create (the key is shown once), list, retrieve, rename, revoke
 *   internal.c  verify (the gateway, on a cache miss), usage batches (last used), the
 *               operator's create / list / revoke / import
 *   store.c     LMDB
 *
 * A revocation is logged as a key.revoked event in the same write and published to the
 * gateways after the commit (services/runtime/events.c); the revoke reply also names the
 * prefix in X-Apibus-Revoked-Key, so the gateway that relays it refuses the key at once.
 */
#ifndef APIBUS_SERVICES_KEYS_KEYS_H
#define APIBUS_SERVICES_KEYS_KEYS_H

#include "proto/apikey.h"
#include "proto/events.h"
#include "services/keys/store.h"
#include "services/runtime/service.h"

/* Events stay in the log this long for gateways that resync; older revocations are still
 * refused, by the keys service itself at the next cache miss. */
#define KEYS_EVENT_RETAIN_S (7 * 24 * 3600)
#define KEYS_REVOKED_HEADER "x-apibus-revoked-key"

extern const svc_def_t keys_service;

int keys_init(svc_t *svc);
void keys_fini(svc_t *svc);

/* API */
void keys_list(svc_ctx_t *ctx);
void keys_create(svc_ctx_t *ctx);
void keys_retrieve(svc_ctx_t *ctx);
void keys_rename(svc_ctx_t *ctx);
void keys_revoke(svc_ctx_t *ctx);

/* internal */
void keys_verify(svc_ctx_t *ctx);
void keys_usage(svc_ctx_t *ctx);
void keys_admin_list(svc_ctx_t *ctx);
void keys_admin_create(svc_ctx_t *ctx);
void keys_admin_revoke(svc_ctx_t *ctx);
void keys_admin_import(svc_ctx_t *ctx);

/* --- shared by the handlers (handlers.c) ---------------------------------------------------- */

const keys_store_t *keys_store(svc_ctx_t *ctx);
/* The request's read transaction, or a 500 reply and NULL. */
MDB_txn *keys_read_txn_or_500(svc_ctx_t *ctx);
/* The API form of a key: {id, prefix, name, user, created, expiry_date, revoked, last_used, scope}. */
json_t *keys_json(const keys_record_t *rec);
/* Parses the runtime's canonical datetime ("2024-10-14T21:25:44.123456Z"). 0 or -1. */
int keys_parse_time(const char *s, int64_t *us);

/* A new key for user_id from the validated input (name, expiry_date, scope): writes it and
 * replies 201 with the key's JSON plus "key", the only time the key is ever shown. */
void keys_create_for(svc_ctx_t *ctx, uint64_t user_id);
/* Revokes rec (idempotent), publishes key.revoked and replies 200 with the key's JSON. */
void keys_revoke_record(svc_ctx_t *ctx, const keys_record_t *rec);

#endif
