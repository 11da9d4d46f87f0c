/*
 * The bus side of a service: worker threads that take jobs from the job boards of its role on
 * every gateway (APIBUS_BUS_HOST may list several, proto/roles.h).
 */
#ifndef APIBUS_SERVICES_RUNTIME_WORKER_H
#define APIBUS_SERVICES_RUNTIME_WORKER_H

#include "proto/roles.h"
#include "services/runtime/internal.h"

typedef struct st_svc_workers_t svc_workers_t;

/* Connects cfg->workers REQ sockets to each of the num_endpoints boards (one per gateway) and
 * starts one thread per socket, so every gateway has cfg->workers credits (tech notes §10,
 * point 10). Does not block on a gateway (nanomsg connects in the background). Returns 0 or
 * -PROTO_ERR_UNAVAILABLE. */
int svc_workers_start(svc_t *svc, const char (*endpoints)[PROTO_ENDPOINT_MAX], size_t num_endpoints,
                      svc_workers_t **out);
/* Worker connections that are up, over all gateways (a board is reachable). */
unsigned svc_workers_connected(const svc_workers_t *pool);
/* Graceful part of a stop: keeps serving until every gateway has stopped sending work to each
 * of its workers (see worker.c) or grace_ms have passed. Blocks. Returns 0, or -1 when the grace
 * ran out (then jobs a gateway sends from now on to the remaining workers may be lost). */
int svc_workers_drain(svc_workers_t *pool, unsigned grace_ms);
/* Stops asking for work, lets each thread finish its request, joins them. NULL is a no-op. */
void svc_workers_stop(svc_workers_t *pool);

#endif
