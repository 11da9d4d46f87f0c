/* tests proto/roles.c: path ownership and endpoints */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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
