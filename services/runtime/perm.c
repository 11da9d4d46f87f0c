#include "services/runtime/internal.h"

bool svc__method_is_safe(proto_str_t method)
{
    return PROTO_STR_EQ(method, "GET") || PROTO_STR_EQ(method, "HEAD") || PROTO_STR_EQ(method, "OPTIONS");
}

/* The challenge that names the scheme the client tried, so it knows what to fix; JWT's
 * (Simple JWT's authenticate_header) when it tried none. */
static const char *svc__challenge(int auth_error)
{
    int e = auth_error < 0 ? -auth_error : auth_error;
    if (e == PROTO_ERR_API_KEY_NOT_VALID)
        return "Api-Key";
    return "Bearer realm=\"api\"";
}

int svc__permission_check(svc_permission_t perm, proto_str_t method, const proto_principal_t *who,
                          const char **www_authenticate)
{
    *www_authenticate = NULL;
    if (perm == SVC_PERM_PUBLIC)
        return 0;
    /* The internal endpoint acts for the operator, on every route. */
    if (who->cred == PROTO_CRED_SYSTEM)
        return 0;
    if (who->cred == PROTO_CRED_NONE || who->user_id == 0) {
        *www_authenticate = svc__challenge(who->auth_error);
        return who->auth_error != 0 ? -(who->auth_error < 0 ? -who->auth_error : who->auth_error)
                                    : -PROTO_ERR_NOT_AUTHENTICATED;
    }
    switch (perm) {
    case SVC_PERM_USER:
        return who->cred == PROTO_CRED_JWT || who->cred == PROTO_CRED_SESSION ? 0 : -PROTO_ERR_PERMISSION_DENIED;
    case SVC_PERM_USER_OR_API_KEY:
        if (who->cred == PROTO_CRED_API_KEY && (who->scope & PROTO_SCOPE_WRITE) == 0 && !svc__method_is_safe(method))
            return -PROTO_ERR_READ_ONLY_KEY;
        return who->cred == PROTO_CRED_JWT || who->cred == PROTO_CRED_SESSION || who->cred == PROTO_CRED_API_KEY
                   ? 0
                   : -PROTO_ERR_PERMISSION_DENIED;
    case SVC_PERM_STAFF:
        return (who->cred == PROTO_CRED_JWT || who->cred == PROTO_CRED_SESSION) && who->is_staff
                   ? 0
                   : -PROTO_ERR_PERMISSION_DENIED;
    case SVC_PERM_SYSTEM:
    default:
        return -PROTO_ERR_PERMISSION_DENIED;
    }
}
