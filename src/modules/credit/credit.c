/* 建设单位首要责任季度评价 (credit.h): the actions of process owner_quarterly, and the summary and ranking
 * routes over e_owner_quarterly (the entity of defs/credit/owner_quarterly.json). */
#include "modules/credit/credit.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/timeutil.h"
#include "engine/docs/pdf.h"
#include "engine/rule/rule.h"
#include "platform/scope.h"
#include "platform/session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_CODE "credit.owner_quarterly"
#define EXPLAIN_MAX 3900   /* characters of explanation kept (the field holds 4000) */
#define RANKING_MAX 5000   /* rows of one ranking */
#define SCORE_SCALE 10.0   /* total_score is a decimal of scale 1, stored ×10 */
#define PDF_MAX (32 << 20) /* bytes of a printed ranking */

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* ---- actions ---------------------------------------------------------------------------------- */

static int64_t record_id(const jg_flow_service *s)
{
    return (int64_t)json_integer_value(json_object_get(s->record, "id"));
}

static jg_rc expect_entity(jg_flow_service *s)
{
    if (s->entity != NULL && strcmp(s->entity, "owner_quarterly") == 0 && record_id(s) > 0)
        return JG_OK;
    snprintf(s->why, sizeof(s->why), "流程的节点 %s：只适用于建设单位首要责任季度评价", s->node);
    return JG_INVALID;
}

/* A history line (action "flow") for field of record id, from old to nv (JSON, borrowed, may be NULL). */
static jg_rc history(jg_flow_service *s, int64_t id, const char *field, json_t *old, json_t *nv)
{
    const jg_principal *who = s->req->principal;
    char *ot = json_dumps(old != NULL ? old : json_null(), JSON_ENCODE_ANY);
    char *nt = json_dumps(nv != NULL ? nv : json_null(), JSON_ENCODE_ANY);
    jg_value h[] = {JG_VTEXT("owner_quarterly"),
                    JG_VINT(id),
                    JG_VTEXT(field),
                    ot != NULL ? JG_VTEXT(ot) : JG_VNULL,
                    nt != NULL ? JG_VTEXT(nt) : JG_VNULL,
                    who != NULL ? JG_VINT(who->user_id) : JG_VNULL,
                    who != NULL ? JG_VTEXT(who->username) : JG_VNULL,
                    JG_VTEXT(s->now)};
    jg_rc rc = jg_db_exec(
        s->c,
        "INSERT INTO entity_history (entity, record_id, field, old_value, new_value, user_id, username,"
        " at, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'flow')",
        h, 8, NULL);
    free(ot);
    free(nt);
    return rc;
}

/* The rule's refusals ({"refuse": [{field, message}, ...]}) as s->why and s->fields. */
static jg_rc refused(jg_flow_service *s, json_t *list)
{
    json_t *fields = json_object();
    size_t i;
    json_t *it;
    const char *first = NULL;
    json_array_foreach(list, i, it)
    {
        const char *f = json_string_value(json_object_get(it, "field"));
        const char *m = json_string_value(json_object_get(it, "message"));
        if (m == NULL)
            continue;
        if (first == NULL)
            first = m;
        if (f != NULL && json_object_get(fields, f) == NULL)
            json_object_set_new(fields, f, json_string(m));
    }
    if (json_array_size(list) > 1)
        snprintf(s->why, sizeof(s->why), "%s（共 %zu 个问题）", first != NULL ? first : "评价不符合规则",
                 json_array_size(list));
    else
        snprintf(s->why, sizeof(s->why), "%s", first != NULL ? first : "评价不符合规则");
    char *text = json_dumps(fields, JSON_COMPACT);
    if (text != NULL) {
        s->fields = jg_arena_strdup(s->req->arena, text);
        free(text);
    }
    json_decref(fields);
    return JG_INVALID;
}

/* The explanation as lines "what：value（text）", cut at EXPLAIN_MAX bytes on a line end. */
static char *explanation(jg_arena *a, json_t *explain, int64_t version)
{
    jg_buf b;
    jg_buf_init(&b, 1024);
    size_t i;
    json_t *e;
    json_array_foreach(explain, i, e)
    {
        json_t *v = json_object_get(e, "value");
        char *vt = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
        size_t before = b.len;
        jg_buf_printf(&b, "%s：%s（%s）\n", or_empty(json_string_value(json_object_get(e, "what"))),
                      or_empty(vt), or_empty(json_string_value(json_object_get(e, "text"))));
        free(vt);
        if (b.len > EXPLAIN_MAX) {
            b.len = before;
            break;
        }
    }
    jg_buf_printf(&b, "（规则 %s 第 %lld 版）", RULE_CODE, (long long)version);
    char *out = jg_arena_strdup(a, b.data);
    jg_buf_free(&b);
    return out;
}

/* A correction must name a published evaluation of the same period and owner. */
static jg_rc check_correction(jg_flow_service *s, int64_t id)
{
    json_t *cv = json_object_get(s->record, "corrects_id");
    if (!json_is_integer(cv))
        return JG_OK;
    int64_t target = (int64_t)json_integer_value(cv);
    const char *period = json_string_value(json_object_get(s->record, "period"));
    jg_value p[] = {JG_VINT(target)};
    jg_rows *r;
    jg_rc rc =
        jg_db_query(s->c, "SELECT state, period, owner_id FROM e_owner_quarterly WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const char *msg = NULL;
    if (target == id)
        msg = "不能更正本条评价自身";
    else if (jg_rows_count(r) != 1 || strcmp(jg_rows_text(r, 0, 0), "published") != 0)
        msg = "更正的评价必须是已发布的评价";
    else if (period == NULL || strcmp(jg_rows_text(r, 0, 1), period) != 0)
        msg = "更正的评价必须是同一季度的评价";
    else if (jg_rows_int(r, 0, 2) != (int64_t)json_integer_value(json_object_get(s->record, "owner_id")))
        msg = "更正的评价必须是同一建设单位的评价";
    jg_rows_free(r);
    if (msg == NULL)
        return JG_OK;
    snprintf(s->why, sizeof(s->why), "%s", msg);
    json_t *f = json_pack("{s:s}", "corrects_id", msg);
    char *text = f != NULL ? json_dumps(f, JSON_COMPACT) : NULL;
    if (text != NULL)
        s->fields = jg_arena_strdup(s->req->arena, text);
    free(text);
    json_decref(f);
    return JG_INVALID;
}

/* The facts of the rule: the record with its child rows "deductions" (indicator, points, fact), which
 * the record of a step does not carry, read on the step's connection. */
static jg_rc facts_of(jg_flow_service *s, int64_t id, json_t **out)
{
    jg_value p[] = {JG_VINT(id)};
    jg_rows *r;
    jg_rc rc =
        jg_db_query(s->c,
                    "SELECT indicator, points, fact FROM e_owner_quarterly__deductions WHERE parent_id = $1"
                    " ORDER BY seq, id",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *facts = json_deep_copy(s->record);
    json_t *rows = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        char pts[32];
        snprintf(pts, sizeof(pts), "%.1f", (double)jg_rows_int(r, i, 1) / SCORE_SCALE);
        json_array_append_new(rows, json_pack("{s:s?, s:s, s:s?}", "indicator", jg_rows_text(r, i, 0),
                                              "points", pts, "fact", jg_rows_text(r, i, 2)));
    }
    jg_rows_free(r);
    if (facts == NULL) {
        json_decref(rows);
        return JG_NOMEM;
    }
    json_object_set_new(facts, "deductions", rows);
    *out = facts;
    return JG_OK;
}

jg_rc jg_credit_owner_total(jg_flow_service *s)
{
    jg_rc rc = expect_entity(s);
    if (rc != JG_OK)
        return rc;
    int64_t id = record_id(s);
    rc = check_correction(s, id);
    if (rc != JG_OK)
        return rc;
    json_t *facts = NULL;
    rc = facts_of(s, id, &facts);
    if (rc != JG_OK)
        return rc;
    jg_rule_result res;
    memset(&res, 0, sizeof(res));
    int64_t version = 0;
    rc = jg_rule_run(s->req->app->db, s->c, s->req->app->cfg, RULE_CODE, facts, s->now, &res, &version);
    json_decref(facts);
    if (rc == JG_NOTFOUND) {
        snprintf(s->why, sizeof(s->why), "评价规则“%s”不存在或未启用", RULE_CODE);
        rc = JG_INVALID;
    } else if (rc == JG_INVALID) {
        snprintf(s->why, sizeof(s->why), "评价规则“%s”运行失败：%s", RULE_CODE,
                 res.message != NULL ? res.message : "");
    } else if (rc == JG_OK && json_array_size(json_object_get(res.value, "refuse")) > 0) {
        rc = refused(s, json_object_get(res.value, "refuse"));
    } else if (rc == JG_OK && !json_is_number(json_object_get(res.value, "total"))) {
        snprintf(s->why, sizeof(s->why), "评价规则“%s”没有给出综合得分", RULE_CODE);
        rc = JG_INVALID;
    }
    if (rc != JG_OK) {
        jg_rule_result_clear(&res);
        return rc;
    }
    double total = json_number_value(json_object_get(res.value, "total"));
    char *why = explanation(s->req->arena, res.explain, version);
    jg_rule_result_clear(&res);
    if (total < 0 || total > 1000) {
        snprintf(s->why, sizeof(s->why), "评价规则给出的综合得分 %.1f 不在 0～1000 之间", total);
        return JG_INVALID;
    }
    int64_t stored = llround(total * SCORE_SCALE);
    char shown[32];
    snprintf(shown, sizeof(shown), "%.1f", (double)stored / SCORE_SCALE);
    const jg_principal *who = s->req->principal;
    jg_value p[] = {JG_VINT(stored), JG_VTEXT(why), who != NULL ? JG_VINT(who->user_id) : JG_VNULL,
                    JG_VTEXT(s->now), JG_VINT(id)};
    rc = jg_db_exec(s->c,
                    "UPDATE e_owner_quarterly SET total_score = $1, explanation = $2, version = version + 1,"
                    " updated_by = $3, updated_at = $4 WHERE id = $5",
                    p, 5, NULL);
    json_t *nt = json_string(shown), *ne = json_string(why);
    if (rc == JG_OK)
        rc = history(s, id, "total_score", json_object_get(s->record, "total_score"), nt);
    if (rc == JG_OK)
        rc = history(s, id, "explanation", json_object_get(s->record, "explanation"), ne);
    if (rc == JG_OK) {
        json_object_set(s->record, "total_score", nt);
        json_object_set(s->record, "explanation", ne);
        s->log = jg_arena_printf(s->req->arena, "综合得分 %s", shown);
    }
    json_decref(nt);
    json_decref(ne);
    return rc;
}

jg_rc jg_credit_owner_publish(jg_flow_service *s)
{
    jg_rc rc = expect_entity(s);
    if (rc != JG_OK)
        return rc;
    int64_t id = record_id(s);
    int64_t now = 0;
    if (!jg_time_parse_iso(s->now, &now))
        now = 0;
    char today[11];
    jg_time_business_date(now, today, sizeof(today));
    const jg_principal *who = s->req->principal;
    jg_value p[] = {JG_VTEXT(today), who != NULL ? JG_VINT(who->user_id) : JG_VNULL, JG_VTEXT(s->now),
                    JG_VINT(id)};
    rc = jg_db_exec(s->c,
                    "UPDATE e_owner_quarterly SET published_on = $1, version = version + 1, updated_by = $2,"
                    " updated_at = $3 WHERE id = $4",
                    p, 4, NULL);
    json_t *nd = json_string(today);
    if (rc == JG_OK)
        rc = history(s, id, "published_on", json_object_get(s->record, "published_on"), nd);
    if (rc == JG_OK)
        json_object_set(s->record, "published_on", nd);
    json_decref(nd);
    json_t *cv = json_object_get(s->record, "corrects_id");
    if (rc != JG_OK || !json_is_integer(cv)) {
        if (rc == JG_OK)
            s->log = jg_arena_printf(s->req->arena, "发布日期 %s", today);
        return rc;
    }
    int64_t target = (int64_t)json_integer_value(cv);
    jg_value q[] = {who != NULL ? JG_VINT(who->user_id) : JG_VNULL, JG_VTEXT(s->now), JG_VINT(target)};
    int64_t changed = 0;
    rc = jg_db_exec(
        s->c,
        "UPDATE e_owner_quarterly SET state = 'superseded', version = version + 1, updated_by = $1,"
        " updated_at = $2 WHERE id = $3 AND state = 'published'",
        q, 3, &changed);
    if (rc != JG_OK)
        return rc;
    if (changed != 1) {
        snprintf(s->why, sizeof(s->why), "更正的评价（编号 %lld）已不是已发布状态，不能发布本更正",
                 (long long)target);
        return JG_INVALID;
    }
    json_t *o = json_string("published"), *n = json_string("superseded");
    rc = history(s, target, "state", o, n);
    json_decref(o);
    json_decref(n);
    if (rc == JG_OK)
        s->log = jg_arena_printf(s->req->arena, "发布日期 %s；原评价（编号 %lld）标记为已更正", today,
                                 (long long)target);
    return rc;
}

/* ---- routes ----------------------------------------------------------------------------------- */

static const jg_scope_cols quarterly_scope = {"q.org_code", "q.owner_id", NULL, 0};

/* period=YYYYQn (required) into *period, with a field error otherwise. */
static void period_arg(jg_req *req, json_t *fields, const char **period)
{
    const char *p = jg_req_query(req, "period");
    *period = p;
    if (p == NULL || p[0] == '\0')
        jg_field_error(fields, "period", "请指定评价季度（如 2026Q3）");
    else if (strlen(p) != 6 || strncmp(p, "20", 2) != 0 || p[2] < '0' || p[2] > '9' || p[3] < '0' ||
             p[3] > '9' || p[4] != 'Q' || p[5] < '1' || p[5] > '4')
        jg_field_error(fields, "period", "评价季度格式应为年份加季度，如 2026Q3");
}

/* city=4 digits (optional) into *city. */
static void city_arg(jg_req *req, json_t *fields, const char **city)
{
    const char *c = jg_req_query(req, "city");
    *city = c != NULL && c[0] != '\0' ? c : NULL;
    if (*city == NULL)
        return;
    int ok = strlen(c) == 4 || strlen(c) == 6;
    for (const char *x = c; ok && *x != '\0'; x++)
        ok = *x >= '0' && *x <= '9';
    if (!ok)
        jg_field_error(fields, "city", "设区市代码应为 4 位数字（平潭综合实验区为 350128）");
}

static double real_of(const jg_rows *r, int row, int col)
{
    const char *t = jg_rows_text(r, row, col);
    return t != NULL ? strtod(t, NULL) : 0;
}

/* GET /api/v1/credit/owner-quarterly/summary?period=&by=city|county: per region of the caller's scope,
 * how many evaluations there are (all but deleted and superseded), how many in each stage, and the
 * average, lowest and highest total score of those scored. */
static jg_rc summary(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    const char *period;
    period_arg(req, fields, &period);
    const char *by = jg_req_query(req, "by");
    if (by == NULL || by[0] == '\0')
        by = "city";
    if (strcmp(by, "city") != 0 && strcmp(by, "county") != 0)
        jg_field_error(fields, "by", "汇总级别只能是 city（设区市）或 county（县区）");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    /* 平潭 (350128) is a city-level unit of its own, as in the data scope. */
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_buf_puts(&sql,
                "SELECT region, COUNT(*),"
                " SUM(CASE WHEN state = 'draft' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN state = 'city_review' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN state = 'province_review' THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN state = 'published' THEN 1 ELSE 0 END),"
                " COUNT(total_score), SUM(total_score), MIN(total_score), MAX(total_score)"
                " FROM (SELECT CASE WHEN $2 = 'county' THEN q.org_code"
                " WHEN q.org_code LIKE '350128%' THEN '350128' ELSE substr(q.org_code, 1, 4) END AS region,"
                " q.state AS state, q.total_score AS total_score"
                " FROM e_owner_quarterly q WHERE q.period = $1 AND q.state NOT IN ('deleted', 'superseded')");
    jg_value p[8] = {JG_VTEXT(period), JG_VTEXT(by)};
    int n = 2;
    if (jg_scope_sql(req->principal, &quarterly_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return jg_resp_json(req, resp, 200,
                            json_pack("{s:s, s:s, s:[], s:{s:i, s:i, s:n}}", "period", period, "by", by,
                                      "regions", "total", "records", 0, "scored", 0, "average"));
    }
    jg_buf_puts(&sql, ") x GROUP BY region ORDER BY region");
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *regions = json_array();
    int64_t all = 0, scored_all = 0;
    double sum_all = 0;
    for (int i = 0; i < jg_rows_count(r); i++) {
        int64_t scored = jg_rows_int(r, i, 6);
        double sum = real_of(r, i, 7);
        json_t *row = json_pack(
            "{s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "org_code", jg_rows_text(r, i, 0), "records",
            (json_int_t)jg_rows_int(r, i, 1), "draft", (json_int_t)jg_rows_int(r, i, 2), "city_review",
            (json_int_t)jg_rows_int(r, i, 3), "province_review", (json_int_t)jg_rows_int(r, i, 4),
            "published", (json_int_t)jg_rows_int(r, i, 5), "scored", (json_int_t)scored);
        if (scored > 0) {
            json_object_set_new(row, "average", json_real(round(sum / scored) / SCORE_SCALE));
            json_object_set_new(row, "min", json_real(real_of(r, i, 8) / SCORE_SCALE));
            json_object_set_new(row, "max", json_real(real_of(r, i, 9) / SCORE_SCALE));
        } else {
            json_object_set_new(row, "average", json_null());
            json_object_set_new(row, "min", json_null());
            json_object_set_new(row, "max", json_null());
        }
        json_array_append_new(regions, row);
        all += jg_rows_int(r, i, 1);
        scored_all += scored;
        sum_all += sum;
    }
    jg_rows_free(r);
    /* Region names, from the administrative tree. */
    size_t i;
    json_t *row;
    json_array_foreach(regions, i, row)
    {
        jg_value q[] = {JG_VTEXT(json_string_value(json_object_get(row, "org_code")))};
        jg_rows *nr = NULL;
        if (jg_db_read(req->app->db, "SELECT name FROM org WHERE code = $1", q, 1, &nr) == JG_OK &&
            jg_rows_count(nr) == 1)
            json_object_set_new(row, "name", json_string(jg_rows_text(nr, 0, 0)));
        jg_rows_free(nr);
    }
    json_t *total = json_pack("{s:I, s:I}", "records", (json_int_t)all, "scored", (json_int_t)scored_all);
    json_object_set_new(total, "average",
                        scored_all > 0 ? json_real(round(sum_all / scored_all) / SCORE_SCALE) : json_null());
    return jg_resp_json(
        req, resp, 200,
        json_pack("{s:s, s:s, s:o, s:o}", "period", period, "by", by, "regions", regions, "total", total));
}

/* The published evaluations of period (in city when given), lowest total first, into *out (rows:
 * id, org_code, region name, project_name, owner name, total_score, published_on). Public callers
 * (principal NULL) see every published one; others their scope. */
static jg_rc ranking_rows(jg_req *req, const char *period, const char *city, jg_rows **out)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_buf_puts(&sql, "SELECT q.id, q.org_code, o.name, q.project_name, e.name, q.total_score, q.published_on"
                      " FROM e_owner_quarterly q LEFT JOIN enterprise e ON e.id = q.owner_id"
                      " LEFT JOIN org o ON o.code = q.org_code"
                      " WHERE q.period = $1 AND q.state = 'published'");
    jg_value p[8] = {JG_VTEXT(period)};
    int n = 1;
    char like[16];
    if (city != NULL) {
        snprintf(like, sizeof(like), "%s%%", city);
        p[n++] = JG_VTEXT(like);
        jg_buf_printf(&sql, " AND q.org_code LIKE $%d", n);
        if (strcmp(city, "3501") == 0)
            jg_buf_puts(&sql, " AND q.org_code NOT LIKE '350128%'");
    }
    if (req->principal != NULL &&
        jg_scope_sql(req->principal, &quarterly_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return JG_DENIED;
    }
    jg_buf_printf(&sql, " ORDER BY q.total_score, q.id LIMIT %d", RANKING_MAX);
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, out);
    jg_buf_free(&sql);
    return rc;
}

static jg_rc ranking(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    const char *period, *city;
    period_arg(req, fields, &period);
    city_arg(req, fields, &city);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rows *r = NULL;
    jg_rc rc = ranking_rows(req, period, city, &r);
    json_t *items = json_array();
    if (rc == JG_OK) {
        for (int i = 0; i < jg_rows_count(r); i++) {
            char score[32];
            snprintf(score, sizeof(score), "%.1f", (double)jg_rows_int(r, i, 5) / SCORE_SCALE);
            json_array_append_new(items, json_pack("{s:i, s:I, s:s?, s:s?, s:s?, s:s?, s:s, s:s?}", "rank",
                                                   i + 1, "id", (json_int_t)jg_rows_int(r, i, 0), "org_code",
                                                   jg_rows_text(r, i, 1), "region", jg_rows_text(r, i, 2),
                                                   "project_name", jg_rows_text(r, i, 3), "owner",
                                                   jg_rows_text(r, i, 4), "total_score", score,
                                                   "published_on", jg_rows_text(r, i, 6)));
        }
        jg_rows_free(r);
    } else if (rc != JG_DENIED) {
        json_decref(items);
        return rc;
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s?, s:o, s:I}", "period", period, "city", city, "items", items,
                                  "total", (json_int_t)json_array_size(items)));
}

/* GET /api/v1/credit/owner-quarterly/ranking/print: the ranking as a PDF table. */
static jg_rc ranking_print(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    const char *period, *city;
    period_arg(req, fields, &period);
    city_arg(req, fields, &city);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rows *r = NULL;
    jg_rc rc = ranking_rows(req, period, city, &r);
    if (rc == JG_DENIED)
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    if (rc != JG_OK)
        return rc;
    int rows = jg_rows_count(r);
    static const char *const head[] = {"名次", "所在地", "项目名称", "建设单位", "综合得分", "发布日期"};
    const char **cells = jg_arena_alloc(req->arena, sizeof(char *) * 6 * (size_t)(rows > 0 ? rows : 1));
    for (int i = 0; i < rows; i++) {
        const char **c = cells + 6 * i;
        c[0] = jg_arena_printf(req->arena, "%d", i + 1);
        c[1] = jg_arena_strdup(req->arena, jg_rows_text(r, i, 2) != NULL ? jg_rows_text(r, i, 2)
                                                                         : or_empty(jg_rows_text(r, i, 1)));
        c[2] = jg_arena_strdup(req->arena, or_empty(jg_rows_text(r, i, 3)));
        c[3] = jg_arena_strdup(req->arena, or_empty(jg_rows_text(r, i, 4)));
        c[4] = jg_arena_printf(req->arena, "%.1f", (double)jg_rows_int(r, i, 5) / SCORE_SCALE);
        c[5] = jg_arena_strdup(req->arena, or_empty(jg_rows_text(r, i, 6)));
    }
    jg_rows_free(r);
    const char *intro = jg_arena_printf(
        req->arena,
        "%.4s年第%c季度%s在建房屋建筑工程建设单位落实质量安全首要责任评价得分，按得分由低到高排名，共 %d "
        "个项目。",
        period, period[5], city != NULL ? "所选设区市" : "全省", rows);
    jg_pdf_block blocks[] = {
        {JG_PDF_TEXT, NULL, 0, NULL, NULL, 0, intro},
        {JG_PDF_TABLE, "评价得分排名（由低到高）", 6, head, cells, rows, NULL},
        {JG_PDF_SIGNATURE, NULL, 0, (const char *const[]){"福建省住房和城乡建设厅（盖章）", "日期"}, NULL, 2,
         NULL},
    };
    const jg_principal *who = req->principal;
    const char *footer = jg_arena_printf(req->arena, "打印人：%s", who != NULL ? who->username : "");
    jg_pdf_doc doc = {"福建省建设工程质量安全监督管理平台",
                      "建设单位落实首要责任季度评价通报",
                      blocks,
                      3,
                      NULL,
                      NULL,
                      footer};
    char *pdf = NULL;
    size_t len = 0;
    int pages = 0;
    rc = jg_pdf_render(&doc, PDF_MAX, &pdf, &len, &pages);
    if (rc != JG_OK) {
        free(pdf);
        return jg_resp_error(req, resp, rc,
                             rc == JG_TOOLARGE ? "排名过长，无法打印，请按设区市分别打印" : NULL);
    }
    jg_arena_on_free(req->arena, free, pdf);
    resp->status = 200;
    resp->content_type = "application/pdf";
    resp->body = pdf;
    resp->body_len = len;
    jg_resp_header(req, resp, "Content-Disposition",
                   jg_arena_printf(req->arena, "attachment; filename=\"owner-quarterly-%s.pdf\"", period));
    jg_resp_header(req, resp, "Cache-Control", "no-store");
    return JG_OK;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/credit/owner-quarterly/summary", summary, JG_ROUTE_AUTH,
     "建设单位首要责任季度评价汇总（按设区市或县区：数量、各环节、平均分）", "credit",
     "owner_quarterly.read"},
    {"GET", "/api/v1/credit/owner-quarterly/ranking", ranking, JG_ROUTE_AUTH,
     "建设单位首要责任季度评价排名（已发布，得分由低到高，数据权限范围内）", "credit",
     "owner_quarterly.read"},
    {"GET", "/api/v1/credit/owner-quarterly/ranking/print", ranking_print, JG_ROUTE_AUTH,
     "打印建设单位首要责任季度评价排名（PDF）", "credit", "owner_quarterly.read"},
    {"GET", "/api/v1/public/owner-quarterly/ranking", ranking, 0,
     "公示：建设单位首要责任季度评价排名（已发布，得分由低到高）", "publicity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

static jg_rc init(jg_app *app)
{
    (void)app;
    jg_flow_action_set("credit.owner_total", jg_credit_owner_total);
    jg_flow_action_set("credit.owner_publish", jg_credit_owner_publish);
    return JG_OK;
}

const jg_module jg_module_credit = {"credit", routes, init, NULL};
