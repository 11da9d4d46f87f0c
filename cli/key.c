/*
 * API keys from the command line. Each command is an internal request to the keys service
 * through the gateway's internal endpoint (cli/bus.h), so a key made or revoked here is made
 * or revoked exactly as through the API (same checks, same events).
 *   apibus key create --user E --name N [--expires DATE] [--read-only]
 *       prints the new key alone on standard output (the only time it is shown)
 *   apibus key list [--user E]
 *   apibus key revoke PREFIX
 *   apibus key import FILE
 *       keys exported from a Pegasus database, one JSON object per line:
 *       {"prefix","hashed_key","email","name","created","expiry_date","revoked"}
 *       (README: the SQL that writes it). Only sha512$$ hashes (djangorestframework-api-key
 *       3.x) can be imported; a line with another hash is refused with the reason.
 * Users are named by e-mail; auth's user list gives their ids.
 */
#include "cli/key.h"

#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/bus.h"

#define CLI_KEY_LINE_MAX 8192

static int cli__key_usage(FILE *out)
{
    fputs("usage: apibus key create --user EMAIL --name NAME [--expires DATE] [--read-only]\n"
          "       apibus key list [--user EMAIL]\n"
          "       apibus key revoke PREFIX\n"
          "       apibus key import FILE\n"
          "DATE is YYYY-MM-DD (midnight UTC) or an ISO-8601 date and time. `create` prints the key on\n"
          "standard output: it is shown this once. FILE holds one JSON object per line:\n"
          "{\"prefix\",\"hashed_key\",\"email\",\"name\",\"created\",\"expiry_date\",\"revoked\"}.\n",
          out);
    return out == stdout ? 0 : 2;
}

/* Auth's user list (a JSON array), or NULL after saying why. */
static json_t *cli__users(void)
{
    json_t *users = NULL;
    int status = cli_bus_call("GET", "/_internal/auth/users/", NULL, &users);
    if (status == 200 && json_is_array(users))
        return users;
    if (status > 0)
        cli_bus_print_error(status, users);
    json_decref(users);
    return NULL;
}

static json_int_t cli__user_id(json_t *users, const char *email)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        const char *e = json_string_value(json_object_get(u, "email"));
        if (e != NULL && strcasecmp(e, email) == 0)
            return json_integer_value(json_object_get(u, "id"));
    }
    return 0;
}

static const char *cli__email_of(json_t *users, json_int_t id)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) if (json_integer_value(json_object_get(u, "id")) == id)
        return json_string_value(json_object_get(u, "email"));
    return "?";
}

/* "2025-01-31" -> "2025-01-31T00:00:00Z"; anything else is passed on for the service to judge. */
static void cli__date(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n == 10 && isdigit((unsigned char)in[0]) && in[4] == '-' && in[7] == '-')
        snprintf(out, cap, "%sT00:00:00Z", in);
    else
        snprintf(out, cap, "%s", in);
}

static const char *cli__str(json_t *obj, const char *name, const char *none)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s != NULL ? s : none;
}

static void cli__print_key(json_t *k, json_t *users)
{
    printf("%-6lld %-8s %-32s %-10s %-7s %-27s %-27s %-27s %s\n", (long long)json_integer_value(json_object_get(k, "id")),
           cli__str(k, "prefix", "?"), cli__email_of(users, json_integer_value(json_object_get(k, "user"))),
           cli__str(k, "scope", "?"), json_is_true(json_object_get(k, "revoked")) ? "revoked" : "active",
           cli__str(k, "created", "-"), cli__str(k, "expiry_date", "never"), cli__str(k, "last_used", "never"),
           cli__str(k, "name", ""));
}

static int cli__key_create(int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"expires", required_argument, NULL, 'e'},
                                         {"read-only", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *email = NULL, *name = NULL, *expires = NULL;
    bool read_only = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': email = optarg; break;
        case 'n': name = optarg; break;
        case 'e': expires = optarg; break;
        case 'r': read_only = true; break;
        default: return cli__key_usage(stderr);
        }
    }
    if (email == NULL || name == NULL || optind != argc)
        return cli__key_usage(stderr);
    json_t *users = cli__users();
    if (users == NULL)
        return 1;
    json_int_t uid = cli__user_id(users, email);
    json_decref(users);
    if (uid <= 0) {
        fprintf(stderr, "apibus: no user %s (see apibus user list)\n", email);
        return 1;
    }
    char date[64];
    json_t *body = json_pack("{s:I, s:s, s:s}", "user_id", uid, "name", name, "scope", read_only ? "read" : "read_write");
    if (expires != NULL) {
        cli__date(expires, date, sizeof date);
        json_object_set_new(body, "expiry_date", json_string(date));
    }
    json_t *reply = NULL;
    int status = cli_bus_call("POST", "/_internal/keys/keys/", body, &reply);
    json_decref(body);
    int rc = 1;
    if (status == 201 && json_is_string(json_object_get(reply, "key"))) {
        fprintf(stderr, "API key %s (%s) created for %s; it is shown this once:\n", cli__str(reply, "prefix", "?"),
                cli__str(reply, "scope", "?"), email);
        puts(json_string_value(json_object_get(reply, "key")));
        rc = 0;
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    return rc;
}

static int cli__key_list(int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, NULL, 'u'}, {NULL, 0, NULL, 0}};
    const char *email = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'u')
            return cli__key_usage(stderr);
        email = optarg;
    }
    if (optind != argc)
        return cli__key_usage(stderr);
    json_t *users = cli__users(), *reply = NULL;
    if (users == NULL)
        return 1;
    json_int_t uid = 0;
    if (email != NULL && (uid = cli__user_id(users, email)) <= 0) {
        fprintf(stderr, "apibus: no user %s (see apibus user list)\n", email);
        json_decref(users);
        return 1;
    }
    int status = cli_bus_call("GET", "/_internal/keys/keys/", NULL, &reply);
    int rc = 1;
    if (status == 200 && json_is_array(reply)) {
        printf("%-6s %-8s %-32s %-10s %-7s %-27s %-27s %-27s %s\n", "id", "prefix", "user", "scope", "state", "created",
               "expires", "last used", "name");
        size_t i;
        json_t *k;
        json_array_foreach(reply, i, k) if (uid == 0 || json_integer_value(json_object_get(k, "user")) == uid)
            cli__print_key(k, users);
        rc = 0;
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    json_decref(users);
    return rc;
}

static int cli__key_revoke(const char *prefix)
{
    json_t *body = json_pack("{s:s}", "prefix", prefix), *reply = NULL;
    int status = cli_bus_call("POST", "/_internal/keys/revoke/", body, &reply);
    json_decref(body);
    int rc = 1;
    if (status == 200) {
        printf("API key %s revoked: it can no longer be used.\n", cli__str(reply, "prefix", prefix));
        rc = 0;
    } else if (status == 404) {
        fprintf(stderr, "apibus: no API key with prefix %s\n", prefix);
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    return rc;
}

/* One line of the export: 0 imported, 1 already there, -1 refused (said why). */
static int cli__import_line(json_t *users, json_t *row, size_t line)
{
    const char *email = json_string_value(json_object_get(row, "email"));
    json_int_t uid = email != NULL ? cli__user_id(users, email) : 0;
    if (uid <= 0) {
        fprintf(stderr, "apibus: line %zu: no user %s: create the account first (apibus user create)\n", line,
                email != NULL ? email : "(no \"email\")");
        return -1;
    }
    json_t *body = json_object();
    static const char *const copied[] = {"prefix", "hashed_key", "name", "created", "expiry_date", "revoked", "scope"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        json_t *v = json_object_get(row, copied[i]);
        if (v != NULL && !json_is_null(v))
            json_object_set(body, copied[i], v);
    }
    json_object_set_new(body, "user_id", json_integer(uid));
    json_t *reply = NULL;
    int status = cli_bus_call("POST", "/_internal/keys/import/", body, &reply);
    json_decref(body);
    int rc = -1;
    if (status == 201 || status == 200) {
        rc = status == 201 ? 0 : 1;
    } else if (status > 0) {
        fprintf(stderr, "apibus: line %zu (prefix %s):\n", line, cli__str(row, "prefix", "?"));
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    return rc;
}

static int cli__key_import(const char *file)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (f == NULL) {
        perror(file);
        return 1;
    }
    json_t *users = cli__users();
    if (users == NULL) {
        if (f != stdin)
            fclose(f);
        return 1;
    }
    char *buf = malloc(CLI_KEY_LINE_MAX);
    size_t line = 0, imported = 0, present = 0, refused = 0;
    while (buf != NULL && fgets(buf, CLI_KEY_LINE_MAX, f) != NULL) {
        line++;
        size_t n = strspn(buf, " \t\r\n");
        if (buf[n] == '\0' || buf[n] == '#')
            continue;
        json_error_t e;
        json_t *row = json_loads(buf, 0, &e);
        int rc = -1;
        if (!json_is_object(row))
            fprintf(stderr, "apibus: line %zu: not a JSON object (%s)\n", line, e.text);
        else
            rc = cli__import_line(users, row, line);
        json_decref(row);
        if (rc == 0)
            imported++;
        else if (rc == 1)
            present++;
        else
            refused++;
    }
    free(buf);
    json_decref(users);
    if (f != stdin)
        fclose(f);
    printf("imported %zu key(s), %zu already present, %zu refused\n", imported, present, refused);
    return refused != 0 ? 1 : 0;
}

int cli_key_main(int argc, char **argv)
{
    if (argc < 2)
        return cli__key_usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0)
        return cli__key_create(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0)
        return cli__key_list(argc - 1, argv + 1);
    if (strcmp(sub, "revoke") == 0 && argc == 3)
        return cli__key_revoke(argv[2]);
    if (strcmp(sub, "import") == 0 && argc == 3)
        return cli__key_import(argv[2]);
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0)
        return cli__key_usage(stdout);
    return cli__key_usage(stderr);
}
