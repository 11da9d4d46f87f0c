#include "gateway/proxy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "gateway/call.h"
#include "gateway/http_reply.h"
#include "proto/errors.h"

/* The pending request. It lives in req->pool with a dispose callback: when h2o frees the
 * request (the client went away, or the response is done) the board forgets the job, so a late
 * RESULT never touches a dead request. The board refers to it only through the job id. */
typedef struct st_gw_pending_t {
    h2o_req_t *req;
    gw_loop_t *loop;
    gw_board_t *board;
    uint64_t job_id; /* 0 once the board has answered */
    bool idempotent;
    gw_call_t *check; /* the session check with auth, or the key check with keys, while it runs */
    gw_key_check_t key; /* the API key to verify (prefix and SHA-512; never the key) */
    bool has_session; /* a well-formed sessionid cookie came */
    bool stale_cookie; /* it is not (or no longer) a session: clear it in the reply */
    h2o_iovec_t session_id;
    unsigned char session_hash[PROTO_SESSION_HASH_LEN];
    proto_msg_t msg; /* the JOB, pointing into req and its pool; job id and budget set per attempt */
} gw_pending_t;

/* Request headers a service may need (ARCHITECTURE §3). Authorization is not passed on: the
 * gateway turns it into the principal. Cookie and X-CSRFToken are for session auth. */
static const char *const gw__passed_headers[] = {"content-type", "accept", "idempotency-key", "origin", "referer",
                                                 "cookie", "x-csrftoken", "accept-language", "user-agent", "if-none-match"};

static int gw__encode(void *owner, uint64_t job_id, uint32_t budget_ms, proto_buf_t *out)
{
    gw_pending_t *p = owner;
    p->msg.job_id = job_id;
    p->msg.req.budget_ms = budget_ms;
    return proto_encode(&p->msg, out);
}

/* Whether the reply sets (or deletes) the session cookie itself. */
static bool gw__reply_sets_session(const proto_reply_t *reply)
{
    static const char name[] = PROTO_SESSION_COOKIE "=";
    for (size_t i = 0; i < reply->num_headers; i++) {
        proto_str_t v = reply->headers[i].value;
        if (!PROTO_STR_EQ(reply->headers[i].name, "set-cookie") || v.len < sizeof name - 1 ||
            memcmp(v.ptr, name, sizeof name - 1) != 0)
            continue;
        return true;
    }
    return false;
}

/* A revoke this gateway relays: the key is refused here before the client can send it again,
 * whatever becomes of the event. */
static void gw__note_revoked_key(gw_loop_t *loop, const proto_reply_t *reply)
{
    for (size_t i = 0; i < reply->num_headers; i++) {
        proto_str_t v = reply->headers[i].value;
        char prefix[PROTO_KEY_PREFIX_LEN + 1];
        if (!PROTO_STR_EQ(reply->headers[i].name, "x-apibus-revoked-key") || v.len != PROTO_KEY_PREFIX_LEN)
            continue;
        memcpy(prefix, v.ptr, v.len);
        prefix[v.len] = '\0';
        gw_keys_revoke(&loop->keys, prefix);
    }
}

static void gw__done(void *owner, int err, const proto_reply_t *reply)
{
    gw_pending_t *p = owner;
    h2o_req_t *req = p->req;
    p->job_id = 0;
    if (err != 0) {
        gw_reply_error(req, err);
        return;
    }
    gw__note_revoked_key(p->loop, reply);
    bool sets = gw__reply_sets_session(reply);
    /* a logout through this gateway: forget the session here at once, not at the event */
    if (p->has_session && sets)
        gw_sessions_drop(&p->loop->sessions, p->session_hash);
    if (p->stale_cookie && !sets) {
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL,
                       H2O_STRLIT(PROTO_SESSION_COOKIE "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
                                                       "HttpOnly; SameSite=Lax"));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL,
                       H2O_STRLIT(PROTO_CSRF_COOKIE "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
                                                    "SameSite=Lax"));
    }
    gw_reply_from_service(req, reply);
}

static const gw_job_callbacks_t gw__job_callbacks = {.encode = gw__encode, .done = gw__done};

static void gw__pending_dispose(void *data)
{
    gw_pending_t *p = data;
    if (p->job_id != 0)
        gw_board_cancel(p->board, p->job_id);
    p->job_id = 0;
    gw_call_cancel(p->check);
    p->check = NULL;
}

static proto_str_t gw__str(h2o_iovec_t v)
{
    return (proto_str_t){v.base != NULL ? v.base : "", v.len};
}

static h2o_iovec_t gw__header(h2o_req_t *req, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);
    return i == -1 ? h2o_iovec_init(NULL, 0) : req->headers.entries[i].value;
}

/* The public base URL for absolute links (pagination): APIBUS_PUBLIC_URL, or the scheme and
 * Host the client used, taken from X-Forwarded-Proto/-Host when a trusted proxy sent them. */
static proto_str_t gw__base_url(gw_server_t *server, gw_req_t *r, h2o_req_t *req)
{
    char buf[300];
    h2o_iovec_t scheme = h2o_iovec_init(H2O_STRLIT("http")), host = req->authority;
    char peer_host[sizeof server->config.http_bind + 8];
    if (r->via_proxy) {
        h2o_iovec_t proto = gw__header(req, H2O_STRLIT("x-forwarded-proto"));
        h2o_iovec_t fhost = gw__header(req, H2O_STRLIT("x-forwarded-host"));
        /* several proxies may each append: the first value is the client-facing one */
        if (proto.base != NULL) {
            size_t n = 0;
            while (n < proto.len && proto.base[n] != ',' && proto.base[n] != ' ')
                n++;
            scheme = h2o_iovec_init(proto.base, n);
        }
        if (fhost.base != NULL) {
            size_t n = 0;
            while (n < fhost.len && fhost.base[n] != ',' && fhost.base[n] != ' ')
                n++;
            host = h2o_iovec_init(fhost.base, n);
        }
    }
    snprintf(peer_host, sizeof peer_host, "%s:%u", server->config.http_bind, server->config.http_port);
    size_t n = gw_base_url(buf, sizeof buf, server->config.public_url, scheme.base, scheme.len, host.base, host.len,
                           peer_host);
    h2o_iovec_t copy = h2o_strdup(&req->pool, buf, n);
    return (proto_str_t){copy.base, copy.len};
}

/* Whether a request may be sent to a second worker when the first one does not answer. A POST
 * with an Idempotency-Key is: the runtime checks the key inside the write transaction, so a
 * second attempt replays the first one's result instead of writing twice. */
static bool gw__idempotent(h2o_req_t *req)
{
    static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (h2o_memis(req->method.base, req->method.len, idempotent[i], strlen(idempotent[i])))
            return true;
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")) &&
           gw__header(req, H2O_STRLIT("idempotency-key")).len != 0;
}

static void gw__submit(gw_pending_t *p)
{
    int rc = gw_board_submit(p->board, &gw__job_callbacks, p, p->idempotent, &p->job_id);
    if (rc != 0) {
        p->job_id = 0;
        gw_reply_error(p->req, rc);
    }
}

/* Finds a sessionid cookie in any Cookie header. A malformed one is stale (cleared in the
 * reply); a well-formed one is hashed for the cache and for auth. */
static bool gw__session_cookie(gw_pending_t *p)
{
    h2o_req_t *req = p->req;
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) != -1;) {
        h2o_iovec_t c = req->headers.entries[i].value;
        const char *v;
        size_t vl;
        if (!proto_cookie_get(c.base, c.len, PROTO_SESSION_COOKIE, &v, &vl))
            continue;
        if (!proto_session_id_sane(v, vl)) {
            p->stale_cookie = true;
            return false;
        }
        p->has_session = true;
        p->session_id = h2o_iovec_init(v, vl);
        proto_session_hash(v, vl, p->session_hash);
        return true;
    }
    return false;
}

/* The request as the session's user, if the session holds and the CSRF rules are met. */
static void gw__session_apply(gw_pending_t *p, const gw_session_entry_t *e)
{
    h2o_req_t *req = p->req;
    proto_request_t *rq = &p->msg.req;
    if (!e->valid || e->expires_us <= (int64_t)time(NULL) * 1000000 ||
        gw_revocations_void(&p->loop->events.revocations, e->user_id, e->created_us)) {
        /* public routes must not fail because of it: the request goes on as anonymous */
        p->stale_cookie = true;
        return;
    }
    h2o_iovec_t csrf = gw__header(req, H2O_STRLIT("x-csrftoken"));
    h2o_iovec_t origin = gw__header(req, H2O_STRLIT("origin"));
    h2o_iovec_t referer = gw__header(req, H2O_STRLIT("referer"));
    int rc = gw_session_csrf_check(req->method.base, req->method.len, p->session_id.base, p->session_id.len, csrf.base,
                                   csrf.len, origin.base, origin.len, referer.base, referer.len, rq->base_url.ptr,
                                   rq->base_url.len, &p->loop->server->cors);
    if (rc != 0) {
        rq->principal.auth_error = -rc;
        return;
    }
    rq->principal.user_id = e->user_id;
    rq->principal.cred = PROTO_CRED_SESSION;
    rq->principal.is_staff = e->is_staff;
    rq->principal.scope = PROTO_SCOPE_ALL;
}

static void gw__on_session_checked(void *arg, int err, const proto_reply_t *reply)
{
    gw_pending_t *p = arg;
    p->check = NULL;
    gw_session_entry_t e;
    memset(&e, 0, sizeof e);
    memcpy(e.hash, p->session_hash, sizeof e.hash);
    e.fetched_ms = gw_now_ms();
    json_t *j = err == 0 && reply->status == 200 ? json_loadb(reply->body.ptr, reply->body.len, 0, NULL) : NULL;
    json_t *uid = json_object_get(j, "user_id"), *created = json_object_get(j, "created_us");
    json_t *expires = json_object_get(j, "expires_us");
    if (json_is_integer(uid) && json_integer_value(uid) > 0 && json_is_integer(created) && json_is_integer(expires)) {
        e.valid = true;
        e.user_id = (uint64_t)json_integer_value(uid);
        e.is_staff = json_is_true(json_object_get(j, "is_staff"));
        e.created_us = json_integer_value(created);
        e.expires_us = json_integer_value(expires);
    }
    json_decref(j);
    if (e.valid || (err == 0 && reply->status == 404)) {
        gw_sessions_store(&p->loop->sessions, &e);
        gw__session_apply(p, &e);
    } else {
        /* auth could not say: no verdict to cache, and no reason to clear the cookie */
        p->msg.req.principal.auth_error = PROTO_ERR_SESSION_NOT_VALID;
    }
    gw__submit(p);
}

static int gw__session(gw_pending_t *p)
{
    const gw_session_entry_t *e = gw_sessions_lookup(&p->loop->sessions, p->session_hash, gw_now_ms());
    if (e != NULL) {
        gw__session_apply(p, e);
        gw__submit(p);
        return 0;
    }
    static const proto_role_t *auth_role;
    if (auth_role == NULL)
        auth_role = proto_role_by_name("auth");
    char body[PROTO_SESSION_HASH_HEX + 32], hex[PROTO_SESSION_HASH_HEX + 1];
    int err = 0;
    sodium_bin2hex(hex, sizeof hex, p->session_hash, sizeof p->session_hash);
    snprintf(body, sizeof body, "{\"session_hash\":\"%s\"}", hex);
    p->check = gw_call_start(p->loop->boards[auth_role - proto_roles], "POST", "/_internal/auth/sessions/check/", NULL,
                             body, gw__on_session_checked, p, &err);
    if (p->check == NULL) {
        p->msg.req.principal.auth_error = PROTO_ERR_SESSION_NOT_VALID;
        gw__submit(p);
    }
    return 0;
}

/* --- API keys -------------------------------------------------------------------------------- */

static void gw__key_result(gw_pending_t *p, int rc)
{
    proto_principal_t *pr = &p->msg.req.principal;
    gw_req_t *r = gw_req_get(p->req);
    if (rc == 0) {
        gw_keys_used(&p->loop->keys, pr->key_prefix, (int64_t)time(NULL) * 1000000);
        return;
    }
    memset(pr, 0, sizeof *pr);
    pr->auth_error = -rc;
    if (rc == -PROTO_ERR_API_KEY_NOT_VALID) {
        p->loop->keys.refused++;
        gw_keys_failed(&p->loop->keys, r->client, gw_now_ms());
    }
}

/* {"id","prefix","user_id","scope","expiry_us"}: cached, then admitted like a cache hit. */
static void gw__on_key_checked(void *arg, int err, const proto_reply_t *reply)
{
    gw_pending_t *p = arg;
    p->check = NULL;
    int rc = -PROTO_ERR_UNAVAILABLE;
    json_t *j = err == 0 && reply->status == 200 ? json_loadb(reply->body.ptr, reply->body.len, 0, NULL) : NULL;
    json_t *uid = json_object_get(j, "user_id"), *scope = json_object_get(j, "scope");
    json_t *expiry = json_object_get(j, "expiry_us");
    if (json_is_integer(uid) && json_integer_value(uid) > 0 && json_is_integer(scope) && json_is_integer(expiry)) {
        gw_key_entry_t e;
        memset(&e, 0, sizeof e);
        memcpy(e.hash, p->key.hash, sizeof e.hash);
        memcpy(e.prefix, p->key.prefix, sizeof e.prefix);
        e.user_id = (uint64_t)json_integer_value(uid);
        e.scope = (uint32_t)json_integer_value(scope);
        e.expiry_us = json_integer_value(expiry);
        e.fetched_ms = gw_now_ms();
        gw_keys_store(&p->loop->keys, &e);
        rc = gw_keys_admit(&p->loop->keys, &e, (int64_t)time(NULL) * 1000000, &p->msg.req.principal);
    } else if (err == 0 && reply->status == 404) {
        rc = -PROTO_ERR_API_KEY_NOT_VALID;
    }
    json_decref(j);
    gw__key_result(p, rc);
    gw__submit(p);
}

/* A key the cache cannot answer for. The keys service decides; while it cannot be reached the
 * request goes on unauthenticated with UNAVAILABLE (503 where a user is needed), never 401. */
static int gw__key_verify(gw_pending_t *p)
{
    static const proto_role_t *keys_role;
    if (keys_role == NULL)
        keys_role = proto_role_by_name("keys");
    gw_board_t *board = p->loop->boards[keys_role - proto_roles];
    char body[PROTO_APIKEY_HASH_HEX + 64], hex[PROTO_APIKEY_HASH_HEX + 1];
    int err = 0;
    if (board == NULL || gw_board_live_workers(board) == 0) {
        gw__key_result(p, -PROTO_ERR_UNAVAILABLE);
        gw__submit(p);
        return 0;
    }
    sodium_bin2hex(hex, sizeof hex, p->key.hash, sizeof p->key.hash);
    snprintf(body, sizeof body, "{\"prefix\":\"%s\",\"hash\":\"%s\"}", p->key.prefix, hex);
    p->check = gw_call_start(board, "POST", "/_internal/keys/verify/", NULL, body, gw__on_key_checked, p, &err);
    if (p->check == NULL) {
        gw__key_result(p, -PROTO_ERR_UNAVAILABLE);
        gw__submit(p);
    }
    return 0;
}

/* Whether the request's Authorization header is an Api-Key (for the throttle). */
static bool gw__is_api_key(h2o_iovec_t authorization)
{
    static const char scheme[] = "api-key ";
    return authorization.len >= sizeof scheme - 1 && strncasecmp(authorization.base, scheme, sizeof scheme - 1) == 0;
}

int gw_proxy_handle(gw_loop_t *loop, gw_board_t *board, h2o_req_t *req)
{
    gw_server_t *server = loop->server;
    gw_req_t *r = gw_req_get(req);

    if (req->entity.base != NULL && req->entity.len > server->config.max_body) {
        gw_reply_error(req, PROTO_ERR_PAYLOAD_TOO_LARGE);
        return 0;
    }

    gw_pending_t *p = h2o_mem_alloc_shared(&req->pool, sizeof *p, gw__pending_dispose);
    memset(p, 0, sizeof *p);
    p->req = req;
    p->board = board;

    proto_msg_t *m = &p->msg;
    m->version = PROTO_VERSION;
    m->kind = PROTO_KIND_JOB;
    proto_request_t *rq = &m->req;
    rq->id = (proto_str_t){r->request_id, strlen(r->request_id)};
    rq->method = gw__str(req->method);
    rq->path = gw__str(req->path_normalized);
    if (req->query_at != SIZE_MAX)
        rq->query = (proto_str_t){req->path.base + req->query_at + 1, req->path.len - req->query_at - 1};
    else
        rq->query = PROTO_STR_LIT("");
    rq->client = (proto_str_t){r->client, strlen(r->client)};
    rq->base_url = gw__base_url(server, r, req);
    rq->body = gw__str(req->entity);

    rq->headers[rq->num_headers++] = (proto_header_t){PROTO_STR_LIT("x-request-id"), rq->id};
    for (size_t i = 0; i < sizeof gw__passed_headers / sizeof gw__passed_headers[0]; i++) {
        h2o_iovec_t v = gw__header(req, gw__passed_headers[i], strlen(gw__passed_headers[i]));
        if (v.base != NULL && rq->num_headers < PROTO_MAX_HEADERS)
            rq->headers[rq->num_headers++] =
                (proto_header_t){{gw__passed_headers[i], strlen(gw__passed_headers[i])}, gw__str(v)};
    }

    h2o_iovec_t authorization = gw__header(req, H2O_STRLIT("authorization"));
    int auth_rc = gw_auth_authenticate(&loop->auth, authorization.base, authorization.len, (int64_t)time(NULL),
                                       &rq->principal, &p->key);
    p->loop = loop;
    p->idempotent = gw__idempotent(req);
    if (gw__is_api_key(authorization) && rq->principal.cred != PROTO_CRED_API_KEY) {
        /* an address that keeps presenting bad keys waits, without asking the keys service */
        int64_t wait_ms = gw_keys_throttled(&loop->keys, r->client, gw_now_ms());
        if (wait_ms > 0) {
            char retry[24];
            loop->keys.throttled++;
            int n = snprintf(retry, sizeof retry, "%lld", (long long)((wait_ms + 999) / 1000));
            h2o_iovec_t value = h2o_strdup(&req->pool, retry, (size_t)n);
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, value.base, value.len);
            gw_reply_error(req, PROTO_ERR_THROTTLED);
            return 0;
        }
        if (auth_rc == GW_AUTH_VERIFY_KEY)
            return gw__key_verify(p);
        gw__key_result(p, -rq->principal.auth_error);
    } else if (rq->principal.cred == PROTO_CRED_API_KEY) {
        gw__key_result(p, 0);
    }
    /* a session counts only when no Authorization credentials came: those were tried first */
    if (rq->principal.cred == PROTO_CRED_NONE && rq->principal.auth_error == 0 && gw__session_cookie(p))
        return gw__session(p);
    gw__submit(p);
    return 0;
}
