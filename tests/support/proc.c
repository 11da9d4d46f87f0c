#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/support.h"

static size_t ts__env_find(const ts_env_t *env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < env->num; i++)
        if (strncmp(env->vars[i], name, n) == 0 && env->vars[i][n] == '=')
            return i;
    return SIZE_MAX;
}

void ts_env_set(ts_env_t *env, const char *name, const char *value)
{
    char *var;
    if (asprintf(&var, "%s=%s", name, value) < 0)
        abort();
    size_t i = ts__env_find(env, name);
    if (i != SIZE_MAX) {
        free(env->vars[i]);
        env->vars[i] = var;
        return;
    }
    if (env->num == TS_MAX_ENV)
        abort();
    env->vars[env->num++] = var;
}

void ts_env_setf(ts_env_t *env, const char *name, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ts_env_set(env, name, buf);
}

void ts_env_unset(ts_env_t *env, const char *name)
{
    size_t i = ts__env_find(env, name);
    if (i == SIZE_MAX)
        return;
    free(env->vars[i]);
    env->vars[i] = env->vars[--env->num];
}

void ts_env_dispose(ts_env_t *env)
{
    if (env == NULL)
        return;
    for (size_t i = 0; i < env->num; i++)
        free(env->vars[i]);
    env->num = 0;
}

const char *ts_binary(const char *rel)
{
    static char path[1024];
    const char *build = getenv("APIBUS_BUILD_DIR");
    snprintf(path, sizeof path, "%s/%s", build != NULL ? build : ".", rel);
    return path;
}

int ts_proc_start(ts_proc_t *proc, const char *binary, const ts_env_t *env, const char *log_path)
{
    char *envp[TS_MAX_ENV + 3];
    char *path_var = NULL, *asan_var = NULL;
    size_t n = 0;
    for (size_t i = 0; i < env->num; i++)
        envp[n++] = env->vars[i];
    if (asprintf(&path_var, "PATH=%s", getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin") < 0)
        return -1;
    envp[n++] = path_var;
    /* children are killed at the end of a test; LSan reports about that are noise */
    if (asprintf(&asan_var, "ASAN_OPTIONS=detect_leaks=0") < 0)
        return -1;
    envp[n++] = asan_var;
    envp[n] = NULL;

    memset(proc, 0, sizeof *proc);
    const char *base = strrchr(binary, '/');
    snprintf(proc->name, sizeof proc->name, "%s", base != NULL ? base + 1 : binary);
    snprintf(proc->log_path, sizeof proc->log_path, "%s", log_path);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        goto fail;
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        char *argv[] = {strdup(binary), NULL};
        execve(binary, argv, envp);
        dprintf(2, "exec %s: %s\n", binary, strerror(errno));
        _exit(127);
    }
    proc->pid = pid;
    free(path_var);
    free(asan_var);
    return 0;
fail:
    free(path_var);
    free(asan_var);
    return -1;
}

int ts_proc_signal(ts_proc_t *proc, int sig)
{
    return proc->pid > 0 ? kill(proc->pid, sig) : -1;
}

static void ts__sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int ts_proc_stop(ts_proc_t *proc, int timeout_ms)
{
    if (proc->pid <= 0)
        return -1;
    int status = -1;
    kill(proc->pid, SIGCONT); /* a stopped process cannot act on SIGTERM */
    kill(proc->pid, SIGTERM);
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(proc->pid, &status, WNOHANG) == proc->pid) {
            proc->pid = 0;
            return status;
        }
        ts__sleep_ms(10);
    }
    kill(proc->pid, SIGKILL);
    waitpid(proc->pid, &status, 0);
    proc->pid = 0;
    return -1;
}

void ts_proc_kill(ts_proc_t *proc)
{
    if (proc->pid <= 0)
        return;
    kill(proc->pid, SIGKILL);
    waitpid(proc->pid, NULL, 0);
    proc->pid = 0;
}

bool ts_proc_alive(ts_proc_t *proc)
{
    if (proc->pid <= 0)
        return false;
    if (waitpid(proc->pid, NULL, WNOHANG) == proc->pid) {
        proc->pid = 0;
        return false;
    }
    return true;
}

void ts_proc_dump_log(const ts_proc_t *proc)
{
    FILE *f = fopen(proc->log_path, "r");
    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 6000 ? size - 6000 : 0, SEEK_SET);
    char buf[6001];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "---- %s (%s), last lines ----\n%s\n", proc->name, proc->log_path, buf);
}

bool ts_proc_log_contains(const ts_proc_t *proc, const char *s)
{
    FILE *f = fopen(proc->log_path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, s) != NULL;
    fclose(f);
    return found;
}
