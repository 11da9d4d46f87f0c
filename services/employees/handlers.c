/*
 * The employees handlers. Each one is a straight line: helpers that fail have already replied.
 * Every query is scoped to the principal's user, so someone else's employee is simply absent
 * (404), as Pegasus's get_queryset() makes it.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "services/employees/employees.h"
#include "services/employees/json.h"
#include "services/employees/store.h"

/* The writable fields a request gave (the runtime has validated and coerced them). */
typedef struct st_emp_changes_t {
    const char *name; /* NULL: not given */
    size_t name_len;
    int department; /* -1: not given */
    int64_t salary; /* -1: not given */
} emp_changes_t;

/* What a write runs with on the writer thread, and the record it leaves for the reply. */
typedef struct st_emp_write_t {
    const emp_store_t *st;
    uint64_t user, id;
    const emp_changes_t *changes;
    emp_record_t rec;
} emp_write_t;

int employees_init(svc_t *svc)
{
    emp_store_t *st = malloc(sizeof *st);

    if (st == NULL)
        return -PROTO_ERR_NO_MEMORY;
    for (int i = 0; i < EMP_DB_COUNT; i++)
        st->dbi[i] = svc_dbi(svc, emp_store_databases[i]);
    svc_set_data(svc, st);
    return 0;
}

void employees_fini(svc_t *svc)
{
    free(svc_data(svc));
    svc_set_data(svc, NULL);
}

static const emp_store_t *emp_store(svc_ctx_t *ctx)
{
    return svc_data(svc_service(ctx));
}

static uint64_t emp_user(svc_ctx_t *ctx)
{
    return svc_principal(ctx)->user_id;
}

/* --- helpers that reply on failure ---------------------------------------------------------- */

static MDB_txn *emp_read_txn_or_500(svc_ctx_t *ctx)
{
    MDB_txn *txn = svc_read_txn(ctx);

    if (txn == NULL)
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
    return txn;
}

/* The principal's employee id as JSON (see emp_store_get_json: valid until the reply). */
static int emp_get_json_or_404(svc_ctx_t *ctx, uint64_t id, char *scratch, const char **json, size_t *len)
{
    MDB_txn *txn = emp_read_txn_or_500(ctx);
    int rc;

    if (txn == NULL)
        return -PROTO_ERR_STORAGE;
    if ((rc = emp_store_get_json(emp_store(ctx), txn, emp_user(ctx), id, scratch, json, len)) != 0)
        svc_reply_error(ctx, rc);
    return rc;
}

/* Reads the validated input. Anything but the declared types here means the route table and
 * the runtime disagree, which is a server error, not the client's. */
static int emp_changes_or_500(svc_ctx_t *ctx, emp_changes_t *ch)
{
    json_t *in = svc_input(ctx), *v;

    ch->name = NULL;
    ch->name_len = 0;
    ch->department = -1;
    ch->salary = -1;
    if (in == NULL)
        goto fail;
    if ((v = json_object_get(in, "name")) != NULL) {
        if (!json_is_string(v))
            goto fail;
        ch->name = json_string_value(v);
        ch->name_len = json_string_length(v);
    }
    if ((v = json_object_get(in, "department")) != NULL &&
        (!json_is_string(v) || (ch->department = emp_dept_parse(json_string_value(v), json_string_length(v))) < 0))
        goto fail;
    if ((v = json_object_get(in, "salary")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            goto fail;
        ch->salary = json_integer_value(v);
    }
    return 0;
fail:
    svc_reply_error(ctx, -PROTO_ERR_INTERNAL);
    return -PROTO_ERR_INTERNAL;
}

static void emp_reply(svc_ctx_t *ctx, int status, const emp_record_t *rec)
{
    char body[EMP_JSON_MAX];

    svc_reply_raw_json(ctx, status, body, emp_json_write(body, rec));
}

/* --- writes (run on the writer thread) -------------------------------------------------------- */

static int emp_apply(emp_record_t *rec, const emp_changes_t *ch)
{
    int rc;

    if (ch->name != NULL && (rc = emp_record_set_name(rec, ch->name, ch->name_len)) != 0)
        return rc;
    if (ch->department >= 0)
        rec->department = (emp_dept_t)ch->department;
    if (ch->salary >= 0)
        rec->salary = (uint32_t)ch->salary;
    rec->updated_us = svc_now_us();
    return 0;
}

static int emp_write_create(MDB_txn *txn, void *arg)
{
    emp_write_t *w = arg;
    int rc;

    memset(&w->rec, 0, sizeof w->rec);
    w->rec.user = w->user;
    if ((rc = emp_apply(&w->rec, w->changes)) != 0)
        return rc;
    w->rec.created_us = w->rec.updated_us;
    return emp_store_create(w->st, txn, &w->rec);
}

/* Read, change and write in one transaction, so concurrent PATCHes of different fields both
 * land. */
static int emp_write_update(MDB_txn *txn, void *arg)
{
    emp_write_t *w = arg;
    int rc;

    if ((rc = emp_store_get(w->st, txn, w->user, w->id, &w->rec)) != 0 || (rc = emp_apply(&w->rec, w->changes)) != 0)
        return rc;
    return emp_store_update(w->st, txn, &w->rec);
}

static int emp_write_delete(MDB_txn *txn, void *arg)
{
    emp_write_t *w = arg;

    return emp_store_delete(w->st, txn, w->user, w->id);
}

/* Runs fn for the principal's employee id (0 for a new one) with the request's changes.
 * Replies with the error on failure. */
static int emp_write_or_reply(svc_ctx_t *ctx, svc_write_fn fn, uint64_t id, const emp_changes_t *ch, emp_write_t *w)
{
    int rc;

    w->st = emp_store(ctx);
    w->user = emp_user(ctx);
    w->id = id;
    w->changes = ch;
    if ((rc = svc_write(ctx, fn, w)) != 0)
        svc_reply_error(ctx, rc);
    return rc;
}

static void emp_change(svc_ctx_t *ctx)
{
    emp_changes_t ch;
    emp_write_t w;
    uint64_t id;

    if (svc_path_id(ctx, "id", &id) != 0 || emp_changes_or_500(ctx, &ch) != 0 ||
        emp_write_or_reply(ctx, emp_write_update, id, &ch, &w) != 0)
        return;
    emp_reply(ctx, 200, &w.rec);
}

/* --- handlers ------------------------------------------------------------------------------- */

/* The reply body of a page, its results array open. */
typedef struct st_emp_page_t {
    svc_buf_t *body;
    bool first;
} emp_page_t;

/* Appends one employee's JSON, straight into the reply. */
static int emp_append_json(const char *json, size_t len, void *arg)
{
    emp_page_t *page = arg;

    if (!page->first)
        svc_buf_append(page->body, ",", 1);
    page->first = false;
    svc_buf_append(page->body, json, len);
    return 0;
}

void employees_list(svc_ctx_t *ctx)
{
    const emp_store_t *st = emp_store(ctx);
    MDB_txn *txn;
    uint64_t count, offset, limit;
    emp_page_t page = {.first = true};
    int rc;

    if ((txn = emp_read_txn_or_500(ctx)) == NULL)
        return;
    if ((rc = emp_store_count(st, txn, emp_user(ctx), &count)) != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    if (svc_page_begin(ctx, count, &offset, &limit) != 0)
        return;
    /* a typical employee is ~165 bytes: one allocation for a page of them */
    page.body = svc_page_reply_begin(ctx, count, 2 + (size_t)limit * 192);
    svc_buf_append(page.body, "[", 1);
    if ((rc = emp_store_list(st, txn, emp_user(ctx), offset, limit, emp_append_json, &page)) != 0) {
        svc_reply_error(ctx, rc); /* the page begun is dropped with the request */
        return;
    }
    svc_buf_append(page.body, "]", 1);
    svc_page_reply_end(ctx);
}

void employees_create(svc_ctx_t *ctx)
{
    emp_changes_t ch;
    emp_write_t w;

    if (emp_changes_or_500(ctx, &ch) != 0 || emp_write_or_reply(ctx, emp_write_create, 0, &ch, &w) != 0)
        return;
    emp_reply(ctx, 201, &w.rec);
}

void employees_retrieve(svc_ctx_t *ctx)
{
    char scratch[EMP_JSON_MAX];
    const char *json;
    size_t len;
    uint64_t id;

    if (svc_path_id(ctx, "id", &id) != 0 || emp_get_json_or_404(ctx, id, scratch, &json, &len) != 0)
        return;
    svc_reply_raw_json(ctx, 200, json, len);
}

/* PUT and PATCH differ only in what the runtime requires of the body. */
void employees_update(svc_ctx_t *ctx)
{
    emp_change(ctx);
}

void employees_partial_update(svc_ctx_t *ctx)
{
    emp_change(ctx);
}

void employees_destroy(svc_ctx_t *ctx)
{
    emp_write_t w;
    uint64_t id;

    if (svc_path_id(ctx, "id", &id) != 0 || emp_write_or_reply(ctx, emp_write_delete, id, NULL, &w) != 0)
        return;
    svc_reply_empty(ctx, 204);
}

/* Appends [department, value] to list; steals value. */
static int emp_append_pair(json_t *list, int d, json_t *value)
{
    json_t *pair = value != NULL ? json_pack("[s,o]", emp_dept_values[d], value) : NULL;

    return pair != NULL && json_array_append_new(list, pair) == 0 ? 0 : -PROTO_ERR_NO_MEMORY;
}

/* Pegasus groups with values("department").annotate() on a queryset without ordering, so its
 * order is the database's whim; apibus answers in the order of the department choices (hr,
 * finance, engineering, marketing, sales), which is stable and matches Pegasus's own example. */
void employees_aggregate_data(svc_ctx_t *ctx)
{
    MDB_txn *txn;
    emp_stats_t stats;
    json_t *body;
    int rc;

    if ((txn = emp_read_txn_or_500(ctx)) == NULL)
        return;
    if ((rc = emp_store_stats(emp_store(ctx), txn, emp_user(ctx), &stats)) != 0) {
        svc_reply_error(ctx, rc);
        return;
    }
    if ((body = json_pack("{s:[], s:[], s:[]}", "total_costs", "average_salaries", "headcounts")) == NULL)
        goto fail;
    for (int d = 0; d < EMP_DEPT_COUNT; d++) {
        if (stats.count[d] == 0)
            continue;
        /* Django's Avg over an integer field is a float: 60000 is sent as 60000.0. */
        if (emp_append_pair(json_object_get(body, "total_costs"), d, json_integer((json_int_t)stats.salary_sum[d])) != 0 ||
            emp_append_pair(json_object_get(body, "average_salaries"), d,
                            json_real((double)stats.salary_sum[d] / (double)stats.count[d])) != 0 ||
            emp_append_pair(json_object_get(body, "headcounts"), d, json_integer((json_int_t)stats.count[d])) != 0)
            goto fail;
    }
    svc_reply_json(ctx, 200, body);
    return;
fail:
    json_decref(body);
    svc_reply_error(ctx, -PROTO_ERR_NO_MEMORY);
}
