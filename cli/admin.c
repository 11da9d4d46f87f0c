/*
 * Operator commands. Each is one internal request to the auth service through the gateway's
 * internal endpoint (cli/bus.h); the service validates and answers exactly as it does for the
 * API, so a password set here follows the same rules and voids the same tokens.
 *   apibus user create --email E [--staff]     password from a prompt, or stdin
 *   apibus user list
 *   apibus user set-password E                 password from a prompt, or stdin
 *   apibus user deactivate E
 *   apibus user 2fa-reset E                    two-factor off, for a user who lost the device
 *   apibus jwt rotate
 */
#include "cli/admin.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/bus.h"

#define CLI_PASSWORD_MAX 1024

static void cli__wipe_free(char *s)
{
    if (s == NULL)
        return;
    volatile char *p = s;
    while (*p != '\0')
        *p++ = '\0';
    free(s);
}

static char *cli__read_line(FILE *in)
{
    char buf[CLI_PASSWORD_MAX + 2];
    if (fgets(buf, sizeof buf, in) == NULL)
        return NULL;
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    char *out = strdup(buf);
    memset(buf, 0, sizeof buf);
    return out;
}

static char *cli__prompt(const char *prompt)
{
    struct termios old, quiet;
    fputs(prompt, stderr);
    fflush(stderr);
    bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = cli__read_line(stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return line;
}

int cli_read_password(const char *prompt, char **out)
{
    if (!isatty(STDIN_FILENO)) {
        if ((*out = cli__read_line(stdin)) == NULL || **out == '\0') {
            fprintf(stderr, "apibus: no password on standard input\n");
            cli__wipe_free(*out);
            return -1;
        }
        return 0;
    }
    char *a = cli__prompt(prompt), *b = a != NULL ? cli__prompt("Password (again): ") : NULL;
    if (a == NULL || b == NULL || strcmp(a, b) != 0) {
        fprintf(stderr, "apibus: the passwords do not match\n");
        cli__wipe_free(a);
        cli__wipe_free(b);
        return -1;
    }
    cli__wipe_free(b);
    *out = a;
    return 0;
}

static void cli__print_user(json_t *u)
{
    json_t *last = json_object_get(u, "last_login");
    printf("%-6lld %-40s %-5s %-6s %s %s\n", (long long)json_integer_value(json_object_get(u, "id")),
           json_string_value(json_object_get(u, "email")), json_is_true(json_object_get(u, "is_staff")) ? "staff" : "-",
           json_is_true(json_object_get(u, "is_active")) ? "active" : "off",
           json_string_value(json_object_get(u, "date_joined")), json_is_string(last) ? json_string_value(last) : "never");
}

/* One call; prints the user on success. */
static int cli__user_call(const char *path, json_t *body, int expected)
{
    json_t *reply = NULL;
    int status = cli_bus_call("POST", path, body, &reply);
    int rc = 1;
    if (status == expected) {
        cli__print_user(reply);
        rc = 0;
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    return rc;
}

static int cli__user_usage(FILE *out)
{
    fputs("usage: apibus user create --email E [--staff]\n"
          "       apibus user list\n"
          "       apibus user set-password E\n"
          "       apibus user deactivate E\n"
          "       apibus user 2fa-reset E       turn two-factor off (lost authenticator and recovery codes)\n"
          "A password is asked for on the terminal, or read as one line of standard input.\n",
          out);
    return out == stdout ? 0 : 2;
}

static int cli__user_create(int argc, char **argv)
{
    static const struct option opts[] = {
        {"email", required_argument, NULL, 'e'}, {"staff", no_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    const char *email = NULL;
    bool staff = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'e')
            email = optarg;
        else if (c == 's')
            staff = true;
        else
            return cli__user_usage(stderr);
    }
    if (email == NULL || optind != argc)
        return cli__user_usage(stderr);
    char *password;
    if (cli_read_password("Password: ", &password) != 0)
        return 1;
    json_t *body = json_pack("{s:s, s:s, s:b}", "email", email, "password", password, "is_staff", staff);
    cli__wipe_free(password);
    int rc = cli__user_call("/_internal/auth/users/", body, 201);
    json_decref(body);
    return rc;
}

static int cli__user_list(void)
{
    json_t *reply = NULL;
    int status = cli_bus_call("GET", "/_internal/auth/users/", NULL, &reply);
    if (status != 200 || !json_is_array(reply)) {
        if (status > 0)
            cli_bus_print_error(status, reply);
        json_decref(reply);
        return 1;
    }
    printf("%-6s %-40s %-5s %-6s %-27s %s\n", "id", "email", "staff", "state", "joined", "last login");
    size_t i;
    json_t *u;
    json_array_foreach(reply, i, u) cli__print_user(u);
    json_decref(reply);
    return 0;
}

/* The user's password stays; their next login needs no code, and they may enrol again. */
static int cli__user_otp_reset(const char *email)
{
    json_t *body = json_pack("{s:s}", "email", email), *reply = NULL;
    int status = cli_bus_call("POST", "/_internal/auth/users/2fa-reset/", body, &reply);
    int rc = 1;
    if (status == 200) {
        cli__print_user(reply);
        printf("%s\n", json_is_true(json_object_get(reply, "two_factor_was_on"))
                           ? "two-factor authentication is now off: the next login needs the password alone"
                           : "two-factor authentication was not on (any unconfirmed setup is gone)");
        rc = 0;
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(body);
    json_decref(reply);
    return rc;
}

int cli_user_main(int argc, char **argv)
{
    if (argc < 2)
        return cli__user_usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0)
        return cli__user_create(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0 && argc == 2)
        return cli__user_list();
    if (strcmp(sub, "set-password") == 0 && argc == 3) {
        char *password;
        if (cli_read_password("New password: ", &password) != 0)
            return 1;
        json_t *body = json_pack("{s:s, s:s}", "email", argv[2], "password", password);
        cli__wipe_free(password);
        int rc = cli__user_call("/_internal/auth/users/set-password/", body, 200);
        json_decref(body);
        return rc;
    }
    if (strcmp(sub, "deactivate") == 0 && argc == 3) {
        json_t *body = json_pack("{s:s}", "email", argv[2]);
        int rc = cli__user_call("/_internal/auth/users/deactivate/", body, 200);
        json_decref(body);
        return rc;
    }
    if (strcmp(sub, "2fa-reset") == 0 && argc == 3)
        return cli__user_otp_reset(argv[2]);
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0)
        return cli__user_usage(stdout);
    return cli__user_usage(stderr);
}

int cli_jwt_main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "rotate") != 0) {
        fputs("usage: apibus jwt rotate\n"
              "Makes a new signing secret current; the previous one verifies until its tokens expire.\n",
              stderr);
        return 2;
    }
    json_t *reply = NULL;
    int status = cli_bus_call("POST", "/_internal/auth/jwt/rotate/", NULL, &reply);
    int rc = 1;
    if (status == 200) {
        printf("new signing key %s; the previous key stays valid for %lld s\n",
               json_string_value(json_object_get(reply, "kid")),
               (long long)json_integer_value(json_object_get(reply, "previous_valid_for_s")));
        rc = 0;
    } else if (status > 0) {
        cli_bus_print_error(status, reply);
    }
    json_decref(reply);
    return rc;
}
