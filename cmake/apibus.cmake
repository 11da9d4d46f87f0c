# Helpers that keep each folder's CMakeLists.txt a few lines long.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(NANOMSG REQUIRED IMPORTED_TARGET nanomsg)
pkg_check_modules(MSGPACK REQUIRED IMPORTED_TARGET msgpack)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(JWT REQUIRED IMPORTED_TARGET libjwt)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
pkg_check_modules(H2O REQUIRED IMPORTED_TARGET libh2o-evloop)
pkg_check_modules(CRITERION IMPORTED_TARGET criterion)

set(APIBUS_WARNINGS -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-qual -Wvla -Wno-unused-parameter)
if(APIBUS_WERROR)
  list(APPEND APIBUS_WARNINGS -Werror)
endif()
add_compile_definitions(_GNU_SOURCE)

if(APIBUS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# apibus_library(name SOURCES ... [LIBS ...]): a static library of apibus code.
function(apibus_library name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${APIBUS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${A_LIBS})
endfunction()

# apibus_program(name SOURCES ... [LIBS ...]): an executable of apibus code.
function(apibus_program name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${APIBUS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${A_LIBS})
endfunction()

# apibus_service(employees SOURCES ...): the binary apibus-employees, linked with the runtime.
# Its sources (all but main.c) also form a library <name>_svc that the tests link.
function(apibus_service name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  set(lib_sources ${A_SOURCES})
  list(FILTER lib_sources EXCLUDE REGEX "main\\.c$")
  apibus_library(${name}_svc SOURCES ${lib_sources} LIBS apibus_runtime ${A_LIBS})
  apibus_program(apibus-${name} SOURCES main.c LIBS ${name}_svc)
endfunction()

# apibus_test(name LABEL unit SOURCES ... [LIBS ...]): a Criterion test binary registered
# with ctest under a tier label, so each tier runs alone: ctest -L unit.
function(apibus_test name)
  cmake_parse_arguments(A "" "LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_compile_options(${name} PRIVATE ${APIBUS_WARNINGS} -Wno-missing-prototypes)
  target_link_libraries(${name} PRIVATE PkgConfig::CRITERION ${A_LIBS})
  add_test(NAME ${name} COMMAND ${name} -j1)
  set_tests_properties(${name} PROPERTIES LABELS ${A_LABEL}
    ENVIRONMENT "APIBUS_BUILD_DIR=${PROJECT_BINARY_DIR};APIBUS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
