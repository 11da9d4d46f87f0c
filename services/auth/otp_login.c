/*
 * The second step of a two-factor login (Pegasus's VerifyOTPView). login/ answered
 * "otp_required" with a temp_otp_token (a UUID4; only its SHA-256 is stored, with the user, the
 * expiry, whether the login asked for a session, and a count of wrong codes); verify-otp/ trades
 * it and a code for the tokens. The token is single-use, dies after a number of wrong codes, and
 * wrong codes also count per user, so starting new logins does not buy more guesses. Everything
 * is decided inside one write, so concurrent requests with one token or one code cannot both win.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"

/* Expired tokens looked at (and dropped) at each new one. */
#define AUTH_OTP_SWEEP 8

static void auth__otp_token_hash(const char *text, size_t len, uint8_t out[AUTH_OTP_TOKEN_HASH_LEN])
{
    crypto_hash_sha256(out, (const unsigned char *)text, len);
}

void auth_otp_token_prepare(const auth_t *a, uint64_t user_id, bool session, int64_t now_us, auth_otp_token_t *out)
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out->text, sizeof out->text,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
             b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    sodium_memzero(b, sizeof b);
    auth__otp_token_hash(out->text, strlen(out->text), out->hash);
    out->login = (auth_otp_login_t){.user_id = user_id, .created_us = now_us, .session = session,
                                    .expires_us = now_us + a->cfg.otp_token_lifetime_s * 1000000};
}

int auth_otp_token_store(const auth_t *a, MDB_txn *txn, const auth_otp_token_t *t)
{
    int rc = auth_store_otp_login_sweep(&a->st, txn, t->login.created_us, AUTH_OTP_SWEEP);
    return rc != 0 ? rc : auth_store_otp_login_put(&a->st, txn, t->hash, &t->login);
}

/* --- verify-otp/ -------------------------------------------------------------------------------------- */

typedef enum en_auth_verify_outcome_t {
    AUTH_VERIFY_OK,
    AUTH_VERIFY_EXPIRED,  /* unknown, expired, used up, or its user changed meanwhile */
    AUTH_VERIFY_WRONG,
    AUTH_VERIFY_THROTTLED
} auth_verify_outcome_t;

typedef struct st_auth_verify_write_t {
    auth_t *a;
    svc_t *svc;
    uint8_t hash[AUTH_OTP_TOKEN_HASH_LEN];
    const char *code;
    size_t code_len;
    int64_t now_us;
    auth_verify_outcome_t outcome;
    int64_t wait_s;
    bool recovery_used;
    auth_otp_login_t login;
    auth_user_t user;
    auth_otp_t otp;
    auth_new_session_t ns;
} auth_verify_write_t;

/* The token is no use any more: dropped, and the client told to log in again. */
static int auth__verify_expired(MDB_txn *txn, auth_verify_write_t *w)
{
    w->outcome = AUTH_VERIFY_EXPIRED;
    return auth_store_otp_login_del(&w->a->st, txn, w->hash);
}

static int auth__verify_wrong(MDB_txn *txn, auth_verify_write_t *w, const char *key)
{
    auth_throttle_state_t ts;
    int rc = auth_store_throttle_get(&w->a->st, txn, key, &ts);
    if (rc != 0)
        return rc;
    auth_throttle_fail(&w->a->cfg.otp_user, &ts, w->now_us);
    if ((rc = auth_throttle_save(w->a, txn, key, &ts, w->now_us)) != 0)
        return rc;
    w->outcome = AUTH_VERIFY_WRONG;
    /* the last wrong code the token allows still gets its answer; the next try finds no token */
    if (++w->login.attempts >= w->a->cfg.otp_token_attempts)
        return auth_store_otp_login_del(&w->a->st, txn, w->hash);
    return auth_store_otp_login_put(&w->a->st, txn, w->hash, &w->login);
}

static int auth__verify_write(MDB_txn *txn, void *arg)
{
    auth_verify_write_t *w = arg;
    const auth_store_t *st = &w->a->st;
    char key[AUTH_OTP_KEY_MAX];
    auth_throttle_state_t ts;
    int rc = auth_store_otp_login_get(st, txn, w->hash, &w->login);
    if (rc == -PROTO_ERR_NOT_FOUND) {
        w->outcome = AUTH_VERIFY_EXPIRED;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (w->login.expires_us <= w->now_us)
        return auth__verify_expired(txn, w);
    rc = auth_store_user_get(st, txn, w->login.user_id, &w->user);
    if (rc == -PROTO_ERR_NOT_FOUND)
        return auth__verify_expired(txn, w);
    if (rc != 0)
        return rc;
    /* deactivated, or the password changed, since the first step */
    if (!w->user.is_active || w->login.created_us < w->user.valid_after_us)
        return auth__verify_expired(txn, w);
    rc = auth_store_otp_get(st, txn, w->user.id, &w->otp);
    /* the operator reset two-factor meanwhile: a new login needs no code */
    if (rc == -PROTO_ERR_NOT_FOUND || (rc == 0 && !w->otp.active))
        return auth__verify_expired(txn, w);
    if (rc != 0)
        return rc;
    auth_otp_throttle_key(w->user.id, key);
    if ((rc = auth_store_throttle_get(st, txn, key, &ts)) != 0)
        return rc;
    if ((w->wait_s = auth_throttle_wait(&w->a->cfg.otp_user, &ts, w->now_us)) > 0) {
        w->outcome = AUTH_VERIFY_THROTTLED;
        return 0;
    }
    if (auth_otp_check(w->a, w->user.id, &w->otp, w->code, w->code_len, w->now_us, true, &w->recovery_used) != 0)
        return auth__verify_wrong(txn, w, key);
    w->outcome = AUTH_VERIFY_OK;
    w->user.last_login_us = w->now_us;
    if ((rc = auth_store_otp_put(st, txn, w->user.id, &w->otp)) != 0 ||
        (rc = auth_store_otp_login_del(st, txn, w->hash)) != 0 || (rc = auth_store_throttle_del(st, txn, key)) != 0 ||
        (!w->user.newer && (rc = auth_store_user_put(st, w->svc, txn, &w->user)) != 0))
        return rc;
    if (!w->login.session)
        return 0;
    auth_session_prepare(w->a, w->user.id, w->now_us, &w->ns);
    return auth_session_store(w->a, txn, &w->ns);
}

static void auth__verify_reply_status(svc_ctx_t *ctx, int http, const char *status, const char *detail)
{
    svc_reply_json(ctx, http, json_pack("{s:s, s:s}", "status", status, "detail", detail));
}

void auth_verify_otp(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    size_t tlen;
    const char *token = auth_input_str(ctx, "temp_otp_token", &tlen);
    auth_verify_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = a;
    w->svc = svc_service(ctx);
    w->now_us = svc_now_us();
    w->code = auth_input_str(ctx, "otp", &w->code_len);
    auth__otp_token_hash(token != NULL ? token : "", tlen, w->hash);
    if (token == NULL || w->code == NULL) {
        svc_reply_field_error(ctx, NULL, "Must include \"temp_otp_token\" and \"otp\".");
        return;
    }
    int rc = auth_write_or_reply(ctx, auth__verify_write, w, 0);
    sodium_memzero(&w->otp, sizeof w->otp);
    if (rc != 0)
        return;
    switch (w->outcome) {
    case AUTH_VERIFY_EXPIRED: auth__verify_reply_status(ctx, 401, "token_expired", "Invalid temporary token"); return;
    case AUTH_VERIFY_WRONG: auth__verify_reply_status(ctx, 400, "invalid_otp", "Invalid OTP code"); return;
    case AUTH_VERIFY_THROTTLED: auth_reply_throttled(ctx, w->wait_s); return;
    case AUTH_VERIFY_OK: break;
    }
    if (w->recovery_used)
        svc_log("info", "user %llu logged in with a recovery code", (unsigned long long)w->user.id);
    json_t *jwt = auth_jwt_pair_or_500(ctx, &w->user, w->now_us);
    if (jwt == NULL)
        return;
    if (w->login.session)
        auth_session_cookies(ctx, &w->ns);
    svc_reply_json(ctx, 200, jwt);
}
