/*
 * `apibus schema`: the OpenAPI document without a running suite (see cli/schema.c).
 */
#ifndef APIBUS_CLI_SCHEMA_H
#define APIBUS_CLI_SCHEMA_H

/* argv[0] is "schema", the options follow. Returns the exit status. Links apibus_schema_doc. */
int cli_schema_main(int argc, char **argv);

#endif
