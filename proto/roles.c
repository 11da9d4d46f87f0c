#include "proto/roles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Port offsets leave room below 10 for the fixed endpoints (internal, events, fragments). */
const proto_role_t proto_roles[] = {
    {.name = "auth", .port_offset = 10, .prefixes = {"/api/auth/", NULL}, .events = true},
    {.name = "keys", .port_offset = 11, .prefixes = {"/api/keys/", NULL}},
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

int proto_endpoint(unsigned port_offset, proto_side_t side, char *out, size_t cap)
{
    const char *transport = proto__env("APIBUS_BUS_TRANSPORT", "tcp");
    const char *base_s = proto__env("APIBUS_BUS_PORT_BASE", "7100");
    char *end;
    errno = 0;
    long base = strtol(base_s, &end, 10);
    if (errno != 0 || *end != '\0' || base < 1 || base + port_offset > 65535) {
        fprintf(stderr, "apibus: APIBUS_BUS_PORT_BASE=%s is not a port number (1..65500)\n", base_s);
        return -1;
    }
    int n;
    if (strcmp(transport, "tcp") == 0) {
        const char *host = side == PROTO_SIDE_BIND ? proto__env("APIBUS_BUS_BIND", "127.0.0.1")
                                                   : proto__env("APIBUS_BUS_HOST", "127.0.0.1");
        n = snprintf(out, cap, "tcp://%s:%ld", host, base + (long)port_offset);
    } else if (strcmp(transport, "ipc") == 0) {
        /* ipc sockets live in a private folder of the data directory; the port number still
         * names them so that two suites with different bases never collide */
        n = snprintf(out, cap, "ipc://%s/bus/%ld.sock", proto__env("APIBUS_DATA_DIR", "./var"),
                     base + (long)port_offset);
    } else {
        fprintf(stderr, "apibus: APIBUS_BUS_TRANSPORT=%s: expected tcp or ipc\n", transport);
        return -1;
    }
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "apibus: bus endpoint too long\n");
        return -1;
    }
    return 0;
}
