/* tests gateway/internal.c: which role an internal request goes to */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/internal.h"

static const char *role(const char *path)
{
    const proto_role_t *r = gw_internal_role(path, strlen(path));
    return r != NULL ? r->name : "(none)";
}

Test(internal, named_role_or_path_prefix)
{
    cr_expect_str_eq(role("/_internal/auth/users/"), "auth");
    cr_expect_str_eq(role("/_internal/employees/anything/"), "employees");
    cr_expect_str_eq(role("/api/auth/user/"), "auth", "a public path goes to its owner");
    cr_expect_str_eq(role("/pegasus/employees/api/employees/"), "employees");
    cr_expect_str_eq(role("/_internal/nosuch/x/"), "(none)");
    cr_expect_str_eq(role("/_internal/auth"), "(none)");
    cr_expect_str_eq(role("/elsewhere/"), "(none)");
}
