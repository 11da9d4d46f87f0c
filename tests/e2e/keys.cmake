# Owned by the keys service: the end-to-end tests of API keys (gateways, auth, employees, keys,
# the `apibus key` commands).
apibus_test(test_e2e_keys LABEL e2e SOURCES keys.c keys_common.c common.c
  LIBS apibus_test_support PkgConfig::JANSSON PkgConfig::SODIUM Threads::Threads)
add_dependencies(test_e2e_keys apibus-gateway apibus-auth apibus-employees apibus-keys apibus)
# Figures for the notes (tests/bench/key_revocation.c): built here for the harness, never run by ctest.
add_executable(bench_key_revocation ${PROJECT_SOURCE_DIR}/tests/bench/key_revocation.c keys_common.c common.c)
target_compile_options(bench_key_revocation PRIVATE ${APIBUS_WARNINGS} -Wno-missing-prototypes)
target_link_libraries(bench_key_revocation PRIVATE PkgConfig::CRITERION apibus_test_support PkgConfig::JANSSON
  Threads::Threads)
