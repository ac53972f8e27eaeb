/* Demo data at provincial scale, the process part: where each 项目报监 record stands at the demo's
 * "now" (2026-10-15) in registration.bpmn, and the workflow rows of those still in it — the
 * instance, the token and the open task of the step it waits at (受理, 登记 or 补正), the tasks
 * done before and the history (flow_log), as the engine (src/engine/flow/run.c) leaves them. Steps
 * of the stations fall on working days of flow_calendar. See docs/demo-data.md, "States". */
#include "platform/seed_scale_int.h"

#include "base/arena.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS_1962_1970 2922L /* 1962-01-01 .. 1970-01-01 */
#define ACCEPT_DUE 3 /* registration.bpmn: jg:dueDays of 受理 (working), 登记, 补正 (calendar) */
#define REGISTER_DUE 5
#define CORRECT_DUE 15

/* Days since 1962-01-01 of "YYYY-MM-DD" (H. Hinnant's days_from_civil, moved to 1962). */
static long day_of(const char *t)
{
    int y = (int)strtol(t, NULL, 10), m = (int)strtol(t + 5, NULL, 10), d = (int)strtol(t + 8, NULL, 10);
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + DAYS_1962_1970;
}

jg_rc jg_scale_flow_prepare(struct scale *s)
{
    jg_rows *r;
    jg_rc rc = jg_db_read(s->db, "SELECT day, kind FROM flow_calendar ORDER BY day", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    s->ncal = jg_rows_count(r);
    s->cal_day = jg_xcalloc((size_t)s->ncal + 1, sizeof(long));
    s->cal_kind = jg_xcalloc((size_t)s->ncal + 1, 1);
    for (int i = 0; i < s->ncal; i++) {
        s->cal_day[i] = day_of(jg_rows_text(r, i, 0));
        s->cal_kind[i] = strcmp(jg_rows_text(r, i, 1), "workday") == 0 ? 'w' : 'h';
    }
    jg_rows_free(r);
    rc = jg_db_read(s->db,
                    "SELECT id FROM flow_definition WHERE key = 'registration' ORDER BY version DESC LIMIT 1",
                    NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    s->definition_id = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    if (s->definition_id == 0) {
        jg_error("seed: the process registration is not deployed (run migrate first)");
        return JG_ERR;
    }
    return JG_OK;
}

/* Whether day d is a working day: Monday to Friday (1962-01-01 was a Monday), except holidays,
 * plus the weekend days worked instead. */
static int workday(const struct scale *s, long d)
{
    int lo = 0, hi = s->ncal;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->cal_day[mid] < d)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->ncal && s->cal_day[lo] == d)
        return s->cal_kind[lo] == 'w';
    return d % 7 < 5;
}

/* The n-th working day after d (as jg_cal_add_workdays). */
static long add_workdays(const struct scale *s, long d, int n)
{
    while (n-- > 0)
        do
            d++;
        while (!workday(s, d));
    return d;
}

void jg_scale_timeline(const struct scale *s, struct proj *p)
{
    p->returned_on = p->resubmitted_on = p->accepted_on = p->registered_on = -1;
    if (p->draft) {
        p->state = ST_DRAFT;
        return;
    }
    long ret = -1, re = -1, acc;
    if (p->returned) {
        ret = add_workdays(s, p->declared, p->accept_days);
        re = ret + p->correct_days; /* the applicant, any day */
        acc = add_workdays(s, re, p->accept2_days);
    } else
        acc = add_workdays(s, p->declared, p->accept_days);
    long reg = add_workdays(s, acc, p->register_days);
    p->state = ST_SUBMITTED;
    if (ret >= 0 && ret <= DAY_CUT)
        p->returned_on = ret, p->state = ST_RETURNED;
    if (re >= 0 && re <= DAY_CUT)
        p->resubmitted_on = re, p->state = ST_SUBMITTED;
    if (acc <= DAY_CUT)
        p->accepted_on = acc, p->state = ST_ACCEPTED;
    if (reg <= DAY_CUT)
        p->registered_on = reg, p->state = ST_REGISTERED;
}

/* ---- the rows ---- */

/* One record's instance being written. */
struct fl {
    struct scale *s;
    jg_conn *c;
    jg_arena *a;
    int64_t instance;
};

static const char *at(jg_arena *a, long day, const char *time)
{
    return jg_arena_printf(a, "%sT%s.000Z", jg_scale_date(a, day), time);
}

static jg_rc returning_id(jg_conn *c, const char *sql, const jg_value *p, int n, int64_t *id)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql, p, n, &r);
    if (rc != JG_OK)
        return rc;
    *id = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    return *id > 0 ? JG_OK : JG_ERR;
}

static jg_rc log_step(struct fl *f, int64_t task, const char *node, const char *action, const char *opinion,
                      const char *when)
{
    jg_value p[] = {JG_VINT(f->instance),
                    task > 0 ? JG_VINT(task) : JG_VNULL,
                    JG_VTEXT(node),
                    JG_VTEXT(action),
                    opinion != NULL ? JG_VTEXT(opinion) : JG_VNULL,
                    JG_VTEXT(when)};
    return jg_db_exec(f->c,
                      "INSERT INTO flow_log (instance_id, task_id, node, action, opinion, at)"
                      " VALUES ($1, $2, $3, $4, $5, $6)",
                      p, 6, NULL);
}

/* A step: its task (open with a token at node, or done with action and opinion), and the
 * history's "enter" line (and "complete:<action>" when done). */
struct step {
    const char *node, *name, *roles, *edge; /* roles: ",clerk,station_chief," or NULL (applicant) */
    long day;
    const char *time;
    int due_days, working;
    long done_day; /* -1: open */
    const char *done_time, *action, *opinion;
};

static jg_rc put_step(struct fl *f, const struct step *st, const char *org, int64_t enterprise, int64_t from,
                      int64_t *task)
{
    const char *created = at(f->a, st->day, st->time);
    long due = st->working ? add_workdays(f->s, st->day, st->due_days) : st->day + st->due_days;
    int64_t token = 0;
    jg_rc rc = JG_OK;
    if (st->done_day < 0) {
        jg_value p[] = {JG_VINT(f->instance), JG_VTEXT(st->node), JG_VTEXT(st->edge)};
        rc = returning_id(f->c,
                          "INSERT INTO flow_token (instance_id, node, edge) VALUES ($1, $2, $3) RETURNING id",
                          p, 3, &token);
    }
    const char *done = st->done_day >= 0 ? at(f->a, st->done_day, st->done_time) : NULL;
    jg_value p[] = {JG_VINT(f->instance),
                    token > 0 ? JG_VINT(token) : JG_VNULL,
                    JG_VTEXT(st->node),
                    JG_VTEXT(st->name),
                    JG_VTEXT(done != NULL ? "done" : "open"),
                    st->roles != NULL ? JG_VTEXT(st->roles) : JG_VNULL,
                    st->roles != NULL ? JG_VTEXT(org) : JG_VNULL,
                    st->roles == NULL ? JG_VINT(enterprise) : JG_VNULL,
                    JG_VTEXT(created),
                    JG_VTEXT(at(f->a, due, st->time)),
                    done != NULL ? JG_VTEXT(done) : JG_VNULL,
                    done != NULL ? JG_VTEXT(st->action) : JG_VNULL,
                    done != NULL && st->opinion != NULL ? JG_VTEXT(st->opinion) : JG_VNULL,
                    from > 0 ? JG_VINT(from) : JG_VNULL};
    if (rc == JG_OK)
        rc = returning_id(
            f->c,
            "INSERT INTO flow_task (instance_id, token_id, node, name, state, candidate_roles,"
            " org_code, enterprise_id, created_at, due_at, done_at, action, opinion, from_task_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            p, 14, task);
    if (rc == JG_OK)
        rc = log_step(f, *task, st->node, "enter", NULL, created);
    if (rc == JG_OK && done != NULL)
        rc =
            log_step(f, *task, st->node, jg_arena_printf(f->a, "complete:%s", st->action), st->opinion, done);
    return rc;
}

/* 申报校验 and 监督站收件, on the day of a (re)submission. */
static jg_rc put_submission(struct fl *f, long day, const char *time, int first)
{
    const char *when = at(f->a, day, time);
    jg_rc rc = log_step(f, 0, "Check", "service:rule:registration.check", "申报校验通过", when);
    if (rc == JG_OK) /* a resubmission keeps the first day of receipt (registration.receive) */
        rc = log_step(f, 0, "Receive", "service:registration.receive",
                      first ? jg_arena_printf(f->a, "收件日期 %s", jg_scale_date(f->a, day)) : NULL, when);
    return rc;
}

static const char *const return_reasons[] = {
    "施工许可证扫描件不清晰，请重新上传",           "项目经理注册建造师证书未上传，请补充",
    "单体建筑面积与总建筑面积不一致，请核对",       "专职安全生产管理人员配备不足，请补充",
    "危大工程清单缺少专项施工方案编制计划，请补充", "监理合同未上传，请补充",
};

#define ACCEPT_ROLES ",clerk,station_chief,"
#define REGISTER_ROLES ",station_chief,"

static jg_rc put_instance(struct fl *f, const struct proj *p, int64_t record)
{
    struct scale *s = f->s;
    const char *org = p->co->r->code, *start = at(f->a, p->declared, "09:30:00");
    int64_t enterprise = s->ent_id[p->applicant];
    jg_value q[] = {JG_VINT(s->definition_id), JG_VINT(record), JG_VTEXT(org), JG_VINT(enterprise),
                    JG_VTEXT(start)};
    jg_rc rc = returning_id(f->c,
                            "INSERT INTO flow_instance (definition_id, key, entity, record_id, org_code,"
                            " enterprise_id, state, started_at) VALUES ($1, 'registration', 'registration',"
                            " $2, $3, $4, 'running', $5) RETURNING id",
                            q, 5, &f->instance);
    if (rc == JG_OK)
        rc = log_step(f, 0, "Start", "start", NULL, start);
    if (rc == JG_OK)
        rc = put_submission(f, p->declared, "09:30:00", 1);
    int64_t task = 0;
    /* 受理: returned for 补正, or accepted, or still waiting. */
    long accepted = p->accepted_on;
    struct step accept = {"Accept",    "监督站受理", ACCEPT_ROLES, "Flow_received",
                          p->declared, "09:30:00",   ACCEPT_DUE,   1,
                          -1,          NULL,         NULL,         NULL};
    if (p->returned_on >= 0) {
        accept.done_day = p->returned_on;
        accept.done_time = "03:00:00";
        accept.action = "return";
        accept.opinion = return_reasons[p->reason % COUNT(return_reasons)];
    } else if (accepted >= 0) {
        accept.done_day = accepted;
        accept.done_time = "02:00:00";
        accept.action = "accept";
        accept.opinion = "材料齐全，同意受理";
    }
    if (rc == JG_OK)
        rc = put_step(f, &accept, org, enterprise, 0, &task);
    if (rc == JG_OK && p->returned_on >= 0) {
        struct step correct = {"Correct",         "申报单位补正", NULL,        "Flow_accept_return",
                               p->returned_on,    "03:00:00",     CORRECT_DUE, 0,
                               p->resubmitted_on, "08:00:00",     "complete",  "已按要求补正"};
        rc = put_step(f, &correct, org, enterprise, task, &task);
        if (rc == JG_OK && p->resubmitted_on >= 0)
            rc = put_submission(f, p->resubmitted_on, "08:00:00", 0);
        struct step again = {"Accept",          "监督站受理", ACCEPT_ROLES, "Flow_received",
                             p->resubmitted_on, "08:00:00",   ACCEPT_DUE,   1,
                             accepted,          "02:00:00",   "accept",     "补正材料齐全，同意受理"};
        if (rc == JG_OK && p->resubmitted_on >= 0)
            rc = put_step(f, &again, org, enterprise, task, &task);
    }
    struct step reg = {"Register", "登记", REGISTER_ROLES, "Flow_accept", accepted, "02:00:00", REGISTER_DUE,
                       1,          -1,     NULL,           NULL,          NULL};
    if (rc == JG_OK && accepted >= 0)
        rc = put_step(f, &reg, org, enterprise, task, &task);
    return rc;
}

jg_rc jg_scale_flows(struct scale *s, jg_conn *c, jg_arena *a, const struct proj *ps, const int64_t *ids,
                     long n)
{
    jg_rc rc = JG_OK;
    for (long i = 0; rc == JG_OK && i < n; i++) {
        int state = ps[i].state;
        if (state != ST_SUBMITTED && state != ST_ACCEPTED && state != ST_RETURNED)
            continue;
        struct fl f = {s, c, a, 0};
        rc = put_instance(&f, &ps[i], ids[i]);
    }
    return rc;
}
