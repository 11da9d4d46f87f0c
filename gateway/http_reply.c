#include "gateway/http_reply.h"

#include <string.h>
#include <strings.h>

#include "proto/errors.h"

const char *gw_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

void gw_reply_json(h2o_req_t *req, int status, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = gw_http_reason(status);
    req->res.content_length = len;
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("application/json"), 1);
    h2o_send_inline(req, body, len);
}

void gw_reply_error(h2o_req_t *req, int err)
{
    size_t len;
    const char *body = proto_err_body(err, &len);
    int status = proto_err_status(err);
    if (status == 503)
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, H2O_STRLIT("1"), 1);
    gw_reply_json(req, status, body, len);
}

/* Headers a service must not set: hop-by-hop ones (RFC 7230 §6.1), those h2o computes, and
 * those the gateway owns. */
static int gw__header_dropped(proto_str_t name)
{
    static const char *const dropped[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                                          "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                                          "content-length", "date", "server", "x-request-id"};
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        if (proto_str_eq(name, dropped[i], strlen(dropped[i])))
            return 1;
    /* x-apibus-*: what a service tells the gateway (e.g. a revoked key), never the client */
    return (name.len >= 14 && strncasecmp(name.ptr, "access-control", 14) == 0) ||
           (name.len >= 9 && strncasecmp(name.ptr, "x-apibus-", 9) == 0);
}

static int gw__header_name_valid(proto_str_t name)
{
    if (name.len == 0 || name.len > 128)
        return 0;
    for (size_t i = 0; i < name.len; i++) {
        char c = name.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int gw__header_value_valid(proto_str_t value)
{
    for (size_t i = 0; i < value.len; i++)
        if (value.ptr[i] == '\r' || value.ptr[i] == '\n' || value.ptr[i] == '\0')
            return 0;
    return 1;
}

void gw_reply_from_service(h2o_req_t *req, const proto_reply_t *reply)
{
    for (size_t i = 0; i < reply->num_headers; i++) {
        proto_str_t name = reply->headers[i].name, value = reply->headers[i].value;
        if (!gw__header_name_valid(name) || !gw__header_value_valid(value) || gw__header_dropped(name))
            continue;
        h2o_iovec_t n = h2o_strdup(&req->pool, name.ptr, name.len);
        h2o_iovec_t v = h2o_strdup(&req->pool, value.ptr, value.len);
        h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
    }
    req->res.status = reply->status;
    req->res.reason = gw_http_reason(reply->status);
    if (reply->status == 204 || reply->status == 304) {
        h2o_send_inline(req, "", 0);
        return;
    }
    req->res.content_length = reply->body.len;
    h2o_send_inline(req, reply->body.len != 0 ? reply->body.ptr : "", reply->body.len);
}
