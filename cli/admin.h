/* `apibus user ...` and `apibus jwt rotate`: operator commands that go through the running suite. */
#ifndef APIBUS_CLI_ADMIN_H
#define APIBUS_CLI_ADMIN_H

/* argv[0] is the command name ("user", "jwt"). Return the process exit code. */
int cli_user_main(int argc, char **argv);
int cli_jwt_main(int argc, char **argv);

/* Reads a password: from the terminal without echo (asked twice), or one line of stdin when
 * stdin is not a terminal. *out is malloc'ed (wipe and free it). 0, or -1 after saying why. */
int cli_read_password(const char *prompt, char **out);

#endif
