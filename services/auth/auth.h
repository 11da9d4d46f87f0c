/*
 * The auth service: Pegasus's "Authentication APIs" (dj-rest-auth + Simple JWT) under
 * /api/auth/, browser sessions, and the internal operations the gateway and the `apibus`
 * command use under /_internal/auth/ (SVC_PERM_SYSTEM: never reachable over HTTP).
 *
 *   routes.c    models, the route table, init/fini      account.c  user JSON, tokens, sessions, throttle replies
 *   login.c     register, login                         user.c     user details, password change
 *   token.c     token refresh/verify, logout            internal.c session check, users, key rotation
 *   otp.c       two-factor enrolment, code checks       otp_login.c the second login step (verify-otp/)
 *   totp.c      RFC 6238 codes, base32, otpauth URIs     recovery.c recovery codes
 *   otp_key.c   the key sealing TOTP secrets            otp_store.c their storage
 */
#ifndef APIBUS_SERVICES_AUTH_AUTH_H
#define APIBUS_SERVICES_AUTH_AUTH_H

#include "proto/events.h"
#include "services/auth/config.h"
#include "services/auth/hasher.h"
#include "services/auth/store.h"
#include "services/auth/tokens.h"
#include "services/runtime/service.h"

typedef struct st_auth_t {
    auth_config_t cfg;
    auth_store_t st;
    auth_hasher_t *hasher;
    auth_tokens_t tokens;
    auth_otp_keys_t otp_keys;
    /* an unknown e-mail is checked against this, so it costs what a wrong password costs */
    char dummy_hash[AUTH_HASH_MAX];
} auth_t;

extern const svc_def_t auth_service;

int auth_init(svc_t *svc);
void auth_fini(svc_t *svc);

/* public routes */
void auth_register(svc_ctx_t *ctx);
void auth_login(svc_ctx_t *ctx);
void auth_user_retrieve(svc_ctx_t *ctx);
void auth_user_update(svc_ctx_t *ctx);
void auth_password_change(svc_ctx_t *ctx);
void auth_logout(svc_ctx_t *ctx);
void auth_token_refresh(svc_ctx_t *ctx);
void auth_token_verify(svc_ctx_t *ctx);
void auth_verify_otp(svc_ctx_t *ctx);
void auth_otp_status(svc_ctx_t *ctx);
void auth_otp_setup(svc_ctx_t *ctx);
void auth_otp_confirm(svc_ctx_t *ctx);
void auth_otp_disable(svc_ctx_t *ctx);

/* internal routes */
void auth_session_check(svc_ctx_t *ctx);
void auth_users_list(svc_ctx_t *ctx);
void auth_users_create(svc_ctx_t *ctx);
void auth_users_set_password(svc_ctx_t *ctx);
void auth_users_deactivate(svc_ctx_t *ctx);
void auth_jwt_rotate(svc_ctx_t *ctx);
void auth_users_otp_reset(svc_ctx_t *ctx);

/* --- account.c: shared by the handlers -------------------------------------------------------- */

auth_t *auth_of(svc_ctx_t *ctx);
/* The request's read transaction, or a 500 reply and NULL. */
MDB_txn *auth_read_txn_or_500(svc_ctx_t *ctx);
/* The signed-in user (active), or a reply (401 when gone or inactive, 500) and -1. */
int auth_me_or_reply(svc_ctx_t *ctx, auth_user_t *u);
/* A string field of the validated input (NULL when absent), and its length. */
const char *auth_input_str(svc_ctx_t *ctx, const char *name, size_t *len);
/* Pegasus's CustomUser: {id, first_name, last_name, email, avatar_url, get_display_name}. */
json_t *auth_user_json(const auth_t *a, const auth_user_t *u);
/* {"access","refresh","user"} for a login at auth_us (dj-rest-auth's JWTSerializer), or a 500
 * reply and NULL. */
json_t *auth_jwt_pair_or_500(svc_ctx_t *ctx, const auth_user_t *u, int64_t auth_us);
/* 429 with Retry-After and DRF's Throttled detail. */
void auth_reply_throttled(svc_ctx_t *ctx, int64_t wait_s);
/* 400 {field: [the password rules' messages]} when password breaks a rule; returns -1 then. */
int auth_password_ok_or_400(svc_ctx_t *ctx, const char *field, const char *password, size_t len, const char *email);
/* Runs a write; on failure other than `expected` replies with the error. Returns the write's result. */
int auth_write_or_reply(svc_ctx_t *ctx, svc_write_fn fn, void *arg, int expected);
/* Publishes an event logged by a committed write (no-op for an event without a seq). */
void auth_publish(svc_ctx_t *ctx, const proto_event_t *ev);
/* Inside a write: stores a throttle counter (auth_store_throttle_put) and deletes up to
 * AUTH_THROTTLE_PRUNE_BUDGET stale ones (auth_store_throttle_prune), so the counters a spray of
 * failures creates go as fast as they come. Every write of a counter goes through here. */
#define AUTH_THROTTLE_PRUNE_BUDGET 2u
int auth_throttle_save(auth_t *a, MDB_txn *txn, const char *key, const auth_throttle_state_t *s, int64_t now_us);
/* The age (microseconds) past which no counter can change a decision any more under cfg. */
int64_t auth_throttle_prune_age_us(const auth_config_t *cfg);
/* Inside a write: voids the user's tokens and sessions from before now_us and logs the event. */
int auth_void_before(svc_t *svc, MDB_txn *txn, auth_user_t *u, int64_t now_us, proto_event_t *ev);

/* Sessions: a new one for user (in a write); its id goes into the Set-Cookie headers. */
typedef struct st_auth_new_session_t {
    char id[PROTO_SESSION_ID_LEN + 1];
    unsigned char hash[PROTO_SESSION_HASH_LEN];
    auth_session_t s;
} auth_new_session_t;
void auth_session_prepare(const auth_t *a, uint64_t user_id, int64_t now_us, auth_new_session_t *out);
int auth_session_store(const auth_t *a, MDB_txn *txn, const auth_new_session_t *ns);
/* Set-Cookie for the session and its CSRF token (Secure when the request came over HTTPS). */
void auth_session_cookies(svc_ctx_t *ctx, const auth_new_session_t *ns);
/* Set-Cookie headers that delete both cookies. */
void auth_session_clear_cookies(svc_ctx_t *ctx);
/* The hash of the session cookie the request carries; false when it has none. */
bool auth_session_of_request(svc_ctx_t *ctx, unsigned char hash[PROTO_SESSION_HASH_LEN]);

/* --- two-factor (otp.c, otp_login.c) ---------------------------------------------------------- */

#define AUTH_OTP_KEY_MAX 32 /* "o:" + a user id: the throttle key of wrong codes */
#define AUTH_OTP_TOKEN_TEXT 37 /* a UUID4 and its NUL */

/* The throttle key counting a user's wrong second-factor codes. */
void auth_otp_throttle_key(uint64_t user_id, char out[AUTH_OTP_KEY_MAX]);

/* Checks what the user typed against their enrolment at now_us: a 6-digit code of a time step
 * after the last one accepted (replays are refused), or, when allow_recovery, an unused recovery
 * code. On success updates *o (the step, or the code now used) for the caller to store, sets
 * *recovery_used, and returns 0; -1 otherwise (also when the secret does not open, logged). */
int auth_otp_check(const auth_t *a, uint64_t user_id, auth_otp_t *o, const char *code, size_t len, int64_t now_us,
                   bool allow_recovery, bool *recovery_used);

/* A temp_otp_token of a login waiting for its second step: the text goes to the client, only its
 * hash is stored. prepare runs anywhere; store inside the login's write. */
typedef struct st_auth_otp_token_t {
    char text[AUTH_OTP_TOKEN_TEXT];
    uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN];
    auth_otp_login_t login;
} auth_otp_token_t;
void auth_otp_token_prepare(const auth_t *a, uint64_t user_id, bool session, int64_t now_us, auth_otp_token_t *out);
int auth_otp_token_store(const auth_t *a, MDB_txn *txn, const auth_otp_token_t *t);

#endif
