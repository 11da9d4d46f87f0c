#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/runtime/internal.h"

/* mkdir -p: the data directory may not exist on a first start. */
static int svc__mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int svc_storage_error(int mdb_rc)
{
    if (mdb_rc == 0)
        return 0;
    if (mdb_rc == MDB_NOTFOUND)
        return -PROTO_ERR_NOT_FOUND;
    svc_log("error", "storage: %s", mdb_strerror(mdb_rc));
    return -PROTO_ERR_STORAGE;
}

void svc__store_reader_check(svc_t *svc)
{
    int dead = 0;
    if (mdb_reader_check(svc->env, &dead) == 0 && dead > 0)
        svc_log("warn", "storage: cleared %d read slot(s) of dead processes", dead);
}

_Noreturn void svc__store_pidns_fatal(const char *where)
{
    svc_log("fatal",
            "storage: %s: another process with this process's PID, in another PID namespace, uses this LMDB "
            "environment. LMDB tells readers apart by PID, so replicas in separate PID namespaces (containers "
            "that each run as PID 1) collide, and can lose commits. Run every replica of a service in one PID "
            "namespace (compose: pid: \"service:<service>-pidns\"; see docs/deploy.md). Exiting.",
            where);
    _exit(SVC__EXIT_CONFIG);
}

/*
 * The PID-namespace guard (tech notes §11). Every process that opens the environment holds a
 * shared flock on <envdir>/pidns-<inode of its PID namespace>.lock for as long as the env is
 * open. Before opening, it tries an exclusive lock on every other namespace's file: one that is
 * still locked belongs to a live process in another PID namespace, and sharing the env with it
 * is unsafe, so the service refuses to start; one that is not is stale and removed. A flock
 * works across PID namespaces (it belongs to the open file, on the shared filesystem).
 */
static int svc__pidns_guard(svc_t *svc, const char *dir)
{
    struct stat ns, st;
    char own[PATH_MAX], other[PATH_MAX];
    if (stat("/proc/self/ns/pid", &ns) != 0) {
        svc_log("warn", "storage: cannot identify the PID namespace (%s): the replica guard is off", strerror(errno));
        return 0;
    }
    int n = snprintf(own, sizeof own, "%s/pidns-%llu.lock", dir, (unsigned long long)ns.st_ino);
    if (n < 0 || (size_t)n >= sizeof own)
        return -PROTO_ERR_STORAGE;
    /* Another namespace's process may find our fresh file unlocked and remove it as stale
     * before our lock is in place: lock, then check that the name still leads to our file. */
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
        if ((fd = open(own, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0 || flock(fd, LOCK_SH) != 0) {
            svc_log("error", "storage: cannot lock %s: %s", own, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -PROTO_ERR_STORAGE;
        }
        struct stat held;
        if (fstat(fd, &held) != 0 || stat(own, &st) != 0 || held.st_ino != st.st_ino) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0)
        return -PROTO_ERR_STORAGE;
    svc->pidns_lock = fd;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "pidns-", 6) != 0 || len < 11 || strcmp(e->d_name + len - 5, ".lock") != 0 ||
            strcmp(own + strlen(dir) + 1, e->d_name) == 0)
            continue;
        if ((size_t)snprintf(other, sizeof other, "%s/%s", dir, e->d_name) >= sizeof other)
            continue;
        int ofd = open(other, O_RDWR | O_CLOEXEC);
        if (ofd < 0)
            continue; /* removed meanwhile by another process's check */
        if (flock(ofd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                svc_log("fatal",
                        "storage: %s is in use by a process in another PID namespace (%s). LMDB tells readers apart "
                        "by PID, so replicas in separate PID namespaces (containers that each run as PID 1) collide "
                        "and can lose commits. Run every replica of a service in one PID namespace (compose: "
                        "pid: \"service:<service>-pidns\"; see docs/deploy.md).",
                        dir, e->d_name);
                rc = -PROTO_ERR_UNAVAILABLE;
            }
        } else {
            unlink(other); /* stale: its namespace has no process with the env open */
        }
        close(ofd);
    }
    closedir(d);
    /* refusing: leave no file of ours behind unless others of our namespace hold it too */
    if (rc != 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        unlink(own);
    return rc;
}

static int svc__store_open_dbs(svc_t *svc)
{
    const char *const *names = svc->def->databases;
    size_t n = 0;
    while (names != NULL && names[n] != NULL)
        n++;
    svc->dbis = calloc(n + 1, sizeof *svc->dbis);
    if (svc->dbis == NULL)
        svc__oom();
    svc->num_dbis = n;
    /* The writer thread is not running yet, so this write transaction begins and ends here. */
    MDB_txn *txn;
    int rc = mdb_txn_begin(svc->env, NULL, 0, &txn);
    if (rc != 0)
        goto fail;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &svc->dbis[i]);
    if (rc == 0)
        rc = mdb_dbi_open(txn, SVC__RUNTIME_DB, MDB_CREATE, &svc->runtime_dbi);
    if (rc == 0)
        rc = mdb_dbi_open(txn, SVC__IDEM_DB, MDB_CREATE, &svc->idem_dbi);
    if (rc == 0)
        rc = mdb_dbi_open(txn, SVC__IDEM_EXPIRY_DB, MDB_CREATE, &svc->idem_expiry_dbi);
    if (rc != 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        goto fail;
    return 0;
fail:
    svc_log("error", "storage: cannot open databases: %s", mdb_strerror(rc));
    return -PROTO_ERR_STORAGE;
}

int svc__store_open(svc_t *svc)
{
    char path[PATH_MAX];
    int rc;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", svc->cfg.data_dir, svc->def->name) >= sizeof path ||
        svc__mkdirs(path) != 0) {
        svc_log("error", "storage: cannot create %s: %s", path, strerror(errno));
        return -PROTO_ERR_STORAGE;
    }
    size_t n = 0;
    while (svc->def->databases != NULL && svc->def->databases[n] != NULL)
        n++;
    if ((rc = mdb_env_create(&svc->env)) != 0)
        goto fail;
    /* Set once and large, so that no process ever has to resize (tech notes §8); without
     * MDB_WRITEMAP the file only grows as it is used. MDB_NOTLS: each request's read
     * transaction gets its own slot and no thread-local state. No MDB_NOSYNC: a commit is on
     * disk when it returns. */
    if ((rc = mdb_env_set_mapsize(svc->env, (size_t)svc->cfg.map_size)) != 0 ||
        (rc = mdb_env_set_maxreaders(svc->env, svc->cfg.max_readers)) != 0 ||
        (rc = mdb_env_set_maxdbs(svc->env, (MDB_dbi)(n + SVC__RUNTIME_DBS))) != 0)
        goto fail;
    if ((rc = svc__pidns_guard(svc, path)) != 0)
        return rc;
    if ((rc = mdb_env_open(svc->env, path, MDB_NOTLS, 0640)) != 0)
        goto fail;
    /* A read transaction right away: a PID collision the guard could not see (a process that
     * predates it, or a tool in another namespace) shows up here as EAGAIN (tech notes §8). */
    MDB_txn *probe;
    if ((rc = mdb_txn_begin(svc->env, NULL, MDB_RDONLY, &probe)) == EAGAIN)
        svc__store_pidns_fatal(path);
    if (rc != 0)
        goto fail;
    mdb_txn_abort(probe);
    svc__store_reader_check(svc);
    return svc__store_open_dbs(svc);
fail:
    svc_log("error", "storage: cannot open %s: %s", path, mdb_strerror(rc));
    return -PROTO_ERR_STORAGE;
}

void svc__store_close(svc_t *svc)
{
    if (svc->env != NULL)
        mdb_env_close(svc->env);
    svc->env = NULL;
    if (svc->pidns_lock >= 0)
        close(svc->pidns_lock); /* after the env: the lock covers every moment it is open */
    svc->pidns_lock = -1;
    free(svc->dbis);
    svc->dbis = NULL;
}

MDB_env *svc_env(svc_t *svc)
{
    return svc->env;
}

MDB_dbi svc_dbi(svc_t *svc, const char *name)
{
    for (size_t i = 0; i < svc->num_dbis; i++)
        if (strcmp(svc->def->databases[i], name) == 0)
            return svc->dbis[i];
    /* Asking for an undeclared database is a programming error that no input can cause. */
    svc_log("fatal", "storage: database \"%s\" is not declared in the service definition", name);
    abort();
}

int svc_next_id(svc_t *svc, MDB_txn *txn, const char *sequence, uint64_t *out)
{
    char key[128];
    int klen = snprintf(key, sizeof key, "seq/%s", sequence);
    if (klen < 0 || (size_t)klen >= sizeof key)
        return -PROTO_ERR_INTERNAL;
    MDB_val k = {(size_t)klen, key}, v;
    uint64_t next = 1;
    int rc = mdb_get(txn, svc->runtime_dbi, &k, &v);
    if (rc == 0 && v.mv_size == sizeof next) {
        memcpy(&next, v.mv_data, sizeof next);
        next++;
    } else if (rc != MDB_NOTFOUND) {
        return svc_storage_error(rc == 0 ? MDB_CORRUPTED : rc);
    }
    v.mv_size = sizeof next;
    v.mv_data = &next;
    if ((rc = mdb_put(txn, svc->runtime_dbi, &k, &v, 0)) != 0)
        return svc_storage_error(rc);
    *out = next;
    return 0;
}
