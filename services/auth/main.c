#include "services/auth/auth.h"

int main(int argc, char **argv) { return svc_main(&auth_service, argc, argv); }
