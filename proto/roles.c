#include "proto/roles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Port offsets leave room below 10 for the fixed endpoints (internal, events, fragments). */
const proto_role_t proto_roles[] = {
    {.name = "auth", .port_offset = 10, .prefixes = {"/api/auth/", NULL}, .events = true},
    {.name = "keys", .port_offset = 11, .prefixes = {"/api/keys/", NULL}, .events = true},
    {.name = "employees", .port_offset = 12, .prefixes = {"/pegasus/employees/", NULL}},
    {.name = "schema", .port_offset = 13, .prefixes = {"/api/schema/", "/api/health/", NULL}},
};
const size_t proto_num_roles = sizeof proto_roles / sizeof proto_roles[0];

const proto_role_t *proto_role_by_name(const char *name)
{
    for (size_t i = 0; i < proto_num_roles; i++)
        if (strcmp(proto_roles[i].name, name) == 0)
            return &proto_roles[i];
    return NULL;
}

const proto_role_t *proto_role_for_path(const char *path, size_t len)
{
    const proto_role_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < proto_num_roles; i++) {
        for (const char *const *p = proto_roles[i].prefixes; *p != NULL; p++) {
            size_t n = strlen(*p);
            if (n <= len && n > best_len && memcmp(path, *p, n) == 0)
                best = &proto_roles[i], best_len = n;
        }
    }
    return best;
}

static const char *proto__env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : fallback;
}

/* One gateway of APIBUS_BUS_HOST: a slice of the variable and its port base. */
typedef struct st_proto__gateway_t {
    const char *host;
    size_t host_len;
    long base;
    bool own_base; /* written in the entry, not APIBUS_BUS_PORT_BASE */
} proto__gateway_t;

/* A port base from text[0..len); what names it in the message. 0 or -1. */
static int proto__base(const char *what, const char *text, size_t len, unsigned port_offset, long *out)
{
    char buf[16], *end;
    if (len == 0 || len >= sizeof buf)
        goto fail;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    long base = strtol(buf, &end, 10);
    if (errno != 0 || *end != '\0' || buf[0] < '0' || buf[0] > '9' || base < 1 || base + (long)port_offset > 65535)
        goto fail;
    *out = base;
    return 0;
fail:
    fprintf(stderr, "apibus: %s=%.*s is not a port number (1..65500)\n", what, (int)len, text);
    return -1;
}

static int proto__hosts_error(const char *list, const char *why)
{
    fprintf(stderr, "apibus: APIBUS_BUS_HOST=%s: %s (expected host[:base], comma-separated)\n", list, why);
    return -1;
}

/* Splits APIBUS_BUS_HOST into gateways. 0 or -1 (explained on stderr). */
static int proto__gateways(unsigned port_offset, proto__gateway_t *out, size_t max, size_t *count)
{
    const char *list = proto__env("APIBUS_BUS_HOST", "127.0.0.1");
    long default_base;
    const char *base_s = proto__env("APIBUS_BUS_PORT_BASE", "7100");
    if (proto__base("APIBUS_BUS_PORT_BASE", base_s, strlen(base_s), port_offset, &default_base) != 0)
        return -1;
    size_t n = 0;
    for (const char *p = list;;) {
        const char *sep = strchr(p, ','), *end = sep != NULL ? sep : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (p == end)
            return proto__hosts_error(list, "an empty entry");
        const char *host_end, *colon;
        if (*p == '[') {
            const char *close = memchr(p, ']', (size_t)(end - p));
            if (close == NULL || close == p + 1)
                return proto__hosts_error(list, "an IPv6 address needs its closing bracket");
            host_end = close + 1;
            if (host_end < end && *host_end != ':')
                return proto__hosts_error(list, "only :base may follow an IPv6 address");
            colon = host_end < end ? host_end : NULL;
        } else {
            colon = memchr(p, ':', (size_t)(end - p));
            if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
                return proto__hosts_error(list, "write an IPv6 address in brackets, [addr]:base");
            host_end = colon != NULL ? colon : end;
        }
        if (host_end == p)
            return proto__hosts_error(list, "an entry without a host");
        proto__gateway_t g = {.host = p, .host_len = (size_t)(host_end - p), .base = default_base};
        if (colon != NULL) {
            if (proto__base("APIBUS_BUS_HOST's base", colon + 1, (size_t)(end - colon - 1), port_offset, &g.base) != 0)
                return -1;
            g.own_base = true;
        }
        for (size_t i = 0; i < n; i++)
            if (out[i].base == g.base && out[i].host_len == g.host_len && memcmp(out[i].host, g.host, g.host_len) == 0)
                return proto__hosts_error(list, "a gateway is listed twice");
        if (n == max) {
            fprintf(stderr, "apibus: APIBUS_BUS_HOST=%s: more than %zu gateways\n", list, max);
            return -1;
        }
        out[n++] = g;
        if (sep == NULL)
            break;
        p = sep + 1;
    }
    *count = n;
    return 0;
}

static int proto__fits(int n, size_t cap)
{
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "apibus: bus endpoint too long\n");
        return -1;
    }
    return 0;
}

int proto_endpoints(unsigned port_offset, char out[][PROTO_ENDPOINT_MAX], size_t max, size_t *count)
{
    const char *transport = proto__env("APIBUS_BUS_TRANSPORT", "tcp");
    proto__gateway_t gw[PROTO_MAX_GATEWAYS];
    size_t n;
    bool ipc = strcmp(transport, "ipc") == 0;
    if (!ipc && strcmp(transport, "tcp") != 0) {
        fprintf(stderr, "apibus: APIBUS_BUS_TRANSPORT=%s: expected tcp or ipc\n", transport);
        return -1;
    }
    if (max == 0 || proto__gateways(port_offset, gw, max < PROTO_MAX_GATEWAYS ? max : PROTO_MAX_GATEWAYS, &n) != 0)
        return -1;
    if (ipc) {
        /* ipc sockets live in a private folder of the data directory; the port number still
         * names them so that two suites with different bases never collide. One folder, one
         * gateway: a list (or a base per host) can only be a mistake. */
        if (n > 1 || gw[0].own_base) {
            fprintf(stderr, "apibus: APIBUS_BUS_HOST=%s lists gateways, which needs APIBUS_BUS_TRANSPORT=tcp "
                            "(with ipc the bus is files of one data folder, so there is one gateway)\n",
                    getenv("APIBUS_BUS_HOST"));
            return -1;
        }
        *count = 1;
        return proto__fits(snprintf(out[0], PROTO_ENDPOINT_MAX, "ipc://%s/bus/%ld.sock",
                                    proto__env("APIBUS_DATA_DIR", "./var"), gw[0].base + (long)port_offset),
                           PROTO_ENDPOINT_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(out[i], PROTO_ENDPOINT_MAX, "tcp://%.*s:%ld", (int)gw[i].host_len, gw[i].host,
                           gw[i].base + (long)port_offset);
        if (proto__fits(len, PROTO_ENDPOINT_MAX) != 0)
            return -1;
    }
    *count = n;
    return 0;
}

int proto_endpoint(unsigned port_offset, proto_side_t side, char *out, size_t cap)
{
    char all[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX];
    size_t n;
    if (side == PROTO_SIDE_CONNECT) {
        if (proto_endpoints(port_offset, all, PROTO_MAX_GATEWAYS, &n) != 0)
            return -1;
        return proto__fits(snprintf(out, cap, "%s", all[0]), cap);
    }
    /* the bind side never reads APIBUS_BUS_HOST: a gateway may share the services' env file */
    const char *transport = proto__env("APIBUS_BUS_TRANSPORT", "tcp");
    const char *base_s = proto__env("APIBUS_BUS_PORT_BASE", "7100");
    long base;
    if (proto__base("APIBUS_BUS_PORT_BASE", base_s, strlen(base_s), port_offset, &base) != 0)
        return -1;
    if (strcmp(transport, "tcp") == 0)
        return proto__fits(snprintf(out, cap, "tcp://%s:%ld", proto__env("APIBUS_BUS_BIND", "127.0.0.1"),
                                    base + (long)port_offset), cap);
    if (strcmp(transport, "ipc") == 0) {
        /* the binder owns the private socket folder: made here, readable by this user only */
        const char *data = proto__env("APIBUS_DATA_DIR", "./var");
        char dir[4096];
        if (proto__fits(snprintf(dir, sizeof dir, "%s/bus", data), sizeof dir) != 0)
            return -1;
        mkdir(data, 0700);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "apibus: cannot create the bus folder %s: %s\n", dir, strerror(errno));
            return -1;
        }
        return proto__fits(snprintf(out, cap, "ipc://%s/%ld.sock", dir, base + (long)port_offset), cap);
    }
    fprintf(stderr, "apibus: APIBUS_BUS_TRANSPORT=%s: expected tcp or ipc\n", transport);
    return -1;
}
