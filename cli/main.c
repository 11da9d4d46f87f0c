/*
 * The `apibus` command: a table of subcommands.
 *   apibus token --user-id N [--staff] [--lifetime SECONDS]
 *       prints an access token signed with the suite's current JWT secret (APIBUS_JWT_SECRET, or
 *       the keyring $APIBUS_DATA_DIR/jwt-secret), for operators and scripts. Whoever can read
 *       the secret can already impersonate anyone, so this grants nothing new. Needs no
 *       running service.
 *   apibus user ... / apibus jwt rotate / apibus key ...
 *       operator commands sent to the running suite through the gateway's internal endpoint
 *       (cli/admin.c, cli/key.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/key.h"
#include "cli/schema.h"
#include "cli/token.h"

typedef struct st_cli_command_t {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *usage;
} cli_command_t;

static int cli__token(int argc, char **argv);

static const cli_command_t cli__commands[] = {
    {"token", cli__token, "token --user-id N [--staff] [--lifetime SECONDS]"},
    {"user", cli_user_main, "user create --email E [--staff] | list | set-password E | deactivate E | 2fa-reset E"},
    {"jwt", cli_jwt_main, "jwt rotate"},
    {"key", cli_key_main,
     "key create --user E --name N [--expires DATE] [--read-only] | list [--user E] | revoke PREFIX | import FILE"},
    {"schema", cli_schema_main,
     "schema [--file PATH] [--format openapi|openapi-json] [--validate] [--fail-on-warn] [--bin-dir DIR]"},
};

static int cli__usage(FILE *out)
{
    for (size_t i = 0; i < sizeof cli__commands / sizeof cli__commands[0]; i++)
        fprintf(out, "%s apibus %s\n", i == 0 ? "usage:" : "      ", cli__commands[i].usage);
    return out == stdout ? 0 : 2;
}

static int cli__token(int argc, char **argv)
{
    static const struct option opts[] = {{"user-id", required_argument, NULL, 'u'},
                                         {"staff", no_argument, NULL, 's'},
                                         {"lifetime", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    cli_token_opts_t o = {.lifetime_s = 3600};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o.user_id = strtoull(optarg, &end, 10);
            if (*end != '\0' || o.user_id == 0)
                return fprintf(stderr, "apibus: --user-id must be a positive integer\n"), 2;
            break;
        case 's': o.is_staff = true; break;
        case 'l':
            o.lifetime_s = strtol(optarg, &end, 10);
            if (*end != '\0' || o.lifetime_s <= 0 || o.lifetime_s > 7 * 24 * 3600)
                return fprintf(stderr, "apibus: --lifetime must be 1..604800 seconds\n"), 2;
            break;
        default: return cli__usage(stderr);
        }
    }
    if (o.user_id == 0)
        return cli__usage(stderr);
    char *token = NULL;
    int rc = cli_token_mint(&o, &token);
    if (rc != 0)
        return 1;
    puts(token);
    free(token);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli__usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
        return cli__usage(stdout);
    for (size_t i = 0; i < sizeof cli__commands / sizeof cli__commands[0]; i++)
        if (strcmp(argv[1], cli__commands[i].name) == 0)
            return cli__commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "apibus: unknown command '%s'\n", argv[1]);
    return cli__usage(stderr);
}
