/*
 * The employees service with one more route and a new version: the schema tier restarts
 * employees as this binary to see the document follow a changed route table.
 */
#include "services/employees/employees.h"

static void changed_ping(svc_ctx_t *ctx)
{
    svc_reply_json(ctx, 200, json_pack("{s:b}", "pong", 1));
}

static svc_route_t changed_routes[32];

int main(int argc, char **argv)
{
    svc_def_t def = employees_service;
    size_t n = def.num_routes < 31 ? def.num_routes : 31;
    for (size_t i = 0; i < n; i++)
        changed_routes[i] = def.routes[i];
    changed_routes[n] = (svc_route_t){.method = "GET", .path = "/pegasus/employees/api/ping/", .handler = changed_ping,
                                      .operation_id = "employees_ping", .tag = "pegasus",
                                      .permission = SVC_PERM_USER_OR_API_KEY};
    def.routes = changed_routes;
    def.num_routes = n + 1;
    def.version = "1.1.0";
    return svc_main(&def, argc, argv);
}
