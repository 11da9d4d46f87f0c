/* Minting access tokens with the suite's secret (see cli/main.c). */
#ifndef APIBUS_CLI_TOKEN_H
#define APIBUS_CLI_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_cli_token_opts_t {
    uint64_t user_id;
    bool is_staff;
    long lifetime_s;
} cli_token_opts_t;

/* Reads the secret (APIBUS_JWT_SECRET or $APIBUS_DATA_DIR/jwt-secret), signs an HS512 access
 * token with the Simple JWT claims (token_type, exp, iat, jti, user_id) and a kid naming the
 * secret. *out is malloc'ed. Returns 0, or -1 after printing why to stderr. */
int cli_token_mint(const cli_token_opts_t *opts, char **out);

/* Loads the JWT secret the way the gateway does. *out is malloc'ed and NUL-terminated.
 * Returns 0, or -1 after printing why. */
int cli_token_load_secret(char **out, size_t *len);

#endif
