/* Service-task actions of the scoring definitions (clause.h): numbering, publicity and effective
 * dates of notices, and the checks of merging and retiring clauses. */
#include "modules/clause/clause.h"

#include "base/arena.h"
#include "base/timeutil.h"
#include "engine/flow/calendar.h"
#include "engine/flow/run.h"
#include "engine/rule/rule.h"
#include "platform/counter.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_DIGITS 6
#define MERGE_HOPS 8 /* merged_into chains followed at most this far */

/* The fields these actions write, each with its own statement (table names are never spliced). */
static const struct {
    const char *entity, *field, *sql;
} setters[] = {
    {"score_notice", "notice_no",
     "UPDATE e_score_notice SET notice_no = $1, version = version + 1, updated_by = $2, updated_at = $3"
     " WHERE id = $4"},
    {"score_notice", "publicity_until",
     "UPDATE e_score_notice SET publicity_until = $1, version = version + 1, updated_by = $2, updated_at = $3"
     " WHERE id = $4"},
    {"score_notice", "effective_on",
     "UPDATE e_score_notice SET effective_on = $1, version = version + 1, updated_by = $2, updated_at = $3"
     " WHERE id = $4"},
    {"score_notice", "total_points",
     "UPDATE e_score_notice SET total_points = $1, version = version + 1, updated_by = $2, updated_at = $3"
     " WHERE id = $4"},
    {"rectification_order", "order_no",
     "UPDATE e_rectification_order SET order_no = $1, version = version + 1, updated_by = $2, updated_at = $3"
     " WHERE id = $4"},
};

/* The entity, record and process definition of the step's instance. */
struct target {
    char entity[64];
    int64_t record_id, definition_id;
};

static jg_rc target_of(jg_flow_service *s, struct target *t)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(s->instance)};
    jg_rc rc = jg_db_query(s->c, "SELECT entity, record_id, definition_id FROM flow_instance WHERE id = $1",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    snprintf(t->entity, sizeof(t->entity), "%s", jg_rows_text(r, 0, 0));
    t->record_id = jg_rows_int(r, 0, 1);
    t->definition_id = jg_rows_int(r, 0, 2);
    jg_rows_free(r);
    return JG_OK;
}

/* Refuse the step unless the instance's record is of entity. */
static jg_rc expect(jg_flow_service *s, const struct target *t, const char *entity, const char *what)
{
    if (strcmp(t->entity, entity) == 0)
        return JG_OK;
    snprintf(s->why, sizeof(s->why), "流程的节点 %s：%s只适用于%s", s->node, what,
             strcmp(entity, "score_clause") == 0 ? "记分条款" : "记分告知单");
    return JG_INVALID;
}

/* Write value into field of the record (stored, when not NULL, as that integer: a scaled decimal), with
 * a history line, and value into s->record. */
static jg_rc set_stored(jg_flow_service *s, const struct target *t, const char *field, const char *value,
                        const int64_t *stored)
{
    const char *sql = NULL;
    for (size_t i = 0; i < sizeof(setters) / sizeof(setters[0]) && sql == NULL; i++)
        if (strcmp(setters[i].entity, t->entity) == 0 && strcmp(setters[i].field, field) == 0)
            sql = setters[i].sql;
    if (sql == NULL)
        return JG_ERR;
    const jg_principal *who = s->req->principal;
    jg_value p[] = {stored != NULL ? JG_VINT(*stored) : JG_VTEXT(value),
                    who != NULL ? JG_VINT(who->user_id) : JG_VNULL, JG_VTEXT(s->now), JG_VINT(t->record_id)};
    jg_rc rc = jg_db_exec(s->c, sql, p, 4, NULL);
    if (rc != JG_OK)
        return rc;
    json_t *old = s->record != NULL ? json_object_get(s->record, field) : NULL;
    json_t *nv = json_string(value);
    char *ot = json_dumps(old != NULL ? old : json_null(), JSON_ENCODE_ANY);
    char *nt = json_dumps(nv, JSON_ENCODE_ANY);
    jg_value h[] = {JG_VTEXT(t->entity),
                    JG_VINT(t->record_id),
                    JG_VTEXT(field),
                    ot != NULL ? JG_VTEXT(ot) : JG_VNULL,
                    nt != NULL ? JG_VTEXT(nt) : JG_VNULL,
                    who != NULL ? JG_VINT(who->user_id) : JG_VNULL,
                    who != NULL ? JG_VTEXT(who->username) : JG_VNULL,
                    JG_VTEXT(s->now)};
    rc = jg_db_exec(
        s->c,
        "INSERT INTO entity_history (entity, record_id, field, old_value, new_value, user_id, username,"
        " at, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'flow')",
        h, 8, NULL);
    free(ot);
    free(nt);
    if (rc == JG_OK && s->record != NULL)
        json_object_set(s->record, field, nv);
    json_decref(nv);
    return rc;
}

static jg_rc set_field(jg_flow_service *s, const struct target *t, const char *field, const char *value)
{
    return set_stored(s, t, field, value, NULL);
}

/* The Beijing business date of the step ("YYYY-MM-DD"), or of t seconds after it. */
static void business_date(const jg_flow_service *s, int64_t *t, char out[11])
{
    int64_t now = 0;
    if (!jg_time_parse_iso(s->now, &now))
        now = 0;
    if (t != NULL)
        *t = now;
    jg_time_business_date(now, out, 11);
}

jg_rc jg_clause_number(jg_flow_service *s)
{
    struct target t;
    jg_rc rc = target_of(s, &t);
    if (rc != JG_OK)
        return rc;
    int notice = strcmp(t.entity, "score_notice") == 0;
    if (!notice && strcmp(t.entity, "rectification_order") != 0) {
        snprintf(s->why, sizeof(s->why), "流程的节点 %s：编号只适用于记分告知单和责令改正通知单", s->node);
        return JG_INVALID;
    }
    const char *field = notice ? "notice_no" : "order_no";
    const char *have = json_string_value(json_object_get(s->record, field));
    if (have != NULL && have[0] != '\0')
        return JG_OK; /* numbered before (a notice returned and issued again keeps its number) */
    const char *org = json_string_value(json_object_get(s->record, "org_code"));
    char today[11];
    business_date(s, NULL, today);
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "%s-%s-%.4s-", notice ? "JF" : "ZG", org != NULL ? org : "35", today);
    /* The series' counter (platform/counter.h); a series first counted here starts after the
     * highest number given before, when numbers were the table's MAX + 1. */
    char like[64];
    snprintf(like, sizeof(like), "%s%%", prefix);
    jg_value p[] = {JG_VTEXT(like)};
    jg_rows *r;
    rc = jg_db_query(s->c,
                     notice ? "SELECT MAX(notice_no) FROM e_score_notice WHERE notice_no LIKE $1"
                            : "SELECT MAX(order_no) FROM e_rectification_order WHERE order_no LIKE $1",
                     p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t start = 0, seq = 0;
    const char *last = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
    if (last != NULL && strlen(last) > strlen(prefix))
        start = strtoll(last + strlen(prefix), NULL, 10);
    jg_rows_free(r);
    rc = jg_counter_next(s->c, prefix, start, &seq);
    if (rc != JG_OK)
        return rc;
    char no[96];
    snprintf(no, sizeof(no), "%s%0*lld", prefix, SEQ_DIGITS, (long long)seq);
    rc = set_field(s, &t, field, no);
    if (rc == JG_OK)
        s->log = jg_arena_printf(s->req->arena, "编号 %s", no);
    return rc;
}

jg_rc jg_clause_publicity(jg_flow_service *s)
{
    struct target t;
    jg_rc rc = target_of(s, &t);
    if (rc == JG_OK)
        rc = expect(s, &t, "score_notice", "公示期");
    const jg_flow_model *m = NULL;
    if (rc == JG_OK)
        rc = jg_flow_model_get(s->c, t.definition_id, &m);
    if (rc != JG_OK)
        return rc;
    /* The period: the publicity step's time limit when it ends the step (not a mere reminder), else
     * an interrupting boundary timer on it. */
    int days = -1, working = 0;
    int64_t seconds = 0;
    for (int i = 0; i < m->nnodes && days < 0; i++) {
        const jg_flow_node *n = &m->nodes[i];
        if (n->kind != JG_NODE_USER || n->state == NULL || strcmp(n->state, "publicity") != 0)
            continue;
        if (n->due_days > 0 && n->on_timeout != NULL && strcmp(n->on_timeout, "remind") != 0) {
            days = n->due_days;
            working = n->working_days;
        }
        for (int k = 0; k < n->ntimers && days < 0; k++) {
            const jg_flow_node *tm = &m->nodes[n->timers[k]];
            if (tm->cancel) {
                days = tm->working_days ? tm->duration_days : 0;
                working = tm->working_days;
                seconds = tm->working_days ? 0 : tm->duration_s;
            }
        }
    }
    if (days < 0) {
        snprintf(s->why, sizeof(s->why), "流程的节点 %s：公示环节没有公示期（办理时限或边界定时器）",
                 s->node);
        return JG_INVALID;
    }
    int64_t now;
    char day[11];
    business_date(s, &now, day);
    int64_t end = now + (int64_t)days * 86400 + seconds;
    if (working) {
        jg_cal cal;
        rc = jg_cal_load(s->c, &cal);
        if (rc != JG_OK)
            return rc;
        end = jg_cal_add_workdays(&cal, now, days);
        jg_cal_free(&cal);
    }
    jg_time_business_date(end, day, sizeof(day));
    rc = set_field(s, &t, "publicity_until", day);
    if (rc == JG_OK)
        s->log = jg_arena_printf(s->req->arena, "公示至 %s", day);
    return rc;
}

jg_rc jg_clause_notice_effective(jg_flow_service *s)
{
    struct target t;
    jg_rc rc = target_of(s, &t);
    if (rc == JG_OK)
        rc = expect(s, &t, "score_notice", "生效日期");
    if (rc != JG_OK)
        return rc;
    char today[11];
    business_date(s, NULL, today);
    rc = set_field(s, &t, "effective_on", today);
    if (rc == JG_OK)
        s->log = jg_arena_printf(s->req->arena, "自 %s 起生效", today);
    return rc;
}

/* scoring.clause_change on a merge: merged_into names another clause of the edition in use. */
static jg_rc check_merge(jg_flow_service *s, const char *into)
{
    const char *code = json_string_value(json_object_get(s->record, "code"));
    const char *edition = json_string_value(json_object_get(s->record, "edition"));
    if (code != NULL && strcmp(code, into) == 0) {
        snprintf(s->why, sizeof(s->why), "条款不能合并到自身");
        return JG_INVALID;
    }
    jg_value p[] = {JG_VTEXT(edition != NULL ? edition : ""), JG_VTEXT(into)};
    jg_rows *r;
    jg_rc rc = jg_db_query(
        s->c, "SELECT state FROM e_score_clause WHERE edition = $1 AND code = $2 AND state <> 'deleted'", p,
        2, &r);
    if (rc != JG_OK)
        return rc;
    const char *state = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
    rc = state != NULL && strcmp(state, "active") == 0 ? JG_OK : JG_INVALID;
    if (state == NULL)
        snprintf(s->why, sizeof(s->why), "合并至条款 %s 在本版本中不存在", into);
    else if (rc != JG_OK)
        snprintf(s->why, sizeof(s->why), "合并至条款 %s 已合并或废止，请合并到在用条款", into);
    else
        s->log = jg_arena_printf(s->req->arena, "条款 %s 合并至 %s", code != NULL ? code : "", into);
    jg_rows_free(r);
    return rc;
}

jg_rc jg_clause_change(jg_flow_service *s)
{
    struct target t;
    jg_rc rc = target_of(s, &t);
    if (rc == JG_OK)
        rc = expect(s, &t, "score_clause", "合并与废止");
    if (rc != JG_OK)
        return rc;
    const char *into = json_string_value(json_object_get(s->record, "merged_into"));
    if (into != NULL && into[0] != '\0')
        return check_merge(s, into);
    const char *on = json_string_value(json_object_get(s->record, "retired_on"));
    if (on == NULL || on[0] == '\0') {
        snprintf(s->why, sizeof(s->why), "请先填写“合并至条款”（合并）或“废止日期”（废止）并保存，再提交");
        return JG_INVALID;
    }
    s->log = jg_arena_printf(s->req->arena, "自 %s 起废止", on);
    return JG_OK;
}

/* A refusal of item seq (0-based) on field, as s->why and s->fields. */
static jg_rc refuse_item(jg_flow_service *s, int seq, const char *field, const char *message)
{
    snprintf(s->why, sizeof(s->why), "记分明细第 %d 项：%s", seq + 1, message);
    json_t *f = json_object();
    json_object_set_new(f, jg_arena_printf(s->req->arena, "items[%d].%s", seq, field), json_string(message));
    char *text = json_dumps(f, JSON_COMPACT);
    s->fields = text != NULL ? jg_arena_strdup(s->req->arena, text) : NULL;
    free(text);
    json_decref(f);
    return JG_INVALID;
}

/* The edition of the clause library for inspected (the score lane's rule score.edition) into out. */
static jg_rc edition_for(jg_flow_service *s, const char *inspected, char *out, size_t outlen)
{
    json_t *facts = json_pack("{s:s}", "inspected_on", inspected);
    jg_rule_result res;
    memset(&res, 0, sizeof(res));
    jg_rc rc = facts == NULL ? JG_NOMEM
                             : jg_rule_run(s->req->app->db, s->c, s->req->app->cfg, "score.edition", facts,
                                           s->now, &res, NULL);
    json_decref(facts);
    const char *ed = rc == JG_OK ? json_string_value(json_object_get(res.value, "edition")) : NULL;
    if (rc == JG_NOTFOUND || rc == JG_INVALID) {
        snprintf(s->why, sizeof(s->why), "选用条款库版本的规则“score.edition”%s",
                 rc == JG_NOTFOUND ? "不存在或未启用" : "运行失败");
        rc = JG_INVALID;
    } else if (rc == JG_OK && ed == NULL) {
        snprintf(s->why, sizeof(s->why), "检查日期 %s 没有适用的记分条款库版本", inspected);
        rc = JG_INVALID;
    } else if (rc == JG_OK) {
        snprintf(out, outlen, "%s", ed);
    }
    jg_rule_result_clear(&res);
    return rc;
}

/* Item seq's clause code in edition, followed through merged_into: its points range in tenths, or a
 * refusal naming the item (unknown, retired on or before inspected). */
static jg_rc clause_range(jg_flow_service *s, int seq, const char *edition, const char *code,
                          const char *inspected, int64_t *min, int64_t *max)
{
    char cur[32];
    snprintf(cur, sizeof(cur), "%s", code);
    for (int hop = 0; hop <= MERGE_HOPS; hop++) {
        jg_value p[] = {JG_VTEXT(edition), JG_VTEXT(cur)};
        jg_rows *r;
        jg_rc rc = jg_db_query(s->c,
                               "SELECT merged_into, retired_on, points_min, points_max FROM e_score_clause"
                               " WHERE edition = $1 AND code = $2 AND state <> 'deleted'",
                               p, 2, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) != 1) {
            jg_rows_free(r);
            return refuse_item(s, seq, "clause_code",
                               jg_arena_printf(s->req->arena, "条款 %s 不在%s版记分条款库中", cur, edition));
        }
        const char *merged = jg_rows_text(r, 0, 0), *retired = jg_rows_text(r, 0, 1);
        if (retired != NULL && retired[0] != '\0' && strcmp(retired, inspected) <= 0) {
            const char *m = jg_arena_printf(s->req->arena, "条款 %s 已于 %s 废止", cur, retired);
            jg_rows_free(r);
            return refuse_item(s, seq, "clause_code", m);
        }
        if (merged == NULL || merged[0] == '\0') {
            *min = jg_rows_int(r, 0, 2);
            *max = jg_rows_int(r, 0, 3);
            jg_rows_free(r);
            return JG_OK;
        }
        snprintf(cur, sizeof(cur), "%s", merged);
        jg_rows_free(r);
    }
    return refuse_item(s, seq, "clause_code", "条款的合并关系过长或成环，请检查条款库");
}

static const char *tenths(jg_arena *a, int64_t v)
{
    return jg_arena_printf(a, "%s%lld.%lld", v < 0 ? "-" : "", (long long)(v < 0 ? -v : v) / 10,
                           (long long)(v < 0 ? -v : v) % 10);
}

/* A refusal on a field of the notice itself. */
static jg_rc refuse_field(jg_flow_service *s, const char *field, const char *message)
{
    snprintf(s->why, sizeof(s->why), "%s", message);
    json_t *f = json_pack("{s:s}", field, message);
    char *text = f != NULL ? json_dumps(f, JSON_COMPACT) : NULL;
    s->fields = text != NULL ? jg_arena_strdup(s->req->arena, text) : NULL;
    free(text);
    json_decref(f);
    return JG_INVALID;
}

static int one_of(const char *v, const char *const *list)
{
    for (; v != NULL && *list != NULL; list++)
        if (strcmp(v, *list) == 0)
            return 1;
    return 0;
}

/* What the engine's field checks cannot say about a notice: the roles fit the kind of party, the
 * project exists, a correction names an effective notice of the same enterprise. */
static jg_rc check_notice(jg_flow_service *s)
{
    static const char *const units[] = {"owner", "contractor", "supervisor_firm", NULL};
    static const char *const persons[] = {"project_manager", "chief_supervisor", "other_person", NULL};
    const json_t *rec = s->record;
    const char *unit = json_string_value(json_object_get(rec, "enterprise_role"));
    const char *person = json_string_value(json_object_get(rec, "person_role"));
    if (!one_of(unit, units))
        return refuse_field(s, "enterprise_role", "责任单位类别应为建设单位、施工单位或监理单位");
    if (person != NULL && !one_of(person, persons))
        return refuse_field(s, "person_role", "责任人岗位应为项目经理、总监理工程师或其他责任人");
    if (json_integer_value(json_object_get(rec, "person_id")) > 0 && person == NULL)
        return refuse_field(s, "person_role", "填写了责任人时应填写责任人岗位");
    jg_rows *r;
    jg_value p[] = {JG_VINT(json_integer_value(json_object_get(rec, "project_id")))};
    jg_rc rc = jg_db_query(s->c, "SELECT id FROM project WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int found = jg_rows_count(r) == 1;
    jg_rows_free(r);
    if (!found)
        return refuse_field(s, "project_id", "项目不存在");
    int64_t corrects = json_integer_value(json_object_get(rec, "corrects_id"));
    if (corrects <= 0)
        return JG_OK;
    jg_value q[] = {JG_VINT(corrects), JG_VINT(json_integer_value(json_object_get(rec, "enterprise_id")))};
    rc = jg_db_query(
        s->c, "SELECT id FROM e_score_notice WHERE id = $1 AND state = 'effective' AND enterprise_id = $2", q,
        2, &r);
    if (rc != JG_OK)
        return rc;
    found = jg_rows_count(r) == 1;
    jg_rows_free(r);
    return found ? JG_OK : refuse_field(s, "corrects_id", "更正的告知单应为同一责任单位已生效的记分告知单");
}

jg_rc jg_clause_check_items(jg_flow_service *s)
{
    struct target t;
    jg_rc rc = target_of(s, &t);
    if (rc == JG_OK)
        rc = expect(s, &t, "score_notice", "记分明细校验");
    if (rc == JG_OK)
        rc = check_notice(s);
    if (rc != JG_OK)
        return rc;
    const char *inspected = json_string_value(json_object_get(s->record, "inspected_on"));
    char edition[16];
    rc = edition_for(s, inspected != NULL ? inspected : "", edition, sizeof(edition));
    if (rc != JG_OK)
        return rc;
    jg_rows *r;
    jg_value p[] = {JG_VINT(t.record_id)};
    rc = jg_db_query(
        s->c, "SELECT clause_code, points FROM e_score_notice__items WHERE parent_id = $1 ORDER BY seq, id",
        p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int n = jg_rows_count(r);
    int64_t total = 0;
    if (n == 0) {
        snprintf(s->why, sizeof(s->why), "记分告知单没有记分明细");
        rc = JG_INVALID;
    }
    for (int i = 0; i < n && rc == JG_OK; i++) {
        int64_t min = 0, max = 0, points = jg_rows_int(r, i, 1);
        rc = clause_range(s, i, edition, jg_rows_text(r, i, 0), inspected, &min, &max);
        if (rc == JG_OK && (points < min || points > max))
            rc = refuse_item(s, i, "points",
                             jg_arena_printf(s->req->arena, "条款 %s 的记分应在 %s 至 %s 分之间",
                                             jg_rows_text(r, i, 0), tenths(s->req->arena, min),
                                             tenths(s->req->arena, max)));
        total += points;
    }
    jg_rows_free(r);
    if (rc != JG_OK)
        return rc;
    const char *sum = tenths(s->req->arena, total);
    rc = set_stored(s, &t, "total_points", sum, &total);
    if (rc == JG_OK)
        s->log = jg_arena_printf(s->req->arena, "%s版条款库，%d 项，合计 %s 分", edition, n, sum);
    return rc;
}

static jg_rc init(jg_app *app)
{
    (void)app;
    jg_flow_action_set("scoring.check_items", jg_clause_check_items);
    jg_flow_action_set("scoring.number", jg_clause_number);
    jg_flow_action_set("scoring.publicity", jg_clause_publicity);
    jg_flow_action_set("scoring.notice_effective", jg_clause_notice_effective);
    jg_flow_action_set("scoring.clause_change", jg_clause_change);
    return JG_OK;
}

/* The clause library and the scoring notices' steps (no routes: the records and flow APIs serve them). */
const jg_module jg_module_clause = {"clause", NULL, init, NULL};
