/* services/runtime/store.c: the PID-namespace guard (tech notes §11). A live process of another
 * PID namespace is simulated by a lock file of a made-up namespace held with a shared flock (a
 * flock belongs to its open file, so it conflicts with this process's own probe). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/runtime/internal.h"
#include "tests/unit/services/runtime/support.h"

static char dir[256], envdir[300], foreign[340];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/apibus-store-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(envdir, sizeof envdir, "%s/things", dir);
    cr_assert_eq(mkdir(envdir, 0750), 0);
    snprintf(foreign, sizeof foreign, "%s/pidns-4026530000.lock", envdir);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

static int open_things(svc_t **out)
{
    svc_config_t cfg;
    svc_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.map_size = (uint64_t)64 << 20;
    return svc_open(&t_def, &cfg, out);
}

Test(store, another_live_pid_namespace_is_refused)
{
    int fd = open(foreign, O_RDWR | O_CREAT, 0640);
    cr_assert(fd >= 0);
    cr_assert_eq(flock(fd, LOCK_SH), 0);
    svc_t *svc = NULL;
    cr_expect_eq(open_things(&svc), -PROTO_ERR_UNAVAILABLE, "a live foreign namespace: refused");
    cr_expect_null(svc);
    close(fd);
}

Test(store, a_stale_namespace_file_is_removed_and_ours_is_held)
{
    int fd = open(foreign, O_RDWR | O_CREAT, 0640);
    cr_assert(fd >= 0);
    close(fd); /* nobody holds it: its processes are gone */
    svc_t *svc;
    cr_assert_eq(open_things(&svc), 0);
    cr_expect_neq(access(foreign, F_OK), 0, "the stale file was removed");
    struct stat ns;
    char own[400];
    cr_assert_eq(stat("/proc/self/ns/pid", &ns), 0);
    snprintf(own, sizeof own, "%s/pidns-%llu.lock", envdir, (unsigned long long)ns.st_ino);
    fd = open(own, O_RDWR);
    cr_assert(fd >= 0, "our namespace's file exists");
    cr_expect_neq(flock(fd, LOCK_EX | LOCK_NB), 0, "and is held while the environment is open");
    /* a second process of the same namespace shares it */
    cr_expect_eq(flock(fd, LOCK_SH | LOCK_NB), 0);
    close(fd);
    svc_close(svc);
}
