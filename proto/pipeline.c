#include "proto/pipeline.h"
#include "proto/nn_socket.h"

#include <errno.h>
#include <limits.h>
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>

int proto_pipeline_pull_bind(const char *endpoint, size_t max_msg)
{
    int sock = nn_socket(AF_SP, NN_PULL);
    if (sock < 0)
        return -1;
    if (proto__nn_limit(sock, max_msg) < 0 || nn_bind(sock, endpoint) < 0)
        return proto__nn_abandon(sock);
    return sock;
}

int proto_pipeline_push_connect(const char *endpoint)
{
    int sock = nn_socket(AF_SP, NN_PUSH);
    if (sock < 0)
        return -1;
    /* a pusher only sends, but set the limit anyway: every socket gets one (ARCHITECTURE §3) */
    int limit = 64 * 1024, reconnect = 100, reconnect_max = 2000, linger = 200;
    if (nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &limit, sizeof limit) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL, &reconnect, sizeof reconnect) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max) < 0 ||
        nn_setsockopt(sock, NN_SOL_SOCKET, NN_LINGER, &linger, sizeof linger) < 0 || nn_connect(sock, endpoint) < 0)
        return proto__nn_abandon(sock);
    return sock;
}

int proto_pipeline_push(int sock, const void *data, size_t len)
{
    return nn_send(sock, data, len, NN_DONTWAIT) < 0 ? -1 : 0;
}
