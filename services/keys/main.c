#include "services/keys/keys.h"

int main(int argc, char **argv) { return svc_main(&keys_service, argc, argv); }
