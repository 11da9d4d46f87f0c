/* services/runtime/idempotency.c (with writer.c): Idempotency-Key on POST, driven in process. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

static svc_t *svc;
static char dir[256];

/* --- a service whose POST writes: each create takes the next id and stores it ---------------- */

typedef struct {
    uint64_t id;
    bool fail;
} i_create_t;

static int i_write(MDB_txn *txn, void *arg)
{
    i_create_t *c = arg;
    int rc = svc_next_id(svc, txn, "items", &c->id);
    if (rc != 0)
        return rc;
    MDB_val k = {sizeof c->id, &c->id}, v = {1, "x"};
    if ((rc = mdb_put(txn, svc_dbi(svc, "items"), &k, &v, 0)) != 0)
        return svc_storage_error(rc);
    return c->fail ? -PROTO_ERR_BAD_REQUEST : 0;
}

static void i_create(svc_ctx_t *ctx)
{
    json_t *in = svc_input(ctx);
    const char *name = json_string_value(json_object_get(in, "name"));
    i_create_t c = {.fail = strcmp(name, "fail-in-write") == 0};
    if (strcmp(name, "refuse") == 0) { /* a business rule that answers without writing */
        svc_reply_field_error(ctx, "name", "Refused.");
        return;
    }
    int rc = svc_write(ctx, i_write, &c);
    if (rc != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    svc_reply_header(ctx, "x-item", "made");
    svc_reply_json(ctx, 201, json_pack("{s:I,s:s}", "id", (json_int_t)c.id, "name", name));
}

static const svc_field_t i_fields[] = {
    {.name = "id", .type = SVC_T_INTEGER, .flags = SVC_F_READ_ONLY},
    {.name = "name", .type = SVC_T_STRING, .flags = SVC_F_REQUIRED, .max_length = 100},
};
static const svc_model_t i_item = {.name = "Item", .fields = i_fields, .num_fields = SVC_COUNT(i_fields)};
static const svc_route_t i_routes[] = {
    {.method = "POST", .path = "/api/items/", .handler = i_create, .operation_id = "items_create",
     .permission = SVC_PERM_USER_OR_API_KEY, .request = &i_item, .response = &i_item, .status = 201},
    {.method = "POST", .path = "/api/other/", .handler = i_create, .operation_id = "other_create",
     .permission = SVC_PERM_USER_OR_API_KEY, .request = &i_item, .response = &i_item, .status = 201},
    {.method = "POST", .path = "/api/secret/", .handler = i_create, .operation_id = "secret_create",
     .secret_reply = true, .permission = SVC_PERM_USER_OR_API_KEY, .request = &i_item, .response = &i_item,
     .status = 201},
};
static const char *const i_databases[] = {"items", NULL};
static const svc_def_t i_def = {.name = "items", .version = "1.0.0", .routes = i_routes,
                                .num_routes = SVC_COUNT(i_routes), .databases = i_databases};

static void open_svc(void)
{
    snprintf(dir, sizeof dir, "/tmp/apibus-idem-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    svc_config_t cfg;
    svc_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cfg.map_size = (uint64_t)64 << 20;
    cr_assert_eq(svc_open(&i_def, &cfg, &svc), 0);
}

static void close_svc(void)
{
    svc_close(svc);
    svc = NULL;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(idempotency, .init = open_svc, .fini = close_svc, .timeout = 60);

/* --- requests ------------------------------------------------------------------------------- */

typedef struct {
    int status;
    long long id;
    bool replayed;
    char header[32];
    char code[64];
} outcome_t;

static outcome_t post_as(uint64_t user, const char *path, const char *key, const char *body)
{
    proto_request_t req;
    memset(&req, 0, sizeof req);
    req.method = (proto_str_t){"POST", 4};
    req.path = (proto_str_t){path, strlen(path)};
    req.base_url = (proto_str_t){"http://testserver", 17};
    req.budget_ms = 10000;
    req.principal = (proto_principal_t){.user_id = user, .cred = PROTO_CRED_JWT, .scope = PROTO_SCOPE_ALL};
    req.headers[req.num_headers++] = (proto_header_t){{"content-type", 12}, {"application/json", 16}};
    if (key != NULL)
        req.headers[req.num_headers++] = (proto_header_t){{"idempotency-key", 15}, {key, strlen(key)}};
    req.body = (proto_str_t){body, strlen(body)};
    svc_result_t res;
    svc_handle_request(svc, &req, &res);
    outcome_t o = {.status = res.status, .id = -1};
    json_t *j = json_loadb(res.body.ptr, res.body.len, 0, NULL);
    if (json_is_integer(json_object_get(j, "id")))
        o.id = json_integer_value(json_object_get(j, "id"));
    if (json_is_string(json_object_get(j, "code")))
        snprintf(o.code, sizeof o.code, "%s", json_string_value(json_object_get(j, "code")));
    json_decref(j);
    o.replayed = proto_header_get(res.headers, res.num_headers, "idempotent-replayed").len != 0;
    proto_str_t h = proto_header_get(res.headers, res.num_headers, "x-item");
    snprintf(o.header, sizeof o.header, "%.*s", (int)h.len, h.ptr);
    svc_result_dispose(&res);
    return o;
}

static outcome_t post(const char *key, const char *body)
{
    return post_as(1, "/api/items/", key, body);
}

static size_t count_db(MDB_dbi dbi)
{
    MDB_txn *txn;
    MDB_stat st;
    cr_assert_eq(mdb_txn_begin(svc_env(svc), NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_stat(txn, dbi, &st), 0);
    mdb_txn_abort(txn);
    return st.ms_entries;
}

static size_t items(void)
{
    return count_db(svc_dbi(svc, "items"));
}

/* --- tests ------------------------------------------------------------------------------------ */

Test(idempotency, a_retry_with_the_same_key_and_body_replays_the_first_outcome)
{
    outcome_t a = post("k-1", "{\"name\":\"Ada\"}");
    cr_assert_eq(a.status, 201);
    cr_expect_not(a.replayed);
    outcome_t b = post("k-1", "{\"name\":\"Ada\"}");
    cr_expect_eq(b.status, 201);
    cr_expect_eq(b.id, a.id, "the same employee, not a second one");
    cr_expect(b.replayed, "idempotent-replayed: true on the replay");
    cr_expect_str_eq(b.header, "made", "stored headers are replayed");
    cr_expect_eq(items(), 1, "one write only");
}

Test(idempotency, the_same_key_with_another_body_or_path_is_422)
{
    cr_assert_eq(post("k-2", "{\"name\":\"Ada\"}").status, 201);
    outcome_t b = post("k-2", "{\"name\":\"Bob\"}");
    cr_expect_eq(b.status, 422);
    cr_expect_str_eq(b.code, "idempotency_key_reused");
    cr_expect_eq(post_as(1, "/api/other/", "k-2", "{\"name\":\"Ada\"}").status, 422);
    cr_expect_eq(items(), 1);
}

Test(idempotency, without_a_key_every_post_writes)
{
    cr_expect_eq(post(NULL, "{\"name\":\"Ada\"}").status, 201);
    cr_expect_eq(post(NULL, "{\"name\":\"Ada\"}").status, 201);
    cr_expect_eq(items(), 2);
    cr_expect_eq(count_db(svc->idem_dbi), 0, "nothing stored without a key");
}

Test(idempotency, a_reply_carrying_a_secret_is_never_stored)
{
    /* a login or a new API key must not sit in the database for replay: the key is ignored */
    outcome_t a = post_as(1, "/api/secret/", "k-s", "{\"name\":\"Ada\"}");
    outcome_t b = post_as(1, "/api/secret/", "k-s", "{\"name\":\"Ada\"}");
    cr_expect_eq(a.status, 201);
    cr_expect_eq(b.status, 201);
    cr_expect_not(b.replayed);
    cr_expect_neq(a.id, b.id, "each request ran");
    cr_expect_eq(count_db(svc->idem_dbi), 0, "no outcome stored");
}

Test(idempotency, keys_belong_to_their_user)
{
    outcome_t a = post_as(1, "/api/items/", "shared", "{\"name\":\"Ada\"}");
    outcome_t b = post_as(2, "/api/items/", "shared", "{\"name\":\"Ada\"}");
    cr_expect_eq(a.status, 201);
    cr_expect_eq(b.status, 201);
    cr_expect_not(b.replayed);
    cr_expect_neq(a.id, b.id);
}

Test(idempotency, a_quoted_key_is_the_same_key_and_bad_keys_are_400)
{
    outcome_t a = post("abc", "{\"name\":\"Ada\"}");
    outcome_t b = post("\"abc\"", "{\"name\":\"Ada\"}");
    cr_expect(b.replayed && b.id == a.id, "an sf-string key (IETF draft) names the same key");
    char longkey[300];
    memset(longkey, 'k', 256);
    longkey[256] = '\0';
    cr_expect_eq(post(longkey, "{\"name\":\"Ada\"}").status, 400);
    cr_expect_eq(post("tab\there", "{\"name\":\"Ada\"}").status, 400);
    cr_expect_eq(items(), 1);
}

Test(idempotency, outcomes_without_a_write_are_not_stored)
{
    /* validation (before the endpoint), a business refusal (no write) and a rolled-back write
     * leave the key unused: running them again changes nothing either */
    cr_expect_eq(post("k-3", "{}").status, 400);
    cr_expect_eq(post("k-3", "{\"name\":\"refuse\"}").status, 400);
    cr_expect_eq(post("k-3", "{\"name\":\"fail-in-write\"}").status, 400);
    cr_expect_eq(count_db(svc->idem_dbi), 0);
    cr_expect_eq(items(), 0);
    outcome_t ok = post("k-3", "{\"name\":\"Ada\"}");
    cr_expect_eq(ok.status, 201, "the key is still free for the request that does write");
    cr_expect_eq(items(), 1);
}

/* --- concurrency ------------------------------------------------------------------------------ */

#define RACERS 12

typedef struct {
    const char *key;
    outcome_t out;
} racer_t;

static pthread_barrier_t start_line;

static void *racer(void *arg)
{
    racer_t *r = arg;
    pthread_barrier_wait(&start_line);
    r->out = post(r->key, "{\"name\":\"Race\"}");
    return NULL;
}

Test(idempotency, concurrent_duplicates_never_both_execute)
{
    pthread_t th[RACERS];
    racer_t r[RACERS];
    pthread_barrier_init(&start_line, NULL, RACERS);
    /* half race on one key, the other half use keys of their own (their writes share batches
     * with the held one) */
    char keys[RACERS][16];
    for (int i = 0; i < RACERS; i++) {
        snprintf(keys[i], sizeof keys[i], i % 2 == 0 ? "race" : "own-%d", i);
        r[i].key = keys[i];
        cr_assert_eq(pthread_create(&th[i], NULL, racer, &r[i]), 0);
    }
    long long first = -1;
    int created = 0, conflicts = 0, replays = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(th[i], NULL);
        if (i % 2 != 0) {
            cr_expect_eq(r[i].out.status, 201);
            continue;
        }
        if (r[i].out.status == 409) {
            cr_expect_str_eq(r[i].out.code, "idempotency_key_in_use");
            conflicts++;
            continue;
        }
        cr_expect_eq(r[i].out.status, 201);
        if (r[i].out.replayed)
            replays++;
        else
            created++;
        if (first < 0)
            first = r[i].out.id;
        cr_expect_eq(r[i].out.id, first, "every success names the same item");
    }
    pthread_barrier_destroy(&start_line);
    cr_expect_eq(created, 1, "exactly one racer executed (%d conflicts, %d replays)", conflicts, replays);
    cr_expect_eq(items(), 1 + RACERS / 2);
    /* once it finished, the key replays */
    outcome_t after = post("race", "{\"name\":\"Race\"}");
    cr_expect(after.replayed && after.id == first);
}

/* --- expiry ------------------------------------------------------------------------------------ */

/* Moves every stored key back by two days (record and expiry index), as if time had passed. */
static int age_keys(MDB_txn *txn, void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, svc->idem_expiry_dbi, &cur);
    unsigned char moved[64][300];
    size_t lens[64], n = 0;
    while (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, n == 0 ? MDB_FIRST : MDB_NEXT)) == 0 && n < 64) {
        memcpy(moved[n], k.mv_data, k.mv_size);
        lens[n++] = k.mv_size;
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        MDB_val ek = {lens[i], moved[i]}, rk = {lens[i] - 8, moved[i] + 8}, rv;
        mdb_del(txn, svc->idem_expiry_dbi, &ek, NULL);
        uint64_t created = 0;
        for (int b = 0; b < 8; b++)
            created = created << 8 | moved[i][b];
        created -= 2ull * 86400 * 1000000;
        for (int b = 7; b >= 0; b--, created >>= 8)
            moved[i][b] = (unsigned char)created;
        MDB_val ev = {0, ""};
        mdb_put(txn, svc->idem_expiry_dbi, &ek, &ev, 0);
        if (mdb_get(txn, svc->idem_dbi, &rk, &rv) == 0) {
            unsigned char *copy = malloc(rv.mv_size);
            memcpy(copy, rv.mv_data, rv.mv_size);
            memcpy(copy + 8, moved[i], 8);
            MDB_val nv = {rv.mv_size, copy};
            mdb_put(txn, svc->idem_dbi, &rk, &nv, 0);
            free(copy);
        }
    }
    return 0;
}

Test(idempotency, keys_expire_after_the_ttl_and_are_purged)
{
    outcome_t a = post("old", "{\"name\":\"Ada\"}");
    post("young", "{\"name\":\"Ada\"}");
    cr_assert_eq(svc_store_write(svc, age_keys, NULL), 0);
    post("young", "{\"name\":\"Ada\"}"); /* stored anew, with today's time */
    cr_expect_eq(count_db(svc->idem_dbi), 2);
    /* the writer thread purges when idle; the test calls it directly */
    svc__idem_purge(svc);
    cr_expect_eq(count_db(svc->idem_dbi), 1, "the expired key is gone, the renewed one stays");
    cr_expect_eq(count_db(svc->idem_expiry_dbi), 1);
    outcome_t b = post("old", "{\"name\":\"Ada\"}");
    cr_expect_not(b.replayed, "an expired key executes again");
    cr_expect_neq(b.id, a.id);
}
