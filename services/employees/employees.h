/*
 * The employees service: Pegasus's example domain API under /pegasus/employees/api/.
 * routes.c declares the models and the route table; handlers.c answers the requests.
 */
#ifndef APIBUS_SERVICES_EMPLOYEES_EMPLOYEES_H
#define APIBUS_SERVICES_EMPLOYEES_EMPLOYEES_H

#include "services/runtime/service.h"

extern const svc_def_t employees_service;

void employees_list(svc_ctx_t *ctx);
void employees_create(svc_ctx_t *ctx);
void employees_retrieve(svc_ctx_t *ctx);
void employees_update(svc_ctx_t *ctx);
void employees_partial_update(svc_ctx_t *ctx);
void employees_destroy(svc_ctx_t *ctx);
void employees_aggregate_data(svc_ctx_t *ctx);

/* Service lifecycle (svc_def_t.init/.fini): the store's database handles. */
int employees_init(svc_t *svc);
void employees_fini(svc_t *svc);

#endif
