/*
 * Internal operations (SVC_PERM_SYSTEM, under /_internal/auth/): the gateway's session check,
 * and what the `apibus` command does to accounts and keys. They change data exactly as the API
 * does, so they publish the same events.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"

/* POST {"session_hash": hex} -> {"user_id","is_staff","created_us","expires_us"}, or 404 when
 * the session is unknown, expired, voided by a password change or deactivation, or its user
 * inactive. The gateway caches the answer briefly. */
void auth_session_check(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    size_t len;
    const char *hex = auth_input_str(ctx, "session_hash", &len);
    unsigned char hash[PROTO_SESSION_HASH_LEN];
    size_t bin_len = 0;
    if (hex == NULL || sodium_hex2bin(hash, sizeof hash, hex, len, NULL, &bin_len, NULL) != 0 ||
        bin_len != sizeof hash) {
        svc_reply_field_error(ctx, "session_hash", "Expected 64 hex digits.");
        return;
    }
    MDB_txn *txn = auth_read_txn_or_500(ctx);
    auth_session_t s;
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    if (txn == NULL)
        return;
    int rc = auth_store_session_get(&a->st, txn, hash, &s);
    if (rc == 0)
        rc = auth_store_user_get(&a->st, txn, s.user_id, u);
    if (rc == 0 && (!u->is_active || s.expires_us <= svc_now_us() || s.created_us < u->valid_after_us))
        rc = -PROTO_ERR_NOT_FOUND;
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200,
                   json_pack("{s:I, s:b, s:I, s:I}", "user_id", (json_int_t)u->id, "is_staff", u->is_staff,
                             "created_us", (json_int_t)s.created_us, "expires_us", (json_int_t)s.expires_us));
}

static json_t *auth__user_admin_json(const auth_user_t *u)
{
    char joined[32], last[32];
    svc_format_time(u->created_us, joined);
    svc_format_time(u->last_login_us, last);
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:s, s:s?}", "id", (json_int_t)u->id, "email", u->email,
                     "first_name", u->first_name, "last_name", u->last_name, "is_staff", u->is_staff, "is_active",
                     u->is_active, "date_joined", joined, "last_login", u->last_login_us != 0 ? last : NULL);
}

static int auth__list_one(const auth_user_t *u, void *arg)
{
    json_array_append_new(arg, auth__user_admin_json(u));
    return 0;
}

void auth_users_list(svc_ctx_t *ctx)
{
    MDB_txn *txn = auth_read_txn_or_500(ctx);
    if (txn == NULL)
        return;
    json_t *list = json_array();
    int rc = auth_store_users_each(&auth_of(ctx)->st, txn, auth__list_one, list);
    if (rc != 0) {
        json_decref(list);
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_json(ctx, 200, list);
}

/* --- changes to one account ------------------------------------------------------------------- */

typedef enum en_auth_admin_op_t { AUTH_ADMIN_CREATE, AUTH_ADMIN_PASSWORD, AUTH_ADMIN_DEACTIVATE } auth_admin_op_t;

typedef struct st_auth_admin_write_t {
    auth_t *a;
    svc_t *svc;
    auth_admin_op_t op;
    char email[AUTH_EMAIL_MAX + 1];
    char hash[AUTH_HASH_MAX];
    bool is_staff;
    int64_t now_us;
    auth_user_t user;
    proto_event_t ev;
} auth_admin_write_t;

static int auth__admin_write(MDB_txn *txn, void *arg)
{
    auth_admin_write_t *w = arg;
    auth_user_t *u = &w->user;
    int rc;
    if (w->op == AUTH_ADMIN_CREATE) {
        memset(u, 0, sizeof *u);
        snprintf(u->email, sizeof u->email, "%s", w->email);
        snprintf(u->password, sizeof u->password, "%s", w->hash);
        u->is_staff = w->is_staff;
        u->is_active = true;
        u->created_us = w->now_us;
        return auth_store_user_put(&w->a->st, w->svc, txn, u);
    }
    if ((rc = auth_store_user_by_email(&w->a->st, txn, w->email, u)) != 0)
        return rc;
    if (w->op == AUTH_ADMIN_PASSWORD)
        snprintf(u->password, sizeof u->password, "%s", w->hash);
    else
        u->is_active = false;
    if ((rc = auth_void_before(w->svc, txn, u, w->now_us, &w->ev)) != 0)
        return rc;
    return auth_store_user_put(&w->a->st, w->svc, txn, u);
}

static void auth__admin(svc_ctx_t *ctx, auth_admin_op_t op)
{
    auth_t *a = auth_of(ctx);
    size_t elen, plen = 0;
    const char *email = auth_input_str(ctx, "email", &elen);
    const char *password = op == AUTH_ADMIN_DEACTIVATE ? NULL : auth_input_str(ctx, "password", &plen);
    auth_admin_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = a;
    w->svc = svc_service(ctx);
    w->op = op;
    w->now_us = svc_now_us();
    w->is_staff = json_is_true(json_object_get(svc_input(ctx), "is_staff"));
    if (auth_email_normalize(email, elen, w->email) < 0) {
        svc_reply_field_error(ctx, "email", "Enter a valid email address.");
        return;
    }
    if (password != NULL) {
        if (auth_password_ok_or_400(ctx, "password", password, plen, w->email) != 0)
            return;
        int rc = auth_hasher_hash(a->hasher, password, plen, w->hash);
        if (rc != 0) {
            svc_reply_error(ctx, rc);
            return;
        }
    }
    int rc = svc_write(ctx, auth__admin_write, w);
    sodium_memzero(w->hash, sizeof w->hash);
    if (rc == -PROTO_ERR_BAD_REQUEST) {
        svc_reply_field_error(ctx, "email", "A user is already registered with this e-mail address.");
        return;
    }
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    auth_publish(ctx, &w->ev);
    static const char *const what[] = {"created", "given a new password", "deactivated"};
    svc_log("info", "user %llu %s by the operator", (unsigned long long)w->user.id, what[op]);
    svc_reply_json(ctx, op == AUTH_ADMIN_CREATE ? 201 : 200, auth__user_admin_json(&w->user));
}

void auth_users_create(svc_ctx_t *ctx)
{
    auth__admin(ctx, AUTH_ADMIN_CREATE);
}

void auth_users_set_password(svc_ctx_t *ctx)
{
    auth__admin(ctx, AUTH_ADMIN_PASSWORD);
}

void auth_users_deactivate(svc_ctx_t *ctx)
{
    auth__admin(ctx, AUTH_ADMIN_DEACTIVATE);
}

/* --- two-factor reset ----------------------------------------------------------------------------- */

typedef struct st_auth_otp_reset_write_t {
    auth_t *a;
    char email[AUTH_EMAIL_MAX + 1];
    auth_user_t user;
    bool was_on;
} auth_otp_reset_write_t;

static int auth__otp_reset_write(MDB_txn *txn, void *arg)
{
    auth_otp_reset_write_t *w = arg;
    char key[AUTH_OTP_KEY_MAX];
    int rc = auth_store_user_by_email(&w->a->st, txn, w->email, &w->user);
    if (rc != 0 || (rc = auth_store_otp_active(&w->a->st, txn, w->user.id, &w->was_on)) != 0 ||
        (rc = auth_store_otp_del(&w->a->st, txn, w->user.id)) != 0)
        return rc;
    /* waiting second steps need no clean-up: verify-otp/ refuses them once no enrolment is on */
    auth_otp_throttle_key(w->user.id, key);
    return auth_store_throttle_del(&w->a->st, txn, key);
}

/* POST {"email"} -> the user and "two_factor_was_on": for a user who lost their authenticator
 * and their recovery codes; they log in with the password alone and may enrol again. */
void auth_users_otp_reset(svc_ctx_t *ctx)
{
    size_t elen;
    const char *email = auth_input_str(ctx, "email", &elen);
    auth_otp_reset_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = auth_of(ctx);
    if (auth_email_normalize(email, elen, w->email) < 0) {
        svc_reply_field_error(ctx, "email", "Enter a valid email address.");
        return;
    }
    if (auth_write_or_reply(ctx, auth__otp_reset_write, w, 0) != 0)
        return;
    if (w->was_on)
        svc_log("info", "user %llu: two-factor authentication reset by the operator", (unsigned long long)w->user.id);
    json_t *body = auth__user_admin_json(&w->user);
    json_object_set_new(body, "two_factor_was_on", json_boolean(w->was_on));
    svc_reply_json(ctx, 200, body);
}

/* --- key rotation -------------------------------------------------------------------------------- */

typedef struct st_auth_rotate_write_t {
    svc_t *svc;
    proto_event_t ev;
} auth_rotate_write_t;

static int auth__rotate_write(MDB_txn *txn, void *arg)
{
    auth_rotate_write_t *w = arg;
    memset(&w->ev, 0, sizeof w->ev);
    w->ev.type = PROTO_EVENT_KEYRING_CHANGED;
    w->ev.at_us = svc_now_us();
    return svc_event_append(w->svc, txn, &w->ev);
}

void auth_jwt_rotate(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    char kid[PROTO_JWT_KID_LEN + 1], err[300];
    /* the old key verifies until the last token it signed has expired, plus the clock leeway */
    int64_t keep = (a->cfg.refresh_lifetime_s > a->cfg.access_lifetime_s ? a->cfg.refresh_lifetime_s
                                                                          : a->cfg.access_lifetime_s) +
                   a->cfg.leeway_s;
    if (auth_tokens_rotate(&a->tokens, keep, kid, err, sizeof err) != 0) {
        svc_log("error", "JWT key rotation refused: %s", err);
        svc_reply_json(ctx, 409, json_pack("{s:s}", "detail", err));
        return;
    }
    auth_rotate_write_t *w = svc_alloc(ctx, sizeof *w);
    w->svc = svc_service(ctx);
    if (svc_write(ctx, auth__rotate_write, w) == 0)
        auth_publish(ctx, &w->ev);
    svc_log("info", "JWT key rotated: new kid %s; the previous key stays valid for %lld s", kid, (long long)keep);
    svc_reply_json(ctx, 200, json_pack("{s:s, s:I}", "kid", kid, "previous_valid_for_s", (json_int_t)keep));
}
