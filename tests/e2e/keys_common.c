#include "tests/e2e/keys_common.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kx_env[] = {"APIBUS_WORKERS=8", "APIBUS_LMDB_MAP_SIZE=67108864", NULL};

static void kx_health_path(int slot, char *out, size_t cap)
{
    snprintf(out, cap, "%s/keys.%d.health", suite.dir, slot);
}

static void kx_start_keys_at(int slot, const char *const *more)
{
    const char *env[16];
    char path[700], health[720];
    size_t n = 0;
    for (size_t i = 0; kx_env[i] != NULL; i++)
        env[n++] = kx_env[i];
    /* its own status file (the default is one per service under /tmp) */
    kx_health_path(slot, path, sizeof path);
    snprintf(health, sizeof health, "APIBUS_HEALTH_FILE=%s", path);
    env[n++] = health;
    for (size_t i = 0; more != NULL && more[i] != NULL && n < 15; i++)
        env[n++] = more[i];
    env[n] = NULL;
    ts_suite_start(&suite, slot, "services/keys/apibus-keys", env);
}

/* The keys API answers (a worker is there) and the gateway has caught up with the service. */
static void kx_wait_keys(int port)
{
    char *token = ts_jwt_access(999999);
    char auth[2100];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    long until = e2e_now_ms() + 20000;
    int status = 0;
    while (e2e_now_ms() < until) {
        ts_http_res_t res;
        if (ts_http(port, "GET", KEYS, headers, NULL, 0, 5000, &res) == 0) {
            status = res.status;
            ts_http_res_dispose(&res);
            if (status == 200)
                break;
        }
        e2e_sleep_ms(50);
    }
    free(token);
    if (status != 200)
        ts_suite_dump_logs(&suite);
    cr_assert_eq(status, 200, "the keys service did not come up");
    /* the first event resync follows the first worker within a tick */
    e2e_sleep_ms(100);
}

void kx_start_keys(void)
{
    kx_start_keys_at(KX_SLOT, NULL);
    kx_wait_keys(suite.http_port);
}

void kx_start(const char *const *extra)
{
    e2e_start(extra);
    const char *more[16];
    size_t n = 0;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
        more[n++] = extra[i];
    more[n] = NULL;
    kx_start_keys_at(KX_SLOT, more);
    kx_wait_keys(suite.http_port);
}

void kx_start_second(const char *const *extra)
{
    e2e_start_second(extra);
    char http[64], bus[64];
    snprintf(http, sizeof http, "APIBUS_HTTP_PORT=%d", e2e_second.http_port);
    snprintf(bus, sizeof bus, "APIBUS_BUS_PORT_BASE=%d", e2e_second.bus_base);
    const char *more[16] = {http, bus};
    size_t n = 2;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
        more[n++] = extra[i];
    more[n] = NULL;
    kx_start_keys_at(KX_SLOT_SECOND, more);
    kx_wait_keys(e2e_second.http_port);
}

char *kx_user(const char *email)
{
    json_t *j = e2e_register(email);
    char *access = strdup(json_string_value(json_object_get(j, "access")));
    json_decref(j);
    return access;
}

json_t *kx_create(const char *access, const char *body)
{
    ts_http_res_t res;
    e2e_post(0, &res, KEYS, access, body);
    cr_assert_eq(res.status, 201, "create a key: %d %s", res.status, res.body);
    json_t *j = e2e_json(&res);
    ts_http_res_dispose(&res);
    cr_assert(json_is_string(json_object_get(j, "key")));
    e2e_secret(json_string_value(json_object_get(j, "key")));
    return j;
}

int kx_call(int port, const char *key, const char *method, const char *path, const char *body, ts_http_res_t *res)
{
    char auth[128];
    ts_http_res_t local;
    snprintf(auth, sizeof auth, "Authorization: Api-Key %s", key);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    e2e_request(port, res != NULL ? res : &local, method, path, headers, body);
    int status = (res != NULL ? res : &local)->status;
    if (res == NULL)
        ts_http_res_dispose(&local);
    return status;
}

int kx_employees(int port, const char *key)
{
    return kx_call(port, key, "GET", EMPLOYEES, NULL, NULL);
}

long kx_until_refused(int port, const char *key, long since)
{
    while (e2e_now_ms() - since < 10000) {
        if (kx_employees(port, key) == 401)
            return e2e_now_ms() - since;
    }
    cr_assert_fail("the key still works 10 s after its revocation");
    return -1;
}

static void kx_scan(const char *dir, const char *s, size_t *files)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[1500];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            kx_scan(path, s, files);
            continue;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        char *data = malloc((size_t)st.st_size + 1);
        size_t got = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        (*files)++;
        cr_expect_null(memmem(data, got, s, strlen(s)), "a key (%.8s...) is stored in plain text in %s", s, path);
        free(data);
    }
    closedir(d);
}

void kx_assert_not_stored(const char *s)
{
    size_t files = 0;
    kx_scan(suite.dir, s, &files);
    cr_expect_gt(files, 0);
}

int kx_health_connected(int slot)
{
    char path[700], state[16];
    unsigned connected;
    kx_health_path(slot, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = fscanf(f, "%15s %u", state, &connected);
    fclose(f);
    return n == 2 && strcmp(state, "ok") == 0 ? (int)connected : -1;
}
