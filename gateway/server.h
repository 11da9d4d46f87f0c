/*
 * The gateway process: configuration and shared read-only state (gw_server_t), and the state
 * of one event loop (gw_loop_t). One loop runs today; everything mutable lives in the loop so
 * that more loops (threads, each with its own boards on its own endpoints) can come later.
 */
#ifndef APIBUS_GATEWAY_SERVER_H
#define APIBUS_GATEWAY_SERVER_H

#include <signal.h>
#include <stdbool.h>

#include <h2o.h>

#include "gateway/access_log.h"
#include "gateway/auth.h"
#include "gateway/board.h"
#include "gateway/config.h"
#include "gateway/cors.h"
#include "gateway/events.h"
#include "gateway/forwarded.h"
#include "gateway/internal.h"
#include "gateway/jwt.h"
#include "gateway/keys.h"
#include "gateway/request_id.h"
#include "gateway/session.h"

#define GW_MAX_ROLES 16
#define GW_TICK_MS 20

typedef struct st_gw_server_t {
    gw_config_t config;
    gw_jwt_verifier_t jwt;
    gw_cors_t cors;
    gw_proxies_t proxies;
    h2o_globalconf_t h2o;
    h2o_hostconf_t *host;
    bool has_static;
} gw_server_t;

typedef struct st_gw_loop_t {
    h2o_context_t ctx; /* first: the loop is found from a request's req->conn->ctx */
    gw_server_t *server;
    gw_board_t *boards[GW_MAX_ROLES]; /* indexed as proto_roles */
    gw_auth_t auth;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_timeout_t tick_timeout;
    h2o_timeout_entry_t tick;
    gw_events_t events;     /* what auth and keys publish: valid-after times, logouts, rotations, revoked keys */
    gw_sessions_t sessions; /* session cookies checked with auth, cached briefly */
    gw_keys_t keys;         /* API keys checked with the keys service, cached; revocations, usage */
    gw_internal_t internal; /* the `apibus` command's way in */
    gw_access_log_t access_log;
    struct timespec keyring_mtime;
    int64_t keyring_checked_ms;
} gw_loop_t;

/* What the gateway knows about one request; lives in req->pool. */
typedef struct st_gw_req_t {
    char request_id[GW_REQUEST_ID_MAX + 1];
    char client[GW_ADDR_MAX + 1];
    bool via_proxy; /* the peer is a trusted proxy: X-Forwarded-* count */
    const proto_role_t *role; /* NULL: not routed to a service */
} gw_req_t;

static inline gw_loop_t *gw_loop_of(h2o_req_t *req)
{
    return (gw_loop_t *)(void *)req->conn->ctx;
}

/* The request's context, made on first use (also for requests h2o rejects before routing). */
gw_req_t *gw_req_get(h2o_req_t *req);

/* Sets up the server from cfg: verifier, CORS, proxies, h2o configuration and paths.
 * Returns 0, or -1 with the reason on stderr. */
int gw_server_init(gw_server_t *server, const gw_config_t *cfg);
void gw_server_dispose(gw_server_t *server);

/* Sets up a loop: h2o context, one job board per role, the listener. Returns 0 or -1. */
int gw_loop_init(gw_loop_t *loop, gw_server_t *server);
/* Runs until *stop, then stops accepting and gives in-flight jobs up to the grace period. */
void gw_loop_run(gw_loop_t *loop, volatile sig_atomic_t *stop);
void gw_loop_dispose(gw_loop_t *loop);

/* Re-reads the JWT keyring file after a rotation (a no-op when the secret comes from the
 * environment) and empties the token cache. On a bad file the keys in use are kept. */
void gw_server_reload_keys(gw_loop_t *loop);

#endif
