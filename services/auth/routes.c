/*
 * The auth API, declared once: models, routes and the service. Model and operation names are
 * those of Pegasus's generated client (ApiApi: apiAuthLoginCreate, ...; models Login, Register,
 * PasswordChange, TokenRefresh, TokenVerify, CustomUser). Every string field is bounded.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"
#include "services/auth/password.h"
#include "services/runtime/dispatch.h"

#define AUTH_TOKEN_MAX 8192

#define AUTH_PASSWORD_FIELD(n, f)                                                                                 \
    {.name = n, .type = SVC_T_STRING, .flags = (f) | SVC_F_WRITE_ONLY, .max_length = AUTH_PASSWORD_MAX_CHARS}

static const svc_field_t auth_user_fields[] = {
    {.name = "id", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "first_name", .type = SVC_T_STRING, .flags = SVC_F_BLANK, .max_length = AUTH_NAME_MAX_CHARS},
    {.name = "last_name", .type = SVC_T_STRING, .flags = SVC_F_BLANK, .max_length = AUTH_NAME_MAX_CHARS},
    {.name = "email", .type = SVC_T_EMAIL, .max_length = AUTH_EMAIL_MAX},
    {.name = "avatar_url", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "get_display_name", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
};
static const svc_model_t auth_user_model = {.name = "CustomUser", .fields = auth_user_fields,
                                            .num_fields = SVC_COUNT(auth_user_fields)};

static const svc_field_t auth_jwt_fields[] = {
    {.name = "access", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY},
    {.name = "refresh", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY},
    {.name = "user", .type = SVC_T_OBJECT, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY, .model = &auth_user_model},
};
static const svc_model_t auth_jwt_model = {.name = "JWT", .fields = auth_jwt_fields,
                                           .num_fields = SVC_COUNT(auth_jwt_fields)};

static const svc_field_t auth_login_fields[] = {
    {.name = "email", .type = SVC_T_EMAIL, .flags = SVC_F_BLANK, .max_length = AUTH_EMAIL_MAX},
    {.name = "username", .type = SVC_T_STRING, .flags = SVC_F_BLANK, .max_length = AUTH_EMAIL_MAX},
    AUTH_PASSWORD_FIELD("password", SVC_F_REQUIRED),
    {.name = "session", .type = SVC_T_BOOLEAN, .flags = SVC_F_WRITE_ONLY,
     .description = "Also start a browser session (sessionid and csrftoken cookies)."},
};
static const svc_model_t auth_login_model = {.name = "Login", .fields = auth_login_fields,
                                             .num_fields = SVC_COUNT(auth_login_fields)};

static const svc_field_t auth_login_response_fields[] = {
    {.name = "status", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY},
    {.name = "detail", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY},
    /* "success" carries jwt; "otp_required" carries temp_otp_token instead */
    {.name = "jwt", .type = SVC_T_OBJECT, .flags = SVC_F_READ_ONLY | SVC_F_OPTIONAL, .model = &auth_jwt_model},
    {.name = "temp_otp_token", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY | SVC_F_OPTIONAL},
};
static const svc_model_t auth_login_response_model = {.name = "LoginResponse", .fields = auth_login_response_fields,
                                                      .num_fields = SVC_COUNT(auth_login_response_fields)};

static const svc_field_t auth_register_fields[] = {
    {.name = "email", .type = SVC_T_EMAIL, .flags = SVC_F_REQUIRED, .max_length = AUTH_EMAIL_MAX},
    AUTH_PASSWORD_FIELD("password1", SVC_F_REQUIRED),
    AUTH_PASSWORD_FIELD("password2", SVC_F_REQUIRED),
    {.name = "first_name", .type = SVC_T_STRING, .flags = SVC_F_BLANK | SVC_F_WRITE_ONLY,
     .max_length = AUTH_NAME_MAX_CHARS},
    {.name = "last_name", .type = SVC_T_STRING, .flags = SVC_F_BLANK | SVC_F_WRITE_ONLY,
     .max_length = AUTH_NAME_MAX_CHARS},
};
static const svc_model_t auth_register_model = {.name = "Register", .fields = auth_register_fields,
                                                .num_fields = SVC_COUNT(auth_register_fields)};

static const svc_field_t auth_password_change_fields[] = {
    AUTH_PASSWORD_FIELD("old_password", SVC_F_REQUIRED),
    AUTH_PASSWORD_FIELD("new_password1", SVC_F_REQUIRED),
    AUTH_PASSWORD_FIELD("new_password2", SVC_F_REQUIRED),
};
static const svc_model_t auth_password_change_model = {.name = "PasswordChange", .fields = auth_password_change_fields,
                                                       .num_fields = SVC_COUNT(auth_password_change_fields)};

static const svc_field_t auth_detail_fields[] = {
    {.name = "detail", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_READ_ONLY},
};
static const svc_model_t auth_detail_model = {.name = "RestAuthDetail", .fields = auth_detail_fields,
                                              .num_fields = SVC_COUNT(auth_detail_fields)};

static const svc_field_t auth_logout_fields[] = {
    {.name = "refresh", .type = SVC_T_STRING, .flags = SVC_F_WRITE_ONLY | SVC_F_BLANK, .max_length = AUTH_TOKEN_MAX},
};
static const svc_model_t auth_logout_model = {.name = "Logout", .fields = auth_logout_fields,
                                              .num_fields = SVC_COUNT(auth_logout_fields)};

static const svc_field_t auth_refresh_fields[] = {
    {.name = "refresh", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_WRITE_ONLY, .max_length = AUTH_TOKEN_MAX},
};
static const svc_model_t auth_refresh_model = {.name = "TokenRefresh", .fields = auth_refresh_fields,
                                               .num_fields = SVC_COUNT(auth_refresh_fields)};

/* The reply carries a new refresh token only when rotation is switched on (Simple JWT's
 * ROTATE_REFRESH_TOKENS), so the schema must not promise it. */
static const svc_field_t auth_refreshed_fields[] = {
    {.name = "access", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "access_expiration", .type = SVC_T_DATETIME, .flags = SVC_F_READ_ONLY},
    {.name = "refresh", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY | SVC_F_OPTIONAL},
};
static const svc_model_t auth_refreshed_model = {.name = "TokenRefreshed", .fields = auth_refreshed_fields,
                                                 .num_fields = SVC_COUNT(auth_refreshed_fields)};

static const svc_field_t auth_verify_fields[] = {
    {.name = "token", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_WRITE_ONLY, .max_length = AUTH_TOKEN_MAX},
};
static const svc_model_t auth_verify_model = {.name = "TokenVerify", .fields = auth_verify_fields,
                                              .num_fields = SVC_COUNT(auth_verify_fields)};
/* Simple JWT answers a valid token with an empty object. */
static const svc_model_t auth_verified_model = {.name = "TokenVerified", .fields = NULL, .num_fields = 0,
                                                .description = "An empty object: the token is valid."};

/* --- two-factor ---------------------------------------------------------------------------------- */

#define AUTH_OTP_INPUT_MAX 32 /* a 6-digit code or a recovery code, with room for spaces and dashes */

/* Pegasus's generated client calls this OtpRequest (apiAuthVerifyOtpCreate). */
static const svc_field_t auth_otp_request_fields[] = {
    {.name = "temp_otp_token", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_WRITE_ONLY, .max_length = 64,
     .description = "The temp_otp_token login/ answered with; valid for a few minutes, once."},
    {.name = "otp", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_WRITE_ONLY, .max_length = AUTH_OTP_INPUT_MAX,
     .description = "The 6-digit code of the authenticator app, or an unused recovery code."},
};
static const svc_model_t auth_otp_request_model = {.name = "OtpRequest", .fields = auth_otp_request_fields,
                                                   .num_fields = SVC_COUNT(auth_otp_request_fields)};

static const svc_field_t auth_otp_status_fields[] = {
    {.name = "enabled", .type = SVC_T_BOOLEAN, .flags = SVC_F_READ_ONLY,
     .description = "Logins ask for a code after the password."},
    {.name = "pending", .type = SVC_T_BOOLEAN, .flags = SVC_F_READ_ONLY,
     .description = "A setup was started and waits for its first code."},
    {.name = "recovery_codes_left", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
};
static const svc_model_t auth_otp_status_model = {.name = "TwoFactorStatus", .fields = auth_otp_status_fields,
                                                  .num_fields = SVC_COUNT(auth_otp_status_fields)};

static const svc_field_t auth_otp_setup_fields[] = {
    {.name = "secret", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,
     .description = "The TOTP secret in base32, for typing into an authenticator app."},
    {.name = "otpauth_url", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY,
     .description = "The same as an otpauth:// URI, to show as a QR code."},
};
static const svc_model_t auth_otp_setup_model = {.name = "TwoFactorSetup", .fields = auth_otp_setup_fields,
                                                 .num_fields = SVC_COUNT(auth_otp_setup_fields)};

static const svc_field_t auth_otp_code_fields[] = {
    {.name = "otp", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED | SVC_F_WRITE_ONLY, .max_length = AUTH_OTP_INPUT_MAX,
     .description = "The 6-digit code the authenticator app shows now."},
};
static const svc_model_t auth_otp_code_model = {.name = "TwoFactorConfirm", .fields = auth_otp_code_fields,
                                                .num_fields = SVC_COUNT(auth_otp_code_fields)};

static const svc_field_t auth_otp_enabled_fields[] = {
    {.name = "detail", .type = SVC_T_STRING, .flags = SVC_F_READ_ONLY},
    {.name = "recovery_codes", .type = SVC_T_ARRAY, .flags = SVC_F_READ_ONLY, .items_type = SVC_T_STRING,
     .description = "One-time codes for when the authenticator is not at hand. Shown this once only."},
};
static const svc_model_t auth_otp_enabled_model = {.name = "TwoFactorEnabled", .fields = auth_otp_enabled_fields,
                                                   .num_fields = SVC_COUNT(auth_otp_enabled_fields)};

static const svc_field_t auth_otp_disable_fields[] = {
    {.name = "otp", .type = SVC_T_STRING, .flags = SVC_F_WRITE_ONLY | SVC_F_BLANK, .max_length = AUTH_OTP_INPUT_MAX,
     .description = "A code of the authenticator app or a recovery code; or give the password."},
    AUTH_PASSWORD_FIELD("password", 0),
};
static const svc_model_t auth_otp_disable_model = {.name = "TwoFactorDisable", .fields = auth_otp_disable_fields,
                                                   .num_fields = SVC_COUNT(auth_otp_disable_fields)};

/* internal bodies: never in the schema, still validated and bounded */
static const svc_field_t auth_session_check_fields[] = {
    {.name = "session_hash", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = PROTO_SESSION_HASH_HEX},
};
static const svc_model_t auth_session_check_model = {.name = "SessionCheck", .fields = auth_session_check_fields,
                                                     .num_fields = SVC_COUNT(auth_session_check_fields)};

static const svc_field_t auth_admin_fields[] = {
    {.name = "email", .type = SVC_T_EMAIL, .flags = SVC_F_REQUIRED, .max_length = AUTH_EMAIL_MAX},
    AUTH_PASSWORD_FIELD("password", 0),
    {.name = "is_staff", .type = SVC_T_BOOLEAN},
};
static const svc_model_t auth_admin_model = {.name = "AdminUser", .fields = auth_admin_fields,
                                             .num_fields = SVC_COUNT(auth_admin_fields)};

static const int auth_login_errors[] = {400, 429, 503, 0};
static const int auth_token_errors[] = {401, 0};
/* 400 {"status":"invalid_otp",...} and 401 {"status":"token_expired",...}: both bodies carry
 * `detail`, so they fit ValidationError and ErrorDetail */
static const int auth_verify_otp_errors[] = {400, 401, 429, 0};
static const int auth_otp_errors[] = {400, 429, 0};
static const int auth_otp_disable_errors[] = {400, 429, 503, 0};

#define AUTH_API "/api/auth/"
#define AUTH_INTERNAL "/_internal/auth/"

static const svc_route_t auth_routes[] = {
    {.method = "POST", .path = AUTH_API "login/", .handler = auth_login, .operation_id = "api_auth_login_create", .secret_reply = true,
     .tag = "api", .permission = SVC_PERM_PUBLIC, .request = &auth_login_model,
     .response = &auth_login_response_model, .errors = auth_login_errors},
    {.method = "POST", .path = AUTH_API "register/", .handler = auth_register,
     .operation_id = "api_auth_register_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_PUBLIC,
     .request = &auth_register_model, .response = &auth_jwt_model, .status = 201, .errors = auth_login_errors},
    {.method = "GET", .path = AUTH_API "user/", .handler = auth_user_retrieve, .operation_id = "api_auth_user_retrieve",
     .tag = "api", .permission = SVC_PERM_USER, .response = &auth_user_model},
    {.method = "PUT", .path = AUTH_API "user/", .handler = auth_user_update, .operation_id = "api_auth_user_update",
     .tag = "api", .permission = SVC_PERM_USER, .request = &auth_user_model, .response = &auth_user_model},
    {.method = "PATCH", .path = AUTH_API "user/", .handler = auth_user_update,
     .operation_id = "api_auth_user_partial_update", .tag = "api", .permission = SVC_PERM_USER,
     .request = &auth_user_model, .response = &auth_user_model},
    {.method = "POST", .path = AUTH_API "password/change/", .handler = auth_password_change,
     .operation_id = "api_auth_password_change_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_USER,
     .request = &auth_password_change_model, .response = &auth_detail_model, .errors = auth_login_errors},
    {.method = "POST", .path = AUTH_API "logout/", .handler = auth_logout, .operation_id = "api_auth_logout_create",
     .tag = "api", .permission = SVC_PERM_PUBLIC, .request = &auth_logout_model, .response = &auth_detail_model,
     .errors = auth_token_errors},
    {.method = "POST", .path = AUTH_API "token/refresh/", .handler = auth_token_refresh,
     .operation_id = "api_auth_token_refresh_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_PUBLIC,
     .request = &auth_refresh_model, .response = &auth_refreshed_model, .errors = auth_token_errors},
    {.method = "POST", .path = AUTH_API "token/verify/", .handler = auth_token_verify,
     .operation_id = "api_auth_token_verify_create", .tag = "api", .permission = SVC_PERM_PUBLIC,
     .request = &auth_verify_model, .response = &auth_verified_model, .errors = auth_token_errors},
    {.method = "POST", .path = AUTH_API "verify-otp/", .handler = auth_verify_otp,
     .operation_id = "api_auth_verify_otp_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_PUBLIC,
     .summary = "Second step of a two-factor login",
     .description = "Trades the temp_otp_token of an `otp_required` login and a code for the tokens (and the "
                    "session cookies when the login asked for one). Errors carry `status`: 401 "
                    "`token_expired` (unknown, expired, used, or ended by too many wrong codes: log in again), "
                    "400 `invalid_otp` (wrong or already used code).",
     .request = &auth_otp_request_model, .response = &auth_jwt_model, .errors = auth_verify_otp_errors},
    {.method = "GET", .path = AUTH_API "2fa/", .handler = auth_otp_status, .operation_id = "api_auth_2fa_retrieve",
     .tag = "api", .permission = SVC_PERM_USER, .summary = "Two-factor state of the signed-in user",
     .response = &auth_otp_status_model},
    {.method = "POST", .path = AUTH_API "2fa/setup/", .handler = auth_otp_setup,
     .operation_id = "api_auth_2fa_setup_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_USER,
     .summary = "Start two-factor setup",
     .description = "A new TOTP secret (SHA-1, 6 digits, 30 s) for an authenticator app; two-factor is on only "
                    "once confirmed with a first code. Starting again replaces an unconfirmed secret.",
     .response = &auth_otp_setup_model, .errors = auth_otp_errors},
    {.method = "POST", .path = AUTH_API "2fa/confirm/", .handler = auth_otp_confirm,
     .operation_id = "api_auth_2fa_confirm_create", .secret_reply = true, .tag = "api", .permission = SVC_PERM_USER,
     .summary = "Turn two-factor on with a first code",
     .description = "Answers the recovery codes, which are never shown again.",
     .request = &auth_otp_code_model, .response = &auth_otp_enabled_model, .errors = auth_otp_errors},
    {.method = "POST", .path = AUTH_API "2fa/disable/", .handler = auth_otp_disable,
     .operation_id = "api_auth_2fa_disable_create", .tag = "api", .permission = SVC_PERM_USER,
     .summary = "Turn two-factor off", .description = "With a current code, a recovery code, or the password.",
     .request = &auth_otp_disable_model, .response = &auth_detail_model, .errors = auth_otp_disable_errors},

    {.method = "GET", .path = AUTH_INTERNAL "events/", .handler = svc_events_handler, .permission = SVC_PERM_SYSTEM},
    {.method = "POST", .path = AUTH_INTERNAL "sessions/check/", .handler = auth_session_check,
     .permission = SVC_PERM_SYSTEM, .request = &auth_session_check_model},
    {.method = "GET", .path = AUTH_INTERNAL "users/", .handler = auth_users_list, .permission = SVC_PERM_SYSTEM},
    {.method = "POST", .path = AUTH_INTERNAL "users/", .handler = auth_users_create, .permission = SVC_PERM_SYSTEM,
     .request = &auth_admin_model},
    {.method = "POST", .path = AUTH_INTERNAL "users/set-password/", .handler = auth_users_set_password,
     .permission = SVC_PERM_SYSTEM, .request = &auth_admin_model},
    {.method = "POST", .path = AUTH_INTERNAL "users/deactivate/", .handler = auth_users_deactivate,
     .permission = SVC_PERM_SYSTEM, .request = &auth_admin_model},
    {.method = "POST", .path = AUTH_INTERNAL "users/2fa-reset/", .handler = auth_users_otp_reset,
     .permission = SVC_PERM_SYSTEM, .request = &auth_admin_model},
    {.method = "POST", .path = AUTH_INTERNAL "jwt/rotate/", .handler = auth_jwt_rotate, .permission = SVC_PERM_SYSTEM},
};

const svc_def_t auth_service = {
    .name = "auth",
    .version = "1.0.0",
    .routes = auth_routes,
    .num_routes = SVC_COUNT(auth_routes),
    .databases = auth_store_databases,
    .init = auth_init,
    .fini = auth_fini,
};

int auth_init(svc_t *svc)
{
    char err[512];
    auth_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return -PROTO_ERR_NO_MEMORY;
    unsigned workers = svc_config(svc)->workers;
    auth_config_defaults(&a->cfg, workers);
    if (sodium_init() < 0 || auth_config_from_env(&a->cfg, workers, err, sizeof err) != 0 ||
        auth_tokens_init(&a->tokens, a->cfg.leeway_s, err, sizeof err) != 0 ||
        auth_otp_keys_load(&a->otp_keys, err, sizeof err) != 0) {
        svc_log("error", "%s", err);
        goto fail;
    }
    for (int i = 0; i < AUTH_DB_COUNT; i++)
        a->st.dbi[i] = svc_dbi(svc, auth_store_databases[i]);
    if (auth_hasher_start(a->cfg.argon2_memory, a->cfg.argon2_ops, a->cfg.hash_threads, a->cfg.hash_max_waiting,
                          (int)a->cfg.hash_nice, &a->hasher) != 0)
        goto fail;
    /* the decoy for unknown e-mails: same parameters, so the same cost */
    char decoy[32];
    randombytes_buf(decoy, sizeof decoy);
    if (auth_hasher_hash(a->hasher, decoy, sizeof decoy, a->dummy_hash) != 0)
        goto fail;
    /* events live as long as the tokens they void (plus the leeway) */
    if (svc_events_open(svc, a->cfg.refresh_lifetime_s + a->cfg.leeway_s) != 0)
        goto fail;
    svc_set_data(svc, a);
    svc_log("info", "Argon2id m=%llu KiB t=%llu p=1 on %u low-priority thread(s), at most %u waiting; tokens %lld s / %lld s%s",
            (unsigned long long)(a->cfg.argon2_memory >> 10), (unsigned long long)a->cfg.argon2_ops,
            a->cfg.hash_threads, a->cfg.hash_max_waiting, (long long)a->cfg.access_lifetime_s,
            (long long)a->cfg.refresh_lifetime_s, a->cfg.rotate_refresh ? ", refresh rotation on" : "");
    return 0;
fail:
    auth_hasher_stop(a->hasher);
    auth_tokens_fini(&a->tokens);
    free(a);
    return -PROTO_ERR_INTERNAL;
}

void auth_fini(svc_t *svc)
{
    auth_t *a = svc_data(svc);
    if (a == NULL)
        return;
    svc_events_close(svc);
    auth_hasher_stop(a->hasher);
    auth_tokens_fini(&a->tokens);
    sodium_memzero(a, sizeof *a);
    free(a);
    svc_set_data(svc, NULL);
}
