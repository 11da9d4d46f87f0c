#include "services/employees/employees.h"

int main(int argc, char **argv) { return svc_main(&employees_service, argc, argv); }
