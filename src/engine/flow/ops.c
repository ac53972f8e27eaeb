/* Task operations of the workflow engine (ops.h): claim, release, transfer (转办), delegate (委托),
 * withdraw (撤回), copy to (抄送), bulk approve, terminate (终止) and green channel (绿色通道). */
#include "engine/flow/ops.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COPY_USERS 50
#define MSG_NO_TASK "任务不存在"
#define MSG_STALE "该任务已被办理或已变化，请刷新后再试"

static const jg_principal *who(const jg_req *req)
{
    return req->principal;
}

/* ---- what is read before acting ---- */

typedef struct {
    int64_t id, instance_id, version, assignee, delegated_by, enterprise, done_by, definition;
    int64_t applicant; /* the instance's applicant enterprise, or 0 */
    int pooled, open, mine, running;
    int cand; /* the caller is one of its candidates (it may be claimed by another now) */
    const char *node, *roles, *org;
} task_info;

/* Task id (mine: the caller may do it now). JG_NOTFOUND when there is none; visible() says
 * whether the caller may know of it. */
static jg_rc load_task(jg_conn *c, jg_req *req, int64_t id, task_info *t)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[8] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql, "SELECT t.id, t.instance_id, t.node, t.state, t.version, t.assignee_id, t.pooled,"
                      " t.delegated_by, COALESCE(t.pool_roles, t.candidate_roles), COALESCE(t.pool_org,"
                      " t.org_code), COALESCE(t.pool_enterprise, t.enterprise_id), t.done_by, i.state,"
                      " i.definition_id, CASE WHEN t.state = 'open'");
    jg_flow_mine_sql(who(req), &sql, p, &n);
    jg_buf_puts(
        &sql,
        " THEN 1 ELSE 0 END, COALESCE(i.enterprise_id, 0) FROM flow_task t JOIN flow_instance i ON i.id ="
        " t.instance_id"
        " WHERE t.id = $1");
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    jg_arena *a = req->arena;
    *t = (task_info){.id = id,
                     .instance_id = jg_rows_int(r, 0, 1),
                     .node = jg_arena_strdup(a, jg_rows_text(r, 0, 2)),
                     .open = strcmp(jg_rows_text(r, 0, 3), "open") == 0,
                     .version = jg_rows_int(r, 0, 4),
                     .assignee = jg_rows_int(r, 0, 5),
                     .pooled = (int)jg_rows_int(r, 0, 6),
                     .delegated_by = jg_rows_int(r, 0, 7),
                     .roles = jg_arena_strdup(a, jg_rows_text(r, 0, 8)),
                     .org = jg_arena_strdup(a, jg_rows_text(r, 0, 9)),
                     .enterprise = jg_rows_int(r, 0, 10),
                     .done_by = jg_rows_int(r, 0, 11),
                     .running = strcmp(jg_rows_text(r, 0, 12), "running") == 0,
                     .definition = jg_rows_int(r, 0, 13),
                     .mine = jg_rows_int(r, 0, 14) == 1,
                     .applicant = jg_rows_int(r, 0, 15)};
    jg_rows_free(r);
    return JG_OK;
}

typedef struct {
    int64_t id, department, enterprise;
    const char *username, *name, *role, *org, *kind;
    int active;
} user_info;

static jg_rc load_user(jg_conn *c, jg_req *req, int64_t id, user_info *u)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc =
        jg_db_query(c,
                    "SELECT username, display_name, role, org_code, kind, status,"
                    " COALESCE(department_id, 0), COALESCE(enterprise_id, 0) FROM app_user WHERE id = $1",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    jg_arena *a = req->arena;
    *u = (user_info){.id = id,
                     .username = jg_arena_strdup(a, jg_rows_text(r, 0, 0)),
                     .name = jg_arena_strdup(a, jg_rows_text(r, 0, 1)),
                     .role = jg_arena_strdup(a, jg_rows_text(r, 0, 2)),
                     .org = jg_arena_strdup(a, jg_rows_text(r, 0, 3)),
                     .kind = jg_arena_strdup(a, jg_rows_text(r, 0, 4)),
                     .active = strcmp(jg_rows_text(r, 0, 5), "active") == 0,
                     .department = jg_rows_int(r, 0, 6),
                     .enterprise = jg_rows_int(r, 0, 7)};
    jg_rows_free(r);
    return JG_OK;
}

/* role in a ",a,b," list. */
static int role_in(const char *roles, const char *role)
{
    size_t n = strlen(role);
    for (const char *s = roles != NULL ? strstr(roles, role) : NULL; s != NULL; s = strstr(s + 1, role))
        if (s > roles && s[-1] == ',' && s[n] == ',')
            return 1;
    return 0;
}

/* 1 when u could do t by its candidates: a candidate role in its region, or a user of its
 * enterprise (holding a candidate role when it names some). */
static int is_candidate(const task_info *t, const user_info *u)
{
    if (t->org != NULL && t->roles != NULL)
        return strcmp(u->org, t->org) == 0 && role_in(t->roles, u->role);
    if (t->enterprise > 0)
        return u->enterprise == t->enterprise && (t->roles == NULL || role_in(t->roles, u->role));
    return 0;
}

/* Whether the caller may know of t: they may do it, could by its candidates, did it, hold it, or
 * delegated it. Sets t->cand. */
static int visible(const jg_req *req, task_info *t)
{
    const jg_principal *p = who(req);
    user_info me = {.role = p->role != NULL ? p->role : "",
                    .org = p->org_code != NULL ? p->org_code : "",
                    .enterprise = p->enterprise_id};
    t->cand = is_candidate(t, &me);
    return t->mine || t->cand || t->done_by == p->user_id || t->assignee == p->user_id ||
           t->delegated_by == p->user_id;
}

static int colleagues(const user_info *a, const user_info *b)
{
    return (a->department > 0 && a->department == b->department) ||
           (a->enterprise > 0 && a->enterprise == b->enterprise);
}

/* ---- what is written ---- */

static jg_rc log_line(jg_conn *c, jg_req *req, int64_t instance, int64_t task, const char *node,
                      const char *action, const char *opinion, const char *to_user, const char *now)
{
    const jg_principal *p = who(req);
    jg_value v[] = {JG_VINT(instance),
                    task > 0 ? JG_VINT(task) : JG_VNULL,
                    JG_VTEXT(node),
                    JG_VTEXT(action),
                    JG_VINT(p->user_id),
                    JG_VTEXT(p->username),
                    opinion != NULL ? JG_VTEXT(opinion) : JG_VNULL,
                    to_user != NULL ? JG_VTEXT(to_user) : JG_VNULL,
                    JG_VTEXT(now)};
    return jg_db_exec(c,
                      "INSERT INTO flow_log (instance_id, task_id, node, action, user_id, username, opinion,"
                      " to_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                      v, 9, NULL);
}

static jg_rc audit(jg_conn *c, jg_req *req, const char *action, const char *entity, int64_t id,
                   json_t *detail)
{
    char sid[32];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    return jg_audit_req(c, req, action, entity, sid, detail);
}

/* Take task id (open, at version) out of its pool for user (assignee), as delegated_by's delegate
 * when that is not 0. JG_CONFLICT when it changed meanwhile. */
static jg_rc assign(jg_conn *c, int64_t id, int64_t version, int64_t user, int64_t delegated_by)
{
    jg_value p[] = {JG_VINT(user), delegated_by > 0 ? JG_VINT(delegated_by) : JG_VNULL, JG_VINT(id),
                    JG_VINT(version)};
    int64_t changed = 0;
    jg_rc rc = jg_db_exec(
        c,
        "UPDATE flow_task SET pooled = CASE WHEN COALESCE(pool_roles, candidate_roles) IS NOT NULL"
        " OR COALESCE(pool_org, org_code) IS NOT NULL OR COALESCE(pool_enterprise, enterprise_id) IS NOT NULL"
        " THEN 1 ELSE 0 END, pool_roles = COALESCE(pool_roles, candidate_roles),"
        " pool_org = COALESCE(pool_org, org_code),"
        " pool_enterprise = COALESCE(pool_enterprise, enterprise_id),"
        " candidate_roles = NULL, org_code = NULL, enterprise_id = NULL, assignee_id = $1,"
        " delegated_by = $2, version = version + 1 WHERE id = $3 AND state = 'open' AND version = $4",
        p, 4, &changed);
    return rc == JG_OK && changed != 1 ? JG_CONFLICT : rc;
}

/* ---- one operation on one task ---- */

typedef enum { OP_CLAIM, OP_RELEASE, OP_TRANSFER, OP_DELEGATE, OP_WITHDRAW, OP_COPY } op_kind;

typedef struct {
    jg_req *req;
    jg_refusal why;
    op_kind kind;
    int64_t task_id, version, target;
    const char *opinion;
    json_t *users; /* copy: user ids */
    int64_t new_task;
    int copied;
    char now[32];
} task_op;

static jg_rc no_task(task_op *w)
{
    return jg_refuse(&w->why, JG_NOTFOUND, NULL, MSG_NO_TASK);
}

static jg_rc stale(task_op *w)
{
    return jg_refuse(&w->why, JG_CONFLICT, NULL, MSG_STALE);
}

static jg_rc claim_tx(jg_conn *c, task_op *w, const task_info *t)
{
    if (!t->mine)
        return no_task(w);
    if (t->version != w->version)
        return stale(w);
    if (t->assignee != 0)
        return jg_refuse(&w->why, JG_CONFLICT, NULL,
                         t->assignee == who(w->req)->user_id ? "您已签收该任务" : "该任务已有办理人");
    jg_rc rc = assign(c, w->task_id, w->version, who(w->req)->user_id, 0);
    if (rc == JG_CONFLICT)
        return stale(w);
    if (rc == JG_OK)
        rc = log_line(c, w->req, t->instance_id, t->id, t->node, "claim", NULL, NULL, w->now);
    return rc;
}

/* The delegator takes a delegated task back before the delegate acts (收回委托). */
/* An UPDATE of task t that must change exactly it (else the task moved on: 409), then the history
 * line action. */
static jg_rc task_update(jg_conn *c, task_op *w, const task_info *t, const char *sql, const jg_value *p,
                         int n, const char *action)
{
    int64_t changed = 0;
    jg_rc rc = jg_db_exec(c, sql, p, n, &changed);
    if (rc == JG_OK && changed != 1)
        return stale(w);
    if (rc == JG_OK)
        rc = log_line(c, w->req, t->instance_id, t->id, t->node, action, NULL, NULL, w->now);
    return rc;
}

static jg_rc recall_tx(jg_conn *c, task_op *w, const task_info *t)
{
    if (t->version != w->version)
        return stale(w);
    jg_value p[] = {JG_VINT(who(w->req)->user_id), JG_VINT(w->task_id), JG_VINT(w->version)};
    return task_update(c, w, t,
                       "UPDATE flow_task SET assignee_id = $1, delegated_by = NULL, version = version + 1"
                       " WHERE id = $2 AND state = 'open' AND version = $3 AND delegated_by = $1",
                       p, 3, "recall");
}

static jg_rc release_tx(jg_conn *c, task_op *w, const task_info *t)
{
    if (!t->open)
        return stale(w);
    if (t->delegated_by == who(w->req)->user_id)
        return recall_tx(c, w, t);
    if (t->assignee != who(w->req)->user_id || !t->pooled || t->delegated_by != 0)
        return jg_refuse(&w->why, JG_INVALID, NULL, "只有签收人可以退回签收（委托办理的任务不能退回签收）");
    jg_value p[] = {JG_VINT(w->task_id), JG_VINT(w->version), JG_VINT(who(w->req)->user_id)};
    return task_update(
        c, w, t,
        "UPDATE flow_task SET candidate_roles = pool_roles, org_code = pool_org,"
        " enterprise_id = pool_enterprise, pool_roles = NULL, pool_org = NULL, pool_enterprise = NULL,"
        " assignee_id = NULL, pooled = 0, version = version + 1"
        " WHERE id = $1 AND state = 'open' AND version = $2 AND assignee_id = $3 AND pooled = 1",
        p, 3, "release");
}

/* Transfer (转办): to a valid candidate of the task, or, for a task assigned to one person, to a
 * colleague (department or enterprise) of that person. Delegate (委托): to a colleague of the
 * caller, who acts on the caller's behalf; a delegate cannot delegate further. */
static jg_rc hand_over_tx(jg_conn *c, task_op *w, const task_info *t)
{
    if (!t->mine)
        return no_task(w);
    if (t->version != w->version)
        return stale(w);
    const jg_principal *p = who(w->req);
    int delegate = w->kind == OP_DELEGATE;
    if (delegate && t->delegated_by != 0)
        return jg_refuse(&w->why, JG_INVALID, NULL, "受委托办理的任务不能再委托");
    if (w->target == p->user_id)
        return jg_refuse(&w->why, JG_INVALID, "user_id", "不能转给自己");
    user_info to, me, holder;
    jg_rc rc = load_user(c, w->req, w->target, &to);
    if (rc == JG_NOTFOUND || (rc == JG_OK && !to.active))
        return jg_refuse(&w->why, JG_INVALID, "user_id", "用户不存在或已停用");
    if (rc == JG_OK)
        rc = load_user(c, w->req, p->user_id, &me);
    if (rc != JG_OK)
        return rc;
    int ok;
    if (delegate)
        ok = colleagues(&me, &to);
    else if (t->org != NULL || t->enterprise > 0)
        ok = is_candidate(t, &to);
    else {
        rc = load_user(c, w->req, t->assignee, &holder);
        if (rc != JG_OK && rc != JG_NOTFOUND)
            return rc;
        ok = rc == JG_OK && colleagues(&holder, &to);
    }
    if (!ok)
        return jg_refuse(&w->why, JG_INVALID, "user_id",
                         delegate ? "只能委托本部门（本单位）的人员" : "该用户不是此任务的办理候选人");
    rc = assign(c, w->task_id, w->version, to.id, delegate ? p->user_id : 0);
    if (rc == JG_CONFLICT)
        return stale(w);
    if (rc == JG_OK)
        rc = log_line(c, w->req, t->instance_id, t->id, t->node, delegate ? "delegate" : "transfer",
                      w->opinion, to.username, w->now);
    return rc;
}

/* Whether completing node (of m) reaches the next user tasks through splitting gateways only:
 * past a join, a service task or an end, a step cannot be taken back. */
static int withdrawable(const jg_flow_model *m, int node, int depth)
{
    const jg_flow_node *n = &m->nodes[node];
    if (depth > 0 && n->kind == JG_NODE_USER)
        return 1;
    if (depth > 0 &&
        !((n->kind == JG_NODE_XOR || n->kind == JG_NODE_AND || n->kind == JG_NODE_OR) && n->nin <= 1))
        return 0;
    if (depth > 32)
        return 0;
    for (int i = 0; i < n->nout; i++)
        if (!withdrawable(m, m->edges[n->out[i]].target, depth + 1))
            return 0;
    return n->nout > 0;
}

static jg_rc withdraw_tx(jg_conn *c, task_op *w, const task_info *t)
{
    const jg_principal *p = who(w->req);
    if (t->done_by != p->user_id)
        return t->open ? jg_refuse(&w->why, JG_INVALID, NULL, "任务尚未办理，无需撤回") : no_task(w);
    if (!t->running)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "流程已结束，不能撤回");
    const jg_flow_model *m;
    jg_rc rc = jg_flow_model_get(c, t->definition, &m);
    if (rc != JG_OK)
        return rc;
    int node = jg_flow_node_index(m, t->node);
    if (node >= 0 && m->nodes[node].sign != JG_SIGN_NONE)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "会签环节的签署不能撤回");
    if (node < 0 || !withdrawable(m, node, 0))
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "该环节之后已自动执行了其他步骤，不能撤回");
    jg_rows *r;
    jg_value p1[] = {JG_VINT(t->id)};
    rc = jg_db_query(c, "SELECT state, version FROM flow_task WHERE from_task_id = $1", p1, 1, &r);
    if (rc != JG_OK)
        return rc;
    int n = jg_rows_count(r), untouched = n > 0;
    for (int i = 0; i < n; i++)
        untouched &= strcmp(jg_rows_text(r, i, 0), "open") == 0 && jg_rows_int(r, i, 1) == 1;
    jg_rows_free(r);
    if (!untouched)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "下一环节已签收或办理，不能撤回");
    int64_t changed = 0;
    jg_value p2[] = {JG_VTEXT(w->now), JG_VINT(t->id)};
    rc = jg_db_exec(c,
                    "UPDATE flow_task SET state = 'cancelled', done_at = $1, action = 'withdrawn',"
                    " version = version + 1 WHERE from_task_id = $2 AND state = 'open' AND version = 1",
                    p2, 2, &changed);
    if (rc == JG_OK && changed != n)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "下一环节已签收或办理，不能撤回");
    if (rc == JG_OK)
        rc = jg_db_exec(
            c, "DELETE FROM flow_token WHERE id IN (SELECT token_id FROM flow_task WHERE from_task_id = $1)",
            p1, 1, NULL);
    if (rc == JG_OK)
        rc = log_line(c, w->req, t->instance_id, t->id, t->node, "withdraw", w->opinion, NULL, w->now);
    jg_flow_op op = {.req = w->req, .why = &w->why, .instance_id = t->instance_id};
    if (rc == JG_OK)
        rc = jg_flow_enter(c, &op, t->node);
    /* The step comes back to its actor alone. */
    jg_value p3[] = {JG_VINT(t->instance_id), JG_VTEXT(t->node)};
    if (rc == JG_OK) {
        rc = jg_db_query(
            c, "SELECT max(id) FROM flow_task WHERE instance_id = $1 AND node = $2 AND state = 'open'", p3, 2,
            &r);
        if (rc == JG_OK) {
            w->new_task = jg_rows_int(r, 0, 0);
            jg_rows_free(r);
            rc = assign(c, w->new_task, 1, p->user_id, 0);
        }
    }
    return rc;
}

static jg_rc copy_tx(jg_conn *c, task_op *w, const task_info *t)
{
    const jg_principal *p = who(w->req);
    if (!t->mine && t->done_by != p->user_id)
        return no_task(w);
    size_t i;
    json_t *v;
    json_array_foreach(w->users, i, v)
    {
        int64_t id = json_integer_value(v);
        user_info u;
        jg_rc rc = load_user(c, w->req, id, &u);
        if (rc == JG_NOTFOUND || (rc == JG_OK && (!u.active || id == p->user_id)))
            return jg_refuse(
                &w->why, JG_INVALID, "users",
                jg_arena_printf(w->req->arena, "用户 %lld 不存在、已停用或是您本人", (long long)id));
        if (rc != JG_OK)
            return rc;
        /* A copy shows the history: to government staff, or to the applicant's own users. */
        if (strcmp(u.kind, "government") != 0 && (u.enterprise == 0 || u.enterprise != t->applicant))
            return jg_refuse(&w->why, JG_INVALID, "users",
                             jg_arena_printf(w->req->arena,
                                             "不能抄送给 %s：只能抄送给政府工作人员或申报单位人员", u.name));
        int64_t added = 0;
        jg_value q[] = {JG_VINT(t->instance_id),
                        JG_VINT(t->id),
                        JG_VINT(p->user_id),
                        JG_VINT(id),
                        w->opinion != NULL ? JG_VTEXT(w->opinion) : JG_VNULL,
                        JG_VTEXT(w->now)};
        rc = jg_db_exec(c,
                        "INSERT INTO flow_copy (instance_id, task_id, from_user, to_user, note, created_at)"
                        " SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM flow_copy WHERE"
                        " instance_id = $1 AND task_id = $2 AND to_user = $4)",
                        q, 6, &added);
        if (rc == JG_OK && added > 0) {
            w->copied++;
            rc = log_line(c, w->req, t->instance_id, t->id, t->node, "copy", w->opinion, u.username, w->now);
        }
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static const char *const op_names[] = {"claim", "release", "transfer", "delegate", "withdraw", "copy"};

static jg_rc task_op_tx(jg_conn *c, void *ud)
{
    task_op *w = ud;
    w->new_task = 0;
    w->copied = 0;
    task_info t;
    jg_rc rc = load_task(c, w->req, w->task_id, &t);
    if (rc == JG_NOTFOUND || (rc == JG_OK && !visible(w->req, &t)))
        return no_task(w);
    if (rc != JG_OK)
        return rc;
    if (w->kind != OP_WITHDRAW && w->kind != OP_COPY && !t.open)
        return stale(w);
    if (w->kind != OP_WITHDRAW && w->kind != OP_COPY && w->kind != OP_RELEASE && !t.mine && t.assignee != 0)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "该任务已由他人签收或办理");
    switch (w->kind) {
    case OP_CLAIM:
        rc = claim_tx(c, w, &t);
        break;
    case OP_RELEASE:
        rc = release_tx(c, w, &t);
        break;
    case OP_TRANSFER:
    case OP_DELEGATE:
        rc = hand_over_tx(c, w, &t);
        break;
    case OP_WITHDRAW:
        rc = withdraw_tx(c, w, &t);
        break;
    case OP_COPY:
        rc = copy_tx(c, w, &t);
        break;
    }
    if (rc == JG_OK) {
        json_t *d = json_pack("{s:I, s:s}", "instance_id", (json_int_t)t.instance_id, "node", t.node);
        if (w->target > 0)
            json_object_set_new(d, "to_user_id", json_integer(w->target));
        if (w->users != NULL)
            json_object_set(d, "users", w->users);
        rc = audit(c, w->req, jg_arena_printf(w->req->arena, "flow_%s", op_names[w->kind]), "flow_task", t.id,
                   d);
    }
    return rc;
}

/* The task's row after an operation, as the task lists show it. */
static json_t *task_json(jg_req *req, int64_t id)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    if (jg_db_read(req->app->db,
                   "SELECT id, instance_id, node, name, state, assignee_id, pooled, delegated_by, version"
                   " FROM flow_task WHERE id = $1",
                   p, 1, &r) != JG_OK)
        return json_object();
    json_t *o = jg_rows_count(r) == 1 ? jg_json_row(r, 0) : json_object();
    jg_rows_free(r);
    return o;
}

/* Parse the body of a task operation: version (unless withdraw or copy), user_id (transfer,
 * delegate), users (copy), opinion (optional). */
static jg_rc task_op_run(jg_req *req, jg_resp *resp, op_kind kind)
{
    task_op w = {.req = req, .kind = kind};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &w.task_id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NO_TASK);
    json_t *b = req->json, *fields = json_object();
    json_t *version = json_object_get(b, "version"), *user = json_object_get(b, "user_id"),
           *opinion = json_object_get(b, "opinion"), *users = json_object_get(b, "users");
    int versioned = kind != OP_WITHDRAW && kind != OP_COPY;
    if (versioned && (!json_is_integer(version) || json_integer_value(version) <= 0))
        jg_field_error(fields, "version", "请提交任务的版本号（version）");
    if ((kind == OP_TRANSFER || kind == OP_DELEGATE) &&
        (!json_is_integer(user) || json_integer_value(user) <= 0))
        jg_field_error(fields, "user_id", kind == OP_TRANSFER ? "请选择转办给谁" : "请选择委托给谁");
    if (kind == OP_COPY) {
        size_t i;
        json_t *v;
        if (!json_is_array(users) || json_array_size(users) == 0 || json_array_size(users) > MAX_COPY_USERS)
            jg_field_error(fields, "users", "请选择抄送人员（1 至 50 人）");
        else
            json_array_foreach(users, i, v) if (!json_is_integer(v) || json_integer_value(v) <= 0)
                jg_field_error(fields, "users", "抄送人员应为用户编号");
    }
    if (opinion != NULL && !json_is_null(opinion) &&
        (!json_is_string(opinion) || jg_utf8_chars(json_string_value(opinion)) > JG_FLOW_OPINION_MAX_CHARS))
        jg_field_error(fields, "opinion", "意见应为不超过 2000 字的文本");
    static const char *const allowed_v[] = {"version", "opinion", NULL};
    static const char *const allowed_u[] = {"version", "user_id", "opinion", NULL};
    static const char *const allowed_w[] = {"opinion", NULL};
    static const char *const allowed_c[] = {"users", "opinion", NULL};
    jg_field_unknown(b,
                     kind == OP_TRANSFER || kind == OP_DELEGATE ? allowed_u
                     : kind == OP_WITHDRAW                      ? allowed_w
                     : kind == OP_COPY                          ? allowed_c
                                                                : allowed_v,
                     fields);
    if (jg_resp_fields(req, resp, "提交内容不正确", fields) != JG_OK)
        return JG_INVALID;
    w.version = json_integer_value(version);
    w.target = json_integer_value(user);
    w.opinion = json_string_value(opinion);
    w.users = kind == OP_COPY ? users : NULL;
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, task_op_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    if (kind == OP_COPY)
        return jg_resp_json(req, resp, 200, json_pack("{s:i}", "copied", w.copied));
    return jg_resp_json(req, resp, 200, task_json(req, w.new_task > 0 ? w.new_task : w.task_id));
}

jg_rc jg_flow_h_claim(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_CLAIM);
}

jg_rc jg_flow_h_release(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_RELEASE);
}

jg_rc jg_flow_h_transfer(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_TRANSFER);
}

jg_rc jg_flow_h_delegate(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_DELEGATE);
}

jg_rc jg_flow_h_withdraw(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_WITHDRAW);
}

jg_rc jg_flow_h_copy(jg_req *req, jg_resp *resp)
{
    return task_op_run(req, resp, OP_COPY);
}

/* ---- completion with successors, signature and delegation ---- */

/* *yes = 1 when node of deployed definition requires a signed opinion (jg:sign="required"). */
static jg_rc sign_required(jg_conn *c, int64_t definition, const char *node, int *yes)
{
    const jg_flow_model *m;
    jg_rc rc = jg_flow_model_get(c, definition, &m);
    if (rc != JG_OK)
        return rc;
    int i = jg_flow_node_index(m, node);
    *yes = i >= 0 && m->nodes[i].sign_required;
    return JG_OK;
}

jg_rc jg_flow_complete_task(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *action,
                            const char *opinion, const char *signature)
{
    jg_req *req = op->req;
    jg_rows *r;
    jg_value p[] = {JG_VINT(task_id)};
    jg_rc rc =
        jg_db_query(c,
                    "SELECT t.instance_id, COALESCE(t.delegated_by, 0), (SELECT max(u.id) FROM flow_task u"
                    " WHERE u.instance_id = t.instance_id), i.definition_id, t.node FROM flow_task t"
                    " JOIN flow_instance i ON i.id = t.instance_id WHERE t.id = $1",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_refuse(op->why, JG_NOTFOUND, NULL, "待办任务不存在");
    }
    int64_t instance = jg_rows_int(r, 0, 0), delegated_by = jg_rows_int(r, 0, 1), last = jg_rows_int(r, 0, 2);
    int must_sign = 0;
    if (signature == NULL)
        rc = sign_required(c, jg_rows_int(r, 0, 3), jg_rows_text(r, 0, 4), &must_sign);
    jg_rows_free(r);
    if (rc != JG_OK)
        return rc;
    if (must_sign)
        return jg_refuse(op->why, JG_INVALID, "signature", "此环节须电子签名，请签名后再提交");
    int64_t key_id = 0;
    rc = jg_flow_complete(c, op, task_id, version, action, opinion);
    if (rc == JG_OK && signature != NULL)
        rc = jg_flow_sign_check(req, c, who(req)->user_id, task_id, action, opinion, signature, &key_id,
                                op->why);
    jg_value q[] = {JG_VINT(task_id), JG_VINT(instance), JG_VINT(last)};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "UPDATE flow_task SET from_task_id = $1 WHERE instance_id = $2 AND id > $3", q, 3,
                        NULL);
    if (rc == JG_OK && (delegated_by > 0 || key_id > 0)) {
        jg_value s[] = {delegated_by > 0 ? JG_VINT(delegated_by) : JG_VINT(0),
                        signature != NULL ? JG_VTEXT(signature) : JG_VNULL,
                        key_id > 0 ? JG_VINT(key_id) : JG_VNULL, JG_VINT(task_id)};
        rc = jg_db_exec(c,
                        "UPDATE flow_log SET on_behalf_of = (SELECT username FROM app_user WHERE id = $1),"
                        " signature = $2, sign_key_id = $3 WHERE task_id = $4 AND action LIKE 'complete:%'",
                        s, 4, NULL);
    }
    if (rc == JG_OK)
        rc = audit(c, req, "flow_complete", "flow_task", task_id,
                   json_pack("{s:I, s:s?, s:s?, s:b, s:I}", "instance_id", (json_int_t)instance, "action",
                             action, "opinion", opinion, "signed", key_id > 0, "on_behalf_of",
                             (json_int_t)delegated_by));
    return rc;
}

/* ---- bulk approve ---- */

struct bulk_one {
    jg_flow_op op;
    jg_refusal why;
    int64_t id, version;
    const char *action, *opinion;
};

static jg_rc bulk_tx(jg_conn *c, void *ud)
{
    struct bulk_one *b = ud;
    b->why = (jg_refusal){0};
    return jg_flow_complete_task(c, &b->op, b->id, b->version, b->action, b->opinion, NULL);
}

/* POST /api/v1/flow/tasks/bulk {"tasks":[{"id","version"}…], "action"?, "opinion"?}: each task
 * in its own transaction; the answer says, per task, ok or why not. */
jg_rc jg_flow_h_bulk(jg_req *req, jg_resp *resp)
{
    json_t *b = req->json, *fields = json_object();
    json_t *list = json_object_get(b, "tasks"), *action = json_object_get(b, "action"),
           *opinion = json_object_get(b, "opinion");
    if (!json_is_array(list) || json_array_size(list) == 0)
        jg_field_error(fields, "tasks", "请选择要办理的任务");
    else if (json_array_size(list) > JG_FLOW_BULK_MAX)
        jg_field_error(fields, "tasks", "一次最多批量办理 500 件");
    else {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            json_t *id = json_object_get(v, "id"), *ver = json_object_get(v, "version");
            if (!json_is_object(v) || !json_is_integer(id) || json_integer_value(id) <= 0 ||
                !json_is_integer(ver) || json_integer_value(ver) <= 0 || json_object_size(v) != 2)
                jg_field_error(fields, "tasks", "每项应为 {\"id\": 任务编号, \"version\": 版本号}");
        }
    }
    if (action != NULL && !json_is_null(action) &&
        (!json_is_string(action) || json_string_length(action) == 0 || json_string_length(action) > 40))
        jg_field_error(fields, "action", "办理动作不正确");
    if (opinion != NULL && !json_is_null(opinion) &&
        (!json_is_string(opinion) || jg_utf8_chars(json_string_value(opinion)) > JG_FLOW_OPINION_MAX_CHARS))
        jg_field_error(fields, "opinion", "办理意见应为不超过 2000 字的文本");
    static const char *const allowed[] = {"tasks", "action", "opinion", NULL};
    jg_field_unknown(b, allowed, fields);
    if (jg_resp_fields(req, resp, "批量办理内容不正确", fields) != JG_OK)
        return JG_INVALID;
    json_t *results = json_array();
    int ok = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        struct bulk_one one = {.op = {.req = req},
                               .id = json_integer_value(json_object_get(v, "id")),
                               .version = json_integer_value(json_object_get(v, "version")),
                               .action = json_string_value(action),
                               .opinion = json_string_value(opinion)};
        one.op.why = &one.why;
        jg_rc rc = jg_db_tx(req->app->db, bulk_tx, &one);
        if (rc == JG_OK) {
            ok++;
            json_array_append_new(results,
                                  json_pack("{s:I, s:b, s:s}", "id", (json_int_t)one.id, "ok", 1, "state",
                                            one.op.state != NULL ? one.op.state : "running"));
        } else {
            const char *msg = one.why.message != NULL ? one.why.message : "办理失败，请稍后再试";
            json_array_append_new(results, json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t)one.id, "ok",
                                                     0, "code", jg_rc_name(rc), "message", msg));
        }
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:i, s:i, s:o}", "ok", ok, "failed", (int)json_array_size(results) - ok,
                                  "results", results));
}

/* ---- operations on an instance: terminate, green channel ---- */

typedef struct {
    jg_req *req;
    jg_refusal why;
    int64_t id;
    const char *opinion, *node, *state;
    char now[32];
} inst_op;

typedef struct {
    int64_t definition, record_id;
    const jg_record_kind *k;
    int running;
} inst_info;

/* Instance id, when the caller may read its record. */
static jg_rc load_instance(jg_conn *c, inst_op *w, inst_info *out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(w->id)};
    jg_rc rc = jg_db_query(
        c, "SELECT definition_id, entity, record_id, state FROM flow_instance WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const jg_entity *e =
        jg_rows_count(r) == 1 ? jg_entity_find(&jg_records_of(w->req)->set, jg_rows_text(r, 0, 1)) : NULL;
    out->k = e != NULL ? jg_record_kind_for(w->req, e) : NULL;
    if (out->k != NULL) {
        out->definition = jg_rows_int(r, 0, 0);
        out->record_id = jg_rows_int(r, 0, 2);
        out->running = strcmp(jg_rows_text(r, 0, 3), "running") == 0;
    }
    jg_rows_free(r);
    jg_rows *rec = NULL;
    if (out->k == NULL || !jg_principal_can(who(w->req), e->perm_read) ||
        jg_record_fetch(w->req, c, out->k, out->record_id, &rec) != JG_OK)
        return jg_refuse(&w->why, JG_NOTFOUND, NULL, "流程实例不存在");
    jg_rows_free(rec);
    if (!out->running)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "流程已结束");
    return JG_OK;
}

/* Cancel what is open of the instance: its tasks and tokens. */
static jg_rc cancel_all(jg_conn *c, inst_op *w, const char *why)
{
    jg_value p[] = {JG_VTEXT(w->now), JG_VTEXT(why), JG_VINT(w->id)};
    jg_rc rc = jg_db_exec(
        c,
        "UPDATE flow_task SET state = 'cancelled', done_at = $1, action = $2, version = version + 1"
        " WHERE instance_id = $3 AND state = 'open'",
        p, 3, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM flow_token WHERE instance_id = $1", p + 2, 1, NULL);
    return rc;
}

/* The record moves to state, with a line in its history (as the process moves it). */
static jg_rc record_state(jg_conn *c, inst_op *w, const jg_entity *e, int64_t id, const char *state)
{
    jg_buf sql; /* the table name comes from the definition, never from a request */
    jg_buf_init(&sql, 512);
    jg_buf_puts(&sql, "SELECT state FROM ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql, " WHERE id = $1");
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_query(c, sql.data, p, 1, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    const char *old = jg_rows_count(r) == 1 ? jg_arena_strdup(w->req->arena, jg_rows_text(r, 0, 0)) : NULL;
    jg_rows_free(r);
    if (old == NULL || strcmp(old, state) == 0)
        return JG_OK;
    const jg_principal *pr = who(w->req);
    jg_buf_init(&sql, 512);
    jg_buf_puts(&sql, "UPDATE ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql,
                " SET state = $1, version = version + 1, updated_by = $2, updated_at = $3 WHERE id = $4");
    jg_value u[] = {JG_VTEXT(state), JG_VINT(pr->user_id), JG_VTEXT(w->now), JG_VINT(id)};
    rc = jg_db_exec(c, sql.data, u, 4, NULL);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *o = json_string(old), *n = json_string(state);
    char *ot = json_dumps(o, JSON_ENCODE_ANY), *nt = json_dumps(n, JSON_ENCODE_ANY);
    jg_value h[] = {JG_VTEXT(e->name),      JG_VINT(id),     JG_VTEXT(ot), JG_VTEXT(nt), JG_VINT(pr->user_id),
                    JG_VTEXT(pr->username), JG_VTEXT(w->now)};
    rc = jg_db_exec(
        c,
        "INSERT INTO entity_history (entity, record_id, field, old_value, new_value, user_id, username,"
        " at, action) VALUES ($1, $2, 'state', $3, $4, $5, $6, $7, 'flow')",
        h, 7, NULL);
    free(ot);
    free(nt);
    json_decref(o);
    json_decref(n);
    return rc;
}

/* Terminate (终止): open tasks are cancelled, the instance ends as terminated, and its record moves
 * to its entity's state "terminated" when the definition has one, else back to its first state
 * (草稿), from which it may be corrected and submitted again. */
static jg_rc terminate_tx(jg_conn *c, void *ud)
{
    inst_op *w = ud;
    inst_info in;
    jg_rc rc = load_instance(c, w, &in);
    if (rc != JG_OK)
        return rc;
    rc = cancel_all(c, w, "terminated");
    int64_t changed = 0;
    jg_value p[] = {JG_VTEXT(w->now), JG_VINT(w->id)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "UPDATE flow_instance SET state = 'terminated', ended_at = $1 WHERE id = $2 AND"
                        " state = 'running'",
                        p, 2, &changed);
    if (rc == JG_OK && changed != 1)
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "流程已结束");
    const jg_entity *e = in.k->e;
    w->state = e->states[0].name;
    for (int i = 0; i < e->nstates; i++)
        if (strcmp(e->states[i].name, "terminated") == 0)
            w->state = e->states[i].name;
    if (rc == JG_OK)
        rc = record_state(c, w, e, in.record_id, w->state);
    if (rc == JG_OK)
        rc = log_line(c, w->req, w->id, 0, "-", "terminate", w->opinion, NULL, w->now);
    if (rc == JG_OK)
        rc = audit(c, w->req, "flow_terminate", "flow_instance", w->id,
                   json_pack("{s:s, s:s}", "opinion", w->opinion, "record_state", w->state));
    return rc;
}

/* Fewest flows from the start to each node (-1: unreachable), into depth (m->nnodes). */
static void depths(const jg_flow_model *m, int *depth, int *queue)
{
    for (int i = 0; i < m->nnodes; i++)
        depth[i] = -1;
    int head = 0, tail = 0;
    depth[m->start] = 0;
    queue[tail++] = m->start;
    while (head < tail) {
        const jg_flow_node *n = &m->nodes[queue[head]];
        int d = depth[queue[head++]];
        for (int i = 0; i < n->nout; i++) {
            int t = m->edges[n->out[i]].target;
            if (depth[t] < 0) {
                depth[t] = d + 1;
                queue[tail++] = t;
            }
        }
    }
}

/* Green channel (绿色通道): the instance jumps to a later user task — further from the start, by
 * the fewest flows, than every step open now —, skipping what lies between. */
static jg_rc jump_tx(jg_conn *c, void *ud)
{
    inst_op *w = ud;
    inst_info in;
    jg_rc rc = load_instance(c, w, &in);
    const jg_flow_model *m = NULL;
    if (rc == JG_OK)
        rc = jg_flow_model_get(c, in.definition, &m);
    if (rc != JG_OK)
        return rc;
    int target = jg_flow_node_index(m, w->node);
    if (target < 0 || m->nodes[target].kind != JG_NODE_USER)
        return jg_refuse(&w->why, JG_INVALID, "node", "目标环节不存在或不是人工办理环节");
    int *depth = jg_arena_alloc(w->req->arena, sizeof(int) * (size_t)m->nnodes * 2);
    depths(m, depth, depth + m->nnodes);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w->id)};
    rc = jg_db_query(c, "SELECT DISTINCT node FROM flow_task WHERE instance_id = $1 AND state = 'open'", p, 1,
                     &r);
    if (rc != JG_OK)
        return rc;
    int later = 1;
    json_t *from = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        int n = jg_flow_node_index(m, jg_rows_text(r, i, 0));
        later &= n >= 0 && depth[n] < depth[target];
        json_array_append_new(from, json_string(jg_rows_text(r, i, 0)));
    }
    jg_rows_free(r);
    if (!later || json_array_size(from) == 0) {
        json_decref(from);
        return jg_refuse(&w->why, JG_INVALID, "node", "只能跳转到当前环节之后的环节");
    }
    rc = cancel_all(c, w, "skipped");
    if (rc == JG_OK)
        rc = log_line(c, w->req, w->id, 0, w->node, "green_channel", w->opinion, NULL, w->now);
    jg_flow_op op = {.req = w->req, .why = &w->why, .instance_id = w->id};
    if (rc == JG_OK)
        rc = jg_flow_enter(c, &op, w->node);
    if (rc == JG_OK)
        rc = audit(c, w->req, "flow_green_channel", "flow_instance", w->id,
                   json_pack("{s:o, s:s, s:s}", "from", from, "to", w->node, "opinion", w->opinion));
    else
        json_decref(from);
    return rc;
}

static jg_rc inst_op_run(jg_req *req, jg_resp *resp, int jump)
{
    inst_op w = {.req = req};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "流程实例不存在");
    json_t *b = req->json, *fields = json_object();
    json_t *opinion = json_object_get(b, "opinion"), *node = json_object_get(b, "node");
    if (!json_is_string(opinion) || json_string_length(opinion) == 0 ||
        jg_utf8_chars(json_string_value(opinion)) > JG_FLOW_OPINION_MAX_CHARS)
        jg_field_error(fields, "opinion",
                       jump ? "请填写走绿色通道的理由（不超过 2000 字）"
                            : "请填写终止理由（不超过 2000 字）");
    if (jump &&
        (!json_is_string(node) || json_string_length(node) == 0 || json_string_length(node) > JG_BPMN_ID_MAX))
        jg_field_error(fields, "node", "请选择跳转到的环节");
    static const char *const allowed_t[] = {"opinion", NULL};
    static const char *const allowed_j[] = {"opinion", "node", NULL};
    jg_field_unknown(b, jump ? allowed_j : allowed_t, fields);
    if (jg_resp_fields(req, resp, "提交内容不正确", fields) != JG_OK)
        return JG_INVALID;
    w.opinion = json_string_value(opinion);
    w.node = json_string_value(node);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, jump ? jump_tx : terminate_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w.id)};
    rc = jg_db_read(req->app->db,
                    "SELECT i.id, i.state, (SELECT count(*) FROM flow_task t WHERE t.instance_id = i.id AND"
                    " t.state = 'open') AS open_tasks FROM flow_instance i WHERE i.id = $1",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o = jg_json_row(r, 0);
    jg_rows_free(r);
    if (w.state != NULL)
        json_object_set_new(o, "record_state", json_string(w.state));
    return jg_resp_json(req, resp, 200, o);
}

jg_rc jg_flow_h_terminate(jg_req *req, jg_resp *resp)
{
    return inst_op_run(req, resp, 0);
}

jg_rc jg_flow_h_jump(jg_req *req, jg_resp *resp)
{
    return inst_op_run(req, resp, 1);
}
