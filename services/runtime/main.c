#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/heap.h"
#include "proto/roles.h"
#include "services/runtime/announce.h"
#include "services/runtime/worker.h"

static void svc__usage(FILE *out, const char *name)
{
    fprintf(out,
            "usage: apibus-%s [--print-fragment | --health | --help]\n"
            "  --print-fragment  print this service's OpenAPI fragment as JSON and exit\n"
            "  --health          exit 0 when the running instance is healthy (for HEALTHCHECK)\n"
            "Without options, serves requests from the gateway's job board until SIGTERM or SIGINT.\n"
            "Configuration comes from APIBUS_* environment variables (see deploy/apibus.env.example).\n",
            name);
}

static int svc__print_fragment(const svc_def_t *def)
{
    json_t *frag = svc__fragment(def);
    if (frag == NULL)
        svc__oom();
    int rc = json_dumpf(frag, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(frag);
    if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "apibus-%s: cannot write the fragment\n", def->name);
        return 1;
    }
    return 0;
}

/* nanomsg gives a process at most 512 sockets; leave room for the event, fragment and drain
 * sockets beside one per worker per gateway. */
#define SVC__MAX_WORKER_SOCKETS 500u

/* Reads the configuration and the board's endpoint on every gateway. Returns 0 or the exit code 2. */
static int svc__configure(const svc_def_t *def, svc_config_t *cfg, char (*endpoints)[PROTO_ENDPOINT_MAX],
                          size_t *num_endpoints)
{
    char err[256];
    svc_config_defaults(cfg);
    if (svc_config_from_env(cfg, err, sizeof err) != 0) {
        fprintf(stderr, "apibus-%s: %s\n", def->name, err);
        return 2;
    }
    const proto_role_t *role = proto_role_by_name(def->name);
    if (role == NULL) {
        fprintf(stderr, "apibus-%s: no role \"%s\" in the role registry\n", def->name, def->name);
        return 2;
    }
    if (proto_endpoints(role->port_offset, endpoints, PROTO_MAX_GATEWAYS, num_endpoints) != 0)
        return 2; /* proto_endpoints explained why on stderr */
    if (cfg->workers * *num_endpoints > SVC__MAX_WORKER_SOCKETS) {
        fprintf(stderr, "apibus-%s: APIBUS_WORKERS=%u for each of %zu gateways is %zu bus connections; a process "
                "has room for %u: lower APIBUS_WORKERS to %zu at most\n", def->name, cfg->workers, *num_endpoints,
                cfg->workers * *num_endpoints, SVC__MAX_WORKER_SOCKETS, SVC__MAX_WORKER_SOCKETS / *num_endpoints);
        return 2;
    }
    return 0;
}

/*
 * Health. A serving instance rewrites a small status file every second (APIBUS_HEALTH_FILE,
 * default /tmp/apibus-<service>.health: per container, never in the data volume): "ok <n>" with n
 * the worker connections that are up over every gateway (APIBUS_WORKERS per gateway when all are
 * reachable), or "draining". One reachable gateway is enough to be healthy: restarting the
 * service would not bring back another gateway. `apibus-<service> --health` (the image's
 * HEALTHCHECK) reads it: healthy when it is fresh, says ok and at least one worker is connected
 * to the gateway. It proves that the process's main loop runs and that the gateway's job board
 * is reachable, without touching LMDB or sending anything over the bus.
 */
#define SVC__HEALTH_PERIOD_S 1
#define SVC__HEALTH_STALE_S 5

static void svc__health_path(const svc_def_t *def, char *out, size_t cap)
{
    const char *v = getenv("APIBUS_HEALTH_FILE");
    if (v != NULL && *v != '\0')
        snprintf(out, cap, "%s", v);
    else
        snprintf(out, cap, "/tmp/apibus-%s.health", def->name);
}

static void svc__health_write(const char *path, const char *state, unsigned connected)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "%s %u %ld\n", state, connected, (long)getpid());
    if (fclose(f) == 0)
        rename(tmp, path); /* whole or not at all, for a reader at any moment */
}

static int svc__health_check(const svc_def_t *def)
{
    char path[PATH_MAX], state[16] = "";
    unsigned connected = 0;
    struct stat st;
    svc__health_path(def, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f == NULL || fstat(fileno(f), &st) != 0 || fscanf(f, "%15s %u", state, &connected) != 2) {
        printf("unhealthy: no status in %s (not serving?)\n", path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    fclose(f);
    long age = (long)(time(NULL) - st.st_mtime);
    if (age > SVC__HEALTH_STALE_S) {
        printf("unhealthy: status %lds old (the process is stuck or gone)\n", age);
        return 1;
    }
    if (strcmp(state, "ok") != 0 || connected == 0) {
        printf("unhealthy: %s, %u worker(s) connected to the gateway\n", state, connected);
        return 1;
    }
    printf("ok: %u worker(s) connected to the gateway\n", connected);
    return 0;
}

static int svc__serve(const svc_def_t *def, const svc_config_t *cfg, const char (*endpoints)[PROTO_ENDPOINT_MAX],
                      size_t num_endpoints)
{
    /* Signals are taken by sigwait here, never by a handler interrupting a worker; the mask is
     * set before any thread starts so that every thread inherits it. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    svc_t *svc;
    svc_workers_t *workers;
    if (svc_open(def, cfg, &svc) != 0)
        return 1;
    if (svc_workers_start(svc, endpoints, num_endpoints, &workers) != 0) {
        svc_close(svc);
        return 1;
    }
    svc_announcer_t *announcer;
    if (svc_announce_start(def, &announcer) != 0) {
        svc_workers_stop(workers);
        svc_close(svc);
        return 2;
    }
    svc_log("info", "version %s started", def->version != NULL ? def->version : "0.0.0");
    char health[PATH_MAX];
    svc__health_path(def, health, sizeof health);
    int sig = -1;
    struct timespec period = {SVC__HEALTH_PERIOD_S, 0};
    while (sig < 0) {
        svc__health_write(health, "ok", svc_workers_connected(workers));
        sig = sigtimedwait(&stop_signals, NULL, &period);
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            sigwait(&stop_signals, &sig);
    }
    svc__health_write(health, "draining", 0);
    svc_log("info", "%s received: draining (at most %u ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            cfg->shutdown_grace_ms);
    svc_workers_drain(workers, cfg->shutdown_grace_ms);
    svc_announce_stop(announcer);
    svc_workers_stop(workers);
    svc_close(svc);
    unlink(health);
    svc_log("info", "stopped");
    return 0;
}

int svc_main(const svc_def_t *def, int argc, char **argv)
{
    proto_heap_tune();
    svc__log_set_service(def->name);
    if (argc > 1) {
        if (argc == 2 && strcmp(argv[1], "--print-fragment") == 0)
            return svc__print_fragment(def);
        if (argc == 2 && strcmp(argv[1], "--health") == 0)
            return svc__health_check(def);
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            svc__usage(stdout, def->name);
            return 0;
        }
        svc__usage(stderr, def->name);
        return 2;
    }
    svc_config_t cfg;
    char endpoints[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX];
    size_t num_endpoints;
    int rc = svc__configure(def, &cfg, endpoints, &num_endpoints);
    return rc != 0 ? rc : svc__serve(def, &cfg, (const char(*)[PROTO_ENDPOINT_MAX])endpoints, num_endpoints);
}
