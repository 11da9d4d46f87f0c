/*
 * What the auth handlers share: the user's JSON, token pairs, sessions and their cookies, the
 * throttled reply and the password-rule reply.
 */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/auth/auth.h"
#include "services/auth/password.h"

auth_t *auth_of(svc_ctx_t *ctx)
{
    return svc_data(svc_service(ctx));
}

MDB_txn *auth_read_txn_or_500(svc_ctx_t *ctx)
{
    MDB_txn *txn = svc_read_txn(ctx);
    if (txn == NULL)
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
    return txn;
}

int auth_me_or_reply(svc_ctx_t *ctx, auth_user_t *u)
{
    MDB_txn *txn = auth_read_txn_or_500(ctx);
    if (txn == NULL)
        return -1;
    int rc = auth_store_user_get(&auth_of(ctx)->st, txn, svc_principal(ctx)->user_id, u);
    if (rc == 0 && u->is_active)
        return 0;
    /* a token for a user that is gone or inactive: as if it had been refused at the door */
    svc_reply_error(ctx, rc == 0 || rc == -PROTO_ERR_NOT_FOUND ? -PROTO_ERR_TOKEN_NOT_VALID : rc);
    return -1;
}

const char *auth_input_str(svc_ctx_t *ctx, const char *name, size_t *len)
{
    json_t *v = json_object_get(svc_input(ctx), name);
    if (!json_is_string(v)) {
        *len = 0;
        return NULL;
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

/* Gravatar's address form: md5 of the trimmed, lower-cased e-mail. */
static void auth__avatar(const auth_t *a, const char *email, char *out, size_t cap)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char key[AUTH_EMAIL_MAX + 1], hex[2 * 16 + 1];
    int n = auth_email_key(email, strlen(email), key);
    if (a->cfg.avatar_base[0] == '\0' || n < 0) {
        snprintf(out, cap, "%s", "");
        return;
    }
    EVP_Digest(key, (size_t)n, md, &mdlen, EVP_md5(), NULL);
    sodium_bin2hex(hex, sizeof hex, md, mdlen < 16 ? mdlen : 16);
    snprintf(out, cap, "%s%s?s=128&d=identicon", a->cfg.avatar_base, hex);
}

json_t *auth_user_json(const auth_t *a, const auth_user_t *u)
{
    char avatar[512], display[2 * AUTH_NAME_MAX_BYTES + 2];
    auth__avatar(a, u->email, avatar, sizeof avatar);
    /* get_full_name().strip() or the e-mail, as Pegasus's CustomUser.get_display_name */
    snprintf(display, sizeof display, "%s%s%s", u->first_name, u->first_name[0] && u->last_name[0] ? " " : "",
             u->last_name);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)u->id, "first_name", u->first_name,
                     "last_name", u->last_name, "email", u->email, "avatar_url", avatar, "get_display_name",
                     display[0] != '\0' ? display : u->email);
}

json_t *auth_jwt_pair_or_500(svc_ctx_t *ctx, const auth_user_t *u, int64_t auth_us)
{
    auth_t *a = auth_of(ctx);
    int64_t now = (int64_t)time(NULL);
    proto_jwt_claims_t refresh = {.user_id = u->id, .is_staff = u->is_staff, .iat = now, .auth_us = auth_us,
                                  .exp = now + a->cfg.refresh_lifetime_s};
    snprintf(refresh.token_type, sizeof refresh.token_type, "refresh");
    /* the access token copies the refresh token's claims but type, exp and jti (Simple JWT) */
    proto_jwt_claims_t access = refresh;
    snprintf(access.token_type, sizeof access.token_type, "access");
    access.exp = now + a->cfg.access_lifetime_s;
    access.jti[0] = '\0';
    char *rt = auth_tokens_sign(&a->tokens, &refresh), *at = auth_tokens_sign(&a->tokens, &access);
    json_t *out = NULL;
    if (rt != NULL && at != NULL)
        out = json_pack("{s:s, s:s, s:o}", "access", at, "refresh", rt, "user", auth_user_json(a, u));
    if (rt != NULL)
        sodium_memzero(rt, strlen(rt));
    if (at != NULL)
        sodium_memzero(at, strlen(at));
    free(rt);
    free(at);
    if (out == NULL) {
        svc_log("error", "could not sign tokens for user %llu", (unsigned long long)u->id);
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
    }
    return out;
}

void auth_reply_throttled(svc_ctx_t *ctx, int64_t wait_s)
{
    char retry[24], detail[96];
    snprintf(retry, sizeof retry, "%lld", (long long)wait_s);
    snprintf(detail, sizeof detail, "Request was throttled. Expected available in %lld second%s.", (long long)wait_s,
             wait_s == 1 ? "" : "s");
    svc_reply_header(ctx, "retry-after", retry);
    svc_reply_json(ctx, 429, json_pack("{s:s}", "detail", detail));
}

int auth_password_ok_or_400(svc_ctx_t *ctx, const char *field, const char *password, size_t len, const char *email)
{
    auth_password_problems_t pp;
    if (auth_password_check(password, len, email, auth_of(ctx)->cfg.password_min, &pp) == 0)
        return 0;
    json_t *list = json_array();
    for (size_t i = 0; i < pp.num; i++)
        json_array_append_new(list, json_string(pp.messages[i]));
    svc_reply_json(ctx, 400, json_pack("{s:o}", field, list));
    return -1;
}

int auth_write_or_reply(svc_ctx_t *ctx, svc_write_fn fn, void *arg, int expected)
{
    int rc = svc_write(ctx, fn, arg);
    if (rc != 0 && rc != expected)
        svc_reply_error(ctx, rc);
    return rc;
}

/* Counters by prefix (store.h): "a:" account, "i:" address and "o:" otp_user follow their rule
 * (auth_throttle_keep_s: forget_s, or max_delay_s when that is longer), "r:" the registration
 * window (AUTH_THROTTLE_WINDOW_S). One age for all, the longest: the rules are few, an unknown or
 * future prefix is safe with it, and at the defaults it is the window's hour either way. A counter
 * that old reads exactly as an absent one in auth_throttle_wait / _fail / _window_*, so deleting
 * it changes nothing. The slack covers the wall clock stepping back a little between writes. */
#define AUTH_THROTTLE_PRUNE_SLACK_S 60

int64_t auth_throttle_prune_age_us(const auth_config_t *cfg)
{
    int64_t s = AUTH_THROTTLE_WINDOW_S;
    const auth_throttle_rule_t *rules[] = {&cfg->account, &cfg->address, &cfg->otp_user};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (auth_throttle_keep_s(rules[i]) > s)
            s = auth_throttle_keep_s(rules[i]);
    return (s + AUTH_THROTTLE_PRUNE_SLACK_S) * 1000000;
}

int auth_throttle_save(auth_t *a, MDB_txn *txn, const char *key, const auth_throttle_state_t *s, int64_t now_us)
{
    /* pruned first: the walk does not spend a look on the counter just written */
    int rc = auth_store_throttle_prune(&a->st, txn, now_us, auth_throttle_prune_age_us(&a->cfg),
                                       AUTH_THROTTLE_PRUNE_BUDGET);
    return rc != 0 ? rc : auth_store_throttle_put(&a->st, txn, key, s);
}

void auth_publish(svc_ctx_t *ctx, const proto_event_t *ev)
{
    if (ev->seq != 0)
        svc_event_publish(svc_service(ctx), ev);
}

int auth_void_before(svc_t *svc, MDB_txn *txn, auth_user_t *u, int64_t now_us, proto_event_t *ev)
{
    u->valid_after_us = now_us;
    memset(ev, 0, sizeof *ev);
    ev->type = PROTO_EVENT_USER_VALID_AFTER;
    ev->user_id = u->id;
    ev->at_us = now_us;
    return svc_event_append(svc, txn, ev);
}

/* --- sessions ----------------------------------------------------------------------------------- */

void auth_session_prepare(const auth_t *a, uint64_t user_id, int64_t now_us, auth_new_session_t *out)
{
    proto_session_new(out->id);
    proto_session_hash(out->id, PROTO_SESSION_ID_LEN, out->hash);
    out->s.user_id = user_id;
    out->s.created_us = now_us;
    out->s.expires_us = now_us + a->cfg.session_age_s * 1000000;
}

int auth_session_store(const auth_t *a, MDB_txn *txn, const auth_new_session_t *ns)
{
    return auth_store_session_put(&a->st, txn, ns->hash, &ns->s);
}

static bool auth__https(svc_ctx_t *ctx)
{
    proto_str_t base = svc_request(ctx)->base_url;
    return base.len >= 8 && memcmp(base.ptr, "https://", 8) == 0;
}

void auth_session_cookies(svc_ctx_t *ctx, const auth_new_session_t *ns)
{
    char csrf[PROTO_CSRF_LEN + 1], cookie[256];
    const char *secure = auth__https(ctx) ? "; Secure" : "";
    long long age = (long long)auth_of(ctx)->cfg.session_age_s;
    proto_session_csrf(ns->id, PROTO_SESSION_ID_LEN, csrf);
    snprintf(cookie, sizeof cookie, PROTO_SESSION_COOKIE "=%s; Max-Age=%lld; Path=/; HttpOnly; SameSite=Lax%s", ns->id,
             age, secure);
    svc_reply_header(ctx, "set-cookie", cookie);
    /* not HttpOnly: the page's script reads it to send X-CSRFToken (Django's CSRF_COOKIE_HTTPONLY) */
    snprintf(cookie, sizeof cookie, PROTO_CSRF_COOKIE "=%s; Max-Age=%lld; Path=/; SameSite=Lax%s", csrf, age, secure);
    svc_reply_header(ctx, "set-cookie", cookie);
    sodium_memzero(cookie, sizeof cookie);
}

void auth_session_clear_cookies(svc_ctx_t *ctx)
{
    svc_reply_header(ctx, "set-cookie",
                     PROTO_SESSION_COOKIE "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    svc_reply_header(ctx, "set-cookie",
                     PROTO_CSRF_COOKIE "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax");
}

bool auth_session_of_request(svc_ctx_t *ctx, unsigned char hash[PROTO_SESSION_HASH_LEN])
{
    const proto_request_t *req = svc_request(ctx);
    proto_str_t cookie = proto_header_get(req->headers, req->num_headers, "cookie");
    const char *v;
    size_t vl;
    if (!proto_cookie_get(cookie.ptr, cookie.len, PROTO_SESSION_COOKIE, &v, &vl) || !proto_session_id_sane(v, vl))
        return false;
    proto_session_hash(v, vl, hash);
    return true;
}
