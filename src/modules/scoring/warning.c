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
#include <pthread.h>
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

/* The stored scores (area 35) of subjects' roles: kind, id, period, role, score, and the cumulative
 * points (the sum of the subject's quarter scores in that role up to the period's last quarter). */
#define SUBJECT_ROLES                                                                                        \
    "SELECT s.subject_kind, s.subject_id, s.period, s.role, s.score, (SELECT COALESCE(SUM(q.score), 0)"      \
    " FROM score_subject q WHERE q.subject_kind = s.subject_kind AND q.subject_id = s.subject_id"            \
    " AND q.role = s.role AND q.area = '35' AND length(q.period) = 6 AND q.period <= CASE WHEN"              \
    " length(s.period) = 4 THEN s.period || 'Q4' ELSE s.period END) FROM score_subject s"

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

/* The rule (loaded) over one role's score and cumulative points: JG_OK with res filled (clear it),
 * JG_INVALID with the rule's message in why, JG_NOMEM. Touches no database: safe on any thread. */
static jg_rc evaluate(const jg_rule_loaded *rule, const char *kind, int64_t id, const char *role,
                      const char *period, double points, double cum, jg_rule_result *res, char *why,
                      size_t whylen)
{
    json_t *facts = json_pack("{s:s, s:I, s:s, s:s, s:s, s:f, s:f}", "subject_kind", kind, "subject_id",
                              (json_int_t)id, "role", role, "period", period, "period_kind",
                              jg_scoring_period_kind(period) == 2 ? "year" : "quarter", "points", points,
                              "cumulative", cum);
    memset(res, 0, sizeof(*res));
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_rc rc = facts == NULL ? JG_NOMEM : jg_rule_loaded_eval(rule, facts, now, res);
    json_decref(facts);
    if (rc == JG_INVALID)
        snprintf(why, whylen, "预警规则“%s”运行失败：%s%s%s", RULE,
                 res->message != NULL ? res->message : "规则出错", res->detail[0] != '\0' ? "：" : "",
                 res->detail);
    return rc;
}

/* The new warnings of one role of the subject from the rule's value (its "warnings"). */
static jg_rc raise_new(wctx *x, const jg_rule_loaded *rule, const char *role, json_t *value)
{
    jg_rc rc = JG_OK;
    char ver[64];
    snprintf(ver, sizeof(ver), "%s@%lld", RULE, (long long)rule->version);
    json_t *ws = json_object_get(value, "warnings");
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
    return rc;
}

/* One role of the subject: the rule over its score and cumulative points, then its new warnings. */
static jg_rc check_role(wctx *x, const jg_rule_loaded *rule, const char *role, double points, double cum)
{
    jg_rule_result res;
    jg_rc rc = evaluate(rule, x->kind, x->id, role, x->period, points, cum, &res, x->why, x->whylen);
    if (rc == JG_OK)
        rc = raise_new(x, rule, role, res.value);
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
    jg_rule_loaded rule;
    jg_rc rc = jg_rule_load(c, req->app->cfg, RULE, &rule);
    if (rc != JG_OK) {
        /* The authorities stopped the warning rule: no warnings. */
        jg_rule_loaded_free(&rule);
        return rc == JG_NOTFOUND ? JG_OK : rc;
    }
    jg_rows *r = NULL;
    rc = jg_db_query(c,
                     SUBJECT_ROLES " WHERE s.subject_kind = $1 AND s.subject_id = $2 AND s.period = $3"
                                   " AND s.area = '35' ORDER BY s.role",
                     p, 3, &r);
    void *caller = req->principal;
    req->principal = (void *)&warning_system;
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++)
        rc = check_role(&x, &rule, jg_rows_text(r, i, 3), jg_rows_real(r, i, 4), jg_rows_real(r, i, 5));
    req->principal = caller;
    jg_rows_free(r);
    jg_rule_loaded_free(&rule);
    return rc;
}

typedef struct {
    jg_req *req;
    const char *period;
    long *raised;
    char *why;
    size_t whylen;
} all_tx;

/* The evaluations of check_all_tx, shared by its threads: rows [0, n) of r, thread t takes the rows
 * i with i % EVAL_THREADS == t; values[i] is the rule's value when it has warnings, else NULL. */
#define EVAL_THREADS 2

typedef struct {
    const jg_rule_loaded *rule;
    const jg_rows *r;
    int n, t;
    json_t **values;
    jg_rc rc;
    char why[384];
} evals;

static void *evaluate_part(void *ud)
{
    evals *e = ud;
    for (int i = e->t; e->rc == JG_OK && i < e->n; i += EVAL_THREADS) {
        jg_rule_result res;
        e->rc = evaluate(e->rule, jg_rows_text(e->r, i, 0), jg_rows_int(e->r, i, 1), jg_rows_text(e->r, i, 3),
                         jg_rows_text(e->r, i, 2), jg_rows_real(e->r, i, 4), jg_rows_real(e->r, i, 5), &res,
                         e->why, sizeof(e->why));
        if (e->rc == JG_OK && json_array_size(json_object_get(res.value, "warnings")) > 0)
            e->values[i] = json_incref(res.value);
        jg_rule_result_clear(&res);
    }
    return NULL;
}

static jg_rc check_all_tx(jg_conn *c, void *ud)
{
    all_tx *a = ud;
    *a->raised = 0;
    jg_rule_loaded rule;
    jg_rc rc = jg_rule_load(c, a->req->app->cfg, RULE, &rule);
    if (rc != JG_OK) {
        jg_rule_loaded_free(&rule);
        return rc == JG_NOTFOUND ? JG_OK : rc;
    }
    /* Every subject, period and role with its score and cumulative points in one read (not three
     * queries per subject), the rule loaded once and evaluated by EVAL_THREADS threads (each with its
     * sandbox); then the warnings raised here, in order. */
    jg_value p[] = {JG_VTEXT(a->period != NULL ? a->period : "")};
    jg_rows *r = NULL;
    rc = jg_db_query(c,
                     SUBJECT_ROLES " WHERE s.area = '35' AND ($1 = '' OR s.period = $1)"
                                   " ORDER BY s.subject_kind, s.subject_id, s.period, s.role",
                     p, 1, &r);
    int n = rc == JG_OK ? jg_rows_count(r) : 0;
    json_t **values = n > 0 ? calloc((size_t)n, sizeof(*values)) : NULL;
    if (n > 0 && values == NULL)
        rc = JG_NOMEM;
    evals e[EVAL_THREADS];
    pthread_t th[EVAL_THREADS];
    int started[EVAL_THREADS] = {0};
    for (int t = 0; rc == JG_OK && t < EVAL_THREADS; t++) {
        e[t] = (evals){.rule = &rule, .r = r, .n = n, .t = t, .values = values, .rc = JG_OK};
        started[t] = t > 0 && pthread_create(&th[t], NULL, evaluate_part, &e[t]) == 0;
    }
    if (rc == JG_OK) {
        evaluate_part(&e[0]);
        for (int t = 1; t < EVAL_THREADS; t++) {
            if (started[t])
                pthread_join(th[t], NULL);
            else
                evaluate_part(&e[t]); /* no thread: here */
        }
        for (int t = 0; rc == JG_OK && t < EVAL_THREADS; t++)
            if (e[t].rc != JG_OK) {
                rc = e[t].rc;
                snprintf(a->why, a->whylen, "%s", e[t].why);
            }
    }
    void *caller = a->req->principal;
    a->req->principal = (void *)&warning_system;
    for (int i = 0; rc == JG_OK && i < n; i++) {
        if (values[i] == NULL)
            continue;
        wctx x = {.req = a->req,
                  .c = c,
                  .kind = jg_rows_text(r, i, 0),
                  .id = jg_rows_int(r, i, 1),
                  .period = jg_rows_text(r, i, 2),
                  .raised = a->raised,
                  .why = a->why,
                  .whylen = a->whylen};
        rc = raise_new(&x, &rule, jg_rows_text(r, i, 3), values[i]);
    }
    a->req->principal = caller;
    for (int i = 0; i < n; i++)
        json_decref(values[i]);
    free(values);
    jg_rows_free(r);
    jg_rule_loaded_free(&rule);
    return rc;
}

jg_rc jg_warning_check_all(jg_req *req, const char *period, long *raised, char *why, size_t whylen)
{
    all_tx a = {req, period, raised, why, whylen};
    return jg_db_tx(req->app->db, check_all_tx, &a);
}
