#include "schema-svc/schema.h"

int main(int argc, char **argv) { return svc_main(&schema_service, argc, argv); }
