/* tests proto/roles.c: path ownership and endpoints */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/roles.h"

static const char *owner(const char *path)
{
    const proto_role_t *r = proto_role_for_path(path, strlen(path));
    return r ? r->name : "(none)";
}

Test(roles, paths_route_to_their_owner)
{
    cr_assert_str_eq(owner("/pegasus/employees/api/employees/"), "employees");
    cr_assert_str_eq(owner("/pegasus/employees/api/employee-data/"), "employees");
    cr_assert_str_eq(owner("/api/auth/login/"), "auth");
    cr_assert_str_eq(owner("/api/keys/"), "keys");
    cr_assert_str_eq(owner("/api/schema/"), "schema");
    cr_assert_str_eq(owner("/api/schema/swagger-ui/"), "schema");
    cr_assert_str_eq(owner("/api/auth"), "(none)", "a prefix without its slash is not the role's");
    cr_assert_str_eq(owner("/"), "(none)");
}

Test(roles, binding_an_ipc_endpoint_makes_the_private_bus_folder)
{
    char data[] = "/tmp/apibus-roles-XXXXXX", ep[256], bus[64];
    cr_assert_not_null(mkdtemp(data));
    setenv("APIBUS_BUS_TRANSPORT", "ipc", 1);
    setenv("APIBUS_DATA_DIR", data, 1);
    setenv("APIBUS_BUS_PORT_BASE", "9000", 1);
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), 0);
    snprintf(bus, sizeof bus, "%s/bus", data);
    struct stat st;
    cr_assert_eq(stat(bus, &st), 0, "the gateway creates %s before binding in it", bus);
    cr_expect(S_ISDIR(st.st_mode));
    cr_expect_eq(st.st_mode & 0777, 0700, "only its owner may reach the bus");
    rmdir(bus);
    rmdir(data);
}

Test(roles, ports_are_distinct)
{
    for (size_t i = 0; i < proto_num_roles; i++) {
        cr_assert_geq(proto_roles[i].port_offset, 10);
        for (size_t j = i + 1; j < proto_num_roles; j++)
            cr_assert_neq(proto_roles[i].port_offset, proto_roles[j].port_offset);
    }
}

Test(roles, endpoints_follow_the_environment)
{
    char ep[256];
    setenv("APIBUS_BUS_PORT_BASE", "9000", 1);
    setenv("APIBUS_BUS_HOST", "gateway", 1);
    unsetenv("APIBUS_BUS_TRANSPORT");
    unsetenv("APIBUS_BUS_BIND");
    cr_assert_eq(proto_endpoint(proto_role_by_name("employees")->port_offset, PROTO_SIDE_CONNECT, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "tcp://gateway:9012");
    cr_assert_eq(proto_endpoint(PROTO_PORT_INTERNAL, PROTO_SIDE_BIND, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:9000");
    setenv("APIBUS_BUS_TRANSPORT", "ipc", 1);
    setenv("APIBUS_DATA_DIR", "/tmp/x", 1);
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "ipc:///tmp/x/bus/9012.sock");
    setenv("APIBUS_BUS_PORT_BASE", "70000", 1);
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), -1);
    setenv("APIBUS_BUS_PORT_BASE", "12ab", 1);
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), -1);
}

/* Several gateways: APIBUS_BUS_HOST as a comma list of host[:base]. */
static void bus_env(const char *transport, const char *host, const char *base)
{
    unsetenv("APIBUS_BUS_BIND");
    if (transport != NULL)
        setenv("APIBUS_BUS_TRANSPORT", transport, 1);
    else
        unsetenv("APIBUS_BUS_TRANSPORT");
    if (host != NULL)
        setenv("APIBUS_BUS_HOST", host, 1);
    else
        unsetenv("APIBUS_BUS_HOST");
    if (base != NULL)
        setenv("APIBUS_BUS_PORT_BASE", base, 1);
    else
        unsetenv("APIBUS_BUS_PORT_BASE");
}

Test(roles, one_gateway_by_default)
{
    char eps[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX], ep[PROTO_ENDPOINT_MAX];
    size_t n = 99;
    bus_env(NULL, NULL, NULL);
    cr_assert_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(eps[0], "tcp://127.0.0.1:7112");
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_CONNECT, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:7112");
    bus_env("tcp", "gateway", "9000");
    cr_assert_eq(proto_endpoints(PROTO_PORT_EVENTS, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(eps[0], "tcp://gateway:9001");
}

Test(roles, a_list_gives_every_gateway_in_order)
{
    char eps[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX], ep[PROTO_ENDPOINT_MAX];
    size_t n = 0;
    bus_env(NULL, "gw-a, gw-b:7200 ,10.0.0.7,[fd00::1]:8000,[::1]", "7100");
    cr_assert_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(eps[0], "tcp://gw-a:7112");
    cr_assert_str_eq(eps[1], "tcp://gw-b:7212", "a base of its own");
    cr_assert_str_eq(eps[2], "tcp://10.0.0.7:7112", "APIBUS_BUS_PORT_BASE otherwise");
    cr_assert_str_eq(eps[3], "tcp://[fd00::1]:8012");
    cr_assert_str_eq(eps[4], "tcp://[::1]:7112");
    /* single uses (the command, the fragment push) take the first gateway */
    cr_assert_eq(proto_endpoint(PROTO_PORT_INTERNAL, PROTO_SIDE_CONNECT, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "tcp://gw-a:7100");
    /* the bind side never reads the list */
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:7112");
    /* two gateways on one host, as the two-gateway tests run them */
    bus_env("tcp", "127.0.0.1:20001,127.0.0.1:20017", "20001");
    cr_assert_eq(proto_endpoints(PROTO_PORT_EVENTS, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(eps[0], "tcp://127.0.0.1:20002");
    cr_assert_str_eq(eps[1], "tcp://127.0.0.1:20018");
}

Test(roles, malformed_lists_are_refused)
{
    static const char *const bad[] = {
        "gw-a,",              /* an empty entry */
        ",gw-a",              /* another */
        "gw-a,,gw-b",         /* and another */
        " ",                  /* only blanks */
        "gw-a:",              /* a colon without a base */
        "gw-a:70000",         /* not a port */
        "gw-a:65530",         /* no room for the offsets */
        "gw-a:0",             /* zero */
        "gw-a:+7100",         /* not just digits */
        "gw-a:71x",           /* trailing junk */
        ":7100",              /* no host */
        "fd00::1",            /* IPv6 without brackets */
        "fd00::1:7100",       /* ambiguous */
        "[fd00::1",           /* unclosed */
        "[]:7100",            /* empty brackets */
        "[::1]x",             /* junk after the brackets */
        "gw-a,gw-b,gw-a",     /* listed twice */
        "gw-a:7100,gw-a",     /* the same gateway: the base defaults to 7100 */
    };
    char eps[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX], ep[PROTO_ENDPOINT_MAX];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bus_env(NULL, bad[i], "7100");
        cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), -1, "\"%s\" was accepted", bad[i]);
        cr_expect_eq(proto_endpoint(12, PROTO_SIDE_CONNECT, ep, sizeof ep), -1, "\"%s\" was accepted", bad[i]);
        cr_expect_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), 0, "binding ignores \"%s\"", bad[i]);
    }
    /* the same host on two bases is two gateways */
    bus_env(NULL, "gw-a:7100,gw-a:7200", "7100");
    cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_expect_eq(n, 2);
    /* more gateways than the caller has room for */
    bus_env(NULL, "a,b,c", NULL);
    cr_expect_eq(proto_endpoints(12, eps, 2, &n), -1);
    cr_expect_eq(proto_endpoints(12, eps, 3, &n), 0);
    cr_expect_eq(n, 3);
    /* a bad default base fails even when every entry has its own */
    bus_env(NULL, "a:7100", "12ab");
    cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), -1);
}

Test(roles, a_list_needs_tcp)
{
    char eps[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX], ep[PROTO_ENDPOINT_MAX];
    size_t n = 0;
    setenv("APIBUS_DATA_DIR", "/tmp/x", 1);
    bus_env("ipc", "gw-a,gw-b", "9000");
    cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), -1);
    cr_expect_eq(proto_endpoint(12, PROTO_SIDE_CONNECT, ep, sizeof ep), -1);
    bus_env("ipc", "gw-a:9100", "9000");
    cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), -1, "a base of its own means another gateway");
    /* one host (ignored by ipc, as always) is fine */
    bus_env("ipc", "gw-a", "9000");
    cr_assert_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(eps[0], "ipc:///tmp/x/bus/9012.sock");
    cr_assert_eq(proto_endpoint(12, PROTO_SIDE_BIND, ep, sizeof ep), 0);
    cr_assert_str_eq(ep, "ipc:///tmp/x/bus/9012.sock");
    bus_env("udp", "gw-a", "9000");
    cr_expect_eq(proto_endpoints(12, eps, PROTO_MAX_GATEWAYS, &n), -1);
}
