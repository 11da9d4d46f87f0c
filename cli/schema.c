/*
 * apibus schema [--file PATH] [--format openapi|openapi-json] [--validate] [--fail-on-warn]
 *               [--bin-dir DIR]
 *
 * The `manage.py spectacular --file` equivalent: writes the suite's OpenAPI document without a
 * running suite. Every service binary of the build (<bin>/services/<svc>/apibus-<svc> and
 * <bin>/schema-svc/apibus-schema, the programs deploy/run-local starts) prints its fragment
 * with --print-fragment; the fragments go through schema-svc's own merge and writers
 * (schema-svc/doc.h), so the file is byte for byte what /api/schema/ serves for the same build
 * and the same APIBUS_SCHEMA_* settings.
 *
 * <bin> is --bin-dir, else APIBUS_BIN_DIR, else the build folder this program lives in
 * (<bin>/cli/apibus). Exit status: 0, 1 (a binary failed, the document is invalid, or a
 * conflict with --fail-on-warn), 2 (usage).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/schema.h"
#include "schema-svc/doc.h"

extern char **environ;

/* A fragment is tens of kB; anything near this is a runaway binary. */
#define CLI__MAX_FRAGMENT (16u * 1024u * 1024u)


typedef struct st_cli_schema_opts_t {
    const char *file, *bin_dir;
    bool json, validate, fail_on_warn;
} cli_schema_opts_t;

static int cli__schema_usage(FILE *out)
{
    fputs("usage: apibus schema [--file PATH] [--format openapi|openapi-json] [--validate] [--fail-on-warn]\n"
          "                     [--bin-dir DIR]\n"
          "  --file PATH     write the document to PATH (default: standard output)\n"
          "  --format F      openapi (YAML, the default) or openapi-json\n"
          "  --validate      check the document's structure; exit 1 when it is invalid\n"
          "  --fail-on-warn  exit 1 when fragments conflict\n"
          "  --bin-dir DIR   the build folder with the service binaries (default: APIBUS_BIN_DIR,\n"
          "                  else the folder above this program's)\n",
          out);
    return out == stdout ? 0 : 2;
}

static int cli__bin_dir(const cli_schema_opts_t *o, char *out, size_t cap)
{
    const char *dir = o->bin_dir != NULL ? o->bin_dir : getenv("APIBUS_BIN_DIR");
    if (dir != NULL && *dir != '\0')
        return (size_t)snprintf(out, cap, "%s", dir) < cap ? 0 : -1;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    /* <bin>/cli/apibus -> <bin> */
    char *cli_dir = dirname(self);
    return (size_t)snprintf(out, cap, "%s", dirname(cli_dir)) < cap ? 0 : -1;
}

/* Runs `binary --print-fragment` and reads what it prints. Returns 0 or -1 (explained). */
static int cli__run_fragment(const char *binary, char **text, size_t *len)
{
    int fds[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    char *const args[] = {(char *)(uintptr_t)binary, "--print-fragment", NULL};
    char *buf = NULL;
    size_t used = 0, cap = 0;
    int status = 0, rc = -1;
    if (pipe(fds) != 0)
        return fprintf(stderr, "apibus: pipe: %s\n", strerror(errno)), -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int err = posix_spawn(&pid, binary, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (err != 0) {
        close(fds[0]);
        return fprintf(stderr, "apibus: cannot run %s: %s\n", binary, strerror(err)), -1;
    }
    for (;;) {
        if (cap - used < 65536) {
            char *grown = used + 65536 > CLI__MAX_FRAGMENT ? NULL : realloc(buf, cap += 65536);
            if (grown == NULL) {
                fprintf(stderr, "apibus: %s printed more than %u bytes\n", binary, CLI__MAX_FRAGMENT);
                goto out;
            }
            buf = grown;
        }
        ssize_t n = read(fds[0], buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    rc = 0;
out:
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "apibus: %s --print-fragment failed (status %d)\n", binary, status);
        rc = -1;
    }
    if (rc != 0) {
        free(buf);
        return -1;
    }
    *text = buf;
    *len = used;
    return 0;
}

/* The fragments of every service binary in bin (the order does not matter: the merge sorts). */
static int cli__collect(const char *bin, schema_fragment_t **out, size_t *num)
{
    static const char *const patterns[] = {"services/*/apibus-*", "schema-svc/apibus-*"};
    schema_fragment_t *frags = NULL;
    size_t n = 0;
    int rc = 0;
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns && rc == 0; p++) {
        char pattern[PATH_MAX];
        glob_t g;
        if ((size_t)snprintf(pattern, sizeof pattern, "%s/%s", bin, patterns[p]) >= sizeof pattern ||
            glob(pattern, 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
            struct stat st;
            char *text, err[256];
            size_t len;
            const char *path = g.gl_pathv[i];
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0)
                continue;
            if ((rc = cli__run_fragment(path, &text, &len)) != 0)
                break;
            schema_fragment_t *grown = realloc(frags, (n + 1) * sizeof *frags);
            if (grown == NULL) {
                free(text);
                rc = -1;
                break;
            }
            frags = grown;
            if ((rc = schema_fragment_parse(text, len, &frags[n], err, sizeof err)) != 0)
                fprintf(stderr, "apibus: the fragment of %s is unusable: %s\n", path, err);
            else
                n++;
            free(text);
        }
        globfree(&g);
    }
    if (rc == 0 && n == 0) {
        fprintf(stderr, "apibus: no service binaries under %s (build first, or pass --bin-dir)\n", bin);
        rc = -1;
    }
    *out = frags;
    *num = n;
    return rc;
}

/* Writes next to the target and renames, so a reader never sees half a document. */
static int cli__write(const char *file, const char *data, size_t len)
{
    if (file == NULL || strcmp(file, "-") == 0)
        return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", file, (long)getpid()) >= sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return fprintf(stderr, "apibus: cannot write %s: %s\n", tmp, strerror(errno)), -1;
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, file) != 0) {
        fprintf(stderr, "apibus: cannot write %s: %s\n", file, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int cli__report(const schema_doc_t *doc, const cli_schema_opts_t *o)
{
    size_t i;
    json_t *item;
    int rc = 0;
    json_array_foreach(doc->conflicts, i, item)
        fprintf(stderr, "apibus: warning: %s\n", json_string_value(json_object_get(item, "detail")));
    if (o->fail_on_warn && json_array_size(doc->conflicts) != 0)
        rc = 1;
    if (o->validate) {
        json_t *problems = schema_doc_validate(doc->document);
        json_array_foreach(problems, i, item) fprintf(stderr, "apibus: invalid: %s\n", json_string_value(item));
        if (json_array_size(problems) != 0)
            rc = 1;
        json_decref(problems);
    }
    return rc;
}

static int cli__parse(int argc, char **argv, cli_schema_opts_t *o)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"validate", no_argument, NULL, 'v'},
                                         {"fail-on-warn", no_argument, NULL, 'w'},
                                         {"bin-dir", required_argument, NULL, 'b'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': o->file = optarg; break;
        case 'F':
            if (strcmp(optarg, "openapi") != 0 && strcmp(optarg, "openapi-json") != 0)
                return fprintf(stderr, "apibus: --format must be openapi or openapi-json\n"), 2;
            o->json = strcmp(optarg, "openapi-json") == 0;
            break;
        case 'v': o->validate = true; break;
        case 'w': o->fail_on_warn = true; break;
        case 'b': o->bin_dir = optarg; break;
        case 'h': return cli__schema_usage(stdout) == 0 ? -1 : 2;
        default: return cli__schema_usage(stderr);
        }
    }
    return optind < argc ? cli__schema_usage(stderr) : 0;
}

int cli_schema_main(int argc, char **argv)
{
    cli_schema_opts_t o = {0};
    char bin[PATH_MAX], err[256];
    schema_info_t info;
    schema_fragment_t *frags = NULL;
    schema_doc_t *doc = NULL;
    size_t n = 0;
    int rc = cli__parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (schema_info_from_env(&info, err, sizeof err) != 0) {
        fprintf(stderr, "apibus: %s\n", err);
        return 2;
    }
    if (cli__bin_dir(&o, bin, sizeof bin) != 0) {
        fprintf(stderr, "apibus: cannot tell where the service binaries are: pass --bin-dir\n");
        return 2;
    }
    rc = 1;
    if (cli__collect(bin, &frags, &n) != 0)
        goto out;
    if (schema_doc_build(&info, frags, n, &doc) != 0) {
        fprintf(stderr, "apibus: cannot build the document\n");
        goto out;
    }
    int report = cli__report(doc, &o);
    if (report == 0 && cli__write(o.file, o.json ? doc->json : doc->yaml, o.json ? doc->json_len : doc->yaml_len) == 0)
        rc = 0;
out:
    schema_doc_destroy(doc);
    for (size_t i = 0; i < n; i++)
        schema_fragment_dispose(&frags[i]);
    free(frags);
    return rc;
}
