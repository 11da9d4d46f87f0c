/*
 * apibus-gateway: the HTTP front of apibus (ARCHITECTURE §1). Configuration is APIBUS_*
 * environment variables (gateway/config.h); SIGTERM or SIGINT stop it gracefully (exit 0).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "gateway/server.h"
#include "proto/heap.h"

static volatile sig_atomic_t gw__stop;

static void gw__on_signal(int sig)
{
    gw__stop = 1;
}

int main(int argc, char **argv)
{
    static gw_config_t cfg;
    static gw_server_t server;
    static gw_loop_t loop;
    char err[512];
    int rc = 1;

    if (argc > 1) {
        fprintf(stderr, "usage: %s (configured by APIBUS_* environment variables)\n", argv[0]);
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    proto_heap_tune();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = gw__on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (gw_config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "apibus-gateway: %s\n", err);
        return 1;
    }
    if (gw_server_init(&server, &cfg) != 0)
        goto out;
    if (gw_loop_init(&loop, &server) != 0)
        goto out;
    gw_loop_run(&loop, &gw__stop);
    rc = 0;
out:
    gw_loop_dispose(&loop);
    gw_server_dispose(&server);
    memset(&cfg, 0, sizeof cfg);
    return rc;
}
