/*
 * The `apibus` command as a client of the running suite: one request to the gateway's internal
 * endpoint (a bus socket, not HTTP; ARCHITECTURE §3), which hands it to the owning service with
 * the system principal. Changes therefore go through the service and publish its events.
 */
#ifndef APIBUS_CLI_BUS_H
#define APIBUS_CLI_BUS_H

#include <jansson.h>

#define CLI_BUS_TIMEOUT_MS 30000

/* Sends method path with body (a JSON object, may be NULL; not stolen) and waits for the reply.
 * Returns the HTTP status (and *reply, the parsed JSON body or NULL; decref it), or -1 after
 * printing why (gateway not running, timeout, undecodable reply) to stderr. */
int cli_bus_call(const char *method, const char *path, json_t *body, json_t **reply);

/* Prints a service's error reply ({"detail": ...} or {"field": ["msg"]}) to stderr. */
void cli_bus_print_error(int status, json_t *reply);

#endif
