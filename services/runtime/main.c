#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "proto/roles.h"
#include "services/runtime/announce.h"
#include "services/runtime/worker.h"

static void svc__usage(FILE *out, const char *name)
{
    fprintf(out,
            "usage: apibus-%s [--print-fragment | --help]\n"
            "  --print-fragment  print this service's OpenAPI fragment as JSON and exit\n"
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

/* Reads the configuration and the board's endpoint. Returns 0 or the exit code 2. */
static int svc__configure(const svc_def_t *def, svc_config_t *cfg, char *endpoint, size_t cap)
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
    if (proto_endpoint(role->port_offset, PROTO_SIDE_CONNECT, endpoint, cap) != 0)
        return 2; /* proto_endpoint explained why on stderr */
    return 0;
}

static int svc__serve(const svc_def_t *def, const svc_config_t *cfg, const char *endpoint)
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
    if (svc_workers_start(svc, endpoint, &workers) != 0) {
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
    int sig = 0;
    sigwait(&stop_signals, &sig);
    svc_log("info", "%s received: finishing current requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
    svc_announce_stop(announcer);
    svc_workers_stop(workers);
    svc_close(svc);
    svc_log("info", "stopped");
    return 0;
}

int svc_main(const svc_def_t *def, int argc, char **argv)
{
    svc__log_set_service(def->name);
    if (argc > 1) {
        if (argc == 2 && strcmp(argv[1], "--print-fragment") == 0)
            return svc__print_fragment(def);
        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            svc__usage(stdout, def->name);
            return 0;
        }
        svc__usage(stderr, def->name);
        return 2;
    }
    svc_config_t cfg;
    char endpoint[512];
    int rc = svc__configure(def, &cfg, endpoint, sizeof endpoint);
    return rc != 0 ? rc : svc__serve(def, &cfg, endpoint);
}
