#include "proto/bus.h"
#include "proto/nn_socket.h"

#include <errno.h>
#include <limits.h>
#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>
#include <string.h>

/* nanomsg 1.1.5 frames the SP header in the control data as [size_t length][header bytes]. */
#define PROTO_BUS_SP_LEVEL 1
#define PROTO_BUS_SP_HDR 1

int proto_bus_board_bind(const char *endpoint, size_t max_msg)
{
    int sock = nn_socket(AF_SP_RAW, NN_REP);
    if (sock < 0)
        return -1;
    if (proto__nn_limit(sock, max_msg) < 0 || nn_bind(sock, endpoint) < 0)
        goto fail;
    return sock;
fail:
    return proto__nn_abandon(sock);
}

int proto_bus_worker_connect(const char *endpoint, size_t max_msg)
{
    int sock = nn_socket(AF_SP, NN_REQ);
    if (sock < 0)
        return -1;
    /* A cooked REQ resends its last message after this interval. A resend looks like a new READY
     * and, in 1.1.5, races with the reply (tech notes §10); the gateway pings idle workers
     * instead, so resends are pushed out to once an hour. Reconnection after a lost connection
     * still resends at once. */
    int resend = 3600 * 1000;
    int reconnect = 100, reconnect_max = 1000;
    if (proto__nn_limit(sock, max_msg) < 0 ||
        nn_setsockopt(sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max) < 0 ||
        nn_connect(sock, endpoint) < 0)
        goto fail;
    return sock;
fail:
    return proto__nn_abandon(sock);
}

long proto_bus_board_recv(int sock, void **msg, proto_bus_hdr_t *hdr)
{
    void *body = NULL, *control = NULL;
    struct nn_iovec iov = {&body, NN_MSG};
    struct nn_msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = NN_MSG};
    int n = nn_recvmsg(sock, &mh, NN_DONTWAIT);
    if (n < 0)
        return -1;
    hdr->len = 0;
    for (struct nn_cmsghdr *c = NN_CMSG_FIRSTHDR(&mh); c != NULL; c = NN_CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != PROTO_BUS_SP_LEVEL || c->cmsg_type != PROTO_BUS_SP_HDR)
            continue;
        size_t len;
        memcpy(&len, NN_CMSG_DATA(c), sizeof len);
        if (len <= sizeof hdr->bytes && c->cmsg_len >= NN_CMSG_LEN(sizeof len + len)) {
            memcpy(hdr->bytes, NN_CMSG_DATA(c) + sizeof len, len);
            hdr->len = len;
        }
        break;
    }
    nn_freemsg(control);
    if (hdr->len < 8) {
        /* a message without a routing header cannot be answered: drop it */
        nn_freemsg(body);
        errno = EAGAIN;
        return -1;
    }
    *msg = body;
    return n;
}

int proto_bus_board_send(int sock, const proto_bus_hdr_t *hdr, const void *data, size_t len)
{
    unsigned char control[NN_CMSG_SPACE(sizeof(size_t) + PROTO_BUS_HDR_MAX)];
    struct nn_cmsghdr *c = (struct nn_cmsghdr *)(void *)control;
    memset(control, 0, sizeof control);
    c->cmsg_len = NN_CMSG_LEN(sizeof(size_t) + hdr->len);
    c->cmsg_level = PROTO_BUS_SP_LEVEL;
    c->cmsg_type = PROTO_BUS_SP_HDR;
    size_t hl = hdr->len;
    memcpy(NN_CMSG_DATA(c), &hl, sizeof hl);
    memcpy(NN_CMSG_DATA(c) + sizeof hl, hdr->bytes, hdr->len);
    struct nn_iovec iov = {(void *)(uintptr_t)data, len};
    struct nn_msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                           .msg_controllen = NN_CMSG_SPACE(sizeof(size_t) + hdr->len)};
    return nn_sendmsg(sock, &mh, NN_DONTWAIT) < 0 ? -1 : 0;
}

int proto_bus_worker_send(int sock, const void *data, size_t len)
{
    return nn_send(sock, data, len, 0) < 0 ? -1 : 0;
}

void *proto_bus_msg_alloc(size_t len)
{
    return nn_allocmsg(len, 0);
}

int proto_bus_worker_send_msg(int sock, void *msg)
{
    /* NN_MSG: nanomsg takes the chunk as the message body (a REQ keeps it for resending by
     * reference count, not by copy); on failure it is still the caller's */
    if (nn_send(sock, &msg, NN_MSG, 0) >= 0)
        return 0;
    int saved = errno;
    nn_freemsg(msg);
    errno = saved;
    return -1;
}

long proto_bus_worker_recv(int sock, void **msg, int timeout_ms)
{
    if (nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof timeout_ms) < 0)
        return -1;
    void *body = NULL;
    int n = nn_recv(sock, &body, NN_MSG, 0);
    if (n < 0)
        return -1;
    *msg = body;
    return n;
}

int proto_bus_sub_bind(const char *endpoint, size_t max_msg)
{
    int sock = nn_socket(AF_SP, NN_SUB);
    if (sock < 0)
        return -1;
    /* without a subscription a SUB receives nothing at all (tech notes §5) */
    if (proto__nn_limit(sock, max_msg) < 0 || nn_setsockopt(sock, NN_SUB, NN_SUB_SUBSCRIBE, "", 0) < 0 ||
        nn_bind(sock, endpoint) < 0)
        goto fail;
    return sock;
fail:
    return proto__nn_abandon(sock);
}

int proto_bus_pub_connect(const char *endpoint)
{
    int sock = nn_socket(AF_SP, NN_PUB);
    if (sock < 0)
        return -1;
    int reconnect = 100, reconnect_max = 1000;
    if (nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max) < 0 ||
        nn_connect(sock, endpoint) < 0) {
        return proto__nn_abandon(sock);
    }
    return sock;
}

int proto_bus_pub_send(int sock, const void *data, size_t len)
{
    return nn_send(sock, data, len, NN_DONTWAIT) < 0 ? -1 : 0;
}

long proto_bus_sub_recv(int sock, void **msg)
{
    void *body = NULL;
    int n = nn_recv(sock, &body, NN_MSG, NN_DONTWAIT);
    if (n < 0)
        return -1;
    *msg = body;
    return n;
}

int proto_bus_client_connect(const char *endpoint, size_t max_msg)
{
    int sock = nn_socket(AF_SP, NN_REQ);
    if (sock < 0)
        return -1;
    /* one request, answered or timed out by the caller: a resend would run it twice */
    int resend = 24 * 3600 * 1000;
    if (proto__nn_limit(sock, max_msg) < 0 ||
        nn_setsockopt(sock, NN_REQ, NN_REQ_RESEND_IVL, &resend, sizeof resend) < 0 || nn_connect(sock, endpoint) < 0) {
        return proto__nn_abandon(sock);
    }
    return sock;
}

void proto_bus_free(void *msg)
{
    if (msg != NULL)
        nn_freemsg(msg);
}

int proto_bus_recv_fd(int sock)
{
    int fd;
    size_t sz = sizeof fd;
    return nn_getsockopt(sock, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz) < 0 ? -1 : fd;
}

uint64_t proto_bus_broken_connections(int sock)
{
    return nn_get_statistic(sock, NN_STAT_BROKEN_CONNECTIONS);
}

uint64_t proto_bus_current_connections(int sock)
{
    return nn_get_statistic(sock, NN_STAT_CURRENT_CONNECTIONS);
}

void proto_bus_close(int sock)
{
    if (sock >= 0)
        nn_close(sock);
}
