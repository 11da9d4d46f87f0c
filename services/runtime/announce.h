/*
 * Private to services/runtime/: the fragment push. While a service serves, one thread pushes
 * {service, version, instance, fragment} (proto/announce.h) to schema-svc's PULL socket at
 * start, every APIBUS_FRAGMENT_PUSH_MS, and a last "bye" when the service stops, so that
 * schema-svc rebuilds the document when a restarted service changed its routes.
 *
 * Pushing never blocks a request and never fails a service: while schema-svc is down the
 * messages are dropped and the next push carries the same facts.
 */
#ifndef APIBUS_SERVICES_RUNTIME_ANNOUNCE_H
#define APIBUS_SERVICES_RUNTIME_ANNOUNCE_H

#include "services/runtime/service.h"

typedef struct st_svc_announcer_t svc_announcer_t;

/* Reads APIBUS_FRAGMENT_PUSH_MS and APIBUS_FRAGMENTS_ENDPOINT, connects and starts the thread.
 * Returns 0, or -1 after writing the reason (a bad variable) to stderr. */
int svc_announce_start(const svc_def_t *def, svc_announcer_t **out);
/* Pushes the "bye", stops the thread, closes the socket. NULL is a no-op. */
void svc_announce_stop(svc_announcer_t *a);

#endif
