/*
 * Token refresh and verify (Simple JWT), and logout (dj-rest-auth with the blacklist on: the
 * given refresh token is refused from then on; the session, if the request came with one, ends).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/auth/auth.h"

/* A token that verifies may still be void: revoked (refresh), or older than its user's
 * "valid after" time, or its user inactive or gone. */
static int auth__token_live(auth_t *a, MDB_txn *txn, const proto_jwt_claims_t *c)
{
    auth_user_t *u = malloc(sizeof *u);
    if (u == NULL)
        return -PROTO_ERR_NO_MEMORY;
    int rc = strcmp(c->token_type, "refresh") == 0 && auth_store_revoked(&a->st, txn, c->jti) == 0
                 ? -PROTO_ERR_TOKEN_NOT_VALID
                 : auth_store_user_get(&a->st, txn, c->user_id, u);
    if (rc == 0 && (!u->is_active || c->auth_us < u->valid_after_us))
        rc = -PROTO_ERR_TOKEN_NOT_VALID;
    free(u);
    return rc == -PROTO_ERR_NOT_FOUND ? -PROTO_ERR_TOKEN_NOT_VALID : rc;
}

/* Verifies the token in input field `field`; on failure replies 401 (with Simple JWT's
 * challenge) and returns -1. */
static int auth__token_or_401(svc_ctx_t *ctx, const char *field, const char *type, proto_jwt_claims_t *c)
{
    auth_t *a = auth_of(ctx);
    size_t len;
    const char *tok = auth_input_str(ctx, field, &len);
    MDB_txn *txn = auth_read_txn_or_500(ctx);
    if (txn == NULL)
        return -1;
    int rc = tok == NULL ? -PROTO_ERR_TOKEN_NOT_VALID : auth_tokens_verify(&a->tokens, tok, len, type, c);
    if (rc == 0)
        rc = auth__token_live(a, txn, c);
    if (rc == 0)
        return 0;
    if (rc == -PROTO_ERR_TOKEN_NOT_VALID)
        svc_reply_header(ctx, "www-authenticate", "Bearer realm=\"api\"");
    svc_reply_error(ctx, rc);
    return -1;
}

typedef struct st_auth_revoke_write_t {
    auth_t *a;
    char jti[PROTO_JWT_JTI_LEN + 1];
    int64_t exp;
    bool end_session;
    unsigned char session[PROTO_SESSION_HASH_LEN];
    proto_event_t ev;
    svc_t *svc;
} auth_revoke_write_t;

static int auth__revoke_write(MDB_txn *txn, void *arg)
{
    auth_revoke_write_t *w = arg;
    int rc = 0;
    if (w->jti[0] != '\0') {
        /* a second use of a rotated token loses the race here */
        if (auth_store_revoked(&w->a->st, txn, w->jti) == 0)
            return -PROTO_ERR_TOKEN_NOT_VALID;
        rc = auth_store_revoke(&w->a->st, txn, w->jti, w->exp);
    }
    if (rc == 0 && w->end_session) {
        memset(&w->ev, 0, sizeof w->ev);
        w->ev.type = PROTO_EVENT_SESSION_REVOKED;
        w->ev.at_us = svc_now_us();
        sodium_bin2hex(w->ev.key, sizeof w->ev.key, w->session, sizeof w->session);
        if ((rc = auth_store_session_del(&w->a->st, txn, w->session)) == 0)
            rc = svc_event_append(w->svc, txn, &w->ev);
    }
    return rc;
}

static void auth__iso(int64_t s, char out[32])
{
    svc_format_time(s * 1000000, out);
}

void auth_token_refresh(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    proto_jwt_claims_t c;
    if (auth__token_or_401(ctx, "refresh", "refresh", &c) != 0)
        return;
    int64_t now = (int64_t)time(NULL);
    proto_jwt_claims_t access = c, refresh = c;
    snprintf(access.token_type, sizeof access.token_type, "access");
    access.exp = now + a->cfg.access_lifetime_s;
    access.jti[0] = '\0';
    auth_revoke_write_t *w = NULL;
    if (a->cfg.rotate_refresh) {
        /* ROTATE_REFRESH_TOKENS with BLACKLIST_AFTER_ROTATION: the used token is refused from now */
        w = svc_alloc(ctx, sizeof *w);
        memset(w, 0, sizeof *w);
        w->a = a;
        w->svc = svc_service(ctx);
        memcpy(w->jti, c.jti, sizeof w->jti);
        w->exp = c.exp;
        int rc = auth_write_or_reply(ctx, auth__revoke_write, w, -PROTO_ERR_TOKEN_NOT_VALID);
        if (rc == -PROTO_ERR_TOKEN_NOT_VALID) {
            svc_reply_header(ctx, "www-authenticate", "Bearer realm=\"api\"");
            svc_reply_error(ctx, rc);
        }
        if (rc != 0)
            return;
        refresh.jti[0] = '\0';
        refresh.iat = now;
        refresh.exp = now + a->cfg.refresh_lifetime_s;
    }
    char *at = auth_tokens_sign(&a->tokens, &access);
    char *rt = w != NULL ? auth_tokens_sign(&a->tokens, &refresh) : NULL;
    char access_exp[32], refresh_exp[32];
    auth__iso(access.exp, access_exp);
    auth__iso(refresh.exp, refresh_exp);
    json_t *body = NULL;
    if (at != NULL && (w == NULL || rt != NULL))
        body = w == NULL ? json_pack("{s:s, s:s}", "access", at, "access_expiration", access_exp)
                         : json_pack("{s:s, s:s, s:s, s:s}", "access", at, "access_expiration", access_exp, "refresh",
                                     rt, "refresh_expiration", refresh_exp);
    if (at != NULL)
        sodium_memzero(at, strlen(at));
    if (rt != NULL)
        sodium_memzero(rt, strlen(rt));
    free(at);
    free(rt);
    if (body == NULL)
        svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
    else
        svc_reply_json(ctx, 200, body);
}

void auth_token_verify(svc_ctx_t *ctx)
{
    proto_jwt_claims_t c;
    if (auth__token_or_401(ctx, "token", NULL, &c) != 0)
        return;
    svc_reply_json(ctx, 200, json_object());
}

void auth_logout(svc_ctx_t *ctx)
{
    auth_t *a = auth_of(ctx);
    auth_revoke_write_t *w = svc_alloc(ctx, sizeof *w);
    memset(w, 0, sizeof *w);
    w->a = a;
    w->svc = svc_service(ctx);
    size_t len;
    if (auth_input_str(ctx, "refresh", &len) != NULL && len != 0) {
        proto_jwt_claims_t c;
        if (auth__token_or_401(ctx, "refresh", "refresh", &c) != 0)
            return;
        memcpy(w->jti, c.jti, sizeof w->jti);
        w->exp = c.exp;
    }
    /* only a session the gateway vouched for (CSRF checked) is ended: a cross-site POST that
     * merely carries the cookie must not log anybody out */
    w->end_session = svc_principal(ctx)->cred == PROTO_CRED_SESSION && auth_session_of_request(ctx, w->session);
    if ((w->jti[0] != '\0' || w->end_session) && auth_write_or_reply(ctx, auth__revoke_write, w, 0) != 0)
        return;
    auth_publish(ctx, &w->ev);
    if (w->end_session)
        auth_session_clear_cookies(ctx);
    svc_reply_json(ctx, 200, json_pack("{s:s}", "detail", "Successfully logged out."));
}
