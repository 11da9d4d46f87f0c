#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/utf8.h"
#include "schema-svc/schema.h"

/*
 * Which fragment speaks for a service: that of its newest live instance (the highest start
 * time), so a restarted service with changed routes wins at its first push while the old
 * instance is still within its TTL. With no live instance, the newest fragment ever seen is
 * kept and the service is reported down. Instances that are neither live nor chosen are
 * forgotten.
 */

/* The bus is trusted, but a runaway script must not grow this without bound. */
#define SCHEMA__MAX_INSTANCES 512

typedef struct st_schema__inst_t {
    char *service, *version, *instance;
    uint64_t started_us;
    int64_t last_seen_us;
    bool gone;                  /* said bye */
    char *text;                 /* the fragment as pushed */
    size_t text_len;
    char hash[33];
    schema_fragment_t fragment; /* parsed; .fragment NULL when it did not parse */
    char error[256];
} schema__inst_t;

struct st_schema_registry_t {
    pthread_mutex_t lock;
    schema_info_t info;
    int64_t ttl_us;
    schema__inst_t *insts;
    size_t num_insts;
    char *selection; /* "service=hash;..." of the document's fragments */
    schema_doc_t *doc;
    int64_t built_us;
    uint64_t builds;
};

static void schema__inst_dispose(schema__inst_t *in)
{
    free(in->service);
    free(in->version);
    free(in->instance);
    free(in->text);
    schema_fragment_dispose(&in->fragment);
    memset(in, 0, sizeof *in);
}

static bool schema__live(const schema_registry_t *r, const schema__inst_t *in, int64_t now_us)
{
    return !in->gone && now_us - in->last_seen_us <= r->ttl_us;
}

/* The instance that speaks for in->service; NULL when none has a usable fragment. */
static const schema__inst_t *schema__chosen(const schema_registry_t *r, const char *service, int64_t now_us)
{
    const schema__inst_t *best = NULL;
    bool best_live = false;
    for (size_t i = 0; i < r->num_insts; i++) {
        const schema__inst_t *in = &r->insts[i];
        if (strcmp(in->service, service) != 0 || in->fragment.fragment == NULL)
            continue;
        bool live = schema__live(r, in, now_us);
        if (best == NULL || (live && !best_live) ||
            (live == best_live && (in->started_us > best->started_us ||
                                   (in->started_us == best->started_us && strcmp(in->instance, best->instance) > 0)))) {
            best = in;
            best_live = live;
        }
    }
    return best;
}

static int schema__cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct service names, sorted (pointers into the instances). */
static size_t schema__services(const schema_registry_t *r, const char **names)
{
    size_t n = 0;
    for (size_t i = 0; i < r->num_insts; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(names[j], r->insts[i].service) == 0;
        if (!seen)
            names[n++] = r->insts[i].service;
    }
    qsort(names, n, sizeof *names, schema__cmp_str);
    return n;
}

static void schema__log_conflicts(const schema_doc_t *doc)
{
    size_t i;
    json_t *c;
    json_array_foreach(doc->conflicts, i, c)
        svc_log("warn", "schema conflict: %s", json_string_value(json_object_get(c, "detail")));
}

/* Forgets dead instances nobody needs, then rebuilds the document if the choice changed.
 * Called with the lock held. */
static void schema__refresh(schema_registry_t *r, int64_t now_us)
{
    for (size_t i = 0; i < r->num_insts;) {
        schema__inst_t *in = &r->insts[i];
        if (!schema__live(r, in, now_us) && schema__chosen(r, in->service, now_us) != in) {
            schema__inst_dispose(in);
            r->insts[i] = r->insts[--r->num_insts];
            memset(&r->insts[r->num_insts], 0, sizeof *r->insts); /* the slot a newcomer takes next */
            continue;
        }
        i++;
    }
    const char *names[SCHEMA__MAX_INSTANCES];
    size_t n = schema__services(r, names), used = 0, k = 0;
    schema_fragment_t frags[SCHEMA__MAX_INSTANCES];
    char selection[SCHEMA__MAX_INSTANCES * 48];
    selection[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const schema__inst_t *in = schema__chosen(r, names[i], now_us);
        if (in == NULL)
            continue;
        frags[k++] = in->fragment; /* a shallow copy: borrowed for the build */
        int w = snprintf(selection + used, sizeof selection - used, "%.32s=%s;", in->service, in->hash);
        if (w > 0 && (size_t)w < sizeof selection - used)
            used += (size_t)w;
    }
    if (r->selection != NULL && strcmp(r->selection, selection) == 0)
        return;
    schema_doc_t *doc;
    if (schema_doc_build(&r->info, frags, k, &doc) != 0) {
        svc_log("error", "schema: cannot build the document (out of memory?); serving the previous one");
        return;
    }
    char *copy = strdup(selection);
    if (copy == NULL) {
        schema_doc_destroy(doc);
        return;
    }
    free(r->selection);
    r->selection = copy;
    schema_doc_destroy(r->doc);
    r->doc = doc;
    r->built_us = now_us;
    r->builds++;
    svc_log("info", "schema: document rebuilt from %zu fragment(s): %zu operations, etag %s, %zu conflict(s)", k,
            doc->num_operations, doc->hash, json_array_size(doc->conflicts));
    schema__log_conflicts(doc);
}

int schema_registry_create(const schema_info_t *info, int64_t ttl_us, schema_registry_t **out)
{
    schema_registry_t *r = calloc(1, sizeof *r);
    if (r == NULL || (r->insts = calloc(SCHEMA__MAX_INSTANCES, sizeof *r->insts)) == NULL) {
        free(r);
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->info = *info;
    r->ttl_us = ttl_us;
    schema__refresh(r, svc_now_us());
    if (r->doc == NULL) {
        schema_registry_destroy(r);
        return -1;
    }
    *out = r;
    return 0;
}

void schema_registry_destroy(schema_registry_t *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->num_insts; i++)
        schema__inst_dispose(&r->insts[i]);
    free(r->insts);
    free(r->selection);
    schema_doc_destroy(r->doc);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* A C string of s, cut at the first NUL like strndup; an absent string ({NULL, 0}, e.g. a
 * message without "ver") is empty, as strndup must not be given NULL. */
static char *schema__strdup(proto_str_t s)
{
    return strndup(s.len != 0 ? s.ptr : "", s.len);
}

static schema__inst_t *schema__find(schema_registry_t *r, proto_str_t service, proto_str_t instance)
{
    for (size_t i = 0; i < r->num_insts; i++) {
        schema__inst_t *in = &r->insts[i];
        if (proto_str_eq(service, in->service, strlen(in->service)) &&
            proto_str_eq(instance, in->instance, strlen(in->instance)))
            return in;
    }
    return NULL;
}

/* The reason goes into the health report, and jansson refuses a string that is not UTF-8 (the
 * report then silently lacks it): jansson quotes the bytes near a syntax error as they are, and
 * snprintf's cut can split a character. Each byte that is not part of a character becomes '?'. */
static void schema__utf8_scrub(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = proto_utf8_char_len((const uint8_t *)s + i, n - i);
        if (len == 0)
            s[i++] = '?';
        else
            i += len;
    }
}

/* Takes a new fragment text into in (parsing it once; an unchanged text is not re-parsed). */
static void schema__take_fragment(schema__inst_t *in, proto_str_t text)
{
    unsigned char h[16];
    char hash[33];
    crypto_generichash(h, sizeof h, (const unsigned char *)text.ptr, text.len, NULL, 0);
    sodium_bin2hex(hash, sizeof hash, h, sizeof h);
    if (in->text != NULL && strcmp(hash, in->hash) == 0)
        return;
    free(in->text);
    schema_fragment_dispose(&in->fragment);
    in->error[0] = '\0';
    /* every byte, NULs included: the parser is told text_len, so a copy cut at a NUL (strndup)
     * would let it read past the end; jansson refuses the NUL itself */
    if ((in->text = malloc(text.len + 1)) != NULL) {
        if (text.len != 0)
            memcpy(in->text, text.ptr, text.len);
        in->text[text.len] = '\0';
    }
    in->text_len = text.len;
    memcpy(in->hash, hash, sizeof hash);
    if (in->text == NULL) {
        snprintf(in->error, sizeof in->error, "out of memory");
        return;
    }
    if (schema_fragment_parse(in->text, in->text_len, &in->fragment, in->error, sizeof in->error) == 0 &&
        strcmp(in->fragment.service, in->service) != 0) {
        snprintf(in->error, sizeof in->error, "the fragment names service \"%.64s\"", in->fragment.service);
        schema_fragment_dispose(&in->fragment);
    }
    if (in->error[0] != '\0') {
        schema__utf8_scrub(in->error);
        svc_log("error", "schema: the fragment of %s (%s) is unusable: %s", in->service, in->instance, in->error);
    }
}

void schema_registry_announce(schema_registry_t *r, const proto_announce_t *a, int64_t now_us)
{
    pthread_mutex_lock(&r->lock);
    schema__inst_t *in = schema__find(r, a->service, a->instance);
    if (in == NULL && !a->stopping) {
        if (r->num_insts == SCHEMA__MAX_INSTANCES) {
            svc_log("error", "schema: more than %d instances announce themselves; %.*s ignored", SCHEMA__MAX_INSTANCES,
                    (int)a->instance.len, a->instance.ptr);
            goto out;
        }
        in = &r->insts[r->num_insts];
        in->service = schema__strdup(a->service);
        in->instance = schema__strdup(a->instance);
        in->version = schema__strdup(a->version);
        if (in->service == NULL || in->instance == NULL || in->version == NULL) {
            schema__inst_dispose(in);
            goto out;
        }
        r->num_insts++;
        svc_log("info", "schema: %s instance %s (version %s) appeared", in->service, in->instance, in->version);
    }
    if (in == NULL)
        goto out;
    in->last_seen_us = now_us;
    if (a->stopping) {
        in->gone = true;
        svc_log("info", "schema: %s instance %s stopped", in->service, in->instance);
    } else {
        in->gone = false;
        in->started_us = a->started_us;
        schema__take_fragment(in, a->fragment);
    }
    schema__refresh(r, now_us);
out:
    pthread_mutex_unlock(&r->lock);
}

void schema_registry_tick(schema_registry_t *r, int64_t now_us)
{
    pthread_mutex_lock(&r->lock);
    schema__refresh(r, now_us);
    pthread_mutex_unlock(&r->lock);
}

const schema_doc_t *schema_registry_lock(schema_registry_t *r)
{
    pthread_mutex_lock(&r->lock);
    return r->doc;
}

void schema_registry_unlock(schema_registry_t *r)
{
    pthread_mutex_unlock(&r->lock);
}

uint64_t schema_registry_builds(schema_registry_t *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t n = r->builds;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static json_t *schema__time(int64_t us)
{
    char text[32];
    svc_format_time(us, text);
    return json_string(text);
}

static json_t *schema__service_health(const schema_registry_t *r, const char *name, int64_t now_us, bool *down)
{
    const schema__inst_t *chosen = schema__chosen(r, name, now_us);
    json_t *instances = json_array();
    const char *error = NULL;
    for (size_t i = 0; i < r->num_insts; i++) {
        const schema__inst_t *in = &r->insts[i];
        if (strcmp(in->service, name) != 0)
            continue;
        if (in->error[0] != '\0')
            error = in->error;
        if (!schema__live(r, in, now_us))
            continue;
        json_array_append_new(instances,
                              json_pack("{s:s, s:s, s:o, s:o, s:s}", "instance", in->instance, "version", in->version,
                                        "started_at", schema__time((int64_t)in->started_us), "last_seen_at",
                                        schema__time(in->last_seen_us), "fragment_hash", in->hash));
    }
    *down = json_array_size(instances) == 0;
    json_t *s = json_pack("{s:s, s:s, s:o}", "service", name, "status", *down ? "down" : "up", "instances", instances);
    if (chosen != NULL) {
        json_object_set_new(s, "version", json_string(chosen->fragment.version));
        json_object_set_new(s, "fragment_hash", json_string(chosen->hash));
    }
    if (error != NULL)
        json_object_set_new(s, "error", json_string(error));
    return s;
}

json_t *schema_registry_health(schema_registry_t *r, int64_t now_us)
{
    pthread_mutex_lock(&r->lock);
    const char *names[SCHEMA__MAX_INSTANCES];
    size_t n = schema__services(r, names);
    bool degraded = json_array_size(r->doc->conflicts) != 0;
    json_t *services = json_array();
    for (size_t i = 0; i < n; i++) {
        bool down;
        json_array_append_new(services, schema__service_health(r, names[i], now_us, &down));
        degraded = degraded || down;
    }
    char etag[40];
    snprintf(etag, sizeof etag, "\"%s\"", r->doc->hash);
    json_t *report = json_pack("{s:s, s:{s:s, s:I, s:o}, s:o, s:O}", "status", degraded ? "degraded" : "ok",
                               "document", "etag", etag, "operations", (json_int_t)r->doc->num_operations, "built_at",
                               schema__time(r->built_us), "services", services, "conflicts", r->doc->conflicts);
    pthread_mutex_unlock(&r->lock);
    return report;
}
