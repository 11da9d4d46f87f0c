#include "tests/e2e/common.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

ts_suite_t suite;
e2e_gateway_t e2e_second;

#define E2E_MAX_SECRETS 512

static char *e2e_secrets[E2E_MAX_SECRETS];
static size_t e2e_num_secrets;

void e2e_secret(const char *s)
{
    if (s == NULL || strlen(s) < 8 || e2e_num_secrets == E2E_MAX_SECRETS)
        return;
    e2e_secrets[e2e_num_secrets++] = strdup(s);
}

static const char *const e2e_base_env[] = {
    "APIBUS_REQUIRED_ROLES=auth,employees", "APIBUS_WORKERS=8", "APIBUS_LMDB_MAP_SIZE=67108864",
    /* a suite registers many users from one address: the registration throttle has its own test */
    "APIBUS_AUTH_REGISTER_PER_HOUR=1000", NULL};

static ts_proc_t *e2e_start_proc(int slot, const char *rel, const char *const *extra, const char *const *more)
{
    const char *env[32];
    size_t n = 0;
    for (size_t i = 0; e2e_base_env[i] != NULL; i++)
        env[n++] = e2e_base_env[i];
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 24; i++)
        env[n++] = extra[i];
    for (size_t i = 0; more != NULL && more[i] != NULL && n < 30; i++)
        env[n++] = more[i];
    env[n] = NULL;
    return ts_suite_start(&suite, slot, rel, env);
}

void e2e_start(const char *const *extra)
{
    e2e_secret(TS_SECRET);
    e2e_start_proc(0, "gateway/apibus-gateway", extra, NULL);
    if (ts_http_wait_status(suite.http_port, "/healthz", 200, 10000) != 0) {
        ts_suite_dump_logs(&suite);
        cr_assert_fail("the gateway did not come up");
    }
    e2e_start_proc(1, "services/auth/apibus-auth", extra, NULL);
    e2e_start_proc(2, "services/employees/apibus-employees", extra, NULL);
    ts_suite_wait_ready(&suite, 20000);
}

/* The suite's block of 32 ports: the first gateway uses base..base+14, the second base+16.. */
static void e2e_second_ports(void)
{
    e2e_second.http_port = suite.http_port + 16;
    e2e_second.bus_base = suite.http_port + 17;
}

void e2e_both_gateways(void)
{
    e2e_second_ports();
    ts_suite_gateways(&suite, (const int[]){suite.bus_base, e2e_second.bus_base}, 2);
}

void e2e_start_second(const char *const *extra)
{
    char http[64], bus[64];
    e2e_second_ports();
    snprintf(http, sizeof http, "APIBUS_HTTP_PORT=%d", e2e_second.http_port);
    snprintf(bus, sizeof bus, "APIBUS_BUS_PORT_BASE=%d", e2e_second.bus_base);
    const char *const more[] = {http, bus, NULL};
    e2e_start_proc(3, "gateway/apibus-gateway", extra, more);
    e2e_start_proc(4, "services/auth/apibus-auth", extra, more);
    e2e_start_proc(5, "services/employees/apibus-employees", extra, more);
    if (ts_http_wait_status(e2e_second.http_port, "/readyz", 200, 20000) != 0) {
        ts_suite_dump_logs(&suite);
        cr_assert_fail("the second gateway did not become ready");
    }
}

/* Every *.log of the suite, searched for every remembered secret. */
static void e2e_scan_logs(void)
{
    DIR *d = opendir(suite.dir);
    struct dirent *de;
    size_t files = 0;
    cr_assert_not_null(d);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 4 || strcmp(de->d_name + n - 4, ".log") != 0)
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", suite.dir, de->d_name);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *text = malloc((size_t)size + 1);
        size_t got = fread(text, 1, (size_t)size, f);
        text[got] = '\0';
        fclose(f);
        files++;
        for (size_t i = 0; i < e2e_num_secrets; i++)
            cr_expect_null(strstr(text, e2e_secrets[i]), "a secret (%.6s...) appears in %s", e2e_secrets[i], path);
        free(text);
    }
    closedir(d);
    cr_expect_gt(files, 0, "no logs to scan");
}

void e2e_fini(void)
{
    /* SIGTERM first, so that shutdown messages are in the logs that are scanned */
    for (int i = TS_MAX_PROCS - 1; i >= 0; i--)
        if (suite.procs[i].pid > 0)
            ts_proc_stop(&suite.procs[i], 5000);
    if (suite.dir != NULL)
        e2e_scan_logs();
    for (size_t i = 0; i < e2e_num_secrets; i++)
        free(e2e_secrets[i]);
    e2e_num_secrets = 0;
    ts_suite_stop(&suite);
}

void e2e_request(int port, ts_http_res_t *res, const char *method, const char *path, const char *const *headers,
                 const char *body)
{
    int rc = ts_http(port != 0 ? port : suite.http_port, method, path, headers, body, body != NULL ? strlen(body) : 0,
                     30000, res);
    if (rc != 0)
        ts_suite_dump_logs(&suite);
    cr_assert_eq(rc, 0, "no response to %s %s", method, path);
}

static void e2e_with_bearer(int port, ts_http_res_t *res, const char *method, const char *path, const char *bearer,
                            const char *body)
{
    char *auth = NULL;
    const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
    if (bearer != NULL) {
        if (asprintf(&auth, "Authorization: Bearer %s", bearer) < 0)
            abort();
        headers[1] = auth;
    }
    e2e_request(port, res, method, path, headers, body);
    free(auth);
}

void e2e_post(int port, ts_http_res_t *res, const char *path, const char *bearer, const char *body)
{
    e2e_with_bearer(port, res, "POST", path, bearer, body);
}

void e2e_get(int port, ts_http_res_t *res, const char *path, const char *bearer)
{
    e2e_with_bearer(port, res, "GET", path, bearer, NULL);
}

json_t *e2e_json(const ts_http_res_t *res)
{
    json_error_t e;
    json_t *j = json_loadb(res->body, res->body_len, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %s", e.text, res->body);
    return j;
}

static char *e2e_dup_field(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    cr_assert(json_is_string(v), "no %s", name);
    e2e_secret(json_string_value(v));
    return strdup(json_string_value(v));
}

json_t *e2e_register(const char *email)
{
    char body[512];
    ts_http_res_t res;
    e2e_secret(E2E_PASSWORD);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password1\":\"%s\",\"password2\":\"%s\"}", email, E2E_PASSWORD,
             E2E_PASSWORD);
    e2e_post(0, &res, AUTH "register/", NULL, body);
    cr_assert_eq(res.status, 201, "register %s: %d %s", email, res.status, res.body);
    json_t *j = e2e_json(&res);
    e2e_secret(json_string_value(json_object_get(j, "access")));
    e2e_secret(json_string_value(json_object_get(j, "refresh")));
    ts_http_res_dispose(&res);
    return j;
}

void e2e_login(const char *email, const char *password, char **access, char **refresh)
{
    char body[512];
    ts_http_res_t res;
    e2e_secret(password);
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    e2e_post(0, &res, AUTH "login/", NULL, body);
    cr_assert_eq(res.status, 200, "login %s: %d %s", email, res.status, res.body);
    json_t *j = e2e_json(&res);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "success");
    json_t *jwt = json_object_get(j, "jwt");
    char *a = e2e_dup_field(jwt, "access"), *r = e2e_dup_field(jwt, "refresh");
    if (access != NULL)
        *access = a;
    else
        free(a);
    if (refresh != NULL)
        *refresh = r;
    else
        free(r);
    json_decref(j);
    ts_http_res_dispose(&res);
}

int e2e_employees_status(int port, const char *access)
{
    ts_http_res_t res;
    e2e_get(port, &res, EMPLOYEES, access);
    int status = res.status;
    ts_http_res_dispose(&res);
    return status;
}

int e2e_cli(const char *input, char *out, size_t cap, const char *const *args)
{
    int in[2], outp[2];
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(outp), 0);
    char *argv[16];
    size_t n = 0;
    argv[n++] = strdup(ts_binary("cli/apibus"));
    for (size_t i = 0; args[i] != NULL && n < 15; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    char *envp[TS_MAX_ENV + 2];
    size_t e = 0;
    for (size_t i = 0; i < suite.env.num; i++)
        envp[e++] = suite.env.vars[i];
    envp[e++] = "ASAN_OPTIONS=detect_leaks=0";
    envp[e] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        dup2(outp[1], 2);
        close(in[1]);
        close(outp[0]);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    if (input != NULL && write(in[1], input, strlen(input)) < 0)
        cr_assert_fail("cannot feed the command");
    close(in[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(outp[0], out + got, cap - 1 - got)) > 0 && got < cap - 1)
        got += (size_t)r;
    out[got] = '\0';
    close(outp[0]);
    int status;
    waitpid(pid, &status, 0);
    free(argv[0]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long e2e_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void e2e_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
