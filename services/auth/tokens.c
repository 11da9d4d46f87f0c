#include "services/auth/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto/errors.h"
#include "services/runtime/service.h"

#define AUTH_KEYRING_CHECK_US 1000000
#define AUTH_NEW_SECRET_BYTES 48

static int auth__tokens_load_file(auth_tokens_t *t, char *err, size_t cap)
{
    proto_keyring_t kr;
    struct stat stt;
    int rc = -1;
    if (stat(t->path, &stt) != 0) {
        snprintf(err, cap, "no JWT secret: set APIBUS_JWT_SECRET or create %s", t->path);
        return -1;
    }
    if (proto_keyring_load(t->path, &kr, err, cap) == 0 && proto_jwt_keys_from_keyring(&t->keys, &kr, err, cap) == 0) {
        t->mtime = stt.st_mtim;
        t->ino = stt.st_ino;
        t->size = stt.st_size;
        rc = 0;
    }
    proto_keyring_wipe(&kr);
    return rc;
}

int auth_tokens_init(auth_tokens_t *t, int64_t leeway_s, char *err, size_t cap)
{
    memset(t, 0, sizeof *t);
    pthread_rwlock_init(&t->lock, NULL);
    t->keys.leeway_s = leeway_s;
    if (sodium_init() < 0) {
        snprintf(err, cap, "libsodium failed to initialise");
        return -1;
    }
    const char *secret = getenv("APIBUS_JWT_SECRET"), *previous = getenv("APIBUS_JWT_PREVIOUS_SECRET");
    if (secret != NULL && *secret != '\0') {
        t->from_env = true;
        if (proto_jwt_keys_add(&t->keys, secret, strlen(secret), 0, "APIBUS_JWT_SECRET", err, cap) != 0)
            return -1;
        if (previous != NULL && *previous != '\0' &&
            proto_jwt_keys_add(&t->keys, previous, strlen(previous), 0, "APIBUS_JWT_PREVIOUS_SECRET", err, cap) != 0)
            return -1;
        return 0;
    }
    if (proto_keyring_path(t->path, sizeof t->path) != 0) {
        snprintf(err, cap, "APIBUS_DATA_DIR is too long");
        return -1;
    }
    return auth__tokens_load_file(t, err, cap);
}

void auth_tokens_fini(auth_tokens_t *t)
{
    if (t == NULL)
        return;
    proto_jwt_keys_wipe(&t->keys);
    pthread_rwlock_destroy(&t->lock);
}

/* Follows a rotation made by another instance. Called without the lock held. */
static void auth__tokens_refresh(auth_tokens_t *t)
{
    int64_t now = svc_now_us();
    if (t->from_env || __atomic_load_n(&t->checked_us, __ATOMIC_RELAXED) + AUTH_KEYRING_CHECK_US > now)
        return;
    __atomic_store_n(&t->checked_us, now, __ATOMIC_RELAXED);
    struct stat stt;
    if (stat(t->path, &stt) != 0)
        return;
    pthread_rwlock_wrlock(&t->lock);
    if (stt.st_ino != t->ino || stt.st_size != t->size || stt.st_mtim.tv_sec != t->mtime.tv_sec ||
        stt.st_mtim.tv_nsec != t->mtime.tv_nsec) {
        char err[256];
        proto_jwt_keys_t keep = t->keys;
        if (auth__tokens_load_file(t, err, sizeof err) != 0) {
            /* a half-edited file must not lock everybody out: keep the keys we had */
            t->keys = keep;
            svc_log("error", "JWT keyring not reloaded: %s", err);
        } else {
            svc_log("info", "JWT keyring reloaded: current kid %s, %zu key(s)", t->keys.keys[0].kid, t->keys.num_keys);
        }
        sodium_memzero(&keep, sizeof keep);
    }
    pthread_rwlock_unlock(&t->lock);
}

char *auth_tokens_sign(auth_tokens_t *t, proto_jwt_claims_t *claims)
{
    auth__tokens_refresh(t);
    pthread_rwlock_rdlock(&t->lock);
    char *tok = proto_jwt_sign(&t->keys, claims);
    pthread_rwlock_unlock(&t->lock);
    return tok;
}

int auth_tokens_verify(auth_tokens_t *t, const char *token, size_t len, const char *type, proto_jwt_claims_t *claims)
{
    auth__tokens_refresh(t);
    pthread_rwlock_rdlock(&t->lock);
    int rc = proto_jwt_verify(&t->keys, token, len, (int64_t)time(NULL), type, claims);
    pthread_rwlock_unlock(&t->lock);
    return rc;
}

/* The new keyring: a fresh current secret, then the keys still in use. */
static void auth__tokens_next(const proto_keyring_t *old, int64_t now, int64_t retire_after_s, proto_keyring_t *next)
{
    unsigned char raw[AUTH_NEW_SECRET_BYTES];
    memset(next, 0, sizeof *next);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(next->keys[0].secret, sizeof next->keys[0].secret, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    next->keys[0].len = strlen(next->keys[0].secret);
    next->num = 1;
    for (size_t i = 0; i < old->num && next->num < PROTO_KEYRING_MAX; i++) {
        const proto_keyring_entry_t *e = &old->keys[i];
        if (e->retire_s != 0 && e->retire_s < now)
            continue;
        next->keys[next->num] = *e;
        /* the old current key signs no more: it lives until its last token expires */
        if (i == 0)
            next->keys[next->num].retire_s = now + retire_after_s;
        next->num++;
    }
}

int auth_tokens_rotate(auth_tokens_t *t, int64_t retire_after_s, char new_kid[PROTO_JWT_KID_LEN + 1], char *err,
                       size_t cap)
{
    if (t->from_env) {
        snprintf(err, cap, "the JWT secret comes from APIBUS_JWT_SECRET: rotate by moving it to "
                           "APIBUS_JWT_PREVIOUS_SECRET, setting a new one, and restarting auth and the gateways");
        return -1;
    }
    char lock_path[4300];
    snprintf(lock_path, sizeof lock_path, "%s.lock", t->path);
    /* two instances rotating at once must not each drop the other's new key */
    int lock = open(lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        snprintf(err, cap, "cannot lock %s: %s", lock_path, strerror(errno));
        if (lock >= 0)
            close(lock);
        return -1;
    }
    proto_keyring_t old, next;
    memset(&next, 0, sizeof next);
    int rc = -1;
    int64_t now = (int64_t)time(NULL);
    if (proto_keyring_load(t->path, &old, err, cap) == 0) {
        auth__tokens_next(&old, now, retire_after_s, &next);
        rc = proto_keyring_save(t->path, &next, err, cap);
    }
    if (rc == 0) {
        proto_jwt_kid(next.keys[0].secret, next.keys[0].len, new_kid);
        __atomic_store_n(&t->checked_us, 0, __ATOMIC_RELAXED);
        auth__tokens_refresh(t);
    }
    proto_keyring_wipe(&old);
    proto_keyring_wipe(&next);
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}
