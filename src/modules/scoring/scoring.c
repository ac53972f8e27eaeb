/* The scoring module's API: a unit's monthly and cumulative points, the persons of a project, company
 * period scores, rankings, credit with its explanation, and the full recomputation
 * (docs/api/README.md "Scoring and credit"). */
#include "modules/scoring/scoring.h"
#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/rule/rule.h"
#include "http/http.h"
#include "modules/scoring/scoring_int.h"
#include "modules/scoring/warning.h"
#include "platform/identity.h"
#include "platform/scope.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

static const jg_scope_cols point_scope = {.org = "org_code", .enterprise = "enterprise_id"};
static const jg_scope_cols project_scope = {.org = "org_code", .project = "id"};

/* The optional ?period= (YYYY or YYYYQn) as a quarter range; 0 and a field error when malformed. */
static int period_arg(jg_req *req, json_t *fields, const char **period, char lo[8], char hi[8])
{
    *period = jg_req_query(req, "period");
    snprintf(lo, 8, "0000Q1");
    snprintf(hi, 8, "9999Q4");
    if (*period == NULL)
        return 1;
    int k = jg_scoring_period_kind(*period);
    if (k == 0) {
        jg_field_error(fields, "period", "记分周期格式应为 2026 或 2026Q1");
        return 0;
    }
    snprintf(lo, 8, k == 2 ? "%.4sQ1" : "%.6s", *period);
    snprintf(hi, 8, k == 2 ? "%.4sQ4" : "%.6s", *period);
    return 1;
}

/* An enterprise user sees only its own enterprise's scores: 1 when p may see enterprise id. */
static int own_enterprise_ok(const jg_principal *p, int64_t id)
{
    if (p == NULL || strcmp(p->scope, "none") == 0)
        return 0;
    return strcmp(p->scope, "enterprise") != 0 || p->enterprise_id == id;
}

static double points_of(const jg_rows *r, int row, int col)
{
    return (double)jg_rows_int(r, row, col) / 10.0;
}

/* The enterprise named by route parameter param (one the caller may see: else 404) and the period
 * arguments (else 400 with the fields); JG_OK, or the rc of the error answer already set. */
static jg_rc unit_args(jg_req *req, jg_resp *resp, const char *param, int64_t *id, const char **period,
                       char *lo, char *hi)
{
    if (jg_parse_int64(jg_req_param(req, param), 1, INT64_MAX, id) != JG_OK ||
        !own_enterprise_ok(req->principal, *id))
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    json_t *fields = json_object();
    period_arg(req, fields, period, lo, hi);
    return jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK ? JG_INVALID : JG_OK;
}

/* GET /api/v1/scoring/units/{enterprise_id}: points by month (of effective_on) and cumulative. */
static jg_rc unit_points(jg_req *req, jg_resp *resp)
{
    int64_t id;
    const char *period;
    char lo[8], hi[8];
    jg_rc arc = unit_args(req, resp, "enterprise_id", &id, &period, lo, hi);
    if (arc != JG_OK)
        return arc;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[8] = {JG_VINT(id), JG_VTEXT(lo), JG_VTEXT(hi)};
    int n = 3;
    jg_buf_puts(&sql,
                "SELECT substr(effective_on, 1, 7), enterprise_role, SUM(points), COUNT(DISTINCT notice_id)"
                " FROM score_point WHERE enterprise_id = $1 AND period >= $2 AND period <= $3");
    if (jg_scope_sql(req->principal, &point_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    }
    jg_buf_puts(&sql, " GROUP BY substr(effective_on, 1, 7), enterprise_role ORDER BY 1, 2");
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *months = json_array();
    double cumulative = 0;
    for (int i = 0; i < jg_rows_count(r); i++) {
        double pts = points_of(r, i, 2);
        cumulative += pts;
        json_array_append_new(months, json_pack("{s:s, s:s?, s:f, s:f, s:I}", "month", jg_rows_text(r, i, 0),
                                                "role", jg_rows_text(r, i, 1), "points", pts, "cumulative",
                                                cumulative, "notices", (json_int_t)jg_rows_int(r, i, 3)));
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:I, s:s?, s:o, s:f}", "enterprise_id", (json_int_t)id, "period", period,
                                  "months", months, "cumulative", cumulative));
}

/* GET /api/v1/scoring/projects/{id}/persons: every person who held a role on the project, per
 * period, with the points and the project score of score.project over that person's points. */
static jg_rc project_persons(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[6] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql, "SELECT id FROM project WHERE id = $1");
    if (jg_scope_sql(req->principal, &project_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    }
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    int found = jg_rows_count(r) == 1;
    jg_rows_free(r);
    if (!found)
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    jg_value q[] = {JG_VINT(id)};
    rc = jg_db_read(
        req->app->db,
        "SELECT s.person_id, s.person_role, s.period, s.clause_code, s.inspection_no, SUM(s.points),"
        " MIN(s.effective_on), MAX(s.effective_on), pe.name FROM score_point s"
        " LEFT JOIN person pe ON pe.id = s.person_id"
        " WHERE s.project_id = $1 AND s.person_id IS NOT NULL"
        " GROUP BY s.person_id, s.person_role, s.period, s.clause_code, s.inspection_no, pe.name"
        " ORDER BY s.period, s.person_role, s.person_id, s.clause_code, s.inspection_no",
        q, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    char pid[24];
    snprintf(pid, sizeof(pid), "%lld", (long long)id);
    int nr = jg_rows_count(r);
    for (int from = 0; rc == JG_OK && from < nr;) {
        int to = from + 1;
        while (to < nr && jg_rows_int(r, to, 0) == jg_rows_int(r, from, 0) &&
               strcmp(jg_rows_text(r, to, 1), jg_rows_text(r, from, 1)) == 0 &&
               strcmp(jg_rows_text(r, to, 2), jg_rows_text(r, from, 2)) == 0)
            to++;
        /* score.project's facts: columns (docs/rules.md, "Scoring rules"). */
        json_t *lp = json_array(), *lc = json_array(), *li = json_array(), *lv = json_array();
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += points_of(r, i, 5);
            json_array_append_new(lp, json_string(pid));
            json_array_append_new(lc, json_string(jg_rows_text(r, i, 3)));
            json_array_append_new(li, json_string(jg_rows_text(r, i, 4)));
            json_array_append_new(lv, json_real(points_of(r, i, 5)));
        }
        json_t *facts = json_pack("{s:{s:o, s:o, s:o, s:o}}", "lines", "project", lp, "clause", lc,
                                  "inspection", li, "points", lv);
        jg_rule_result res;
        memset(&res, 0, sizeof(res));
        rc = jg_rule_run(req->app->db, NULL, req->app->cfg, "score.project", facts, NULL, &res, NULL);
        json_decref(facts);
        if (rc == JG_OK) {
            json_t *proj = json_object_get(json_object_get(res.value, "projects"), pid);
            json_array_append_new(
                items, json_pack("{s:I, s:s?, s:s, s:s, s:f, s:O, s:s, s:s, s:O}", "person_id",
                                 (json_int_t)jg_rows_int(r, from, 0), "name", jg_rows_text(r, from, 8),
                                 "role", jg_rows_text(r, from, 1), "period", jg_rows_text(r, from, 2),
                                 "points", sum, "score",
                                 json_object_get(proj, "score") != NULL ? json_object_get(proj, "score")
                                                                        : json_null(),
                                 "first_effective_on", jg_rows_text(r, from, 6), "last_effective_on",
                                 jg_rows_text(r, to - 1, 7), "explain", res.explain));
        } else if (rc == JG_NOTFOUND || rc == JG_INVALID) {
            jg_rule_result_clear(&res);
            jg_rows_free(r);
            json_decref(items);
            return jg_resp_error(req, resp, JG_CONFLICT, "记分规则“score.project”不存在、未启用或运行失败");
        }
        jg_rule_result_clear(&res);
        from = to;
    }
    jg_rows_free(r);
    if (rc != JG_OK) {
        json_decref(items);
        return rc;
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:I, s:o}", "project_id", (json_int_t)id, "items", items));
}

/* Rows of score_subject or credit_score as JSON, with the explanation parsed. */
static json_t *explained_rows(const jg_rows *r, int excol)
{
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *row = jg_json_row(r, i);
        const char *name = jg_rows_name(r, excol);
        json_t *ex =
            json_loads(jg_rows_text(r, i, excol) != NULL ? jg_rows_text(r, i, excol) : "{}", 0, NULL);
        json_object_set_new(row, name, ex != NULL ? ex : json_null());
        json_array_append_new(items, row);
    }
    return items;
}

/* GET /api/v1/scoring/companies/{id}: the unit's period scores (quarters and years), per role and
 * area ('35' all its projects, or a city). */
static jg_rc company_scores(jg_req *req, jg_resp *resp)
{
    int64_t id;
    const char *period;
    char lo[8], hi[8];
    jg_rc arc = unit_args(req, resp, "id", &id, &period, lo, hi);
    if (arc != JG_OK)
        return arc;
    jg_value p[] = {JG_VINT(id), period != NULL ? JG_VTEXT(period) : JG_VNULL};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT role, period, area, score, total, projects, computed_at, rule_versions, explanation"
        " FROM score_subject WHERE subject_kind = 'enterprise' AND subject_id = $1"
        " AND (CAST($2 AS TEXT) IS NULL OR period = CAST($2 AS TEXT) OR substr(period, 1, 4) = CAST($2 AS "
        "TEXT))"
        " ORDER BY period, role, area",
        p, 2, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = explained_rows(r, 8);
    jg_rows_free(r);
    return jg_resp_json(
        req, resp, 200,
        json_pack("{s:I, s:s?, s:o}", "enterprise_id", (json_int_t)id, "period", period, "items", items));
}

/* The current quarter (business date), into out (8 bytes). */
static void this_quarter(char *out)
{
    char iso[32], day[11];
    int64_t t = 0;
    jg_time_iso_now(iso, sizeof(iso));
    jg_time_parse_iso(iso, &t);
    jg_time_business_date(t, day, sizeof(day));
    jg_scoring_quarter(day, out, 8);
}

/* GET /api/v1/scoring/rankings?role=&period=&city=: units by period points, most first. Government
 * users only; a city or county user sees its own city's ranking, the province any. */
static jg_rc rankings(jg_req *req, jg_resp *resp)
{
    const jg_principal *pr = req->principal;
    json_t *fields = json_object();
    const char *role = jg_req_query(req, "role"), *period = jg_req_query(req, "period"),
               *city = jg_req_query(req, "city");
    if (role == NULL || (strcmp(role, "contractor") != 0 && strcmp(role, "supervisor_firm") != 0))
        jg_field_error(fields, "role", "排名对象应为 contractor（施工单位）或 supervisor_firm（监理单位）");
    char q[8];
    if (period == NULL) {
        this_quarter(q);
        period = q;
    } else if (jg_scoring_period_kind(period) == 0)
        jg_field_error(fields, "period", "记分周期格式应为 2026 或 2026Q1");
    const char *org = pr->org_code != NULL ? pr->org_code : "";
    int province = strcmp(pr->scope, "province") == 0;
    if (city == NULL)
        city = province || strlen(org) < 4 ? "35" : jg_arena_strndup(req->arena, org, 4);
    else if (!(strcmp(city, "35") == 0 ||
               (strlen(city) == 4 && strncmp(city, "35", 2) == 0 && city[2] >= '0' && city[2] <= '9' &&
                city[3] >= '0' && city[3] <= '9')))
        jg_field_error(fields, "city", "城市应为 35（全省）或 4 位行政区划代码");
    int64_t page, size;
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    /* Scope: province sees any; region and department users their own city only. */
    int gov = province || strcmp(pr->scope, "region") == 0 || strcmp(pr->scope, "department") == 0;
    if (!gov || (!province && (strlen(org) < 4 || strncmp(org, city, 4) != 0)))
        return jg_resp_error(req, resp, JG_DENIED, "无权查看该范围的排名");
    jg_value p[] = {JG_VTEXT(role), JG_VTEXT(period), JG_VTEXT(city), JG_VINT(size + 1),
                    JG_VINT((page - 1) * size)};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT s.subject_id AS enterprise_id, e.name, s.score, s.total, s.projects, s.computed_at"
                   " FROM score_subject s LEFT JOIN enterprise e ON e.id = s.subject_id"
                   " WHERE s.role = $1 AND s.period = $2 AND s.area = $3 AND s.subject_kind = 'enterprise'"
                   " ORDER BY s.score DESC, s.subject_id LIMIT $4 OFFSET $5",
                   p, 5, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    int n = jg_rows_count(r);
    for (int i = 0; i < n && i < size; i++) {
        json_t *row = jg_json_row(r, i);
        json_object_set_new(row, "rank", json_integer((json_int_t)((page - 1) * size + i + 1)));
        json_array_append_new(items, row);
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:b}", "role", role, "period", period,
                                  "city", city, "items", items, "page", (json_int_t)page, "size",
                                  (json_int_t)size, "has_more", n > size));
}

/* GET /api/v1/credit/{kind}/{id}: credit scores with their explanation. */
static jg_rc credit_get(jg_req *req, jg_resp *resp)
{
    const char *kind = jg_req_param(req, "kind");
    int64_t id;
    if (kind == NULL || (strcmp(kind, "enterprise") != 0 && strcmp(kind, "person") != 0) ||
        jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    const jg_principal *pr = req->principal;
    if (strcmp(pr->scope, "none") == 0 || (strcmp(pr->scope, "enterprise") == 0 &&
                                           (strcmp(kind, "enterprise") != 0 || pr->enterprise_id != id)))
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    json_t *fields = json_object();
    const char *period, *domain = jg_req_query(req, "domain");
    char lo[8], hi[8];
    period_arg(req, fields, &period, lo, hi);
    if (domain != NULL && strcmp(domain, "房建") != 0 && strcmp(domain, "市政") != 0)
        jg_field_error(fields, "domain", "专业应为 房建 或 市政");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_value p[] = {JG_VTEXT(kind), JG_VINT(id), JG_VTEXT(lo), JG_VTEXT(hi),
                    domain != NULL ? JG_VTEXT(domain) : JG_VNULL};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT role, domain, period, score, computed_at, rule_version, explanation FROM credit_score"
        " WHERE subject_kind = $1 AND subject_id = $2 AND period >= $3 AND period <= $4"
        " AND (CAST($5 AS TEXT) IS NULL OR domain = CAST($5 AS TEXT)) ORDER BY period, role, domain",
        p, 5, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = explained_rows(r, 6);
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:I, s:o}", "kind", kind, "id", (json_int_t)id, "items", items));
}

typedef struct {
    jg_req *req;
    json_t *detail;
} audit_w;

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    audit_w *w = ud;
    return jg_audit_req(c, w->req, "credit_recompute", "credit_score", NULL, json_incref(w->detail));
}

/* POST /api/v1/credit/recompute {"period"?}: every score and credit again from the ledger. */
static jg_rc recompute(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    static const char *const allowed[] = {"period", NULL};
    jg_field_unknown(req->json, allowed, fields);
    json_t *pv = json_object_get(req->json, "period");
    const char *period = json_string_value(pv);
    if (pv != NULL && !json_is_null(pv) && jg_scoring_period_kind(period) == 0)
        jg_field_error(fields, "period", "记分周期格式应为 2026 或 2026Q1");
    if (jg_resp_fields(req, resp, "重算参数不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_scoring_counts counts;
    char why[384] = "";
    int64_t t0 = jg_time_mono_us();
    jg_rc rc = jg_scoring_recompute_all(req->app->db, req->app->cfg, period, &counts, why, sizeof(why));
    long warnings = 0; /* the warning rule over the new scores (warning.h) */
    if (rc == JG_OK)
        rc = jg_warning_check_all(req, period, &warnings, why, sizeof(why));
    double seconds = (double)(jg_time_mono_us() - t0) / 1e6;
    if ((rc == JG_INVALID || rc == JG_NOTFOUND) && why[0] != '\0')
        return jg_resp_error(req, resp, JG_CONFLICT, why);
    if (rc != JG_OK)
        return rc;
    json_t *out = json_pack("{s:s?, s:i, s:i, s:i, s:i, s:f}", "period", period, "subjects",
                            (int)counts.subjects, "scores", (int)counts.scores, "credits",
                            (int)counts.credits, "warnings", (int)warnings, "seconds", seconds);
    audit_w w = {req, out};
    rc = jg_db_tx(req->app->db, audit_tx, &w);
    if (rc != JG_OK) {
        json_decref(out);
        return rc;
    }
    return jg_resp_json(req, resp, 200, out);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/scoring/units/{enterprise_id}", unit_points, JG_ROUTE_AUTH, "责任单位月度与累计记分",
     "scoring", "score.read"},
    {"GET", "/api/v1/scoring/projects/{id}/persons", project_persons, JG_ROUTE_AUTH, "项目历任责任人周期记分",
     "scoring", "score.read"},
    {"GET", "/api/v1/scoring/companies/{id}", company_scores, JG_ROUTE_AUTH, "企业季度与年度记分", "scoring",
     "score.read"},
    {"GET", "/api/v1/scoring/rankings", rankings, JG_ROUTE_AUTH, "施工、监理单位实时排名", "scoring",
     "score.read"},
    {"GET", "/api/v1/credit/{kind}/{id}", credit_get, JG_ROUTE_AUTH, "信用评价得分及其依据", "scoring",
     "score.read"},
    {"POST", "/api/v1/credit/recompute", recompute, JG_ROUTE_AUTH | JG_ROUTE_JSON, "全量重算记分与信用评价",
     "scoring", "rule.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

static jg_rc init(jg_app *app)
{
    (void)app;
    jg_flow_action_set("scoring.effective", jg_scoring_effective);
    return JG_OK;
}

const jg_module jg_module_scoring = {"scoring", routes, init, NULL};
