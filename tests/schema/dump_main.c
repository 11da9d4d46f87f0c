/* `apibus schema` as its own program, so the schema tier tests cli/schema.c whatever the
 * `apibus` command links. */
#include "cli/schema.h"

int main(int argc, char **argv) { return cli_schema_main(argc, argv); }
