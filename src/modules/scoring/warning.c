/* Score warnings (warning.h): the rule warning.score_threshold over a subject's stored period scores,
 * each new warning a score_warning record with its handling process, raised by the system. */
#include "modules/scoring/warning.h"
#include "base/arena.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "engine/flow/run.h"
#include "engine/rule/rule.h"
#include "modules/scoring/scoring_int.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE "warning.score_threshold"
#define ENTITY "score_warning"

/* Who raises warnings: the system, seeing every record, allowed to create and start the process
 * of score_warning (a permission no role holds). */
static const jg_principal warning_system = {
    .username = "system",
    .display_name = "系统",
    .role = "system",
    .kind = "admin",
    .org_code = "35",
    .scope = "province",
    .permissions = "[\"score_warning.read\",\"score_warning.create\",\"score_warning.update\"]",
};

typedef struct {
    jg_req *req;
    jg_conn *c;
    const char *kind, *period;
    int64_t id;
    long *raised;
    char *why;
    size_t whylen;
} wctx;

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The quarters [lo, hi] a period covers. */
static void quarters(const char *period, char lo[8], char hi[8])
{
    if (jg_scoring_period_kind(period) == 2) {
        snprintf(lo, 8, "%.4sQ1", period);
        snprintf(hi, 8, "%.4sQ4", period);
    } else {
        snprintf(lo, 8, "%.6s", period);
        snprintf(hi, 8, "%.6s", period);
    }
}

/* The sum of the subject's quarter scores in role up to the period's last quarter. */
static jg_rc cumulative(wctx *x, const char *role, double *out)
{
    char lo[8], hi[8];
    quarters(x->period, lo, hi);
    jg_value p[] = {JG_VTEXT(x->kind), JG_VINT(x->id), JG_VTEXT(role), JG_VTEXT(hi)};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(x->c,
                           "SELECT COALESCE(SUM(score), 0) FROM score_subject WHERE subject_kind = $1"
                           " AND subject_id = $2 AND role = $3 AND area = '35' AND length(period) = 6"
                           " AND period <= $4",
                           p, 4, &r);
    if (rc == JG_OK)
        *out = jg_rows_real(r, 0, 0);
    jg_rows_free(r);
    return rc;
}

/* Where the warning belongs: the county and unit of the subject's latest ledger row in role and
 * period. *org NULL when there is none (nothing is raised then). */
static jg_rc origin(wctx *x, const char *role, jg_rows **out)
{
    char lo[8], hi[8];
    quarters(x->period, lo, hi);
    jg_value p[] = {JG_VINT(x->id), JG_VTEXT(role), JG_VTEXT(lo), JG_VTEXT(hi)};
    return jg_db_query(
        x->c,
        strcmp(x->kind, "person") == 0
            ? "SELECT org_code, enterprise_id FROM score_point WHERE person_id = $1"
              " AND person_role = $2 AND period >= $3 AND period <= $4 ORDER BY id DESC LIMIT 1"
            : "SELECT org_code, enterprise_id FROM score_point WHERE enterprise_id = $1"
              " AND enterprise_role = $2 AND period >= $3 AND period <= $4 ORDER BY id DESC"
              " LIMIT 1",
        p, 4, out);
}

/* The record of one warning (w, an element of the rule's warnings) and its process. */
static jg_rc raise_one(wctx *x, const char *role, json_t *w, const char *key, const char *version)
{
    jg_rows *o = NULL;
    jg_rc rc = origin(x, role, &o);
    if (rc != JG_OK || jg_rows_count(o) == 0) {
        jg_rows_free(o);
        return rc;
    }
    int person = strcmp(x->kind, "person") == 0;
    const char *measure = json_string_value(json_object_get(w, "measure"));
    json_t *obj = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:f, s:f, s:s, s:s, s:s, s:s, s:s}", "warning_key", key,
        "subject_kind", person ? "人员" : "单位", "role", role, "period", x->period, "level",
        (json_int_t)json_integer_value(json_object_get(w, "level")), "consequence",
        json_string_value(json_object_get(w, "consequence"))
            ? json_string_value(json_object_get(w, "consequence"))
            : "",
        "points", num(w, "points"), "threshold", num(w, "threshold"), "measure",
        measure != NULL && strcmp(measure, "cumulative") == 0 ? "累计记分" : "周期记分", "basis",
        json_string_value(json_object_get(w, "source")) ? json_string_value(json_object_get(w, "source"))
                                                        : "",
        "rule_version", version, "explanation",
        json_string_value(json_object_get(w, "explanation"))
            ? json_string_value(json_object_get(w, "explanation"))
            : "",
        "org_code", jg_rows_text(o, 0, 0));
    if (obj == NULL) {
        jg_rows_free(o);
        return JG_NOMEM;
    }
    if (person)
        json_object_set_new(obj, "person_id", json_integer(x->id));
    if (!person)
        json_object_set_new(obj, "enterprise_id", json_integer(x->id));
    else if (jg_rows_text(o, 0, 1) != NULL)
        json_object_set_new(obj, "enterprise_id", json_integer(jg_rows_int(o, 0, 1)));
    jg_rows_free(o);

    const jg_entity *e = jg_entity_find(&jg_records_of(x->req)->set, ENTITY);
    const jg_record_kind *k = e != NULL ? jg_record_kind_for(x->req, e) : NULL;
    if (k == NULL) {
        json_decref(obj);
        snprintf(x->why, x->whylen, "记分预警：没有记分预警（%s）这类业务记录", ENTITY);
        return JG_INVALID;
    }
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    json_t *fields = json_object();
    jg_record_cache *cache = jg_record_cache_new();
    jg_record_new *rec = NULL;
    rc = fields == NULL ? JG_NOMEM : jg_record_prepare(x->req, x->c, k, obj, now, cache, fields, &rec);
    if (rc == JG_INVALID) {
        char *text = json_dumps(fields, JSON_COMPACT | JSON_ENSURE_ASCII);
        snprintf(x->why, x->whylen, "记分预警：预警记录不能保存：%s", text != NULL ? text : "");
        free(text);
    }
    int64_t rid = 0;
    if (rc == JG_OK)
        rc = jg_record_insert_many(x->c, &rec, 1, &rid);
    if (rc == JG_OK)
        rc = jg_record_history_created(x->req, x->c, e, &rid, 1, "create", now);
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)rid);
    if (rc == JG_OK)
        rc = jg_audit_req(x->c, x->req, "score_warning_raise", ENTITY, ids, json_incref(obj));
    if (rc == JG_OK) {
        jg_refusal refusal = {0};
        jg_flow_op op = {.req = x->req, .why = &refusal};
        rc = jg_flow_start(x->c, &op, ENTITY, ENTITY, rid);
        if (rc != JG_OK && refusal.message != NULL)
            snprintf(x->why, x->whylen, "记分预警：不能启动预警处理流程：%s", refusal.message);
        if (rc == JG_NOTFOUND || rc == JG_DENIED || rc == JG_CONFLICT)
            rc = JG_INVALID;
    }
    if (rc == JG_OK)
        (*x->raised)++;
    jg_record_cache_free(cache);
    json_decref(fields);
    json_decref(obj);
    return rc;
}

/* One role of the subject: the rule over its score and cumulative points, then its new warnings. */
static jg_rc check_role(wctx *x, const char *role, double points)
{
    double cum = 0;
    jg_rc rc = cumulative(x, role, &cum);
    if (rc != JG_OK)
        return rc;
    json_t *facts = json_pack("{s:s, s:I, s:s, s:s, s:s, s:f, s:f}", "subject_kind", x->kind, "subject_id",
                              (json_int_t)x->id, "role", role, "period", x->period, "period_kind",
                              jg_scoring_period_kind(x->period) == 2 ? "year" : "quarter", "points", points,
                              "cumulative", cum);
    jg_rule_result res;
    memset(&res, 0, sizeof(res));
    int64_t version = 0;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    rc = facts == NULL
             ? JG_NOMEM
             : jg_rule_run(x->req->app->db, x->c, x->req->app->cfg, RULE, facts, now, &res, &version);
    json_decref(facts);
    if (rc == JG_NOTFOUND) {
        /* The authorities stopped the warning rule: no warnings. */
        jg_rule_result_clear(&res);
        return JG_OK;
    }
    if (rc == JG_INVALID)
        snprintf(x->why, x->whylen, "预警规则“%s”运行失败：%s%s%s", RULE,
                 res.message != NULL ? res.message : "规则出错", res.detail[0] != '\0' ? "：" : "",
                 res.detail);
    char ver[64];
    snprintf(ver, sizeof(ver), "%s@%lld", RULE, (long long)version);
    json_t *ws = json_object_get(res.value, "warnings");
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        if (rc != JG_OK)
            break;
        json_int_t level = json_integer_value(json_object_get(w, "level"));
        if (!json_is_integer(json_object_get(w, "level")) || level < 1 || level > 9 ||
            json_string_value(json_object_get(w, "consequence")) == NULL) {
            snprintf(x->why, x->whylen, "预警规则“%s”的返回值不正确：预警须有等级（1–9）和措施", RULE);
            rc = JG_INVALID;
            break;
        }
        char key[120];
        snprintf(key, sizeof(key), "%s:%lld:%s:%s:%lld", x->kind, (long long)x->id, role, x->period,
                 (long long)level);
        jg_value p[] = {JG_VTEXT(key)};
        jg_rows *r = NULL;
        rc = jg_db_query(x->c, "SELECT COUNT(*) FROM e_score_warning WHERE warning_key = $1", p, 1, &r);
        int64_t seen = rc == JG_OK ? jg_rows_int(r, 0, 0) : 0;
        jg_rows_free(r);
        if (rc == JG_OK && seen == 0)
            rc = raise_one(x, role, w, key, ver);
    }
    jg_rule_result_clear(&res);
    return rc;
}

jg_rc jg_warning_check(jg_req *req, jg_conn *c, const char *kind, int64_t id, const char *period,
                       long *raised, char *why, size_t whylen)
{
    wctx x = {.req = req,
              .c = c,
              .kind = kind,
              .period = period,
              .id = id,
              .raised = raised,
              .why = why,
              .whylen = whylen};
    jg_value p[] = {JG_VTEXT(kind), JG_VINT(id), JG_VTEXT(period)};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(c,
                           "SELECT role, score FROM score_subject WHERE subject_kind = $1 AND subject_id = $2"
                           " AND period = $3 AND area = '35' ORDER BY role",
                           p, 3, &r);
    void *caller = req->principal;
    req->principal = (void *)&warning_system;
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++)
        rc = check_role(&x, jg_rows_text(r, i, 0), jg_rows_real(r, i, 1));
    req->principal = caller;
    jg_rows_free(r);
    return rc;
}

typedef struct {
    jg_req *req;
    const char *period;
    long *raised;
    char *why;
    size_t whylen;
} all_tx;

static jg_rc check_all_tx(jg_conn *c, void *ud)
{
    all_tx *a = ud;
    *a->raised = 0;
    jg_value p[] = {JG_VTEXT(a->period != NULL ? a->period : "")};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_query(c,
                    "SELECT DISTINCT subject_kind, subject_id, period FROM score_subject WHERE area = '35'"
                    " AND ($1 = '' OR period = $1) ORDER BY 1, 2, 3",
                    p, 1, &r);
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++)
        rc = jg_warning_check(a->req, c, jg_rows_text(r, i, 0), jg_rows_int(r, i, 1), jg_rows_text(r, i, 2),
                              a->raised, a->why, a->whylen);
    jg_rows_free(r);
    return rc;
}

jg_rc jg_warning_check_all(jg_req *req, const char *period, long *raised, char *why, size_t whylen)
{
    all_tx a = {req, period, raised, why, whylen};
    return jg_db_tx(req->app->db, check_all_tx, &a);
}
