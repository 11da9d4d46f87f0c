/*
 * Issuing and checking tokens in auth, with the keyring shared with the gateways.
 *
 * Keys come from APIBUS_JWT_SECRET (+ APIBUS_JWT_PREVIOUS_SECRET), fixed for the life of the
 * process, or else from the keyring file $APIBUS_DATA_DIR/jwt-secret (proto/keyring.h), which is
 * re-read when it changes (checked at most once a second), so every auth instance follows a
 * rotation made by any of them. Thread-safe.
 */
#ifndef APIBUS_SERVICES_AUTH_TOKENS_H
#define APIBUS_SERVICES_AUTH_TOKENS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/jwt.h"

typedef struct st_auth_tokens_t {
    pthread_rwlock_t lock;
    proto_jwt_keys_t keys;
    bool from_env;      /* fixed keys: rotation is refused */
    char path[4200];    /* the keyring file */
    int64_t checked_us; /* last look at the file */
    struct timespec mtime;
    ino_t ino;
    off_t size;
} auth_tokens_t;

/* Loads the keys. Returns 0, or -1 with the reason (never a secret) in err. */
int auth_tokens_init(auth_tokens_t *t, int64_t leeway_s, char *err, size_t err_cap);
void auth_tokens_fini(auth_tokens_t *t);

/* Signs claims (token_type, user_id, is_staff, iat, exp, auth_us set by the caller; jti made).
 * Returns a malloc'ed token or NULL. */
char *auth_tokens_sign(auth_tokens_t *t, proto_jwt_claims_t *claims);
/* Verifies token; type NULL accepts any. 0 or -PROTO_ERR_TOKEN_NOT_VALID. */
int auth_tokens_verify(auth_tokens_t *t, const char *token, size_t len, const char *type, proto_jwt_claims_t *claims);

/* Makes a new random secret current and keeps the others until retire_after_s from now (old
 * tokens expire by then); drops retired ones. Writes the keyring file. new_kid gets the new
 * key's id. 0, or -1 with the reason in err (e.g. keys from the environment). */
int auth_tokens_rotate(auth_tokens_t *t, int64_t retire_after_s, char new_kid[PROTO_JWT_KID_LEN + 1], char *err,
                       size_t err_cap);

#endif
