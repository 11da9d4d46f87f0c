#include "services/runtime/announce.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/announce.h"
#include "proto/bus.h"
#include "proto/pipeline.h"
#include "proto/roles.h"
#include "services/runtime/internal.h"

#define SVC__PUSH_DEFAULT_MS 3000u
/* Until the first push is taken, retry quickly: the document should not wait a whole period
 * for a service that started just before schema-svc. */
#define SVC__PUSH_RETRY_MS 200u

struct st_svc_announcer_t {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    int sock;
    unsigned period_ms;
    proto_buf_t hello, bye; /* encoded once: the fragment of a binary never changes */
};

static int svc__push_period(unsigned *out)
{
    const char *v = getenv("APIBUS_FRAGMENT_PUSH_MS");
    *out = SVC__PUSH_DEFAULT_MS;
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long ms = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || ms < 100 || ms > 3600000) {
        fprintf(stderr, "apibus: APIBUS_FRAGMENT_PUSH_MS=%s: expected 100..3600000 milliseconds\n", v);
        return -1;
    }
    *out = (unsigned)ms;
    return 0;
}

static int svc__push_endpoint(char *out, size_t cap)
{
    const char *v = getenv("APIBUS_FRAGMENTS_ENDPOINT");
    if (v == NULL || *v == '\0')
        return proto_endpoint(PROTO_PORT_FRAGMENTS, PROTO_SIDE_CONNECT, out, cap);
    if ((size_t)snprintf(out, cap, "%s", v) >= cap) {
        fprintf(stderr, "apibus: APIBUS_FRAGMENTS_ENDPOINT is too long\n");
        return -1;
    }
    return 0;
}

static void svc__encode(const svc_def_t *def, const char *instance, uint64_t started_us, bool stopping,
                        proto_buf_t *out)
{
    char *text = NULL;
    if (!stopping) {
        json_t *frag = svc__fragment(def);
        /* the very bytes --print-fragment prints, so the pushed and the dumped document agree */
        if (frag == NULL || (text = json_dumps(frag, JSON_SORT_KEYS | JSON_INDENT(2))) == NULL)
            svc__oom();
        json_decref(frag);
    }
    const char *version = def->version != NULL ? def->version : "0.0.0";
    proto_announce_t a = {
        .service = {def->name, strlen(def->name)},
        .version = {version, strlen(version)},
        .instance = {instance, strlen(instance)},
        .started_us = started_us,
        .stopping = stopping,
        .fragment = {text != NULL ? text : "", text != NULL ? strlen(text) : 0},
    };
    if (proto_announce_encode(&a, out) != 0)
        svc__oom();
    free(text);
}

static void *svc__announce_main(void *arg)
{
    svc_announcer_t *a = arg;
    bool taken = false;
    pthread_mutex_lock(&a->lock);
    while (!a->stop) {
        pthread_mutex_unlock(&a->lock);
        if (proto_pipeline_push(a->sock, a->hello.data, a->hello.size) == 0)
            taken = true;
        pthread_mutex_lock(&a->lock);
        unsigned ms = taken ? a->period_ms : SVC__PUSH_RETRY_MS;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        while (!a->stop && pthread_cond_timedwait(&a->wake, &a->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

int svc_announce_start(const svc_def_t *def, svc_announcer_t **out)
{
    char endpoint[512], host[128], instance[192];
    unsigned period;
    if (svc__push_period(&period) != 0 || svc__push_endpoint(endpoint, sizeof endpoint) != 0)
        return -1;
    svc_announcer_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        svc__oom();
    a->period_ms = period;
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(instance, sizeof instance, "%s:%ld", host, (long)getpid());
    uint64_t started = (uint64_t)svc_now_us();
    svc__encode(def, instance, started, false, &a->hello);
    svc__encode(def, instance, started, true, &a->bye);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->wake, NULL);
    if ((a->sock = proto_pipeline_push_connect(endpoint)) < 0) {
        /* only a malformed endpoint gets here (connecting is asynchronous): the schema loses
         * this service, the service itself keeps working */
        svc_log("error", "fragments: cannot connect to %s: %s", endpoint, strerror(errno));
    } else if (pthread_create(&a->thread, NULL, svc__announce_main, a) != 0) {
        svc__oom();
    } else {
        svc_log("info", "fragments: pushing to %s every %u ms as %s", endpoint, period, instance);
    }
    *out = a;
    return 0;
}

void svc_announce_stop(svc_announcer_t *a)
{
    if (a == NULL)
        return;
    if (a->sock >= 0) {
        pthread_mutex_lock(&a->lock);
        a->stop = true;
        pthread_cond_signal(&a->wake);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
        /* the goodbye lets schema-svc mark the instance gone at once; the socket's linger
         * gives it a moment to leave */
        proto_pipeline_push(a->sock, a->bye.data, a->bye.size);
        proto_bus_close(a->sock);
    }
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    proto_buf_dispose(&a->hello);
    proto_buf_dispose(&a->bye);
    free(a);
}
