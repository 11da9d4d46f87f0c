/*
 * The `apibus` command. This first version has the commands that need no running service:
 *   apibus token --user-id N [--staff] [--lifetime SECONDS]
 *       prints an access token signed with the suite's JWT secret (APIBUS_JWT_SECRET, or the
 *       file $APIBUS_DATA_DIR/jwt-secret written by `make run`), for operators and scripts
 *       that need to call the API before accounts exist. Whoever can read the secret can
 *       already impersonate anyone, so this grants nothing new.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/token.h"

static int cli__usage(FILE *out)
{
    fputs("usage: apibus token --user-id N [--staff] [--lifetime SECONDS]\n", out);
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
    if (strcmp(argv[1], "token") == 0)
        return cli__token(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
        return cli__usage(stdout);
    fprintf(stderr, "apibus: unknown command '%s'\n", argv[1]);
    return cli__usage(stderr);
}
