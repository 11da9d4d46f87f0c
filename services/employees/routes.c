/*
 * The employees API, declared once: models, routes and the service. Dispatch, validation, the
 * permission check and the OpenAPI fragment all come from these tables (services/runtime/).
 */
#include "services/employees/employees.h"
#include "services/employees/record.h"
#include "services/employees/store.h"

static const svc_enum_t emp_department_enum = {
    .name = "DepartmentEnum",
    .values = emp_dept_values,
    .labels = emp_dept_labels,
    .count = EMP_DEPT_COUNT,
};

/* The fields of Pegasus's EmployeeSerializer, in its order. */
static const svc_field_t emp_employee_fields[] = {
    {.name = "id", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "user", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "name", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = EMP_NAME_MAX_CHARS,
     .description = "Your employee's name."},
    {.name = "department", .type = SVC_T_ENUM, .flags = SVC_F_REQUIRED, .enumeration = &emp_department_enum},
    {.name = "salary", .type = SVC_T_INTEGER, .flags = SVC_F_REQUIRED | SVC_F_RANGE, .minimum = 0,
     .maximum = 2147483647, .description = "Your employee's annual salary."},
    {.name = "created_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
    {.name = "updated_at", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
};

static const svc_model_t emp_employee_model = {
    .name = "Employee",
    .fields = emp_employee_fields,
    .num_fields = SVC_COUNT(emp_employee_fields),
};

/* Pegasus declares these as JSONField (any); the schema says what they hold without making a
 * generated client's type stricter than Pegasus's. */
#define EMP_PAIRS_SCHEMA(what, example)                                                                          \
    "{\"type\":\"array\",\"description\":\"[department, " what "] for each department that has employees.\","    \
    "\"items\":{\"type\":\"array\",\"minItems\":2,\"maxItems\":2,\"items\":{}},\"example\":" example "}"

static const svc_field_t emp_aggregate_fields[] = {
    {.name = "total_costs", .type = SVC_T_ARRAY, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY,
     .schema_json = EMP_PAIRS_SCHEMA("sum of salaries", "[[\"hr\",132000],[\"marketing\",60000]]")},
    {.name = "average_salaries", .type = SVC_T_ARRAY, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY,
     .schema_json = EMP_PAIRS_SCHEMA("average salary", "[[\"hr\",66000.0],[\"marketing\",60000.0]]")},
    {.name = "headcounts", .type = SVC_T_ARRAY, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY,
     .schema_json = EMP_PAIRS_SCHEMA("number of employees", "[[\"hr\",2],[\"marketing\",1]]")},
};

static const svc_model_t emp_aggregate_model = {
    .name = "AggregateEmployeeData",
    .fields = emp_aggregate_fields,
    .num_fields = SVC_COUNT(emp_aggregate_fields),
};

#define EMP_API "/pegasus/employees/api/"

static const svc_route_t emp_routes[] = {
    {.method = "GET", .path = EMP_API "employees/", .handler = employees_list, .operation_id = "employees_list",
     .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY, .response = &emp_employee_model, .paginated = true},
    {.method = "POST", .path = EMP_API "employees/", .handler = employees_create, .operation_id = "employees_create",
     .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY, .request = &emp_employee_model,
     .response = &emp_employee_model, .status = 201},
    {.method = "GET", .path = EMP_API "employees/{id}/", .handler = employees_retrieve,
     .operation_id = "employees_retrieve", .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY,
     .response = &emp_employee_model},
    {.method = "PUT", .path = EMP_API "employees/{id}/", .handler = employees_update,
     .operation_id = "employees_update", .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY,
     .request = &emp_employee_model, .response = &emp_employee_model},
    {.method = "PATCH", .path = EMP_API "employees/{id}/", .handler = employees_partial_update,
     .operation_id = "employees_partial_update", .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY,
     .request = &emp_employee_model, .response = &emp_employee_model},
    {.method = "DELETE", .path = EMP_API "employees/{id}/", .handler = employees_destroy,
     .operation_id = "employees_destroy", .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY, .status = 204},
    {.method = "GET", .path = EMP_API "employee-data/", .handler = employees_aggregate_data,
     .operation_id = "employees_aggregate_data", .tag = "pegasus", .permission = SVC_PERM_USER_OR_API_KEY,
     .response = &emp_aggregate_model},
};

const svc_def_t employees_service = {
    .name = "employees",
    .version = "1.0.0",
    .routes = emp_routes,
    .num_routes = SVC_COUNT(emp_routes),
    .databases = emp_store_databases,
    .init = employees_init,
    .fini = employees_fini,
};
