#include "proto/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int proto__kr_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int proto__kr_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int proto_keyring_parse(const char *text, size_t len, proto_keyring_t *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    size_t line = 0, pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        size_t a = pos, b = end;
        pos = end + 1;
        while (a < b && proto__kr_space(text[a]))
            a++;
        while (b > a && proto__kr_space(text[b - 1]))
            b--;
        if (a == b)
            continue;
        size_t s_end = a;
        while (s_end < b && !proto__kr_space(text[s_end]))
            s_end++;
        size_t slen = s_end - a;
        if (out->num == PROTO_KEYRING_MAX)
            return proto__kr_fail(err, cap, "the JWT keyring holds more than %d secrets", PROTO_KEYRING_MAX);
        if (slen < PROTO_SECRET_MIN || slen > PROTO_SECRET_MAX)
            return proto__kr_fail(err, cap, "the JWT secret on line %zu is %zu bytes long: it must be %d to %d bytes",
                                  line, slen, PROTO_SECRET_MIN, PROTO_SECRET_MAX);
        proto_keyring_entry_t *e = &out->keys[out->num];
        memcpy(e->secret, text + a, slen);
        e->secret[slen] = '\0';
        e->len = slen;
        e->retire_s = 0;
        size_t r = s_end;
        while (r < b && proto__kr_space(text[r]))
            r++;
        if (out->num == 0 && r != b)
            return proto__kr_fail(err, cap, "the current JWT secret (line %zu) must stand alone on its line", line);
        if (out->num > 0) {
            char num[24];
            if (r == b || b - r >= sizeof num)
                return proto__kr_fail(err, cap, "line %zu of the JWT keyring lacks its retirement time", line);
            memcpy(num, text + r, b - r);
            num[b - r] = '\0';
            char *stop;
            errno = 0;
            long long v = strtoll(num, &stop, 10);
            if (errno != 0 || *stop != '\0' || v <= 0)
                return proto__kr_fail(err, cap, "line %zu of the JWT keyring: bad retirement time", line);
            e->retire_s = v;
        }
        out->num++;
    }
    if (out->num == 0)
        return proto__kr_fail(err, cap, "the JWT keyring is empty");
    return 0;
}

int proto_keyring_load(const char *path, proto_keyring_t *out, char *err, size_t cap)
{
    /* room for every secret at full length plus its retirement time */
    static const size_t max = PROTO_KEYRING_MAX * (PROTO_SECRET_MAX + 32);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int saved = errno;
        proto__kr_fail(err, cap, "cannot read %s: %s", path, strerror(saved));
        errno = saved;
        return -1;
    }
    char *buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return proto__kr_fail(err, cap, "out of memory");
    }
    size_t n = fread(buf, 1, max + 1, f);
    fclose(f);
    int rc = n > max ? proto__kr_fail(err, cap, "%s is too large for a JWT keyring", path)
                     : proto_keyring_parse(buf, n, out, err, cap);
    memset(buf, 0, n < max + 1 ? n : max + 1);
    free(buf);
    errno = 0;
    return rc;
}

int proto_keyring_save(const char *path, const proto_keyring_t *kr, char *err, size_t cap)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
        return proto__kr_fail(err, cap, "keyring path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return proto__kr_fail(err, cap, "cannot write %s: %s", tmp, strerror(errno));
    int rc = 0;
    for (size_t i = 0; i < kr->num && rc == 0; i++) {
        char tail[32];
        int tl = i == 0 ? snprintf(tail, sizeof tail, "\n") : snprintf(tail, sizeof tail, " %lld\n", (long long)kr->keys[i].retire_s);
        if (write(fd, kr->keys[i].secret, kr->keys[i].len) != (ssize_t)kr->keys[i].len || write(fd, tail, (size_t)tl) != tl)
            rc = -1;
    }
    if (rc != 0 || fsync(fd) != 0) {
        rc = proto__kr_fail(err, cap, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = proto__kr_fail(err, cap, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

int proto_keyring_path(char *out, size_t cap)
{
    const char *dir = getenv("APIBUS_DATA_DIR");
    int n = snprintf(out, cap, "%s/jwt-secret", dir != NULL && *dir != '\0' ? dir : "./var");
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void proto_keyring_wipe(proto_keyring_t *kr)
{
    if (kr == NULL)
        return;
    volatile unsigned char *p = (volatile unsigned char *)kr;
    for (size_t i = 0; i < sizeof *kr; i++)
        p[i] = 0;
}
