#include "gateway/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/access_log.h"
#include "gateway/filter.h"
#include "gateway/health.h"
#include "gateway/http_reply.h"
#include "gateway/proxy.h"
#include "gateway/static.h"

/* A CORS preflight is answered here, before authentication and routing: browsers send no
 * credentials with it. A disallowed origin gets a bare 204 that lets nothing through. */
static bool gw__preflight(gw_server_t *server, h2o_req_t *req)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")))
        return false;
    ssize_t o = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    ssize_t m = h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1);
    if (o == -1 || m == -1)
        return false;
    h2o_iovec_t origin = req->headers.entries[o].value;
    if (gw_cors_allowed(&server->cors, origin.base, origin.len)) {
        h2o_headers_t *h = &req->res.headers;
        h2o_add_header_by_str(&req->pool, h, H2O_STRLIT("access-control-allow-methods"), 0, NULL,
                              H2O_STRLIT(GW_CORS_ALLOW_METHODS));
        h2o_add_header_by_str(&req->pool, h, H2O_STRLIT("access-control-allow-headers"), 0, NULL,
                              H2O_STRLIT(GW_CORS_ALLOW_HEADERS));
        h2o_add_header_by_str(&req->pool, h, H2O_STRLIT("access-control-max-age"), 0, NULL,
                              H2O_STRLIT(GW_CORS_MAX_AGE));
    }
    req->res.status = 204;
    req->res.reason = gw_http_reason(204);
    req->res.content_length = 0;
    h2o_send_inline(req, "", 0);
    return true;
}

static int gw__on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_loop_t *loop = gw_loop_of(req);
    gw_req_t *r = gw_req_get(req);
    if (gw__preflight(loop->server, req) || gw_health_handle(loop, req))
        return 0;
    if (r->role == NULL)
        return -1; /* static files, then the JSON 404 */
    return gw_proxy_handle(loop, loop->boards[r->role - proto_roles], req);
}

int gw_server_init(gw_server_t *server, const gw_config_t *cfg)
{
    char err[512];
    memset(server, 0, sizeof *server);
    server->config = *cfg;
    int keys = cfg->jwt_from_file ? gw_jwt_init_keyring(&server->jwt, cfg->jwt_keyring_path, cfg->jwt_leeway_s, err,
                                                        sizeof err)
                                  : gw_jwt_init(&server->jwt, cfg->jwt_secret, cfg->jwt_secret_len,
                                                cfg->jwt_previous_secret, cfg->jwt_previous_secret_len,
                                                cfg->jwt_leeway_s, err, sizeof err);
    if (keys != 0 ||
        gw_cors_init(&server->cors, cfg->cors_origins, err, sizeof err) != 0 ||
        gw_proxies_init(&server->proxies, cfg->trusted_proxies, err, sizeof err) != 0) {
        fprintf(stderr, "apibus-gateway: %s\n", err);
        return -1;
    }

    h2o_config_init(&server->h2o);
    server->h2o.server_name = h2o_iovec_init(H2O_STRLIT("apibus"));
    /* one byte above our limit: h2o refuses larger bodies by itself without buffering them (and
     * the filter turns its answer into JSON); a body of exactly limit+1 reaches the handler */
    server->h2o.max_request_entity_size = cfg->max_body + 1;
    server->host = h2o_config_register_host(&server->h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);

    h2o_pathconf_t *root = h2o_config_register_path(server->host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(root, sizeof *handler);
    handler->on_req = gw__on_req;
    server->has_static = gw_static_register(root, cfg->static_dir);
    gw_filter_register(root);
    gw_access_log_register(root);
    /* requests h2o rejects before routing (malformed, too large) are bound to the fallback path */
    gw_filter_register(&server->host->fallback_path);
    gw_access_log_register(&server->host->fallback_path);
    return 0;
}

void gw_server_dispose(gw_server_t *server)
{
    if (server == NULL)
        return;
    h2o_config_dispose(&server->h2o);
    gw_cors_dispose(&server->cors);
    sodium_memzero(&server->jwt, sizeof server->jwt);
    sodium_memzero(server->config.jwt_secret, sizeof server->config.jwt_secret);
    sodium_memzero(server->config.jwt_previous_secret, sizeof server->config.jwt_previous_secret);
}

static void gw__on_accept(h2o_socket_t *listener, const char *err)
{
    gw_loop_t *loop = listener->data;
    h2o_socket_t *sock;
    if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL)
        return;
    h2o_accept(&loop->accept_ctx, sock);
}

static int gw__listen(gw_loop_t *loop)
{
    const gw_config_t *cfg = &loop->server->config;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->http_bind, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(cfg->http_port);
        len = sizeof *sin;
    } else if (inet_pton(AF_INET6, cfg->http_bind, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(cfg->http_port);
        len = sizeof *sin6;
    } else {
        fprintf(stderr, "apibus-gateway: APIBUS_HTTP_BIND=%s is not an IPv4 or IPv6 address\n", cfg->http_bind);
        return -1;
    }
    int one = 1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        fprintf(stderr, "apibus-gateway: cannot listen on %s:%u: %s\n", cfg->http_bind, cfg->http_port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, gw__on_accept);
    return 0;
}

void gw_server_reload_keys(gw_loop_t *loop)
{
    gw_server_t *server = loop->server;
    const gw_config_t *cfg = &server->config;
    struct stat st;
    char err[512];
    if (!cfg->jwt_from_file || stat(cfg->jwt_keyring_path, &st) != 0)
        return;
    loop->keyring_mtime = st.st_mtim;
    gw_jwt_verifier_t *fresh = malloc(sizeof *fresh);
    if (fresh == NULL)
        return;
    if (gw_jwt_init_keyring(fresh, cfg->jwt_keyring_path, cfg->jwt_leeway_s, err, sizeof err) != 0) {
        fprintf(stderr, "apibus-gateway: JWT keyring not reloaded, keeping the keys in use: %s\n", err);
    } else {
        server->jwt = *fresh;
        /* cached verdicts may rest on a key that is gone now */
        memset(loop->auth.cache, 0, sizeof loop->auth.cache);
        fprintf(stderr, "apibus-gateway: JWT keyring reloaded: current kid %s, %zu key(s)\n", server->jwt.keys[0].kid,
                server->jwt.num_keys);
    }
    sodium_memzero(fresh, sizeof *fresh);
    free(fresh);
}

/* A rotation is announced by an event; looking at the file every resync period as well means
 * a lost event delays the new key by seconds, never forever. */
static void gw__watch_keyring(gw_loop_t *loop)
{
    struct stat st;
    int64_t now = gw_now_ms();
    if (!loop->server->config.jwt_from_file || now - loop->keyring_checked_ms < loop->server->config.events_resync_ms)
        return;
    loop->keyring_checked_ms = now;
    if (stat(loop->server->config.jwt_keyring_path, &st) == 0 &&
        (st.st_mtim.tv_sec != loop->keyring_mtime.tv_sec || st.st_mtim.tv_nsec != loop->keyring_mtime.tv_nsec))
        gw_server_reload_keys(loop);
}

static void gw__on_tick(h2o_timeout_entry_t *entry)
{
    gw_loop_t *loop = H2O_STRUCT_FROM_MEMBER(gw_loop_t, tick, entry);
    for (size_t i = 0; i < proto_num_roles; i++)
        gw_board_tick(loop->boards[i]);
    gw_events_tick(&loop->events);
    gw_keys_tick(loop);
    gw__watch_keyring(loop);
    h2o_timeout_link(loop->ctx.loop, &loop->tick_timeout, &loop->tick);
}

int gw_loop_init(gw_loop_t *loop, gw_server_t *server)
{
    const gw_config_t *cfg = &server->config;
    memset(loop, 0, sizeof *loop);
    loop->server = server;
    h2o_context_init(&loop->ctx, h2o_evloop_create(), &server->h2o);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = server->h2o.hosts;
    gw_auth_init(&loop->auth, &server->jwt);
    loop->auth.revocations = &loop->events.revocations;
    gw_keys_config_t kc = {.cache_ms = cfg->key_cache_ms,
                           .flush_ms = cfg->key_usage_flush_ms,
                           .fail_free = cfg->key_fail_free,
                           .fail_max_ms = (int64_t)cfg->key_fail_max_delay_s * 1000};
    if (gw_keys_init(&loop->keys, &kc) != 0) {
        fprintf(stderr, "apibus-gateway: out of memory for the API key cache\n");
        return -1;
    }
    loop->auth.keys = &loop->keys;
    gw_sessions_init(&loop->sessions, cfg->session_cache_ms);
    struct stat st;
    if (cfg->jwt_from_file && stat(cfg->jwt_keyring_path, &st) == 0)
        loop->keyring_mtime = st.st_mtim;
    loop->keyring_checked_ms = gw_now_ms();

    gw_board_config_t bc = {.queue_max = cfg->queue_max,
                            .timeout_ms = cfg->upstream_timeout_ms,
                            .no_worker_wait_ms = cfg->no_worker_wait_ms,
                            .ping_idle_ms = cfg->ping_idle_ms,
                            .ping_timeout_ms = cfg->ping_timeout_ms,
                            .max_reply = cfg->max_reply};
    for (size_t i = 0; i < proto_num_roles; i++) {
        char endpoint[600];
        if (proto_endpoint(proto_roles[i].port_offset, PROTO_SIDE_BIND, endpoint, sizeof endpoint) != 0)
            return -1;
        if ((loop->boards[i] = gw_board_create(loop->ctx.loop, &proto_roles[i], endpoint, &bc)) == NULL)
            return -1;
    }
    if (gw_events_init(&loop->events, loop, loop->ctx.loop, cfg->events_resync_ms) != 0 ||
        gw_internal_init(&loop->internal, loop, loop->ctx.loop, cfg->max_body + 65536) != 0)
        return -1;
    if (gw__listen(loop) != 0)
        return -1;
    h2o_timeout_init(loop->ctx.loop, &loop->tick_timeout, GW_TICK_MS);
    loop->tick.cb = gw__on_tick;
    h2o_timeout_link(loop->ctx.loop, &loop->tick_timeout, &loop->tick);
    fprintf(stderr, "apibus-gateway: listening on http://%s:%u/\n", cfg->http_bind, cfg->http_port);
    return 0;
}

static size_t gw__active_jobs(gw_loop_t *loop)
{
    size_t n = 0;
    for (size_t i = 0; i < proto_num_roles; i++)
        n += gw_board_active_jobs(loop->boards[i]);
    return n;
}

void gw_loop_run(gw_loop_t *loop, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        h2o_evloop_run(loop->ctx.loop, GW_TICK_MS);
        gw_access_log_flush(&loop->access_log);
    }
    fprintf(stderr, "apibus-gateway: stopping: no new connections, %zu jobs in flight\n", gw__active_jobs(loop));
    if (loop->listener != NULL) {
        h2o_socket_close(loop->listener);
        loop->listener = NULL;
    }
    int64_t until = gw_now_ms() + loop->server->config.shutdown_grace_ms;
    while (gw__active_jobs(loop) != 0 && gw_now_ms() < until) {
        h2o_evloop_run(loop->ctx.loop, GW_TICK_MS);
        gw_access_log_flush(&loop->access_log);
    }
    /* a few more turns so that the last responses leave the socket buffers */
    int64_t flush_until = gw_now_ms() + 100;
    while (gw_now_ms() < flush_until)
        h2o_evloop_run(loop->ctx.loop, 10);
    gw_access_log_flush(&loop->access_log);
}

void gw_loop_dispose(gw_loop_t *loop)
{
    if (loop == NULL)
        return;
    if (h2o_timeout_is_linked(&loop->tick))
        h2o_timeout_unlink(&loop->tick);
    if (loop->listener != NULL)
        h2o_socket_close(loop->listener);
    gw_internal_dispose(&loop->internal);
    gw_events_dispose(&loop->events);
    gw_keys_dispose(&loop->keys);
    for (size_t i = 0; i < GW_MAX_ROLES; i++)
        gw_board_destroy(loop->boards[i]);
    /* h2o 2.2.5 cannot dispose a context while connections are open; the process is exiting */
}
