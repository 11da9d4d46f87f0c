/*
 * Private to proto/: the chores every nanomsg socket of apibus shares. Only the transport files
 * (bus.c, pipeline.c) include it, so nanomsg stays behind proto/bus.h and proto/pipeline.h.
 */
#ifndef APIBUS_PROTO_NN_SOCKET_H
#define APIBUS_PROTO_NN_SOCKET_H

#include <errno.h>
#include <limits.h>
#include <nanomsg/nn.h>
#include <stddef.h>

/* Never leave the 1 MiB default receive limit: a connecting socket that drops an oversize
 * message never recovers in 1.1.5 (tech notes §3). max_msg 0 means unlimited (-1); nanomsg's
 * own 0 would refuse every non-empty message. */
static inline int proto__nn_limit(int sock, size_t max_msg)
{
    int v = max_msg == 0 || max_msg > INT_MAX ? -1 : (int)max_msg;
    return nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &v, sizeof v);
}

/* Closes a socket whose set-up failed and returns -1 with the failure's errno kept. */
static inline int proto__nn_abandon(int sock)
{
    int saved = errno;
    nn_close(sock);
    errno = saved;
    return -1;
}

#endif
