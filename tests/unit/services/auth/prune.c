/* Tests auth_store_throttle_prune (services/auth/store.c) and the write path that calls it
 * (auth_throttle_save, services/auth/account.c) on a real LMDB environment in a temporary
 * directory: stale throttle counters go, fresh ones stay, at a bounded cost per write. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/auth/auth.h"
#include "services/auth/store.h"

#define S 1000000LL
#define NOW (1700000000LL * S)
#define AGE (3660 * S)

static char dir[] = "/tmp/apibus-auth-prune-XXXXXX";
static MDB_env *env;
static auth_store_t st;

static void setup(void)
{
    MDB_txn *txn;
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, AUTH_DB_COUNT + 1), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, 256u << 20), 0);
    /* durability is the runtime's business; these tests do not crash */
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    memset(&st, 0, sizeof st);
    for (int i = 0; i < AUTH_DB_COUNT; i++)
        cr_assert_eq(mdb_dbi_open(txn, auth_store_databases[i], MDB_CREATE, &st.dbi[i]), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    if (env != NULL)
        mdb_env_close(env);
    env = NULL;
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(prune, .init = setup, .fini = teardown);

static MDB_txn *begin(void)
{
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    return txn;
}

static void commit(MDB_txn *txn)
{
    cr_assert_eq(mdb_txn_commit(txn), 0);
}

static void put(const char *key, int64_t last_us)
{
    MDB_txn *txn = begin();
    auth_throttle_state_t s = {.failures = 7, .last_us = last_us};
    cr_assert_eq(auth_store_throttle_put(&st, txn, key, &s), 0);
    commit(txn);
}

static void put_raw(const char *key, const void *val, size_t len)
{
    MDB_txn *txn = begin();
    MDB_val k = {strlen(key), (void *)(uintptr_t)key}, v = {len, (void *)(uintptr_t)val};
    cr_assert_eq(mdb_put(txn, st.dbi[AUTH_DB_THROTTLE], &k, &v, 0), 0);
    commit(txn);
}

static bool has(const char *key)
{
    MDB_txn *txn;
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    MDB_val k = {strlen(key), (void *)(uintptr_t)key}, v;
    int rc = mdb_get(txn, st.dbi[AUTH_DB_THROTTLE], &k, &v);
    mdb_txn_abort(txn);
    cr_assert(rc == 0 || rc == MDB_NOTFOUND);
    return rc == 0;
}

static size_t rows(void)
{
    MDB_txn *txn;
    MDB_stat ms;
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_stat(txn, st.dbi[AUTH_DB_THROTTLE], &ms), 0);
    mdb_txn_abort(txn);
    return ms.ms_entries;
}

static void prune(int64_t now_us, unsigned budget)
{
    MDB_txn *txn = begin();
    cr_assert_eq(auth_store_throttle_prune(&st, txn, now_us, AGE, budget), 0);
    commit(txn);
}

static void key_of(char *out, size_t cap, int i)
{
    snprintf(out, cap, "a:k%03d", i);
}

Test(prune, stale_rows_of_every_prefix_go_fresh_ones_stay)
{
    static const char *const prefixes[] = {"a:", "i:", "r:", "o:"};
    char key[64];
    for (int p = 0; p < 4; p++) {
        snprintf(key, sizeof key, "%sstale", prefixes[p]);
        put(key, NOW - AGE - 1);
        snprintf(key, sizeof key, "%sedge", prefixes[p]);
        put(key, NOW - AGE);
        snprintf(key, sizeof key, "%sfresh", prefixes[p]);
        put(key, NOW - S);
        snprintf(key, sizeof key, "%sfuture", prefixes[p]); /* the clock stepped back */
        put(key, NOW + 60 * S);
    }
    prune(NOW, 100);
    cr_expect_eq(rows(), 12);
    for (int p = 0; p < 4; p++) {
        snprintf(key, sizeof key, "%sstale", prefixes[p]);
        cr_expect(!has(key), "%s: older than the age", key);
        snprintf(key, sizeof key, "%sedge", prefixes[p]);
        cr_expect(has(key), "%s: exactly the age is kept", key);
        snprintf(key, sizeof key, "%sfresh", prefixes[p]);
        cr_expect(has(key), "%s", key);
        snprintf(key, sizeof key, "%sfuture", prefixes[p]);
        cr_expect(has(key), "%s", key);
    }
}

Test(prune, the_budget_is_honoured_per_call)
{
    char key[64];
    for (int i = 0; i < 50; i++) {
        key_of(key, sizeof key, i);
        put(key, NOW - AGE - S);
    }
    for (size_t left = 50; left > 2; left -= 3) {
        prune(NOW, 3);
        cr_assert_eq(rows(), left - 3);
    }
    prune(NOW, 3);
    cr_expect_eq(rows(), 0);
    prune(NOW, 3); /* an empty database */
    cr_expect_eq(rows(), 0);
}

Test(prune, looks_at_four_entries_per_deletion_allowed)
{
    char key[64];
    for (int i = 0; i < 100; i++) {
        key_of(key, sizeof key, i);
        put(key, i == 50 ? NOW - AGE - S : NOW);
    }
    /* budget 1: four entries a call, so rows 0..47 in twelve calls and row 50 in the 13th */
    for (int call = 0; call < 12; call++)
        prune(NOW, 1);
    cr_expect(has("a:k050"), "a call looked at more than 4 entries");
    prune(NOW, 1);
    cr_expect(!has("a:k050"));
    cr_expect_eq(rows(), 99);
}

Test(prune, the_walk_wraps_once_and_stops_where_it_began)
{
    char key[64];
    for (int i = 0; i < 10; i++) {
        key_of(key, sizeof key, i);
        put(key, NOW);
    }
    prune(NOW, 1); /* looks at rows 0..3: the walk resumes at row 4 */
    put("a:k001", NOW - AGE - S);
    put("a:k005", NOW - AGE - S);
    put("a:k008", NOW - AGE - S);
    prune(NOW, 10); /* 4..9, then 0..3 after the wrap, and no further */
    cr_expect(!has("a:k001"), "behind the walk's position: reached after the wrap");
    cr_expect(!has("a:k005") && !has("a:k008"));
    cr_expect_eq(rows(), 7);
    /* stopped at row 4, where it began: the next call looks at 4 and 6 first */
    put("a:k006", NOW - AGE - S);
    prune(NOW, 1);
    cr_expect(!has("a:k006"), "the walk went on past its starting point");
}

Test(prune, the_walk_eventually_visits_everything)
{
    char key[64];
    for (int i = 0; i < 1000; i++) {
        key_of(key, sizeof key, i);
        put(key, NOW);
    }
    for (int call = 0; call < 37; call++) /* somewhere in the middle */
        prune(NOW, 2);
    cr_expect_eq(rows(), 1000, "nothing fresh goes");
    /* later every row is stale: each call deletes its budget until none is left */
    int calls = 0;
    while (rows() > 0 && calls < 1000) {
        prune(NOW + AGE + S, 2);
        calls++;
    }
    cr_expect_eq(rows(), 0);
    cr_expect_eq(calls, 500);
}

Test(prune, corrupt_rows_are_deleted_without_a_crash)
{
    static const unsigned char junk[40] = {0xff, 0xfe, 0x80};
    put_raw("a:empty", junk, 0);
    put_raw("a:short", junk, 3);
    put_raw("a:long", junk, 17);
    put_raw("i:huge", junk, sizeof junk);
    put("a:fresh", NOW);
    /* a value of the right size holding any last_us at all: no overflow, no crash */
    static const unsigned char min[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0};
    put_raw("o:min", min, sizeof min);
    MDB_txn *txn = begin();
    auth_throttle_state_t s;
    cr_expect_neq(auth_store_throttle_get(&st, txn, "a:short", &s), 0, "refused by the reader");
    commit(txn);
    prune(NOW, 10);
    cr_expect_eq(rows(), 1);
    cr_expect(has("a:fresh"));
    txn = begin();
    cr_expect_eq(auth_store_throttle_get(&st, txn, "a:short", &s), 0, "and reads as zeros once gone");
    cr_expect_eq(s.failures, 0);
    commit(txn);
}

Test(prune, inside_a_nested_transaction_and_rolled_back_with_it)
{
    put("a:k000", NOW - AGE - S);
    put("a:k001", NOW - AGE - S);
    MDB_txn *txn = begin(), *child;
    /* as the writer thread runs a write: in a child of the batch; this one fails */
    cr_assert_eq(mdb_txn_begin(env, txn, 0, &child), 0);
    cr_assert_eq(auth_store_throttle_prune(&st, child, NOW, AGE, 1), 0);
    mdb_txn_abort(child);
    commit(txn);
    cr_expect_eq(rows(), 2, "the deletion went with the failed write");
    txn = begin();
    cr_assert_eq(mdb_txn_begin(env, txn, 0, &child), 0);
    cr_assert_eq(auth_store_throttle_prune(&st, child, NOW, AGE, 1), 0);
    cr_assert_eq(mdb_txn_commit(child), 0);
    commit(txn);
    cr_expect(has("a:k000") && !has("a:k001"), "the walk had moved on past k000");
    prune(NOW, 1); /* and comes back to it after the wrap */
    cr_expect_eq(rows(), 0);
}

/* --- the age and the write path ---------------------------------------------------------------- */

/* A counter just past the prune age reads as no counter under every rule: deleting it changes
 * no decision. */
static void expect_forgotten(const auth_config_t *cfg)
{
    int64_t age = auth_throttle_prune_age_us(cfg), now = NOW;
    auth_throttle_state_t old = {.failures = 1000000, .last_us = now - age - 1};
    const auth_throttle_rule_t *rules[] = {&cfg->account, &cfg->address, &cfg->otp_user};
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(auth_throttle_wait(rules[i], &old, now), 0, "rule %d still waits", i);
        auth_throttle_state_t s = old;
        auth_throttle_fail(rules[i], &s, now);
        cr_expect_eq(s.failures, 1, "rule %d still counts it", i);
        /* and a counter at its longest wait is never that old */
        cr_expect_geq(age, (rules[i]->max_delay_s + 1) * S);
    }
    cr_expect_eq(auth_throttle_window_wait(1, &old, now), 0, "the registration window is not over");
    auth_throttle_state_t w = old;
    auth_throttle_window_count(&w, now);
    cr_expect_eq(w.failures, 1);
}

Test(prune_age, covers_every_rule_and_the_registration_window)
{
    auth_config_t cfg;
    auth_config_defaults(&cfg, 4);
    cr_expect_eq(auth_throttle_prune_age_us(&cfg), (3600 + 60) * S, "the window's hour and the slack");
    expect_forgotten(&cfg);
    cfg.account.max_delay_s = 86400; /* APIBUS_AUTH_THROTTLE_ACCOUNT_MAX_DELAY_S's largest */
    cr_expect_eq(auth_throttle_prune_age_us(&cfg), (86400 + 60) * S);
    expect_forgotten(&cfg);
    cfg.otp_user.forget_s = 7200;
    cr_expect_eq(auth_throttle_prune_age_us(&cfg), (86400 + 60) * S);
    cfg.account.max_delay_s = 300;
    cr_expect_eq(auth_throttle_prune_age_us(&cfg), (7200 + 60) * S);
    expect_forgotten(&cfg);
}

/* A spray of failed logins, each from a new e-mail and a new address, after an earlier spray
 * left 10,000 counters behind: written the way login.c writes them, the database shrinks to
 * what the last hour's failures need and stays there. */
Test(prune, a_steady_spray_keeps_the_database_bounded)
{
    auth_t *a = calloc(1, sizeof *a);
    cr_assert_not_null(a);
    auth_config_defaults(&a->cfg, 4);
    a->st = st;
    char key[64];
    MDB_txn *txn = begin();
    auth_throttle_state_t s = {.failures = 1, .last_us = NOW - 2 * AGE};
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "%s%05d", i % 2 ? "a:old-" : "i:10.0.", i);
        cr_assert_eq(auth_store_throttle_put(&a->st, txn, key, &s), 0);
    }
    commit(txn);
    cr_assert_eq(rows(), 10000);

    const int steps = 20000, batch = 50;
    const int64_t step_us = 10 * S; /* so the age spans 366 steps: 732 live counters */
    size_t most = 0, most_late = 0;
    for (int i = 0; i < steps; i += batch) {
        txn = begin();
        /* one batch of the writer thread (without the nested transaction per write: each
         * costs a 2 MiB allocation, slow under the sanitizers, and changes nothing here) */
        for (int j = i; j < i + batch; j++) {
            int64_t now = NOW + j * step_us;
            auth_throttle_state_t ts = {0};
            auth_throttle_fail(&a->cfg.account, &ts, now);
            snprintf(key, sizeof key, "a:spray-%06d@example.com", j);
            cr_assert_eq(auth_throttle_save(a, txn, key, &ts, now), 0);
            snprintf(key, sizeof key, "i:198.51.%d.%d", j / 256, j % 256);
            cr_assert_eq(auth_throttle_save(a, txn, key, &ts, now), 0);
        }
        commit(txn);
        size_t n = rows();
        most = n > most ? n : most;
        if (i >= steps / 2)
            most_late = n > most_late ? n : most_late;
    }
    /* without pruning: 10,000 + 40,000 */
    cr_expect_leq(most, 10000 + 2 * batch, "grew past the old spray: %zu", most);
    cr_expect_leq(most_late, 1000, "the live counters are ~732, not %zu", most_late);
    cr_expect_geq(most_late, 732, "fresh counters were deleted: %zu", most_late);
    free(a);
}
