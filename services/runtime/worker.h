/*
 * The bus side of a service: worker threads that take jobs from the gateway's job board.
 */
#ifndef APIBUS_SERVICES_RUNTIME_WORKER_H
#define APIBUS_SERVICES_RUNTIME_WORKER_H

#include "services/runtime/internal.h"

typedef struct st_svc_workers_t svc_workers_t;

/* Connects cfg->workers REQ sockets to endpoint and starts one thread per socket. Does not
 * block on the gateway (nanomsg connects in the background). Returns 0 or -PROTO_ERR_UNAVAILABLE. */
int svc_workers_start(svc_t *svc, const char *endpoint, svc_workers_t **out);
/* Stops asking for work, lets each thread finish its request, joins them. NULL is a no-op. */
void svc_workers_stop(svc_workers_t *pool);

#endif
