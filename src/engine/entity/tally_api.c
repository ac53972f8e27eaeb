/* GET /api/v1/records/{entity}/tally — grouped counts of records inside the caller's data scope
 * (tally.h; docs/api/README.md):
 *
 *   ?by=state,org_code:city&month=2026-01..2026-12&filter={...}
 *   → {"groups": [{"state": "submitted", "org_code": "3501", "n": 123}, ...], "total": N,
 *      "source": "tally" | "count"}
 *
 * Government scopes (province, region, department) are answered from the tally table, whose region
 * column holds the records' full codes, so the scope's condition is the same prefix as on the
 * records: exact, and a few hundred rows to read however many records there are. Enterprise users,
 * a filter the table cannot answer, or an entity without a tally: COUNT … GROUP BY over the records
 * with the same scope and filter, which reads at most JG_TALLY_COUNT_MAX matches and answers 400
 * beyond (a statistics page must narrow its filter or use the tally's dimensions). */
#include "base/log.h"
#include "engine/entity/filter.h"
#include "engine/entity/records.h"
#include "engine/entity/tally.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

/* 平潭综合实验区 (350128): a county code under 福州 that Fujian runs as a city-level unit, so at
 * city level it is a group of its own (as in the data scope, scope.c). */
#define PINGTAN "350128"

/* The grouping expression of dimension d over the table aliased r: the column, a region cut to
 * its level, or the month. */
static void dim_expr(jg_buf *b, const jg_tally_dim *d, const jg_tally_spec *spec, int on_tally,
                     jg_db_kind kind)
{
    if (strcmp(d->name, "month") == 0 && d->field == NULL) {
        if (on_tally)
            jg_buf_puts(b, "r.month__");
        else if (strcmp(spec->month, JG_TALLY_CREATED_AT) != 0)
            jg_buf_printf(b, "substr(r.%s, 1, 7)", spec->month);
        else if (kind == JG_DB_SQLITE)
            jg_buf_puts(b, "strftime('%Y-%m', r.created_at, '+8 hours')");
        else
            jg_buf_puts(b, "to_char(r.created_at::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')");
        return;
    }
    if (d->level == JG_TALLY_CITY)
        jg_buf_printf(
            b, "CASE WHEN substr(r.%s, 1, 6) = '" PINGTAN "' THEN '" PINGTAN "' ELSE substr(r.%s, 1, 4) END",
            d->name, d->name);
    else if (d->level == JG_TALLY_PROVINCE)
        jg_buf_printf(b, "substr(r.%s, 1, 2)", d->name);
    else
        jg_buf_printf(b, "r.%s", d->name);
}

/* Whether the tally table can answer q with filter for the caller. */
static int tally_serves(const jg_req *req, const jg_tally_spec *spec, const jg_tally_query *q, json_t *filter)
{
    const jg_principal *who = req->principal;
    const char *scope = who->scope != NULL ? who->scope : "none";
    if (strcmp(scope, "enterprise") == 0) /* the tally has no enterprise column: their few records */
        return 0;
    for (int i = 0; i < q->nby; i++)
        if (strcmp(q->by[i].name, "month") != 0 && jg_tally_col(spec, q->by[i].name) < 0)
            return 0;
    return jg_tally_filter_served(spec, filter);
}

/* One group of row i as JSON: the dimensions ('' or -1 in the table, NULL in a count: null), n. */
static json_t *group_json(const jg_tally_query *q, const jg_rows *r, int i)
{
    json_t *o = json_object();
    for (int d = 0; d < q->nby; d++) {
        const jg_field *f = q->by[d].field;
        const char *t = jg_rows_text(r, i, d);
        json_t *v;
        if (t == NULL || t[0] == '\0' ||
            (f != NULL && f->type == JG_FIELD_BOOLEAN && jg_rows_int(r, i, d) < 0))
            v = json_null();
        else if (f != NULL && f->type == JG_FIELD_BOOLEAN)
            v = json_boolean(jg_rows_int(r, i, d) != 0);
        else
            v = json_string(t);
        json_object_set_new(o, q->by[d].name, v != NULL ? v : json_null());
    }
    json_object_set_new(o, "n", json_integer(jg_rows_int(r, i, q->nby)));
    return o;
}

static jg_rc tally(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k = jg_record_kind_of(req, resp, "read");
    if (k == NULL)
        return JG_DENIED;
    const jg_entity *e = k->e;
    jg_db_kind kind = jg_db_kind_of(req->app->db);
    jg_tally_spec spec;
    int has = jg_tally_spec_of(e, &spec) == JG_OK;
    jg_tally_query q;
    const char *param = "";
    char msg[256];
    json_t *fields = json_object();
    if (jg_tally_parse(e, has ? &spec : NULL, jg_req_query(req, "by"), jg_req_query(req, "month"), &q, &param,
                       msg, sizeof(msg)) != JG_OK)
        jg_field_error(fields, param, msg);
    json_t *filter = NULL;
    const char *ftext = jg_req_query(req, "filter");
    if (ftext != NULL && ftext[0] != '\0') {
        json_error_t je;
        filter = json_loads(ftext, JSON_REJECT_DUPLICATES, &je);
        if (filter == NULL)
            jg_field_error(fields, "filter", "筛选条件不是有效的 JSON");
    }
    int on_tally = has && json_object_size(fields) == 0 && tally_serves(req, &spec, &q, filter);

    /* WHERE: not deleted, the scope, the filter, the months. */
    jg_value *p = jg_arena_alloc(req->arena, sizeof(jg_value) * JG_RECORD_MAX_PARAMS);
    int n = 0;
    jg_buf w;
    jg_buf_init(&w, 131072); /* the largest filter the limits allow needs about 60 KiB */
    jg_buf_puts(&w, " WHERE r.state <> 'deleted'");
    jg_scope_cols cols = k->scope; /* "r.<field>": the tally table names its region column alike */
    cols.sqlite_hints = kind == JG_DB_SQLITE;
    if (on_tally)
        cols.enterprise = cols.project = NULL;
    if (jg_scope_sql(req->principal, &cols, &w, p, &n, req->arena) == JG_DENIED)
        jg_buf_puts(&w, " AND 1 = 0"); /* a caller who sees nothing counts nothing */
    const char *message = NULL;
    jg_filter_as as = {req->principal, jg_identity_field_key(req)};
    if (json_object_size(fields) == 0 && filter != NULL &&
        jg_filter_sql(&as, &jg_records_of(req)->set, e, filter, &w, p, &n, req->arena, &message) != JG_OK)
        jg_field_error(fields, "filter", message);
    json_decref(filter);
    jg_tally_dim month = {"month", NULL, JG_TALLY_AS_IS};
    for (int side = 0; side < 2 && json_object_size(fields) == 0; side++) {
        const char *bound = side == 0 ? q.from : q.to;
        if (bound[0] == '\0')
            continue;
        p[n++] = JG_VTEXT(jg_arena_strdup(req->arena, bound));
        jg_buf_puts(&w, " AND ");
        dim_expr(&w, &month, &spec, on_tally, kind);
        jg_buf_printf(&w, side == 0 ? " >= $%d" : " <= $%d", n);
    }
    if (json_object_size(fields) > 0) {
        jg_buf_free(&w);
        return jg_resp_error_fields(req, resp, JG_INVALID, "统计条件不正确", fields);
    }
    json_decref(fields);
    if (w.overflowed) {
        jg_buf_free(&w);
        return jg_resp_error(req, resp, JG_TOOLARGE, "筛选条件过长");
    }

    jg_buf sql;
    jg_buf_init(&sql, 8192 + w.len);
    jg_buf_puts(&sql, "SELECT ");
    for (int d = 0; d < q.nby; d++) {
        if (!on_tally)
            jg_buf_printf(&sql, "g%d, ", d);
        else {
            dim_expr(&sql, &q.by[d], &spec, 1, kind);
            jg_buf_puts(&sql, ", ");
        }
    }
    if (on_tally) {
        jg_buf_printf(&sql, "sum(r.n__) FROM %s%s r", e->table, JG_TALLY_SUFFIX);
        jg_buf_append(&sql, w.data, w.len);
    } else { /* the matches, at most JG_TALLY_COUNT_MAX + 1 of them, then grouped */
        jg_buf_puts(&sql, "count(*) FROM (SELECT ");
        for (int d = 0; d < q.nby; d++) {
            dim_expr(&sql, &q.by[d], &spec, 0, kind);
            jg_buf_printf(&sql, " AS g%d, ", d);
        }
        jg_buf_printf(&sql, "1 AS one FROM %s r", e->table);
        jg_buf_append(&sql, w.data, w.len);
        jg_buf_printf(&sql, " LIMIT %d) x", JG_TALLY_COUNT_MAX + 1);
    }
    jg_buf_free(&w);
    jg_buf_puts(&sql, " GROUP BY ");
    for (int d = 0; d < q.nby; d++)
        jg_buf_printf(&sql, d > 0 ? ", %d" : "%d", d + 1);
    if (on_tally)
        jg_buf_puts(&sql, " HAVING sum(r.n__) > 0");
    jg_buf_puts(&sql, " ORDER BY ");
    for (int d = 0; d < q.nby; d++)
        jg_buf_printf(&sql, d > 0 ? ", %d" : "%d", d + 1);
    jg_rows *r = NULL;
    jg_rc rc = sql.overflowed ? JG_TOOLARGE : jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *groups = json_array();
    int64_t total = 0;
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_array_append_new(groups, group_json(&q, r, i));
        total += jg_rows_int(r, i, q.nby);
    }
    jg_rows_free(r);
    if (!on_tally && total > JG_TALLY_COUNT_MAX) {
        json_decref(groups);
        json_t *why = json_object();
        char text[200];
        snprintf(text, sizeof(text), "符合条件的记录超过 %d 条，不能按此条件即时统计：请缩小筛选范围",
                 JG_TALLY_COUNT_MAX);
        jg_field_error(why, "filter", text);
        return jg_resp_error_fields(req, resp, JG_INVALID, text, why);
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:s}", "groups", groups, "total", (json_int_t)total, "source",
                                  on_tally ? "tally" : "count"));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/records/{entity}/tally", tally, JG_ROUTE_AUTH,
     "业务记录分组计数（按状态、地区、字典字段、月份，数据权限内）", "records", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_records_tally = {"records_tally", routes, NULL, NULL};
