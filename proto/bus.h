/*
 * The bus transport, kept behind this small interface so that nanomsg (in maintenance mode)
 * can be replaced by NNG without touching the gateway or the runtime.
 *
 * Two socket kinds carry the job board:
 *  - a board (gateway side) binds and receives routed messages: each comes with a header that
 *    identifies the sender's connection, and a reply sent with that header reaches that sender;
 *  - a worker (service side) connects and alternates send (READY/RESULT) and receive (JOB/PING).
 * Every socket has a receive limit (NN_RCVMAXSIZE): nanomsg's default of 1 MiB silently breaks a
 * connection forever when exceeded (tech notes §3).
 */
#ifndef APIBUS_PROTO_BUS_H
#define APIBUS_PROTO_BUS_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_BUS_HDR_MAX 32

/* The routing header of a message received on a board. The first 4 bytes identify the
 * sender's connection (the "pipe key"); bytes 4..8 its request id. */
typedef struct st_proto_bus_hdr_t {
    uint8_t bytes[PROTO_BUS_HDR_MAX];
    size_t len;
} proto_bus_hdr_t;

static inline uint32_t proto_bus_hdr_pipe(const proto_bus_hdr_t *h)
{
    return h->len >= 4 ? ((uint32_t)h->bytes[0] << 24 | (uint32_t)h->bytes[1] << 16 | (uint32_t)h->bytes[2] << 8 | h->bytes[3]) : 0;
}
static inline uint32_t proto_bus_hdr_request(const proto_bus_hdr_t *h)
{
    return h->len >= 8 ? ((uint32_t)h->bytes[4] << 24 | (uint32_t)h->bytes[5] << 16 | (uint32_t)h->bytes[6] << 8 | h->bytes[7]) : 0;
}

/* Binds a board at endpoint. Returns a socket (>= 0) or -1 (errno set). */
int proto_bus_board_bind(const char *endpoint, size_t max_msg);
/* Connects a worker to the board at endpoint; reconnects by itself. Returns a socket or -1. */
int proto_bus_worker_connect(const char *endpoint, size_t max_msg);

/* Non-blocking receive on a board. On success returns the length and sets *msg (free it with
 * proto_bus_free) and *hdr; returns -1 with errno EAGAIN when nothing is queued. */
long proto_bus_board_recv(int sock, void **msg, proto_bus_hdr_t *hdr);
/* Non-blocking send of a reply to the sender named by hdr. Returns 0 or -1 (errno). Note: a
 * reply to a vanished sender is silently discarded by nanomsg and still returns 0. */
int proto_bus_board_send(int sock, const proto_bus_hdr_t *hdr, const void *data, size_t len);

/* Worker side. Send blocks until queued; recv waits up to timeout_ms (-1: forever) and
 * returns the length and *msg, or -1 with errno ETIMEDOUT/EAGAIN/EBADF. */
int proto_bus_worker_send(int sock, const void *data, size_t len);
long proto_bus_worker_recv(int sock, void **msg, int timeout_ms);
/* Sending without a copy: proto_bus_worker_send copies data into a message of the transport's;
 * a message allocated here (exactly len bytes, to be filled completely) is handed over instead.
 * proto_bus_msg_alloc returns NULL when out of memory. proto_bus_worker_send_msg sends the whole
 * message like proto_bus_worker_send and takes it over in every case (it is freed on failure);
 * a message never sent is freed with proto_bus_free. */
void *proto_bus_msg_alloc(size_t len);
int proto_bus_worker_send_msg(int sock, void *msg);

/* Events (tech notes §5): the gateway binds a SUB, each publisher connects a PUB. Delivery is
 * best effort (a slow joiner or a burst loses messages); see proto/events.h for the resync. */
int proto_bus_sub_bind(const char *endpoint, size_t max_msg);
int proto_bus_pub_connect(const char *endpoint);
/* Non-blocking; a message no subscriber takes is discarded and still returns 0. */
int proto_bus_pub_send(int sock, const void *data, size_t len);
/* Non-blocking receive on a SUB: the length and *msg (free with proto_bus_free), or -1 (EAGAIN). */
long proto_bus_sub_recv(int sock, void **msg);

/* A client of a board-like endpoint (the `apibus` command on the internal endpoint): a REQ that
 * never resends by itself. Returns a socket or -1. */
int proto_bus_client_connect(const char *endpoint, size_t max_msg);

void proto_bus_free(void *msg);
/* A file descriptor that is readable while messages are queued (level-triggered). Do not
 * read it and do not close it: watch a dup(). Returns -1 on failure. */
int proto_bus_recv_fd(int sock);
/* Number of connections that broke since the socket was created (to notice dead workers). */
uint64_t proto_bus_broken_connections(int sock);
uint64_t proto_bus_current_connections(int sock);
void proto_bus_close(int sock);

#endif
