/*
 * Auth storage: the only code that touches LMDB (ARCHITECTURE §5). Every function works in a
 * transaction the caller owns (a request's read transaction or the writer's nested one).
 *
 * Databases (names in auth_store_databases):
 *   users     id (8 BE)                     -> user record (msgpack, below)
 *   by_email  e-mail key (auth_email_key)   -> id (8 BE)
 *   sessions  SHA-256 of the session id     -> [version, user id, created_us, expires_us]
 *   revoked   refresh token jti (text)      -> its exp (8 BE): refused until then
 *   throttle  "a:" e-mail key | "i:" / "r:" client address | "o:" user id -> [failures, last_us]
 *             (ephemeral counters; "o:" counts wrong second-factor codes; stale ones are pruned
 *             a few at a time by the writes that add them, auth_store_throttle_prune)
 *   otp       user id (8 BE)                -> the user's TOTP enrolment (otp_store.c)
 *   otp_login SHA-256 of a temp_otp_token   -> the first half of a two-factor login (otp_store.c)
 * User ids come from the runtime's "users" sequence: never reused, even after a delete.
 *
 * User record: [version, email, first_name, last_name, password hash, is_staff, is_active,
 * created_us, last_login_us, valid_after_us]; versions only append ("expand"), a record of a
 * newer version is read but never written back.
 *
 * Errors: -PROTO_ERR_NOT_FOUND, -PROTO_ERR_STORAGE (LMDB, or a value that does not decode).
 */
#ifndef APIBUS_SERVICES_AUTH_STORE_H
#define APIBUS_SERVICES_AUTH_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/session.h"
#include "services/auth/email.h"
#include "services/auth/hasher.h"
#include "services/auth/otp_key.h"
#include "services/auth/throttle.h"
#include "services/runtime/service.h"

#define AUTH_USER_VERSION 1u
#define AUTH_NAME_MAX_CHARS 150 /* Django's first_name / last_name */
#define AUTH_NAME_MAX_BYTES (4 * AUTH_NAME_MAX_CHARS)

typedef enum en_auth_db_t {
    AUTH_DB_USERS,
    AUTH_DB_BY_EMAIL,
    AUTH_DB_SESSIONS,
    AUTH_DB_REVOKED,
    AUTH_DB_THROTTLE,
    AUTH_DB_OTP,
    AUTH_DB_OTP_LOGIN,
    AUTH_DB_COUNT
} auth_db_t;

extern const char *const auth_store_databases[AUTH_DB_COUNT + 1];

#define AUTH_THROTTLE_KEY_CAP 511 /* LMDB's default largest key; ours stay under 320 bytes */

typedef struct st_auth_store_t {
    MDB_dbi dbi[AUTH_DB_COUNT];
    /* Where auth_store_throttle_prune resumes: the first key it has not looked at (length 0: the
     * first key of the database). Only the prune changes it and the prune runs only inside write
     * transactions, which the runtime runs one at a time on its writer thread; readers on the
     * worker threads never look at it, so it needs no lock. A process's position is only a hint
     * (a rolled-back write or another instance's deletions just move where the walk goes on). */
    unsigned char prune_at[AUTH_THROTTLE_KEY_CAP];
    size_t prune_at_len;
} auth_store_t;

typedef struct st_auth_user_t {
    uint64_t id;
    char email[AUTH_EMAIL_MAX + 1];
    char first_name[AUTH_NAME_MAX_BYTES + 1];
    char last_name[AUTH_NAME_MAX_BYTES + 1];
    char password[AUTH_HASH_MAX]; /* encoded Argon2id hash */
    bool is_staff, is_active;
    int64_t created_us, last_login_us, valid_after_us; /* last_login_us 0: never */
    uint32_t version;
    bool newer; /* written by a newer version: never write it back */
} auth_user_t;

typedef struct st_auth_session_t {
    uint64_t user_id;
    int64_t created_us, expires_us;
} auth_session_t;

int auth_store_user_get(const auth_store_t *st, MDB_txn *txn, uint64_t id, auth_user_t *user);
/* By an address in any case. */
int auth_store_user_by_email(const auth_store_t *st, MDB_txn *txn, const char *email, auth_user_t *user);
/* Writes user under user->id (a new id when 0, from svc's sequence), keeping the e-mail index in
 * step. Returns -PROTO_ERR_BAD_REQUEST when another user has the e-mail. */
int auth_store_user_put(const auth_store_t *st, svc_t *svc, MDB_txn *txn, auth_user_t *user);
/* Calls fn for every user in id order; a non-zero return stops and is returned. */
int auth_store_users_each(const auth_store_t *st, MDB_txn *txn, int (*fn)(const auth_user_t *, void *), void *arg);

int auth_store_session_put(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN],
                           const auth_session_t *s);
int auth_store_session_get(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN],
                           auth_session_t *s);
int auth_store_session_del(const auth_store_t *st, MDB_txn *txn, const unsigned char hash[PROTO_SESSION_HASH_LEN]);

/* Refused refresh tokens. put: revoked until exp. has: 0 when revoked, NOT_FOUND when not. */
int auth_store_revoke(const auth_store_t *st, MDB_txn *txn, const char *jti, int64_t exp);
int auth_store_revoked(const auth_store_t *st, MDB_txn *txn, const char *jti);

/* Throttle counters by key; an absent counter reads as zeros. */
int auth_store_throttle_get(const auth_store_t *st, MDB_txn *txn, const char *key, auth_throttle_state_t *out);
int auth_store_throttle_put(const auth_store_t *st, MDB_txn *txn, const char *key, const auth_throttle_state_t *s);
int auth_store_throttle_del(const auth_store_t *st, MDB_txn *txn, const char *key);
/* Inside a write transaction: walks the counters from where the last call stopped (wrapping at
 * the end, never past its own starting point), deletes up to `budget` whose last_us is more than
 * max_age_us before now_us, and looks at no more than 4 * budget entries. A value that does not
 * decode is deleted as well (and counts against the budget). Called with every counter written,
 * so stale counters go at least as fast as new ones come, at a bounded cost per write. Nothing is
 * deleted when the transaction is rolled back; the walk's position moves on all the same. */
int auth_store_throttle_prune(auth_store_t *st, MDB_txn *txn, int64_t now_us, int64_t max_age_us, unsigned budget);

/* --- two-factor (otp_store.c) ------------------------------------------------------------------ */

#define AUTH_OTP_TOKEN_HASH_LEN 32

/* A user's TOTP enrolment: [version, active, sealed secret, last_step, created_us, confirmed_us,
 * [recovery code hashes]], a used recovery code's hash emptied. */
typedef struct st_auth_otp_t {
    bool active; /* confirmed with a first code; false: started, waiting for it */
    uint8_t sealed[AUTH_OTP_SEALED_LEN];
    int64_t last_step; /* the newest time step accepted: codes of it or earlier are refused */
    int64_t created_us, confirmed_us;
    uint8_t recovery[AUTH_RECOVERY_CODES][AUTH_RECOVERY_HASH_LEN];
    bool recovery_left[AUTH_RECOVERY_CODES];
    bool newer; /* written by a newer version: never write it back */
} auth_otp_t;

/* The first step of a two-factor login: [version, user id, created_us, expires_us, session,
 * wrong codes so far]. */
typedef struct st_auth_otp_login_t {
    uint64_t user_id;
    int64_t created_us, expires_us;
    bool session;       /* the login asked for a browser session */
    uint32_t attempts;  /* wrong codes given with this token */
} auth_otp_login_t;

int auth_store_otp_get(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, auth_otp_t *out);
int auth_store_otp_put(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, const auth_otp_t *otp);
/* 0 also when there was none. */
int auth_store_otp_del(const auth_store_t *st, MDB_txn *txn, uint64_t user_id);
/* Whether the user must give a second factor (an active enrolment). */
int auth_store_otp_active(const auth_store_t *st, MDB_txn *txn, uint64_t user_id, bool *active);

int auth_store_otp_login_put(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN],
                             const auth_otp_login_t *l);
int auth_store_otp_login_get(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN],
                             auth_otp_login_t *l);
int auth_store_otp_login_del(const auth_store_t *st, MDB_txn *txn, const uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN]);
/* Deletes expired entries among the (at most) `look` that follow a random key: called at each
 * new token, it keeps abandoned logins from piling up without a timer or a full scan. */
int auth_store_otp_login_sweep(const auth_store_t *st, MDB_txn *txn, int64_t now_us, unsigned look);

/* The stored forms (exposed for the unit tests). */
int auth_otp_encode(const auth_otp_t *otp, char **out, size_t *len);
int auth_otp_decode(const void *data, size_t len, auth_otp_t *otp);

/* The user record's stored form (exposed for the unit tests). */
int auth_user_encode(const auth_user_t *user, char **out, size_t *len);
int auth_user_decode(const void *data, size_t len, auth_user_t *user);

#endif
