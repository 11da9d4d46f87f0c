/*
 * The auth service: Pegasus's "Authentication APIs" (dj-rest-auth + Simple JWT) under
 * /api/auth/, browser sessions, and the internal operations the gateway and the `apibus`
 * command use under /_internal/auth/ (SVC_PERM_SYSTEM: never reachable over HTTP).
 *
 *   routes.c    models, the route table, init/fini      account.c  user JSON, tokens, sessions, throttle replies
 *   login.c     register, login                         user.c     user details, password change
 *   token.c     token refresh/verify, logout            internal.c session check, users, key rotation
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

/* internal routes */
void auth_session_check(svc_ctx_t *ctx);
void auth_users_list(svc_ctx_t *ctx);
void auth_users_create(svc_ctx_t *ctx);
void auth_users_set_password(svc_ctx_t *ctx);
void auth_users_deactivate(svc_ctx_t *ctx);
void auth_jwt_rotate(svc_ctx_t *ctx);

/* --- account.c: shared by the handlers -------------------------------------------------------- */

auth_t *auth_of(svc_ctx_t *ctx);
/* The request's read transaction, or a 500 reply and NULL. */
MDB_txn *auth_read_txn_or_500(svc_ctx_t *ctx);
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

#endif
