#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/support/support.h"

void ts_suite_init(ts_suite_t *s, const char *tag)
{
    memset(s, 0, sizeof *s);
    s->dir = ts_tempdir(tag);
    cr_assert_not_null(s->dir, "cannot make a temporary folder");
    /* one block of 32: the HTTP port first, bus ports (base + offsets 0..19) after it */
    int base = ts_free_port_base(32);
    cr_assert_gt(base, 0, "no free port range");
    s->http_port = base;
    s->bus_base = base + 1;
    char static_dir[600];
    snprintf(static_dir, sizeof static_dir, "%s/static", s->dir);
    mkdir(static_dir, 0755);
    ts_env_set(&s->env, "APIBUS_DATA_DIR", s->dir);
    ts_env_setf(&s->env, "APIBUS_HTTP_PORT", "%d", s->http_port);
    ts_env_setf(&s->env, "APIBUS_BUS_PORT_BASE", "%d", s->bus_base);
    ts_env_set(&s->env, "APIBUS_JWT_SECRET", TS_SECRET);
    ts_env_set(&s->env, "APIBUS_STATIC_DIR", static_dir);
    /* tiers that run one service wait for that one; the end-to-end tier asks for more */
    ts_env_set(&s->env, "APIBUS_REQUIRED_ROLES", "employees");
}

void ts_suite_gateways(ts_suite_t *s, const int *bus_bases, size_t num)
{
    char list[512];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < num; i++) {
        int n = snprintf(list + len, sizeof list - len, "%s127.0.0.1:%d", i > 0 ? "," : "", bus_bases[i]);
        cr_assert(n > 0 && (size_t)n < sizeof list - len, "too many gateways");
        len += (size_t)n;
    }
    ts_env_set(&s->env, "APIBUS_BUS_HOST", list);
}

ts_proc_t *ts_suite_start(ts_suite_t *s, int slot, const char *rel, const char *const *extra)
{
    cr_assert(slot >= 0 && slot < TS_MAX_PROCS);
    ts_env_t env = {0};
    for (size_t i = 0; i < s->env.num; i++) {
        char *eq = strchr(s->env.vars[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - s->env.vars[i]), s->env.vars[i]);
        ts_env_set(&env, name, eq + 1);
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        const char *eq = strchr(extra[i], '=');
        cr_assert_not_null(eq, "extra environment must be NAME=value: %s", extra[i]);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - extra[i]), extra[i]);
        ts_env_set(&env, name, eq + 1);
    }
    char log[700];
    const char *base = strrchr(rel, '/');
    snprintf(log, sizeof log, "%s/%s.%d.log", s->dir, base != NULL ? base + 1 : rel, slot);
    int rc = ts_proc_start(&s->procs[slot], ts_binary(rel), &env, log);
    ts_env_dispose(&env);
    cr_assert_eq(rc, 0, "cannot start %s", ts_binary(rel));
    return &s->procs[slot];
}

ts_proc_t *ts_suite_start_gateway(ts_suite_t *s, const char *const *extra)
{
    ts_proc_t *p = ts_suite_start(s, 0, "gateway/apibus-gateway", extra);
    if (ts_http_wait_status(s->http_port, "/healthz", 200, 10000) != 0) {
        ts_suite_dump_logs(s);
        cr_assert_fail("the gateway did not come up on port %d", s->http_port);
    }
    return p;
}

ts_proc_t *ts_suite_start_service(ts_suite_t *s, int slot, const char *service, const char *const *extra)
{
    char rel[256];
    snprintf(rel, sizeof rel, "services/%s/apibus-%s", service, service);
    return ts_suite_start(s, slot, rel, extra);
}

void ts_suite_wait_ready(ts_suite_t *s, int timeout_ms)
{
    if (ts_http_wait_status(s->http_port, "/readyz", 200, timeout_ms) != 0) {
        ts_suite_dump_logs(s);
        cr_assert_fail("the suite did not become ready within %d ms", timeout_ms);
    }
}

void ts_suite_dump_logs(const ts_suite_t *s)
{
    for (int i = 0; i < TS_MAX_PROCS; i++)
        if (s->procs[i].name[0] != '\0')
            ts_proc_dump_log(&s->procs[i]);
}

void ts_suite_stop(ts_suite_t *s)
{
    for (int i = 0; i < TS_MAX_PROCS; i++)
        ts_proc_kill(&s->procs[i]);
    if (s->dir != NULL && getenv("TS_KEEP") == NULL)
        ts_rmtree(s->dir);
    else if (s->dir != NULL)
        fprintf(stderr, "kept %s\n", s->dir);
    free(s->dir);
    ts_env_dispose(&s->env);
    memset(s, 0, sizeof *s);
}
