/*
 * Two-factor enrolment for the signed-in user: status, setup (a new secret and its otpauth://
 * URI), confirm with a first code (only then is it on, and the recovery codes are shown, once),
 * and disable (with a code, a recovery code, or the password). Every check of a code runs inside
 * the write that records its outcome, so two requests racing with one code cannot both pass, and
 * wrong codes count against the same per-user throttle as the login's second step.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"

#define AUTH_MSG_BAD_CODE "Invalid OTP code."
#define AUTH_MSG_ALREADY "Two-factor authentication is already on: turn it off first."
#define AUTH_MSG_NOT_ON "Two-factor authentication is not on."

void auth_otp_throttle_key(uint64_t user_id, char out[AUTH_OTP_KEY_MAX])
{
    snprintf(out, AUTH_OTP_KEY_MAX, "o:%llu", (unsigned long long)user_id);
}

int auth_otp_check(const auth_t *a, uint64_t user_id, auth_otp_t *o, const char *code, size_t len, int64_t now_us,
                   bool allow_recovery, bool *recovery_used)
{
    char digits[AUTH_TOTP_CODE_MAX], canonical[AUTH_RECOVERY_CHARS + 1];
    size_t n = 0;
    *recovery_used = false;
    /* apps show "123 456": spaces are not part of the code */
    for (size_t i = 0; i < len && n < sizeof digits - 1; i++)
        if (code[i] != ' ')
            digits[n++] = code[i];
    digits[n] = '\0';
    bool numeric = n == AUTH_TOTP_DIGITS && strspn(digits, "0123456789") == n;
    if (numeric) {
        uint8_t secret[AUTH_TOTP_SECRET_LEN];
        if (auth_otp_open(&a->otp_keys, user_id, o->sealed, secret) != 0) {
            svc_log("error", "the TOTP secret of user %llu does not open: was the OTP key changed?",
                    (unsigned long long)user_id);
            return -1;
        }
        int64_t step = auth_totp_match(secret, sizeof secret, digits, n, auth_totp_step(now_us / 1000000),
                                       o->last_step);
        sodium_memzero(secret, sizeof secret);
        if (step < 0)
            return -1;
        o->last_step = step;
        return 0;
    }
    if (!allow_recovery || auth_recovery_normalize(code, len, canonical) != 0)
        return -1;
    uint8_t h[AUTH_RECOVERY_HASH_LEN];
    int found = -1;
    auth_recovery_hash(a->otp_keys.recovery, canonical, h);
    for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
        if (sodium_memcmp(o->recovery[i], h, sizeof h) == 0 && o->recovery_left[i])
            found = i;
    if (found < 0)
        return -1;
    o->recovery_left[found] = false;
    sodium_memzero(o->recovery[found], sizeof o->recovery[found]);
    *recovery_used = true;
    return 0;
}

void auth_otp_status(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    auth_otp_t *o = svc_alloc(ctx, sizeof *o);
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    int rc = auth_store_otp_get(&a->st, svc_read_txn(ctx), u->id, o);
    if (rc != 0 && rc != -PROTO_ERR_NOT_FOUND) {
        svc_reply_error(ctx, rc);
        return;
    }
    int left = 0;
    for (int i = 0; rc == 0 && i < AUTH_RECOVERY_CODES; i++)
        left += o->recovery_left[i];
    svc_reply_json(ctx, 200,
                   json_pack("{s:b, s:b, s:i}", "enabled", rc == 0 && o->active, "pending", rc == 0 && !o->active,
                             "recovery_codes_left", left));
}

/* --- the outcome of a write that checks a code -------------------------------------------------- */

typedef enum en_auth_otp_outcome_t {
    AUTH_OTP_DONE,
    AUTH_OTP_WRONG,     /* a wrong code (or password): counted */
    AUTH_OTP_THROTTLED, /* too many wrong ones lately: not even checked */
    AUTH_OTP_NOT_ON,    /* nothing to confirm or disable */
    AUTH_OTP_ALREADY    /* already on */
} auth_otp_outcome_t;

typedef struct st_auth_otp_write_t {
    auth_t *a;
    uint64_t user_id;
    int64_t now_us;
    const char *code; /* NULL: disable by password */
    size_t code_len;
    bool password_ok;
    auth_otp_t otp; /* setup: the new enrolment */
    char key[AUTH_OTP_KEY_MAX];
    char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_TEXT]; /* confirm: shown once */
    auth_otp_outcome_t outcome;
    int64_t wait_s;
} auth_otp_write_t;

static auth_otp_write_t *auth__otp_write_new(svc_ctx_t *ctx, const auth_user_t *u)
{
    auth_otp_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = auth_of(ctx);
    w->user_id = u->id;
    w->now_us = svc_now_us();
    auth_otp_throttle_key(u->id, w->key);
    return w;
}

/* Counts a wrong answer (inside the write that found it wrong). */
static int auth__otp_wrong(MDB_txn *txn, auth_otp_write_t *w)
{
    auth_throttle_state_t ts;
    int rc = auth_store_throttle_get(&w->a->st, txn, w->key, &ts);
    if (rc != 0)
        return rc;
    auth_throttle_fail(&w->a->cfg.otp_user, &ts, w->now_us);
    w->outcome = AUTH_OTP_WRONG;
    return auth_throttle_save(w->a, txn, w->key, &ts, w->now_us);
}

/* True (with the outcome set) while the user must wait before another code is looked at. */
static int auth__otp_throttled(MDB_txn *txn, auth_otp_write_t *w, bool *throttled)
{
    auth_throttle_state_t ts;
    int rc = auth_store_throttle_get(&w->a->st, txn, w->key, &ts);
    w->wait_s = rc == 0 ? auth_throttle_wait(&w->a->cfg.otp_user, &ts, w->now_us) : 0;
    *throttled = w->wait_s > 0;
    if (*throttled)
        w->outcome = AUTH_OTP_THROTTLED;
    return rc;
}

/* Replies for an outcome other than DONE; returns -1 then. */
static int auth__otp_outcome_or_reply(svc_ctx_t *ctx, const auth_otp_write_t *w, const char *wrong_field,
                                      const char *wrong_msg)
{
    switch (w->outcome) {
    case AUTH_OTP_DONE: return 0;
    case AUTH_OTP_WRONG: svc_reply_field_error(ctx, wrong_field, wrong_msg); break;
    case AUTH_OTP_THROTTLED: auth_reply_throttled(ctx, w->wait_s); break;
    case AUTH_OTP_NOT_ON: svc_reply_field_error(ctx, NULL, AUTH_MSG_NOT_ON); break;
    case AUTH_OTP_ALREADY: svc_reply_field_error(ctx, NULL, AUTH_MSG_ALREADY); break;
    }
    return -1;
}

/* --- setup ------------------------------------------------------------------------------------------ */

static int auth__otp_setup_write(MDB_txn *txn, void *arg)
{
    auth_otp_write_t *w = arg;
    bool active;
    int rc = auth_store_otp_active(&w->a->st, txn, w->user_id, &active);
    if (rc != 0)
        return rc;
    if (active) {
        w->outcome = AUTH_OTP_ALREADY;
        return 0;
    }
    /* a setup started earlier and never confirmed is simply replaced */
    return auth_store_otp_put(&w->a->st, txn, w->user_id, &w->otp);
}

void auth_otp_setup(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    auth_otp_write_t *w = auth__otp_write_new(ctx, u);
    uint8_t secret[AUTH_TOTP_SECRET_LEN];
    char b32[AUTH_TOTP_SECRET_B32 + 1], uri[1024];
    randombytes_buf(secret, sizeof secret);
    auth_otp_seal(&a->otp_keys, u->id, secret, w->otp.sealed);
    auth_base32_encode(secret, sizeof secret, b32, sizeof b32);
    sodium_memzero(secret, sizeof secret);
    w->otp.last_step = -1;
    w->otp.created_us = w->now_us;
    if (auth_totp_uri(a->cfg.otp_issuer, u->email, b32, uri, sizeof uri) != 0) {
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
        goto out;
    }
    if (auth_write_or_reply(ctx, auth__otp_setup_write, w, 0) != 0 ||
        auth__otp_outcome_or_reply(ctx, w, NULL, NULL) != 0)
        goto out;
    svc_reply_json(ctx, 200, json_pack("{s:s, s:s}", "secret", b32, "otpauth_url", uri));
out:
    sodium_memzero(b32, sizeof b32);
    sodium_memzero(uri, sizeof uri);
}

/* --- confirm ------------------------------------------------------------------------------------------ */

static int auth__otp_confirm_write(MDB_txn *txn, void *arg)
{
    auth_otp_write_t *w = arg;
    auth_otp_t *o = &w->otp;
    bool throttled, recovery;
    int rc = auth_store_otp_get(&w->a->st, txn, w->user_id, o);
    if (rc == -PROTO_ERR_NOT_FOUND) {
        w->outcome = AUTH_OTP_NOT_ON;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (o->active) {
        w->outcome = AUTH_OTP_ALREADY;
        return 0;
    }
    if ((rc = auth__otp_throttled(txn, w, &throttled)) != 0 || throttled)
        return rc;
    if (auth_otp_check(w->a, w->user_id, o, w->code, w->code_len, w->now_us, false, &recovery) != 0)
        return auth__otp_wrong(txn, w);
    o->active = true;
    o->confirmed_us = w->now_us;
    for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
        char canonical[AUTH_RECOVERY_CHARS + 1];
        auth_recovery_normalize(w->codes[i], strlen(w->codes[i]), canonical);
        auth_recovery_hash(w->a->otp_keys.recovery, canonical, o->recovery[i]);
        o->recovery_left[i] = true;
    }
    if ((rc = auth_store_otp_put(&w->a->st, txn, w->user_id, o)) != 0)
        return rc;
    return auth_store_throttle_del(&w->a->st, txn, w->key);
}

void auth_otp_confirm(svc_ctx_t *ctx)
{
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    auth_otp_write_t *w = auth__otp_write_new(ctx, u);
    w->code = auth_input_str(ctx, "otp", &w->code_len);
    for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
        auth_recovery_new(w->codes[i]);
    if (auth_write_or_reply(ctx, auth__otp_confirm_write, w, 0) == 0 &&
        auth__otp_outcome_or_reply(ctx, w, "otp", AUTH_MSG_BAD_CODE) == 0) {
        json_t *codes = json_array();
        for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
            json_array_append_new(codes, json_string(w->codes[i]));
        svc_log("info", "user %llu turned two-factor authentication on", (unsigned long long)u->id);
        svc_reply_json(ctx, 200,
                       json_pack("{s:s, s:o}", "detail", "Two-factor authentication is on.", "recovery_codes", codes));
    }
    sodium_memzero(w, sizeof *w);
}

/* --- disable ------------------------------------------------------------------------------------------ */

static int auth__otp_disable_write(MDB_txn *txn, void *arg)
{
    auth_otp_write_t *w = arg;
    auth_otp_t *o = &w->otp;
    bool throttled, recovery;
    int rc = auth_store_otp_get(&w->a->st, txn, w->user_id, o);
    if (rc == -PROTO_ERR_NOT_FOUND) {
        w->outcome = AUTH_OTP_NOT_ON;
        return 0;
    }
    if (rc != 0 || (rc = auth__otp_throttled(txn, w, &throttled)) != 0 || throttled)
        return rc;
    bool ok = w->code != NULL
                  ? auth_otp_check(w->a, w->user_id, o, w->code, w->code_len, w->now_us, true, &recovery) == 0
                  : w->password_ok;
    if (!ok)
        return auth__otp_wrong(txn, w);
    if ((rc = auth_store_otp_del(&w->a->st, txn, w->user_id)) != 0)
        return rc;
    return auth_store_throttle_del(&w->a->st, txn, w->key);
}

void auth_otp_disable(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    auth_user_t *u = svc_alloc(ctx, sizeof *u);
    size_t plen;
    if (auth_me_or_reply(ctx, u) != 0)
        return;
    auth_otp_write_t *w = auth__otp_write_new(ctx, u);
    const char *password = auth_input_str(ctx, "password", &plen);
    w->code = auth_input_str(ctx, "otp", &w->code_len);
    if (w->code != NULL && w->code_len == 0)
        w->code = NULL;
    if (w->code == NULL && password == NULL) {
        svc_reply_field_error(ctx, NULL, "Give a code from the authenticator app, a recovery code, or the password.");
        return;
    }
    if (w->code == NULL) {
        /* a throttled user costs no hash: the write would refuse it anyway */
        auth_throttle_state_t ts;
        MDB_txn *txn = auth_read_txn_or_500(ctx);
        if (txn == NULL || auth_store_throttle_get(&a->st, txn, w->key, &ts) != 0) {
            if (txn != NULL)
                svc_reply_error(ctx, -PROTO_ERR_STORAGE);
            return;
        }
        int64_t wait = auth_throttle_wait(&a->cfg.otp_user, &ts, w->now_us);
        if (wait > 0) {
            auth_reply_throttled(ctx, wait);
            return;
        }
        bool rehash;
        int rc = auth_hasher_verify(a->hasher, u->password, password, plen, &w->password_ok, &rehash);
        if (rc != 0) {
            svc_reply_header(ctx, "retry-after", "1");
            svc_reply_error(ctx, rc);
            return;
        }
    }
    if (auth_write_or_reply(ctx, auth__otp_disable_write, w, 0) != 0 ||
        auth__otp_outcome_or_reply(ctx, w, w->code != NULL ? "otp" : "password",
                                   w->code != NULL ? AUTH_MSG_BAD_CODE : "Your password was entered incorrectly.") != 0)
        return;
    svc_log("info", "user %llu turned two-factor authentication off", (unsigned long long)u->id);
    svc_reply_json(ctx, 200, json_pack("{s:s}", "detail", "Two-factor authentication is off."));
}
