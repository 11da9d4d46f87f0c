/* `apibus key ...`: API keys through the running suite (the keys service, via the gateway's
 * internal endpoint; users are named by e-mail, which auth's user list turns into ids). */
#ifndef APIBUS_CLI_KEY_H
#define APIBUS_CLI_KEY_H

/* argv[0] is "key". Returns the process exit code. */
int cli_key_main(int argc, char **argv);

#endif
