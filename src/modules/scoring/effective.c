/* The "scoring.effective" action: an effective notice's points go into the ledger, and the scores of
 * the unit and person it names are recomputed for its period (scoring.h). */
#include "base/arena.h"
#include "base/timeutil.h"
#include "engine/rule/rule.h"
#include "modules/scoring/scoring.h"
#include "modules/scoring/scoring_int.h"
#include "modules/scoring/warning.h"

#include <stdio.h>
#include <string.h>

#define MERGE_HOPS 8 /* merged_into chains followed at most this far (a cycle is refused) */

/* Columns of the notice as read below. */
enum {
    N_PROJECT,
    N_ORG,
    N_INSPECTION,
    N_INSPECTED,
    N_ENTERPRISE,
    N_EROLE,
    N_PERSON,
    N_PROLE,
    N_CORRECTS,
    N_EFFECTIVE,
    N_NO
};

typedef struct {
    jg_flow_service *s;
    int64_t id;
    jg_rows *notice;
    char effective[11], period[8], edition[16];
    const char *inspection, *domain;
    long points, reversed, warnings;
} ctx;

static jg_rc refuse(jg_flow_service *s, const char *fmt, const char *a, const char *b, const char *c)
{
    snprintf(s->why, sizeof(s->why), fmt, a, b, c);
    return JG_INVALID;
}

/* 房建 or 市政 from the notice's project_kind: 市政 for municipal and the kinds the dictionary
 * project_kind files under it, 房建 for the rest and for a notice without one. */
static jg_rc domain_of(jg_conn *c, const json_t *record, const char **out)
{
    const char *kind = json_string_value(json_object_get(record, "project_kind"));
    int64_t n = 0;
    *out = "房建";
    if (kind == NULL)
        return JG_OK;
    jg_value p[] = {JG_VTEXT(kind)};
    jg_rows *r;
    jg_rc rc =
        jg_db_query(c,
                    "SELECT count(*) FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id"
                    " WHERE d.code = 'project_kind' AND i.code = $1"
                    " AND (i.code = 'municipal' OR i.parent_code = 'municipal')",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    n = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    if (n > 0)
        *out = "市政";
    return JG_OK;
}

/* The edition for the inspection date, by the rule score.edition. */
static jg_rc edition_of(ctx *x, const char *inspected)
{
    json_t *facts = json_pack("{s:s}", "inspected_on", inspected);
    jg_rule_result res;
    memset(&res, 0, sizeof(res));
    jg_rc rc = facts == NULL ? JG_NOMEM
                             : jg_rule_run(x->s->req->app->db, x->s->c, x->s->req->app->cfg, "score.edition",
                                           facts, x->s->now, &res, NULL);
    json_decref(facts);
    const char *ed = json_string_value(json_object_get(res.value, "edition"));
    if (rc == JG_NOTFOUND)
        rc = refuse(x->s, "记分生效：规则“%s”不存在或未启用%s%s", "score.edition", "", "");
    else if (rc == JG_INVALID)
        rc = refuse(x->s, "记分生效：规则“%s”运行失败：%s%s", "score.edition",
                    res.message != NULL ? res.message : "", "");
    else if (rc == JG_OK && ed == NULL)
        rc = refuse(x->s, "记分生效：检查日期 %s 没有适用的条款库版本%s%s", inspected, "", "");
    else if (rc == JG_OK)
        snprintf(x->edition, sizeof(x->edition), "%s", ed);
    jg_rule_result_clear(&res);
    return rc;
}

/* Follow code's merged_into chain in the edition to the surviving clause, into out; refuse a clause
 * that is unknown, or retired on or before the inspection date (at any step). */
static jg_rc survivor(ctx *x, int seq, const char *code, const char *inspected, char *out, size_t outlen)
{
    char cur[32], seqs[16];
    snprintf(cur, sizeof(cur), "%s", code);
    snprintf(seqs, sizeof(seqs), "%d", seq);
    for (int hop = 0; hop <= MERGE_HOPS; hop++) {
        jg_value p[] = {JG_VTEXT(x->edition), JG_VTEXT(cur)};
        jg_rows *r = NULL;
        jg_rc rc =
            jg_db_query(x->s->c,
                        "SELECT merged_into, retired_on FROM e_score_clause WHERE edition = $1 AND code = $2"
                        " AND state <> 'deleted'",
                        p, 2, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) == 0) {
            jg_rows_free(r);
            snprintf(x->s->why, sizeof(x->s->why), "记分生效：第 %s 项的条款 %s 在 %s 版条款库中不存在", seqs,
                     cur, x->edition);
            return JG_INVALID;
        }
        const char *merged = jg_rows_text(r, 0, 0), *retired = jg_rows_text(r, 0, 1);
        if (retired != NULL && retired[0] != '\0' && strcmp(retired, inspected) <= 0) {
            snprintf(x->s->why, sizeof(x->s->why),
                     "记分生效：第 %s 项的条款 %s 已于 %s 废止，%s 的检查不能再按该条款记分", seqs, cur,
                     retired, inspected);
            jg_rows_free(r);
            return JG_INVALID;
        }
        if (merged == NULL || merged[0] == '\0') {
            snprintf(out, outlen, "%s", cur);
            jg_rows_free(r);
            return JG_OK;
        }
        snprintf(cur, sizeof(cur), "%s", merged);
        jg_rows_free(r);
    }
    return refuse(x->s, "记分生效：条款 %s 的合并关系超过层数或成环%s%s", code, "", "");
}

/* Reversal rows for every own row of the corrected notice, in this notice's period. */
static jg_rc reverse(ctx *x, int64_t corrects)
{
    jg_value p[] = {JG_VINT(corrects)};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_query(x->s->c,
                    "SELECT (SELECT COUNT(*) FROM score_point WHERE notice_id = $1),"
                    " (SELECT COUNT(*) FROM score_point WHERE corrects_id = $1 AND reverses_id IS NOT NULL)",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t own = jg_rows_int(r, 0, 0), done = jg_rows_int(r, 0, 1);
    jg_rows_free(r);
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)corrects);
    if (own == 0)
        return refuse(x->s, "记分生效：被更正的告知单（%s）没有已生效的记分%s%s", ids, "", "");
    if (done > 0)
        return refuse(x->s, "记分生效：告知单（%s）已被更正过，请更正最新的决定%s%s", ids, "", "");
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value q[] = {JG_VINT(x->id), JG_VTEXT(x->effective), JG_VTEXT(x->period), JG_VINT(corrects),
                    JG_VTEXT(now)};
    int64_t changes = 0;
    rc = jg_db_exec(
        x->s->c,
        "INSERT INTO score_point (notice_id, item_seq, project_id, org_code, city_code, domain,"
        " inspection_no, inspected_on, effective_on, edition, clause_code, clause_given, points,"
        " enterprise_id, enterprise_role, person_id, person_role, period, corrects_id, reverses_id,"
        " created_at)"
        " SELECT $1, item_seq, project_id, org_code, city_code, domain, inspection_no, inspected_on,"
        " $2, edition, clause_code, clause_given, -points, enterprise_id, enterprise_role, person_id,"
        " person_role, $3, $4, id, $5 FROM score_point WHERE notice_id = $4 AND reverses_id IS NULL"
        " ORDER BY id",
        q, 5, &changes);
    x->reversed = (long)changes;
    return rc;
}

static jg_rc write_items(ctx *x, const char *inspected)
{
    jg_rows *n = x->notice;
    jg_value p[] = {JG_VINT(x->id)};
    jg_rows *items = NULL;
    jg_rc rc = jg_db_query(x->s->c,
                           "SELECT seq, clause_code, points FROM e_score_notice__items WHERE parent_id = $1"
                           " ORDER BY seq, id",
                           p, 1, &items);
    if (rc != JG_OK)
        return rc;
    const char *org = jg_rows_text(n, 0, N_ORG);
    char city[8], now[32];
    snprintf(city, sizeof(city), "%.4s", org);
    jg_time_iso_now(now, sizeof(now));
    for (int i = 0; rc == JG_OK && i < jg_rows_count(items); i++) {
        const char *given = jg_rows_text(items, i, 1);
        if (given == NULL || given[0] == '\0' || jg_rows_text(items, i, 2) == NULL) {
            char seqs[16];
            snprintf(seqs, sizeof(seqs), "%d", i + 1);
            rc = refuse(x->s, "记分生效：第 %s 项缺少条款编号或记分%s%s", seqs, "", "");
            break;
        }
        char clause[32];
        rc = survivor(x, i + 1, given, inspected, clause, sizeof(clause));
        if (rc != JG_OK)
            break;
        jg_value v[] = {
            JG_VINT(x->id),
            JG_VINT(jg_rows_int(items, i, 0)),
            JG_VINT(jg_rows_int(n, 0, N_PROJECT)),
            JG_VTEXT(org),
            JG_VTEXT(city),
            JG_VTEXT(x->domain),
            JG_VTEXT(x->inspection),
            JG_VTEXT(inspected),
            JG_VTEXT(x->effective),
            JG_VTEXT(x->edition),
            JG_VTEXT(clause),
            JG_VTEXT(given),
            JG_VINT(jg_rows_int(items, i, 2)),
            jg_rows_text(n, 0, N_ENTERPRISE) != NULL ? JG_VINT(jg_rows_int(n, 0, N_ENTERPRISE)) : JG_VNULL,
            jg_rows_text(n, 0, N_ENTERPRISE) != NULL && jg_rows_text(n, 0, N_EROLE) != NULL
                ? JG_VTEXT(jg_rows_text(n, 0, N_EROLE))
                : JG_VNULL,
            jg_rows_text(n, 0, N_PERSON) != NULL ? JG_VINT(jg_rows_int(n, 0, N_PERSON)) : JG_VNULL,
            jg_rows_text(n, 0, N_PERSON) != NULL && jg_rows_text(n, 0, N_PROLE) != NULL
                ? JG_VTEXT(jg_rows_text(n, 0, N_PROLE))
                : JG_VNULL,
            JG_VTEXT(x->period),
            jg_rows_text(n, 0, N_CORRECTS) != NULL ? JG_VINT(jg_rows_int(n, 0, N_CORRECTS)) : JG_VNULL,
            JG_VTEXT(now)};
        rc = jg_db_exec(
            x->s->c,
            "INSERT INTO score_point (notice_id, item_seq, project_id, org_code, city_code, domain,"
            " inspection_no, inspected_on, effective_on, edition, clause_code, clause_given, points,"
            " enterprise_id, enterprise_role, person_id, person_role, period, corrects_id, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
            " $19, $20)",
            v, 20, NULL);
        x->points++;
    }
    jg_rows_free(items);
    return rc;
}

/* Recompute the subjects this notice's rows name, for its quarter and its year. */
static jg_rc recompute(ctx *x, jg_scoring_counts *counts)
{
    jg_scorer *sc = NULL;
    jg_rc rc = jg_scorer_open(x->s->c, x->s->req->app->cfg, &sc, x->s->why, sizeof(x->s->why));
    if (rc == JG_NOTFOUND)
        rc = JG_INVALID;
    jg_value p[] = {JG_VINT(x->id)};
    jg_rows *r = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(
            x->s->c,
            "SELECT DISTINCT 'enterprise', enterprise_id FROM score_point WHERE notice_id = $1"
            " AND enterprise_id IS NOT NULL UNION SELECT DISTINCT 'person', person_id FROM score_point"
            " WHERE notice_id = $1 AND person_id IS NOT NULL",
            p, 1, &r);
    char year[8];
    snprintf(year, sizeof(year), "%.4s", x->period);
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++) {
        int64_t id = jg_rows_int(r, i, 1);
        rc = jg_scorer_run(sc, x->s->c, jg_rows_text(r, i, 0), id, id, x->period, counts, x->s->why,
                           sizeof(x->s->why));
        if (rc == JG_OK)
            rc = jg_scorer_run(sc, x->s->c, jg_rows_text(r, i, 0), id, id, year, counts, x->s->why,
                               sizeof(x->s->why));
        /* The warning rule over the new scores (warning.h), in this transaction. */
        for (int w = 0; w < 2 && rc == JG_OK; w++)
            rc = jg_warning_check(x->s->req, x->s->c, jg_rows_text(r, i, 0), id, w == 0 ? x->period : year,
                                  &x->warnings, x->s->why, sizeof(x->s->why));
    }
    jg_rows_free(r);
    jg_scorer_free(sc);
    return rc;
}

jg_rc jg_scoring_effective(jg_flow_service *s)
{
    int64_t id = json_integer_value(json_object_get(s->record, "id"));
    if (id <= 0)
        return refuse(s, "记分生效：没有记分告知单%s%s%s", "", "", "");
    ctx x = {.s = s, .id = id};
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = domain_of(s->c, s->record, &x.domain);
    if (rc != JG_OK)
        return rc;
    rc = jg_db_query(
        s->c,
        "SELECT project_id, org_code, inspection_no, inspected_on, enterprise_id, enterprise_role,"
        " person_id, person_role, corrects_id, effective_on, notice_no FROM e_score_notice"
        " WHERE id = $1",
        p, 1, &x.notice);
    if (rc != JG_OK)
        return rc;
    jg_rows *n = x.notice;
    const char *inspected = jg_rows_count(n) == 1 ? jg_rows_text(n, 0, N_INSPECTED) : NULL;
    const char *org = jg_rows_count(n) == 1 ? jg_rows_text(n, 0, N_ORG) : NULL;
    if (jg_rows_count(n) != 1)
        rc = refuse(s, "记分生效：记分告知单不存在%s%s%s", "", "", "");
    else if (inspected == NULL || !jg_time_valid_date(inspected))
        rc = refuse(s, "记分生效：告知单缺少检查日期%s%s%s", "", "", "");
    else if (jg_rows_text(n, 0, N_PROJECT) == NULL)
        rc = refuse(s, "记分生效：告知单缺少项目%s%s%s", "", "", "");
    else if (org == NULL || strlen(org) < 4)
        rc = refuse(s, "记分生效：告知单缺少记分机关所在行政区划%s%s%s", "", "", "");
    else if (jg_rows_text(n, 0, N_ENTERPRISE) == NULL && jg_rows_text(n, 0, N_PERSON) == NULL)
        rc = refuse(s, "记分生效：告知单既没有责任单位也没有责任人%s%s%s", "", "", "");
    if (rc != JG_OK) {
        jg_rows_free(n);
        return rc;
    }
    /* The effective date: the notice's, else today's business date (written back when missing). */
    const char *eff = jg_rows_text(n, 0, N_EFFECTIVE);
    int64_t t = 0;
    if (eff != NULL && jg_time_valid_date(eff))
        snprintf(x.effective, sizeof(x.effective), "%s", eff);
    else {
        if (s->now == NULL || !jg_time_parse_iso(s->now, &t))
            t = 0;
        if (t == 0) {
            char iso[32];
            jg_time_iso_now(iso, sizeof(iso));
            jg_time_parse_iso(iso, &t);
        }
        jg_time_business_date(t, x.effective, sizeof(x.effective));
        jg_value q[] = {JG_VTEXT(x.effective), JG_VINT(id)};
        rc = jg_db_exec(s->c,
                        "UPDATE e_score_notice SET effective_on = $1 WHERE id = $2 AND effective_on IS NULL",
                        q, 2, NULL);
    }
    jg_scoring_quarter(x.effective, x.period, sizeof(x.period));
    const char *insp = jg_rows_text(n, 0, N_INSPECTION), *no = jg_rows_text(n, 0, N_NO);
    x.inspection = insp != NULL && insp[0] != '\0' ? insp
                   : no != NULL                    ? no
                                : jg_arena_printf(s->req->arena, "notice-%lld", (long long)id);
    jg_value dup[] = {JG_VINT(id)};
    jg_rows *d = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(s->c, "SELECT COUNT(*) FROM score_point WHERE notice_id = $1", dup, 1, &d);
    if (rc == JG_OK && jg_rows_int(d, 0, 0) > 0)
        rc = refuse(s, "记分生效：该告知单的记分已经入账%s%s%s", "", "", "");
    jg_rows_free(d);
    if (rc == JG_OK)
        rc = edition_of(&x, inspected);
    if (rc == JG_OK && jg_rows_text(n, 0, N_CORRECTS) != NULL)
        rc = reverse(&x, jg_rows_int(n, 0, N_CORRECTS));
    if (rc == JG_OK)
        rc = write_items(&x, inspected);
    jg_scoring_counts counts = {0, 0, 0};
    if (rc == JG_OK)
        rc = recompute(&x, &counts);
    if (rc == JG_OK)
        s->log = jg_arena_printf(
            s->req->arena,
            "记分生效：%ld 项记分入账（%s 版条款库，记分周期 %s）%s%s；重算记分 %ld 项、信用 %ld 项",
            x.points, x.edition, x.period, x.reversed > 0 ? "，冲销被更正的记分 " : "",
            x.reversed > 0 ? jg_arena_printf(s->req->arena, "%ld 项", x.reversed) : "", counts.subjects,
            counts.credits);
    if (rc == JG_OK && x.warnings > 0)
        s->log = jg_arena_printf(s->req->arena, "%s；新记分预警 %ld 项", s->log, x.warnings);
    jg_rows_free(n);
    return rc;
}
