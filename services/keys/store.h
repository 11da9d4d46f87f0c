/*
 * Keys storage: the only code that touches LMDB. Every function works in a transaction the
 * caller owns (a request's read transaction or the writer's nested one).
 *
 * Databases (names in keys_store_databases):
 *   keys       id (8 BE)                    -> key record (msgpack, below)
 *   by_prefix  prefix (8 bytes)             -> id (8 BE)        prefixes are unique
 *   by_user    user id (8 BE) + id (8 BE)   -> ""               a user's keys in id order
 * Ids come from the runtime's "keys" sequence: never reused, even after an import collision.
 *
 * Key record: [version, prefix, stored hash ("sha512$$<hex>"), name, user id, created_us,
 * expiry_us (0: none), revoked, revoked_us, last_used_us (0: never), scope bits]; versions
 * only append ("expand"), a record of a newer version is read but never written back.
 * The key itself is never stored.
 *
 * Errors: -PROTO_ERR_NOT_FOUND, -PROTO_ERR_BAD_REQUEST (prefix taken), -PROTO_ERR_STORAGE.
 */
#ifndef APIBUS_SERVICES_KEYS_STORE_H
#define APIBUS_SERVICES_KEYS_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/apikey.h"
#include "services/runtime/service.h"

#define KEYS_RECORD_VERSION 1u
#define KEYS_NAME_MAX_CHARS 50 /* djangorestframework-api-key's AbstractAPIKey.name */
#define KEYS_NAME_MAX_BYTES (4 * KEYS_NAME_MAX_CHARS)

typedef enum en_keys_db_t { KEYS_DB_KEYS, KEYS_DB_BY_PREFIX, KEYS_DB_BY_USER, KEYS_DB_COUNT } keys_db_t;

extern const char *const keys_store_databases[KEYS_DB_COUNT + 1];

typedef struct st_keys_store_t {
    MDB_dbi dbi[KEYS_DB_COUNT];
} keys_store_t;

typedef struct st_keys_record_t {
    uint64_t id;
    char prefix[PROTO_KEY_PREFIX_LEN + 1];
    char hashed_key[PROTO_APIKEY_STORED_LEN + 1];
    char name[KEYS_NAME_MAX_BYTES + 1];
    uint64_t user_id;
    int64_t created_us, expiry_us, revoked_us, last_used_us; /* 0: none / never */
    bool revoked;
    uint32_t scope; /* PROTO_SCOPE_* */
    uint32_t version;
    bool newer; /* written by a newer version: never write it back */
} keys_record_t;

int keys_store_get(const keys_store_t *st, MDB_txn *txn, uint64_t id, keys_record_t *rec);
int keys_store_by_prefix(const keys_store_t *st, MDB_txn *txn, const char *prefix, keys_record_t *rec);
/* Writes rec under rec->id (a new id from svc's sequence when 0), keeping the indexes in step.
 * A new record whose prefix is taken: -PROTO_ERR_BAD_REQUEST. */
int keys_store_put(const keys_store_t *st, svc_t *svc, MDB_txn *txn, keys_record_t *rec);
/* Calls fn for the keys of user_id (every key when user_id is 0), newest first as Pegasus
 * orders them (-created); a non-zero return stops and is returned. */
int keys_store_each(const keys_store_t *st, MDB_txn *txn, uint64_t user_id,
                    int (*fn)(const keys_record_t *, void *), void *arg);

/* The record's stored form (exposed for the unit tests). */
int keys_record_encode(const keys_record_t *rec, char **out, size_t *len);
int keys_record_decode(const void *data, size_t len, keys_record_t *rec);

#endif
