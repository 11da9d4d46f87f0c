/*
 * The signed-in user: details (GET/PUT/PATCH user/) and password change. Changing the password
 * voids every earlier token and session of the user at once (an event tells the gateways); a
 * browser that changed it through its session gets a new session, as Django's
 * update_session_auth_hash keeps the current one.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"

#define AUTH_MSG_TAKEN "A user is already registered with this e-mail address."

void auth_user_retrieve(svc_ctx_t *ctx)
{
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    svc_reply_json(ctx, 200, auth_user_json(auth_of(ctx), u));
}

typedef struct st_auth_user_write_t {
    auth_t *a;
    svc_t *svc;
    json_t *input;
    auth_user_t user;
} auth_user_write_t;

static int auth__user_write(MDB_txn *txn, void *arg)
{
    auth_user_write_t *w = arg;
    int rc = auth_store_user_get(&w->a->st, txn, w->user.id, &w->user);
    if (rc != 0)
        return rc;
    json_t *v;
    if ((v = json_object_get(w->input, "first_name")) != NULL)
        snprintf(w->user.first_name, sizeof w->user.first_name, "%s", json_string_value(v));
    if ((v = json_object_get(w->input, "last_name")) != NULL)
        snprintf(w->user.last_name, sizeof w->user.last_name, "%s", json_string_value(v));
    if ((v = json_object_get(w->input, "email")) != NULL &&
        auth_email_normalize(json_string_value(v), json_string_length(v), w->user.email) < 0)
        return -PROTO_ERR_BAD_REQUEST;
    return auth_store_user_put(&w->a->st, w->svc, txn, &w->user);
}

void auth_user_update(svc_ctx_t *ctx)
{
    auth_user_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    if (auth_me_or_reply(ctx, &w->user) != 0)
        return;
    w->a = auth_of(ctx);
    w->svc = svc_service(ctx);
    w->input = svc_input(ctx);
    int rc = auth_write_or_reply(ctx, auth__user_write, w, -PROTO_ERR_BAD_REQUEST);
    if (rc == -PROTO_ERR_BAD_REQUEST) {
        svc_reply_field_error(ctx, "email", AUTH_MSG_TAKEN);
        return;
    }
    if (rc == 0)
        svc_reply_json(ctx, 200, auth_user_json(w->a, &w->user));
}

/* --- password change ----------------------------------------------------------------------------- */

typedef struct st_auth_password_write_t {
    auth_t *a;
    svc_t *svc;
    uint64_t user_id;
    char hash[AUTH_HASH_MAX];
    int64_t now_us;
    bool new_session;
    auth_new_session_t ns;
    unsigned char old_session[PROTO_SESSION_HASH_LEN];
    proto_event_t ev;
} auth_password_write_t;

static int auth__password_write(MDB_txn *txn, void *arg)
{
    auth_password_write_t *w = arg;
    auth_user_t *u = malloc(sizeof *u);
    if (u == NULL)
        return -PROTO_ERR_NO_MEMORY;
    int rc = auth_store_user_get(&w->a->st, txn, w->user_id, u);
    if (rc == 0) {
        snprintf(u->password, sizeof u->password, "%s", w->hash);
        rc = auth_void_before(w->svc, txn, u, w->now_us, &w->ev);
    }
    if (rc == 0)
        rc = auth_store_user_put(&w->a->st, w->svc, txn, u);
    if (rc == 0 && w->new_session) {
        /* the session that changed the password is over too; its browser continues in a new one */
        if ((rc = auth_store_session_del(&w->a->st, txn, w->old_session)) == 0)
            rc = auth_session_store(w->a, txn, &w->ns);
    }
    sodium_memzero(u, sizeof *u);
    free(u);
    return rc;
}

void auth_password_change(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    size_t olen, n1len, n2len;
    const char *old = auth_input_str(ctx, "old_password", &olen);
    const char *n1 = auth_input_str(ctx, "new_password1", &n1len), *n2 = auth_input_str(ctx, "new_password2", &n2len);
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    bool ok = false, rehash;
    int rc = auth_hasher_verify(a->hasher, u->password, old, olen, &ok, &rehash);
    if (rc != 0) {
        svc_reply_header(ctx, "retry-after", "1");
        svc_reply_error(ctx, rc);
        return;
    }
    if (!ok) {
        svc_reply_field_error(ctx, "old_password", "Your old password was entered incorrectly. Please enter it again.");
        return;
    }
    if (n1len != n2len || memcmp(n1, n2, n1len) != 0) {
        svc_reply_field_error(ctx, "new_password2", "The two password fields didn\u2019t match.");
        return;
    }
    if (auth_password_ok_or_400(ctx, "new_password2", n2, n2len, u->email) != 0)
        return;
    auth_password_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = a;
    w->svc = svc_service(ctx);
    w->user_id = u->id;
    w->now_us = svc_now_us();
    if ((rc = auth_hasher_hash(a->hasher, n1, n1len, w->hash)) != 0) {
        svc_reply_header(ctx, "retry-after", "1");
        svc_reply_error(ctx, rc);
        return;
    }
    w->new_session = svc_principal(ctx)->cred == PROTO_CRED_SESSION && auth_session_of_request(ctx, w->old_session);
    if (w->new_session)
        /* created after the change, so the new "valid after" time does not void it */
        auth_session_prepare(a, u->id, w->now_us, &w->ns);
    rc = auth_write_or_reply(ctx, auth__password_write, w, 0);
    sodium_memzero(w->hash, sizeof w->hash);
    if (rc != 0)
        return;
    auth_publish(ctx, &w->ev);
    svc_log("info", "user %llu changed their password: earlier tokens and sessions are void",
            (unsigned long long)u->id);
    if (w->new_session)
        auth_session_cookies(ctx, &w->ns);
    svc_reply_json(ctx, 200, json_pack("{s:s}", "detail", "New password has been saved."));
}
