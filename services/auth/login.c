/*
 * Registration and login. A login's answer and its cost do not depend on whether the e-mail
 * exists: an unknown address is checked against a dummy hash, counts against the same throttle
 * key, and fails with the same body. A user with two-factor on gets no token and no session
 * here, only a temp_otp_token for verify-otp/ (otp_login.c).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "services/auth/auth.h"
#include "services/auth/password.h"

#define AUTH_MSG_BAD_LOGIN "Unable to log in with provided credentials."
#define AUTH_MSG_TAKEN "A user is already registered with this e-mail address."
#define AUTH_KEY_MAX (AUTH_EMAIL_MAX + 64)

/* Throttle keys: "a:" + the account's e-mail key (whether or not it exists), "i:" / "r:" +
 * the client address. */
static void auth__account_key(const char *email, size_t len, char out[AUTH_KEY_MAX])
{
    char key[AUTH_EMAIL_MAX + 1];
    int n = auth_email_key(email, len, key);
    if (n < 0) /* not an address: still one key per spelling */
        n = snprintf(key, sizeof key, "%.*s", (int)(len > AUTH_EMAIL_MAX ? AUTH_EMAIL_MAX : len), email);
    snprintf(out, AUTH_KEY_MAX, "a:%s", key);
}

static void auth__client_key(svc_ctx_t *ctx, char prefix, char out[AUTH_KEY_MAX])
{
    proto_str_t ip = svc_request(ctx)->client;
    snprintf(out, AUTH_KEY_MAX, "%c:%.*s", prefix, (int)(ip.len > 60 ? 60 : ip.len), ip.ptr);
}

/* --- login -------------------------------------------------------------------------------------- */

typedef struct st_auth_login_write_t {
    auth_t *a;
    svc_t *svc;
    bool ok;
    uint64_t user_id;
    char account_key[AUTH_KEY_MAX], client_key[AUTH_KEY_MAX];
    int64_t now_us;
    const char *rehash; /* a stronger hash of the password, or NULL */
    bool session;
    auth_new_session_t ns;
    auth_otp_token_t otp_token;
    bool otp_required; /* out: the second step is due; otp_token was stored instead of a session */
    auth_user_t user;  /* out: the user as stored */
} auth_login_write_t;

static int auth__login_write(MDB_txn *txn, void *arg)
{
    auth_login_write_t *w = arg;
    const auth_store_t *st = &w->a->st;
    auth_throttle_state_t ts;
    int rc;
    if (!w->ok) {
        /* counted inside the write, so concurrent failures are never lost */
        if ((rc = auth_store_throttle_get(st, txn, w->account_key, &ts)) != 0)
            return rc;
        auth_throttle_fail(&w->a->cfg.account, &ts, w->now_us);
        if ((rc = auth_throttle_save(w->a, txn, w->account_key, &ts, w->now_us)) != 0 ||
            (rc = auth_store_throttle_get(st, txn, w->client_key, &ts)) != 0)
            return rc;
        auth_throttle_fail(&w->a->cfg.address, &ts, w->now_us);
        return auth_throttle_save(w->a, txn, w->client_key, &ts, w->now_us);
    }
    if ((rc = auth_store_user_get(st, txn, w->user_id, &w->user)) != 0 ||
        (rc = auth_store_otp_active(st, txn, w->user_id, &w->otp_required)) != 0)
        return rc;
    /* Simple JWT's UPDATE_LAST_LOGIN, on in Pegasus; with two-factor the login ends at verify-otp/ */
    if (!w->otp_required)
        w->user.last_login_us = w->now_us;
    if (w->rehash != NULL)
        snprintf(w->user.password, sizeof w->user.password, "%s", w->rehash);
    if (!w->user.newer && (rc = auth_store_user_put(st, w->svc, txn, &w->user)) != 0)
        return rc;
    /* the password was right: its throttle has done its job either way */
    if ((rc = auth_store_throttle_del(st, txn, w->account_key)) != 0)
        return rc;
    if (w->otp_required)
        return auth_otp_token_store(w->a, txn, &w->otp_token);
    return w->session ? auth_session_store(w->a, txn, &w->ns) : 0;
}

/* Both throttle keys; replies 429 and returns -1 while either must wait. */
static int auth__login_throttle_or_429(svc_ctx_t *ctx, MDB_txn *txn, const auth_login_write_t *w)
{
    auth_t *a = w->a;
    auth_throttle_state_t acc, adr;
    if (auth_store_throttle_get(&a->st, txn, w->account_key, &acc) != 0 ||
        auth_store_throttle_get(&a->st, txn, w->client_key, &adr) != 0) {
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
        return -1;
    }
    int64_t wait = auth_throttle_wait(&a->cfg.account, &acc, w->now_us);
    int64_t wait_adr = auth_throttle_wait(&a->cfg.address, &adr, w->now_us);
    if (wait_adr > wait)
        wait = wait_adr;
    if (wait == 0)
        return 0;
    auth_reply_throttled(ctx, wait);
    return -1;
}

/* The credentials are good: tokens (and the session), or, with two-factor on, Pegasus's
 * "otp_required" answer and nothing that grants access. */
static void auth__login_complete(svc_ctx_t *ctx, auth_login_write_t *w)
{
    if (w->otp_required) {
        svc_reply_json(ctx, 200,
                       json_pack("{s:s, s:s, s:s}", "status", "otp_required", "detail", "OTP required for 2FA",
                                 "temp_otp_token", w->otp_token.text));
        sodium_memzero(w->otp_token.text, sizeof w->otp_token.text);
        return;
    }
    json_t *jwt = auth_jwt_pair_or_500(ctx, &w->user, w->now_us);
    if (jwt == NULL)
        return;
    if (w->session)
        auth_session_cookies(ctx, &w->ns);
    svc_reply_json(ctx, 200,
                   json_pack("{s:s, s:s, s:o}", "status", "success", "detail", "User logged in.", "jwt", jwt));
}

void auth_login(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    size_t elen, plen;
    const char *email = auth_input_str(ctx, "email", &elen);
    const char *password = auth_input_str(ctx, "password", &plen);
    if (email == NULL || elen == 0)
        email = auth_input_str(ctx, "username", &elen);
    if (email == NULL || elen == 0 || password == NULL) {
        svc_reply_field_error(ctx, NULL, "Must include \"email\" and \"password\".");
        return;
    }
    static auth_login_write_t zero;
    auth_login_write_t *w = svc_alloc(ctx, sizeof *w);
    *w = zero;
    w->a = a;
    w->svc = svc_service(ctx);
    w->now_us = svc_now_us();
    w->session = json_is_true(json_object_get(svc_input(ctx), "session"));
    auth__account_key(email, elen, w->account_key);
    auth__client_key(ctx, 'i', w->client_key);

    MDB_txn *txn = auth_read_txn_or_500(ctx);
    if (txn == NULL || auth__login_throttle_or_429(ctx, txn, w) != 0)
        return;
    char normalized[AUTH_EMAIL_MAX + 1];
    int found = auth_email_normalize(email, elen, normalized) < 0
                    ? -PROTO_ERR_NOT_FOUND
                    : auth_store_user_by_email(&a->st, txn, normalized, &w->user);
    if (found != 0 && found != -PROTO_ERR_NOT_FOUND) {
        svc_reply_error(ctx, found);
        return;
    }
    bool known = found == 0 && w->user.is_active;
    bool ok = false, rehash = false;
    int rc = auth_hasher_verify(a->hasher, known ? w->user.password : a->dummy_hash, password, plen, &ok, &rehash);
    if (rc != 0) {
        svc_reply_header(ctx, "retry-after", "1");
        svc_reply_error(ctx, rc);
        return;
    }
    w->ok = known && ok;
    w->user_id = w->user.id;
    char stronger[AUTH_HASH_MAX];
    /* parameters were raised since this hash was made: store the password at today's cost */
    if (w->ok && rehash && auth_hasher_hash(a->hasher, password, plen, stronger) == 0)
        w->rehash = stronger;
    if (w->ok && w->session)
        auth_session_prepare(a, w->user_id, w->now_us, &w->ns);
    if (w->ok) /* used only when the write finds two-factor on */
        auth_otp_token_prepare(a, w->user_id, w->session, w->now_us, &w->otp_token);
    rc = auth_write_or_reply(ctx, auth__login_write, w, 0);
    sodium_memzero(stronger, sizeof stronger);
    if (rc != 0)
        return;
    if (!w->ok) {
        svc_reply_field_error(ctx, NULL, AUTH_MSG_BAD_LOGIN);
        return;
    }
    auth__login_complete(ctx, w);
}

/* --- registration ------------------------------------------------------------------------------ */

typedef struct st_auth_register_write_t {
    auth_t *a;
    svc_t *svc;
    char client_key[AUTH_KEY_MAX];
    int64_t now_us;
    auth_user_t user;
} auth_register_write_t;

static int auth__register_write(MDB_txn *txn, void *arg)
{
    auth_register_write_t *w = arg;
    auth_throttle_state_t ts;
    int rc = auth_store_user_put(&w->a->st, w->svc, txn, &w->user);
    if (rc != 0 || (rc = auth_store_throttle_get(&w->a->st, txn, w->client_key, &ts)) != 0)
        return rc;
    auth_throttle_window_count(&ts, w->now_us);
    return auth_throttle_save(w->a, txn, w->client_key, &ts, w->now_us);
}

void auth_register(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    size_t elen, p1len, p2len, len;
    const char *email = auth_input_str(ctx, "email", &elen);
    const char *p1 = auth_input_str(ctx, "password1", &p1len), *p2 = auth_input_str(ctx, "password2", &p2len);
    auth_register_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = a;
    w->svc = svc_service(ctx);
    w->now_us = svc_now_us();
    auth__client_key(ctx, 'r', w->client_key);

    MDB_txn *txn = auth_read_txn_or_500(ctx);
    auth_throttle_state_t ts;
    if (txn == NULL)
        return;
    if (auth_store_throttle_get(&a->st, txn, w->client_key, &ts) != 0) {
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
        return;
    }
    int64_t wait = auth_throttle_window_wait(a->cfg.register_per_hour, &ts, w->now_us);
    if (wait > 0) {
        auth_reply_throttled(ctx, wait);
        return;
    }
    auth_user_t *u = &w->user;
    if (auth_email_normalize(email, elen, u->email) < 0) {
        svc_reply_field_error(ctx, "email", "Enter a valid email address.");
        return;
    }
    if (auth_store_user_by_email(&a->st, txn, u->email, &(auth_user_t){0}) == 0) {
        svc_reply_field_error(ctx, "email", AUTH_MSG_TAKEN);
        return;
    }
    if (auth_password_ok_or_400(ctx, "password1", p1, p1len, u->email) != 0)
        return;
    if (p1len != p2len || memcmp(p1, p2, p1len) != 0) {
        svc_reply_field_error(ctx, NULL, "The two password fields didn't match.");
        return;
    }
    const char *first = auth_input_str(ctx, "first_name", &len);
    snprintf(u->first_name, sizeof u->first_name, "%s", first != NULL ? first : "");
    const char *last = auth_input_str(ctx, "last_name", &len);
    snprintf(u->last_name, sizeof u->last_name, "%s", last != NULL ? last : "");
    u->is_active = true;
    u->created_us = u->last_login_us = w->now_us;
    int rc = auth_hasher_hash(a->hasher, p1, p1len, u->password);
    if (rc != 0) {
        svc_reply_header(ctx, "retry-after", "1");
        svc_reply_error(ctx, rc);
        return;
    }
    if ((rc = auth_write_or_reply(ctx, auth__register_write, w, -PROTO_ERR_BAD_REQUEST)) != 0) {
        if (rc == -PROTO_ERR_BAD_REQUEST) /* taken meanwhile by a concurrent registration */
            svc_reply_field_error(ctx, "email", AUTH_MSG_TAKEN);
        return;
    }
    svc_log("info", "user %llu registered", (unsigned long long)u->id);
    json_t *jwt = auth_jwt_pair_or_500(ctx, u, w->now_us);
    if (jwt != NULL)
        svc_reply_json(ctx, 201, jwt);
}
