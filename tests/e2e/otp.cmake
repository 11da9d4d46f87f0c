# Owned by the auth service: the two-factor end-to-end suite. It links the auth library for
# services/auth/totp.c, so that the codes it types are computed from the secret as an app would.
apibus_test(test_e2e_otp LABEL e2e SOURCES otp.c common.c
  LIBS apibus_test_support auth_svc PkgConfig::JANSSON Threads::Threads)
add_dependencies(test_e2e_otp apibus-gateway apibus-auth apibus-employees apibus)
