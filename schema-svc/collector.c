#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "proto/bus.h"
#include "proto/errors.h"
#include "proto/pipeline.h"
#include "schema-svc/schema.h"

/* A fragment is a few tens of kB; this leaves room for a large API and caps a hostile one. */
#define SCHEMA__MAX_MESSAGE (8u * 1024u * 1024u)
/* Also the period of the TTL check when nothing arrives. */
#define SCHEMA__POLL_MS 250

struct st_schema_collector_t {
    schema_registry_t *registry;
    pthread_t thread;
    int sock;
    atomic_bool stop;
};

static void schema__collect(schema_collector_t *c, const void *data, size_t len)
{
    proto_announce_t a;
    int rc = proto_announce_decode(data, len, SCHEMA__MAX_MESSAGE, &a);
    if (rc != 0) {
        svc_log("error", "schema: dropped an undecodable fragment message of %zu bytes: %s", len, proto_err_name(rc));
        return;
    }
    schema_registry_announce(c->registry, &a, svc_now_us());
}

static void *schema__collector_main(void *arg)
{
    schema_collector_t *c = arg;
    while (!atomic_load(&c->stop)) {
        void *data = NULL;
        long n = proto_bus_worker_recv(c->sock, &data, SCHEMA__POLL_MS);
        if (n >= 0) {
            schema__collect(c, data, (size_t)n);
            proto_bus_free(data);
        } else if (errno == EBADF) {
            break;
        }
        schema_registry_tick(c->registry, svc_now_us());
    }
    return NULL;
}

int schema_collector_start(schema_registry_t *r, const char *endpoint, schema_collector_t **out)
{
    schema_collector_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->registry = r;
    atomic_init(&c->stop, false);
    if ((c->sock = proto_pipeline_pull_bind(endpoint, SCHEMA__MAX_MESSAGE)) < 0) {
        svc_log("error", "schema: cannot bind the fragment endpoint %s: %s (is another schema-svc running?)", endpoint,
                strerror(errno));
        free(c);
        return -1;
    }
    if (pthread_create(&c->thread, NULL, schema__collector_main, c) != 0) {
        proto_bus_close(c->sock);
        free(c);
        return -1;
    }
    svc_log("info", "schema: collecting fragments on %s", endpoint);
    *out = c;
    return 0;
}

void schema_collector_stop(schema_collector_t *c)
{
    if (c == NULL)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    proto_bus_close(c->sock);
    free(c);
}
