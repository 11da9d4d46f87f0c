/*
 * One-way bus sockets (nanomsg PUSH/PULL), for messages that need no answer: every service
 * pushes its OpenAPI fragment to schema-svc, which binds the one PULL socket
 * (PROTO_PORT_FRAGMENTS). Kept beside proto/bus.h so the transport stays swappable.
 *
 * A push never blocks and never fails a service: with nobody listening the message is
 * dropped (the next periodic push carries the same facts).
 */
#ifndef APIBUS_PROTO_PIPELINE_H
#define APIBUS_PROTO_PIPELINE_H

#include <stddef.h>

/* Binds a PULL socket at endpoint; messages above max_msg bytes are refused (NN_RCVMAXSIZE).
 * Returns a socket (>= 0) or -1 (errno set). Receive with proto_bus_worker_recv. */
int proto_pipeline_pull_bind(const char *endpoint, size_t max_msg);
/* Connects a PUSH socket; nanomsg reconnects in the background. Returns a socket or -1. */
int proto_pipeline_push_connect(const char *endpoint);
/* Queues one message without waiting. Returns 0, or -1 with errno EAGAIN when no receiver is
 * connected or its queue is full (the message is dropped). */
int proto_pipeline_push(int sock, const void *data, size_t len);

#endif
