#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/server.h"

/* The context hangs off req->env (h2o's per-request key-value list, in the request's pool), so
 * the handler, the response filter and the access logger all find the same one. */
#define GW_REQ_ENV "apibus.gw"

static void gw__peer(h2o_req_t *req, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    const char *ok = NULL;
    if (len != 0 && ss.ss_family == AF_INET)
        ok = inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)cap);
    else if (len != 0 && ss.ss_family == AF_INET6)
        ok = inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)cap);
    if (ok == NULL)
        snprintf(out, cap, "-");
}

gw_req_t *gw_req_get(h2o_req_t *req)
{
    h2o_iovec_t *slot = h2o_req_getenv(req, H2O_STRLIT(GW_REQ_ENV), 1);
    if (slot->base != NULL)
        return (gw_req_t *)(void *)slot->base;
    gw_req_t *r = h2o_mem_alloc_pool(&req->pool, sizeof *r);
    memset(r, 0, sizeof *r);
    gw_server_t *server = gw_loop_of(req)->server;

    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (i != -1 && gw_request_id_sane(req->headers.entries[i].value.base, req->headers.entries[i].value.len))
        memcpy(r->request_id, req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    else
        gw_request_id_new(r->request_id);

    char peer[GW_ADDR_MAX + 1];
    gw__peer(req, peer, sizeof peer);
    r->via_proxy = gw_proxies_trusted(&server->proxies, peer, strlen(peer));
    ssize_t x = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-forwarded-for"), -1);
    if (x != -1)
        gw_forwarded_client(&server->proxies, peer, req->headers.entries[x].value.base,
                            req->headers.entries[x].value.len, r->client, sizeof r->client);
    else
        memcpy(r->client, peer, strlen(peer) + 1);

    if (req->path_normalized.base != NULL)
        r->role = proto_role_for_path(req->path_normalized.base, req->path_normalized.len);
    slot->base = (char *)r;
    slot->len = sizeof *r;
    return r;
}
