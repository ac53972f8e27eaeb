/* Running processes (run.h): moving tokens through a model inside one transaction. */
#include "engine/flow/run.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "engine/flow/actions.h"
#include "engine/flow/calendar.h"
#include "platform/session.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STEPS 1000  /* automatic steps in one operation: more means a loop without a user task */
#define MAX_SIGNERS 200 /* signers of one 会签 step */

/* ---- models, by definition id (a deployed version never changes; kept until exit) ---- */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached {
    int64_t id;
    jg_flow_model *m;
} * cache;
static int ncache, capcache;

static const jg_flow_model *cached(int64_t id)
{
    const jg_flow_model *m = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < ncache && m == NULL; i++)
        if (cache[i].id == id)
            m = cache[i].m;
    pthread_mutex_unlock(&cache_lock);
    return m;
}

static jg_rc model_of(jg_conn *c, int64_t definition_id, const jg_flow_model **out)
{
    *out = cached(definition_id);
    if (*out != NULL)
        return JG_OK;
    jg_rows *r;
    jg_value p[] = {JG_VINT(definition_id)};
    jg_rc rc = jg_db_query(c, "SELECT xml FROM flow_definition WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    const char *xml = jg_rows_text(r, 0, 0);
    jg_flow_model *m = jg_xcalloc(1, sizeof(*m));
    char err[512];
    rc = jg_bpmn_load(xml, strlen(xml), m, err, sizeof(err));
    jg_rows_free(r);
    if (rc != JG_OK) {
        jg_error("flow: definition %lld no longer loads: %s", (long long)definition_id, err);
        free(m);
        return JG_ERR;
    }
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < ncache && *out == NULL; i++) /* another thread was quicker */
        if (cache[i].id == definition_id)
            *out = cache[i].m;
    if (*out == NULL) {
        if (ncache == capcache) {
            capcache = capcache > 0 ? capcache * 2 : 16;
            cache = jg_xrealloc(cache, sizeof(*cache) * (size_t)capcache);
        }
        cache[ncache].id = definition_id;
        cache[ncache++].m = m;
        *out = m;
        m = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    if (m != NULL) {
        jg_flow_model_free(m);
        free(m);
    }
    return JG_OK;
}

/* ---- one operation ---- */

typedef struct {
    jg_conn *c;
    jg_flow_op *op;
    const jg_principal *who;
    const jg_flow_model *m;
    const jg_record_kind *k; /* the record's kind */
    int64_t record_id;
    json_t *record; /* the record as the API shows it, for conditions */
    const char *org_code;
    int64_t enterprise_id, started_by;
    const char *action; /* of the task being completed, for conditions */
    char now[32];
    int steps;
    int64_t last_task;         /* the first task the last enter_user_task opened */
    const unsigned char *back; /* back_of(): the flows that close a loop */
    jg_cal cal;                /* the working-day calendar, in the request's arena (cal_loaded) */
    int cal_loaded;
} run;

static jg_rc refuse(run *x, jg_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static jg_rc refuse(run *x, jg_rc rc, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return jg_refuse(x->op->why, rc, NULL, jg_arena_strdup(x->op->req->arena, msg));
}

static jg_rc log_step(run *x, int64_t task_id, const char *node, const char *action, const char *opinion)
{
    jg_value p[] = {JG_VINT(x->op->instance_id),
                    task_id > 0 ? JG_VINT(task_id) : JG_VNULL,
                    JG_VTEXT(node),
                    JG_VTEXT(action),
                    x->who != NULL ? JG_VINT(x->who->user_id) : JG_VNULL,
                    x->who != NULL ? JG_VTEXT(x->who->username) : JG_VNULL,
                    opinion != NULL ? JG_VTEXT(opinion) : JG_VNULL,
                    JG_VTEXT(x->now)};
    return jg_db_exec(
        x->c,
        "INSERT INTO flow_log (instance_id, task_id, node, action, user_id, username, opinion, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        p, 8, NULL);
}

/* The record moves to state (a jg:state of the model), with a line in its history. */
static jg_rc set_state(run *x, const char *state)
{
    const char *old = json_string_value(json_object_get(x->record, "state"));
    if (old != NULL && strcmp(old, state) == 0)
        return JG_OK;
    const jg_entity *e = x->k->e;
    jg_buf sql; /* the table name comes from the definition, never from a request */
    jg_buf_init(&sql, 512);
    jg_buf_puts(&sql, "UPDATE ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql,
                " SET state = $1, version = version + 1, updated_by = $2, updated_at = $3 WHERE id = $4");
    jg_value p[] = {JG_VTEXT(state), x->who != NULL ? JG_VINT(x->who->user_id) : JG_VNULL, JG_VTEXT(x->now),
                    JG_VINT(x->record_id)};
    jg_rc rc = jg_db_exec(x->c, sql.data, p, 4, NULL);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *o = json_string(old != NULL ? old : ""), *n = json_string(state);
    char *ot = json_dumps(o, JSON_ENCODE_ANY), *nt = json_dumps(n, JSON_ENCODE_ANY);
    jg_value h[] = {JG_VTEXT(e->name),
                    JG_VINT(x->record_id),
                    JG_VTEXT(ot),
                    JG_VTEXT(nt),
                    x->who != NULL ? JG_VINT(x->who->user_id) : JG_VNULL,
                    x->who != NULL ? JG_VTEXT(x->who->username) : JG_VNULL,
                    JG_VTEXT(x->now)};
    rc = jg_db_exec(
        x->c,
        "INSERT INTO entity_history (entity, record_id, field, old_value, new_value, user_id, username, at,"
        " action) VALUES ($1, $2, 'state', $3, $4, $5, $6, $7, 'flow')",
        h, 7, NULL);
    free(ot);
    free(nt);
    json_decref(o);
    json_decref(n);
    json_object_set_new(x->record, "state", json_string(state));
    return rc;
}

/* The region of the station at level for a record in org_code: county the record's own
 * (6 digits, or the code itself when shorter), city its first 4, province 35. */
static const char *level_org(run *x, const char *level)
{
    const char *org = x->org_code != NULL ? x->org_code : "35";
    size_t keep = strcmp(level, "city") == 0 ? 4 : strcmp(level, "province") == 0 ? 2 : 6;
    return jg_arena_strndup(x->op->req->arena, org, strlen(org) < keep ? strlen(org) : keep);
}

/* x->now + days (working days by the calendar: weekends, holidays and 调休) or + seconds, as ISO. */
static jg_rc due_of(run *x, int days, int working, int64_t seconds, char *out, size_t len)
{
    int64_t t;
    if (!jg_time_parse_iso(x->now, &t)) {
        snprintf(out, len, "%s", x->now);
        return JG_OK;
    }
    if (working && !x->cal_loaded) {
        jg_cal cal;
        jg_rc rc = jg_cal_load(x->c, &cal);
        if (rc != JG_OK)
            return rc;
        x->cal.days = jg_arena_alloc(x->op->req->arena, sizeof(*cal.days) * ((size_t)cal.n + 1));
        memcpy(x->cal.days, cal.days, sizeof(*cal.days) * (size_t)cal.n);
        x->cal.n = cal.n;
        x->cal_loaded = 1;
        jg_cal_free(&cal);
    }
    t = working ? jg_cal_add_workdays(&x->cal, t, days) : t + (int64_t)days * 86400 + seconds;
    time_t tt = (time_t)t;
    struct tm w;
    gmtime_r(&tt, &w);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &w);
    return JG_OK;
}

/* The one integer the query answers (a count, or the id of RETURNING id). */
static jg_rc one_int(run *x, const char *sql, const jg_value *p, int n, int64_t *out)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(x->c, sql, p, n, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return JG_OK;
}

/* ---- the graph without its loops: what comes after what ---- */

/* The flows of x->m that go back to a node on the way to them (rework loops: 补正 and resubmit),
 * by a depth-first walk from the start event. Without them the process is acyclic. */
static const unsigned char *back_of(run *x)
{
    if (x->back != NULL)
        return x->back;
    const jg_flow_model *m = x->m;
    jg_arena *a = x->op->req->arena;
    unsigned char *back = jg_arena_zalloc(a, (size_t)m->nedges + 1),
                  *color = jg_arena_zalloc(a, (size_t)m->nnodes);
    int *stack = jg_arena_zalloc(a, sizeof(int) * (size_t)m->nnodes),
        *pos = jg_arena_zalloc(a, sizeof(int) * (size_t)m->nnodes);
    int sp = 0;
    stack[sp++] = m->start;
    color[m->start] = 1;
    while (sp > 0) {
        int v = stack[sp - 1];
        if (pos[v] < m->nodes[v].nout) {
            int e = m->nodes[v].out[pos[v]++], w = m->edges[e].target;
            if (color[w] == 1)
                back[e] = 1;
            else if (color[w] == 0) {
                color[w] = 1;
                stack[sp++] = w;
            }
        } else {
            color[v] = 2;
            sp--;
        }
    }
    x->back = back;
    return back;
}

/* mark[k] = 1 for every node after node from (by forward flows and boundary timers; from itself
 * is not after itself). mark has room for x->m->nnodes. */
static void after_of(run *x, int from, unsigned char *mark)
{
    const jg_flow_model *m = x->m;
    const unsigned char *back = back_of(x);
    int *q = jg_arena_alloc(x->op->req->arena, sizeof(int) * ((size_t)m->nnodes + 1)), h = 0, t = 0;
    memset(mark, 0, (size_t)m->nnodes);
    q[t++] = from;
    while (h < t) {
        const jg_flow_node *v = &m->nodes[q[h++]];
        for (int i = 0; i < v->nout + v->ntimers; i++) {
            int w =
                i < v->nout ? (back[v->out[i]] ? -1 : m->edges[v->out[i]].target) : v->timers[i - v->nout];
            if (w >= 0 && !mark[w] && w != from) {
                mark[w] = 1;
                q[t++] = w;
            }
        }
    }
}

/* A token of the instance at node n, arrived by edge (or none: -1). */
static jg_rc put_token(run *x, const jg_flow_node *n, int edge, int64_t *id)
{
    jg_value p[] = {JG_VINT(x->op->instance_id), JG_VTEXT(n->id),
                    edge >= 0 ? JG_VTEXT(x->m->edges[edge].id) : JG_VNULL};
    return one_int(x, "INSERT INTO flow_token (instance_id, node, edge) VALUES ($1, $2, $3) RETURNING id", p,
                   3, id);
}

/* jg:level="leader": the active leader of the department of the user handing the step on. */
static jg_rc leader_of_actor(run *x, const jg_flow_node *n, int64_t *out)
{
    int64_t department = x->who != NULL ? x->who->department_id : 0;
    *out = 0;
    if (department > 0) {
        jg_rows *r;
        jg_value p[] = {JG_VINT(department)};
        jg_rc rc = jg_db_query(x->c,
                               "SELECT u.id FROM department d JOIN app_user u ON u.id = d.leader_id"
                               " AND u.status = 'active' WHERE d.id = $1",
                               p, 1, &r);
        if (rc != JG_OK)
            return rc;
        *out = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
        jg_rows_free(r);
    }
    if (*out > 0)
        return JG_OK;
    return refuse(x, JG_INVALID, "环节“%s”由部门负责人办理，但%s", n->name ? n->name : n->id,
                  department > 0 ? "办理人所在部门没有设置负责人（或负责人已停用）" : "办理人不属于任何部门");
}

/* A task at n on token for its candidates (pool), or for assignee alone (assignee > 0, !pool). */
static jg_rc new_task(run *x, const jg_flow_node *n, int64_t token, int64_t assignee, int pool, int64_t *task)
{
    const char *level = n->level != NULL ? n->level : "county";
    const char *roles = pool && n->candidate_roles != NULL
                            ? jg_arena_printf(x->op->req->arena, ",%s,", n->candidate_roles)
                            : NULL;
    int applicant = strcmp(level, "applicant") == 0, initiator = strcmp(level, "initiator") == 0;
    int leader = strcmp(level, "leader") == 0;
    if (pool && initiator)
        assignee = x->started_by;
    if (pool && leader) {
        jg_rc rc = leader_of_actor(x, n, &assignee);
        if (rc != JG_OK)
            return rc;
    }
    char due[32] = "";
    if (n->due_days > 0) {
        jg_rc rc = due_of(x, n->due_days, n->working_days, 0, due, sizeof(due));
        if (rc != JG_OK)
            return rc;
    }
    jg_value p[] = {JG_VINT(x->op->instance_id),
                    JG_VINT(token),
                    JG_VTEXT(n->id),
                    JG_VTEXT(n->name != NULL ? n->name : n->id),
                    roles != NULL ? JG_VTEXT(roles) : JG_VNULL,
                    !pool || applicant || initiator || leader ? JG_VNULL : JG_VTEXT(level_org(x, level)),
                    pool && applicant ? JG_VINT(x->enterprise_id) : JG_VNULL,
                    assignee > 0 ? JG_VINT(assignee) : JG_VNULL,
                    JG_VTEXT(x->now),
                    due[0] != '\0' ? JG_VTEXT(due) : JG_VNULL};
    return one_int(
        x,
        "INSERT INTO flow_task (instance_id, token_id, node, name, state, candidate_roles, org_code,"
        " enterprise_id, assignee_id, created_at, due_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7,"
        " $8, $9, $10) RETURNING id",
        p, 10, task);
}

/* A user id in a record value: an integer or a string of digits; 0 when none. */
static int64_t user_in(json_t *v)
{
    int64_t id;
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
    const char *s = json_string_value(v);
    return s != NULL && jg_parse_int64(s, 1, INT64_MAX, &id) == JG_OK ? id : 0;
}

/* Whether user id is an active account. */
static jg_rc user_active(run *x, int64_t id, int *yes)
{
    int64_t n = 0;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = id > 0
                   ? one_int(x, "SELECT count(*) FROM app_user WHERE id = $1 AND status = 'active'", p, 1, &n)
                   : JG_OK;
    *yes = n == 1;
    return rc;
}

static void add_signer_id(run *x, int64_t **list, int *count, int64_t id)
{
    for (int i = 0; i < *count; i++)
        if ((*list)[i] == id)
            return;
    if (*count < MAX_SIGNERS)
        (*list)[(*count)++] = id;
    (void)x;
}

/* The signers of 会签 step n, in order: the user ids in the record's jg:signersField (a JSON array
 * of ids, one id, or a text "12,15,18"), else the active holders of its candidate roles where its
 * level says (county/city/province: the station's staff; applicant: the enterprise's users). */
static jg_rc signers_of(run *x, const jg_flow_node *n, int64_t **out, int *count)
{
    *out = jg_arena_alloc(x->op->req->arena, sizeof(int64_t) * MAX_SIGNERS);
    *count = 0;
    if (n->signers_field != NULL) {
        json_t *v = json_object_get(x->record, n->signers_field), *e;
        size_t i;
        if (json_is_array(v)) {
            json_array_foreach(v, i, e) if (user_in(e) > 0) add_signer_id(x, out, count, user_in(e));
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            while (*s != '\0') {
                char *end;
                long long id = strtoll(s, &end, 10);
                if (end == s) {
                    s++;
                    continue;
                }
                if (id > 0)
                    add_signer_id(x, out, count, id);
                s = end;
            }
        } else if (user_in(v) > 0)
            add_signer_id(x, out, count, user_in(v));
        for (int k = 0; k < *count; k++) {
            int yes;
            jg_rc rc = user_active(x, (*out)[k], &yes);
            if (rc != JG_OK)
                return rc;
            if (!yes)
                return refuse(x, JG_INVALID, "会签环节 %s：会签人 %lld 不存在或已停用",
                              n->name ? n->name : n->id, (long long)(*out)[k]);
        }
        return JG_OK;
    }
    const char *level = n->level != NULL ? n->level : "county";
    if (strcmp(level, "initiator") == 0) {
        add_signer_id(x, out, count, x->started_by);
        return JG_OK;
    }
    if (strcmp(level, "leader") == 0) {
        int64_t id;
        jg_rc rc = leader_of_actor(x, n, &id);
        if (rc == JG_OK)
            add_signer_id(x, out, count, id);
        return rc;
    }
    const char *roles =
        jg_arena_printf(x->op->req->arena, ",%s,", n->candidate_roles ? n->candidate_roles : "");
    int applicant = strcmp(level, "applicant") == 0;
    jg_value p[] = {applicant ? JG_VINT(x->enterprise_id) : JG_VTEXT(level_org(x, level)), JG_VTEXT(roles),
                    JG_VINT(n->candidate_roles == NULL ? 1 : 0)};
    jg_rows *r;
    jg_rc rc =
        jg_db_query(x->c,
                    applicant ? "SELECT id FROM app_user WHERE status = 'active' AND enterprise_id = $1"
                                " AND ($3 = 1 OR $2 LIKE '%,' || role || ',%') ORDER BY id"
                              : "SELECT id FROM app_user WHERE status = 'active' AND org_code = $1"
                                " AND ($3 = 1 OR $2 LIKE '%,' || role || ',%') ORDER BY id",
                    p, 3, &r);
    if (rc != JG_OK)
        return rc;
    for (int i = 0; i < jg_rows_count(r); i++)
        add_signer_id(x, out, count, jg_rows_int(r, i, 0));
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc add_timer(run *x, int64_t token, const char *node, const char *kind, const char *due)
{
    jg_value p[] = {JG_VINT(x->op->instance_id), JG_VINT(token), JG_VTEXT(node), JG_VTEXT(kind),
                    JG_VTEXT(due)};
    return jg_db_exec(
        x->c,
        "INSERT INTO flow_timer (instance_id, token_id, node, kind, due_at) VALUES ($1, $2, $3, $4, $5)", p,
        5, NULL);
}

/* The timers of user task n entered with token: its time limit when jg:onTimeout says what then,
 * and its boundary timers. */
static jg_rc add_timers(run *x, const jg_flow_node *n, int64_t token)
{
    char due[32];
    jg_rc rc = JG_OK;
    if (n->on_timeout != NULL && n->due_days > 0) {
        rc = due_of(x, n->due_days, n->working_days, 0, due, sizeof(due));
        if (rc == JG_OK)
            rc = add_timer(x, token, n->id, "timeout", due);
    }
    for (int i = 0; i < n->ntimers && rc == JG_OK; i++) {
        const jg_flow_node *tm = &x->m->nodes[n->timers[i]];
        rc = tm->working_days ? due_of(x, tm->duration_days, 1, 0, due, sizeof(due))
                              : due_of(x, 0, 0, tm->duration_s, due, sizeof(due));
        if (rc == JG_OK)
            rc = add_timer(x, token, tm->id, "boundary", due);
    }
    return rc;
}

static jg_rc enter_user_task(run *x, int node, int edge)
{
    const jg_flow_node *n = &x->m->nodes[node];
    int64_t token, task = 0;
    jg_rc rc = put_token(x, n, edge, &token);
    if (rc != JG_OK)
        return rc;
    if (n->sign != JG_SIGN_NONE) {
        int64_t *signers;
        int count;
        rc = signers_of(x, n, &signers, &count);
        if (rc == JG_OK && count == 0)
            rc = refuse(x, JG_INVALID, "会签环节 %s 没有会签人", n->name ? n->name : n->id);
        for (int i = 0; rc == JG_OK && i < (n->sequential ? 1 : count); i++) {
            int64_t t;
            rc = new_task(x, n, token, signers[i], 0, &t);
            if (task == 0)
                task = t;
        }
        if (rc == JG_OK && n->sequential && count > 1) {
            jg_buf q;
            jg_buf_init(&q, 256);
            for (int i = 1; i < count; i++)
                jg_buf_printf(&q, ",%lld", (long long)signers[i]);
            jg_buf_puts(&q, ",");
            jg_value p[] = {JG_VTEXT(q.data), JG_VINT(token)};
            rc = jg_db_exec(x->c, "UPDATE flow_token SET pending = $1 WHERE id = $2", p, 2, NULL);
            jg_buf_free(&q);
        }
    } else {
        int64_t assignee =
            n->assignee_field != NULL ? user_in(json_object_get(x->record, n->assignee_field)) : 0;
        int yes = 1;
        if (assignee > 0)
            rc = user_active(x, assignee, &yes);
        if (rc == JG_OK && (!yes || (assignee == 0 && n->assignee_field != NULL)) &&
            n->candidate_roles == NULL && n->level == NULL)
            rc = refuse(x, JG_INVALID, "环节 %s 的办理人（字段 %s）为空或已停用", n->name ? n->name : n->id,
                        n->assignee_field);
        if (rc == JG_OK)
            rc = new_task(x, n, token, yes ? assignee : 0, !(yes && assignee > 0), &task);
    }
    if (rc == JG_OK)
        rc = add_timers(x, n, token);
    if (rc != JG_OK)
        return rc;
    x->last_task = task;
    rc = log_step(x, task, n->id, "enter", NULL);
    if (rc == JG_OK && n->state != NULL)
        rc = set_state(x, n->state);
    return rc;
}

static jg_rc resume_parent(run *x);

/* The instance ends when nothing is left in it (and its parent, if any, goes on). */
static jg_rc maybe_finish(run *x)
{
    jg_value p[] = {JG_VINT(x->op->instance_id)};
    int64_t left;
    jg_rc rc = one_int(x,
                       "SELECT (SELECT count(*) FROM flow_token WHERE instance_id = $1)"
                       " + (SELECT count(*) FROM flow_task WHERE instance_id = $1 AND state = 'open')",
                       p, 1, &left);
    if (rc != JG_OK)
        return rc;
    if (left > 0)
        return JG_OK;
    jg_value q[] = {JG_VTEXT(x->now), JG_VINT(x->op->instance_id)};
    rc = jg_db_exec(x->c, "UPDATE flow_instance SET state = 'completed', ended_at = $1 WHERE id = $2", q, 2,
                    NULL);
    if (rc == JG_OK)
        x->op->state = "completed";
    return rc == JG_OK ? resume_parent(x) : rc;
}

static jg_rc arrive(run *x, int edge);

/* Along every edge of list (n of them). */
static jg_rc along(run *x, const int *list, int n)
{
    for (int i = 0; i < n; i++) {
        jg_rc rc = arrive(x, list[i]);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static json_t *condition_ctx(run *x)
{
    return json_pack("{s:s?, s:O, s:o}", "action", x->action, "record", x->record, "vars",
                     jg_flow_vars(x->c, x->op->instance_id));
}

/* Gateways: the ways whose condition holds (exclusive: the first), else the default. */
static jg_rc choose(run *x, const jg_flow_node *n, int exclusive)
{
    json_t *ctx = condition_ctx(x);
    int *ways = jg_arena_alloc(x->op->req->arena, sizeof(int) * ((size_t)n->nout + 1)), k = 0;
    for (int i = 0; i < n->nout && !(exclusive && k > 0); i++) {
        const jg_flow_edge *e = &x->m->edges[n->out[i]];
        if (n->out[i] != n->default_edge && (e->cond == NULL || jg_expr_true(e->cond, ctx)))
            ways[k++] = n->out[i];
    }
    json_decref(ctx);
    if (k == 0 && n->default_edge >= 0)
        ways[k++] = n->default_edge;
    if (k == 0)
        return refuse(x, JG_INVALID, "流程无法继续：网关 %s 没有满足条件的出线", n->name ? n->name : n->id);
    return along(x, ways, k);
}

/* A parallel join waits for a token on each of its ways in. */
static jg_rc join(run *x, const jg_flow_node *n, int edge)
{
    jg_value p[] = {JG_VINT(x->op->instance_id), JG_VTEXT(n->id)};
    int64_t token, arrived;
    jg_rc rc = put_token(x, n, edge, &token);
    if (rc == JG_OK)
        rc = one_int(x, "SELECT count(DISTINCT edge) FROM flow_token WHERE instance_id = $1 AND node = $2", p,
                     2, &arrived);
    if (rc != JG_OK)
        return rc;
    if (arrived < n->nin)
        return JG_OK;
    /* One token per way in is consumed; a second one on the same way waits for the next round. */
    for (int i = 0; i < n->nin && rc == JG_OK; i++) {
        jg_value d[] = {JG_VINT(x->op->instance_id), JG_VTEXT(n->id), JG_VTEXT(x->m->edges[n->in[i]].id)};
        rc = jg_db_exec(
            x->c,
            "DELETE FROM flow_token WHERE id = (SELECT min(id) FROM flow_token WHERE instance_id = $1"
            " AND node = $2 AND edge = $3)",
            d, 3, NULL);
    }
    return rc == JG_OK ? along(x, n->out, n->nout) : rc;
}

/* An inclusive join goes on when no other token of the instance can still arrive at it; then
 * its tokens are consumed and it chooses its ways out as an inclusive split. */
static jg_rc or_join_try(run *x, int node);

static jg_rc or_join(run *x, int node, int edge)
{
    int64_t token;
    jg_rc rc = put_token(x, &x->m->nodes[node], edge, &token);
    return rc == JG_OK ? or_join_try(x, node) : rc;
}

/* The inclusive join node, holding tokens, goes on unless another token can still arrive. */
static jg_rc or_join_try(run *x, int node)
{
    const jg_flow_node *n = &x->m->nodes[node];
    jg_rows *r;
    jg_value p[] = {JG_VINT(x->op->instance_id), JG_VTEXT(n->id)};
    jg_rc rc = jg_db_query(x->c, "SELECT DISTINCT node FROM flow_token WHERE instance_id = $1 AND node <> $2",
                           p, 2, &r);
    if (rc != JG_OK)
        return rc;
    unsigned char *mark = jg_arena_alloc(x->op->req->arena, (size_t)x->m->nnodes);
    int waits = 0;
    for (int i = 0; i < jg_rows_count(r) && !waits; i++) {
        int k = jg_flow_node_index(x->m, jg_rows_text(r, i, 0));
        if (k >= 0) {
            after_of(x, k, mark);
            waits = mark[node];
        }
    }
    jg_rows_free(r);
    if (waits)
        return JG_OK;
    rc = jg_db_exec(x->c, "DELETE FROM flow_token WHERE instance_id = $1 AND node = $2", p, 2, NULL);
    return rc == JG_OK ? choose(x, n, 0) : rc;
}

static jg_rc runnable(run *x, const jg_entity *e);

/* A call activity: the parent waits with a token at node while the latest version of the called
 * process runs as a child instance on the same record. */
static jg_rc call(run *x, int node, int edge)
{
    const jg_flow_node *n = &x->m->nodes[node];
    int64_t token;
    jg_rc rc = put_token(x, n, edge, &token);
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(n->called)};
    if (rc == JG_OK)
        rc = jg_db_query(x->c, "SELECT id FROM flow_definition WHERE key = $1 ORDER BY version DESC LIMIT 1",
                         p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t definition = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    if (definition == 0)
        return refuse(x, JG_INVALID, "流程无法继续：子流程 %s 没有部署", n->called);
    jg_flow_op sub = {.req = x->op->req, .why = x->op->why, .state = "running"};
    run y = *x;
    y.op = &sub;
    y.back = NULL;
    y.action = NULL;
    rc = model_of(x->c, definition, &y.m);
    if (rc == JG_OK)
        rc = runnable(&y, x->k->e);
    int64_t parent = x->op->instance_id;
    jg_value q[] = {JG_VINT(definition),
                    JG_VTEXT(n->called),
                    JG_VTEXT(x->k->e->name),
                    JG_VINT(x->record_id),
                    x->org_code != NULL ? JG_VTEXT(x->org_code) : JG_VNULL,
                    x->enterprise_id > 0 ? JG_VINT(x->enterprise_id) : JG_VNULL,
                    JG_VINT(x->started_by),
                    JG_VTEXT(x->now),
                    JG_VINT(parent),
                    JG_VINT(token)};
    if (rc == JG_OK)
        rc = one_int(
            x,
            "INSERT INTO flow_instance (definition_id, key, entity, record_id, org_code, enterprise_id, "
            "state,"
            " started_by, started_at, parent_id, parent_token_id) VALUES ($1, $2, $3, $4, $5, $6, 'running',"
            " $7, $8, $9, $10) RETURNING id",
            q, 10, &sub.instance_id);
    if (rc == JG_OK)
        rc = log_step(x, 0, n->id, jg_arena_printf(x->op->req->arena, "call:%s", n->called), NULL);
    if (rc == JG_OK)
        rc = log_step(&y, 0, y.m->nodes[y.m->start].id, "start", NULL);
    if (rc == JG_OK)
        rc = along(&y, y.m->nodes[y.m->start].out, y.m->nodes[y.m->start].nout);
    x->steps = y.steps;
    if (rc == JG_OK && sub.instance_id == parent) /* the child ended at once and the parent went on */
        x->op->state = sub.state;
    return rc;
}

/* When x's instance, just completed, is a child, its parent goes on from its call activity (and
 * x->op tells of the parent from then on). */
static jg_rc resume_parent(run *x)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(x->op->instance_id)};
    jg_rc rc = jg_db_query(
        x->c,
        "SELECT i.parent_id, i.parent_token_id, p.definition_id, t.node FROM flow_instance i JOIN"
        " flow_instance p ON p.id = i.parent_id AND p.state = 'running' JOIN flow_token t ON t.id ="
        " i.parent_token_id WHERE i.id = $1",
        p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_OK;
    }
    int64_t parent = jg_rows_int(r, 0, 0), token = jg_rows_int(r, 0, 1), definition = jg_rows_int(r, 0, 2);
    char node_id[JG_BPMN_ID_MAX + 1];
    snprintf(node_id, sizeof(node_id), "%s", jg_rows_text(r, 0, 3));
    jg_rows_free(r);
    run z = *x;
    z.back = NULL;
    z.action = NULL;
    rc = model_of(x->c, definition, &z.m);
    int node = rc == JG_OK ? jg_flow_node_index(z.m, node_id) : -1;
    if (rc == JG_OK && node < 0)
        rc = JG_ERR;
    if (rc != JG_OK)
        return rc;
    x->op->instance_id = parent;
    x->op->state = "running";
    jg_value t[] = {JG_VINT(token)};
    rc = jg_db_exec(x->c, "DELETE FROM flow_token WHERE id = $1", t, 1, NULL);
    if (rc == JG_OK)
        rc = log_step(&z, 0, node_id, "called", NULL);
    if (rc == JG_OK)
        rc = along(&z, z.m->nodes[node].out, z.m->nodes[node].nout);
    x->steps = z.steps;
    if (rc == JG_OK && strcmp(x->op->state, "completed") != 0 && x->op->instance_id == parent)
        rc = maybe_finish(&z);
    return rc;
}

static jg_rc arrive(run *x, int edge)
{
    if (++x->steps > MAX_STEPS)
        return refuse(x, JG_INVALID, "流程无法继续：自动步骤超过 %d 步（流程中可能有不经过人工办理的循环）",
                      MAX_STEPS);
    int node = x->m->edges[edge].target;
    const jg_flow_node *n = &x->m->nodes[node];
    switch (n->kind) {
    case JG_NODE_USER:
        return enter_user_task(x, node, edge);
    case JG_NODE_END: {
        jg_rc rc = log_step(x, 0, n->id, "end", NULL);
        if (rc == JG_OK && n->state != NULL)
            rc = set_state(x, n->state);
        return rc == JG_OK ? maybe_finish(x) : rc;
    }
    case JG_NODE_SERVICE: {
        jg_flow_service s = {.c = x->c,
                             .req = x->op->req,
                             .instance = x->op->instance_id,
                             .entity = x->k->e->name,
                             .node = n->id,
                             .record = x->record,
                             .action = x->action,
                             .now = x->now};
        jg_rc rc = jg_flow_action_run(n->action, &s);
        if (rc == JG_INVALID) {
            x->op->fields = s.fields;
            return refuse(x, JG_INVALID, "%s", s.why);
        }
        if (rc == JG_OK)
            rc = log_step(x, 0, n->id, jg_arena_printf(x->op->req->arena, "service:%s", n->action), s.log);
        return rc == JG_OK ? along(x, n->out, n->nout) : rc;
    }
    case JG_NODE_XOR:
        return choose(x, n, 1);
    case JG_NODE_OR:
        return n->nin > 1 ? or_join(x, node, edge) : choose(x, n, 0);
    case JG_NODE_AND:
        return n->nin > 1 ? join(x, n, edge) : along(x, n->out, n->nout);
    case JG_NODE_CALL:
        return call(x, node, edge);
    default:
        return refuse(x, JG_INVALID, "流程无法继续：节点 %s 尚不支持运行", n->id);
    }
}

/* What of m cannot run yet (run.h), as a refusal naming the node. */
static jg_rc runnable(run *x, const jg_entity *e)
{
    for (int i = 0; i < x->m->nnodes; i++) {
        const jg_flow_node *n = &x->m->nodes[i];
        const char *why =
            n->kind == JG_NODE_SERVICE && !jg_flow_action_known(n->action) ? "服务任务的动作未注册" : NULL;
        if (why != NULL)
            return refuse(x, JG_INVALID, "流程“%s”的节点 %s：%s", x->m->name ? x->m->name : x->m->key, n->id,
                          why);
        int known = n->state == NULL;
        for (int s = 0; !known && s < e->nstates; s++)
            known = strcmp(e->states[s].name, n->state) == 0;
        if (!known)
            return refuse(x, JG_INVALID, "流程“%s”的节点 %s 要把记录置为“%s”，但%s没有这个状态",
                          x->m->name ? x->m->name : x->m->key, n->id, n->state, e->label);
    }
    return JG_OK;
}

/* The record of the instance, as the caller may see it: x->k, x->record, scope values. */
static jg_rc load_record(run *x, const char *entity, int64_t record_id)
{
    const jg_entity *e = jg_entity_find(&jg_records_of(x->op->req)->set, entity);
    x->k = e != NULL && e->parent == NULL ? jg_record_kind_for(x->op->req, e) : NULL;
    if (x->k == NULL)
        return refuse(x, JG_NOTFOUND, "没有这类业务记录");
    x->record_id = record_id;
    jg_rows *r;
    jg_rc rc = jg_record_fetch(x->op->req, x->c, x->k, record_id, &r);
    if (rc == JG_NOTFOUND)
        return refuse(x, JG_NOTFOUND, "记录不存在");
    if (rc != JG_OK)
        return rc;
    rc = jg_record_json(x->op->req, x->c, x->k, r, 0, JG_RECORD_MASKED, &x->record);
    jg_rows_free(r);
    if (rc != JG_OK)
        return rc;
    if (e->scope_org != NULL)
        x->org_code = json_string_value(json_object_get(x->record, e->scope_org));
    if (e->scope_enterprise != NULL)
        x->enterprise_id = json_integer_value(json_object_get(x->record, e->scope_enterprise));
    return JG_OK;
}

jg_rc jg_flow_start(jg_conn *c, jg_flow_op *op, const char *key, const char *entity, int64_t record_id)
{
    run x = {.c = c, .op = op, .who = op->req->principal};
    jg_time_iso_now(x.now, sizeof(x.now));
    jg_rc rc = load_record(&x, entity, record_id);
    if (rc != JG_OK)
        return rc;
    if (!jg_principal_can(x.who, x.k->e->perm_update) && !jg_principal_can(x.who, x.k->e->perm_create))
        rc = refuse(&x, JG_DENIED, "没有权限提交此记录");
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(key)};
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT id FROM flow_definition WHERE key = $1 ORDER BY version DESC LIMIT 1", p,
                         1, &r);
    if (rc != JG_OK)
        goto done;
    if (jg_rows_count(r) == 0) {
        rc = refuse(&x, JG_NOTFOUND, "没有这个流程");
        goto done;
    }
    int64_t definition = jg_rows_int(r, 0, 0);
    rc = model_of(c, definition, &x.m);
    if (rc == JG_OK)
        rc = runnable(&x, x.k->e);
    if (rc != JG_OK)
        goto done;
    x.started_by = x.who->user_id;
    jg_rows_free(r);
    r = NULL;
    jg_value q[] = {JG_VINT(definition),
                    JG_VTEXT(key),
                    JG_VTEXT(x.k->e->name),
                    JG_VINT(record_id),
                    x.org_code != NULL ? JG_VTEXT(x.org_code) : JG_VNULL,
                    x.enterprise_id > 0 ? JG_VINT(x.enterprise_id) : JG_VNULL,
                    JG_VINT(x.started_by),
                    JG_VTEXT(x.now)};
    rc = jg_db_query(
        c,
        "INSERT INTO flow_instance (definition_id, key, entity, record_id, org_code, enterprise_id, state,"
        " started_by, started_at) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8) RETURNING id",
        q, 8, &r);
    if (rc == JG_CONFLICT) {
        rc = refuse(&x, JG_CONFLICT, "该记录已有进行中的流程");
        goto done;
    }
    if (rc != JG_OK)
        goto done;
    op->instance_id = jg_rows_int(r, 0, 0);
    op->state = "running";
    rc = log_step(&x, 0, x.m->nodes[x.m->start].id, "start", NULL);
    if (rc == JG_OK)
        rc = along(&x, x.m->nodes[x.m->start].out, x.m->nodes[x.m->start].nout);
done:
    jg_rows_free(r);
    json_decref(x.record);
    return rc;
}

void jg_flow_mine_sql(const jg_principal *p, jg_buf *sql, jg_value *params, int *n)
{
    params[(*n)++] = JG_VINT(p->user_id);
    params[(*n)++] = JG_VTEXT(p->role != NULL ? p->role : "");
    params[(*n)++] = JG_VTEXT(p->org_code != NULL ? p->org_code : "");
    params[(*n)++] = JG_VINT(p->enterprise_id);
    int k = *n - 3;
    jg_buf_printf(sql,
                  " AND (t.assignee_id = $%d"
                  " OR (t.org_code = $%d AND t.candidate_roles LIKE '%%,' || $%d || ',%%')"
                  " OR (t.enterprise_id = $%d AND $%d > 0 AND (t.candidate_roles IS NULL"
                  " OR t.candidate_roles LIKE '%%,' || $%d || ',%%')))",
                  k, k + 2, k + 1, k + 3, k + 3, k + 1);
}

/* After tokens went elsewhere (a branch ended, a return, a timer): inclusive joins of the instance
 * that hold tokens and need wait no longer go on. */
static jg_rc or_joins_recheck(run *x)
{
    for (int round = 0; round < 8 && strcmp(x->op->state, "completed") != 0; round++) {
        jg_rows *r;
        jg_value p[] = {JG_VINT(x->op->instance_id)};
        jg_rc rc = jg_db_query(x->c, "SELECT DISTINCT node FROM flow_token WHERE instance_id = $1", p, 1, &r);
        if (rc != JG_OK)
            return rc;
        unsigned char *mark = jg_arena_alloc(x->op->req->arena, (size_t)x->m->nnodes);
        int join = -1;
        for (int i = 0; i < jg_rows_count(r) && join < 0; i++) {
            int k = jg_flow_node_index(x->m, jg_rows_text(r, i, 0)), waits = 0;
            if (k < 0 || x->m->nodes[k].kind != JG_NODE_OR || x->m->nodes[k].nin < 2)
                continue;
            for (int j = 0; j < jg_rows_count(r) && !waits; j++) {
                int o = jg_flow_node_index(x->m, jg_rows_text(r, j, 0));
                if (o >= 0 && o != k) {
                    after_of(x, o, mark);
                    waits = mark[k];
                }
            }
            if (!waits)
                join = k;
        }
        jg_rows_free(r);
        if (join < 0)
            return JG_OK;
        rc = or_join_try(x, join);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* The open task task_id the caller may do, at version (any when version <= 0): its node and token,
 * and x's instance, model and record. JG_NOTFOUND / JG_CONFLICT refusals as jg_flow_complete. */
static jg_rc open_task(run *x, int64_t task_id, int64_t version, int *node, int64_t *token)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[8] = {JG_VINT(task_id)};
    int n = 1;
    jg_buf_puts(
        &sql, "SELECT t.node, t.state, t.version, i.id, i.definition_id, i.entity, i.record_id, i.started_by,"
              " t.token_id FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id WHERE t.id = $1");
    jg_flow_mine_sql(x->who, &sql, p, &n);
    jg_rows *r;
    jg_rc rc = jg_db_query(x->c, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return refuse(x, JG_NOTFOUND, "待办任务不存在");
    }
    char node_id[JG_BPMN_ID_MAX + 1], entity[64];
    snprintf(node_id, sizeof(node_id), "%s", jg_rows_text(r, 0, 0));
    snprintf(entity, sizeof(entity), "%s", jg_rows_text(r, 0, 5));
    int open =
        strcmp(jg_rows_text(r, 0, 1), "open") == 0 && (version <= 0 || jg_rows_int(r, 0, 2) == version);
    x->op->instance_id = jg_rows_int(r, 0, 3);
    int64_t definition = jg_rows_int(r, 0, 4), record_id = jg_rows_int(r, 0, 6);
    *token = jg_rows_int(r, 0, 8);
    x->started_by = jg_rows_int(r, 0, 7);
    jg_rows_free(r);
    if (!open)
        return refuse(x, JG_CONFLICT, "该任务已被办理或已变化，请刷新后再试");
    rc = model_of(x->c, definition, &x->m);
    if (rc == JG_OK)
        rc = load_record(x, entity, record_id);
    if (rc != JG_OK)
        return rc;
    *node = jg_flow_node_index(x->m, node_id);
    return *node >= 0 ? JG_OK : JG_ERR;
}

/* The signers still to come of a sequential 会签 token (",12,15," or NULL), in the arena. */
static jg_rc pending_of(run *x, int64_t token, const char **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(token)};
    jg_rc rc = jg_db_query(x->c, "SELECT pending FROM flow_token WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const char *v = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
    *out = v != NULL && strlen(v) > 1 ? jg_arena_strdup(x->op->req->arena, v) : NULL;
    jg_rows_free(r);
    return JG_OK;
}

static int count_ids(const char *list)
{
    int n = 0;
    for (const char *s = list; s != NULL && *s != '\0'; s++)
        n += *s == ',' && s[1] != '\0';
    return n;
}

static jg_rc set_pending(run *x, int64_t token, const char *list)
{
    jg_value p[] = {list != NULL && strlen(list) > 1 ? JG_VTEXT(list) : JG_VNULL, JG_VINT(token)};
    return jg_db_exec(x->c, "UPDATE flow_token SET pending = $1 WHERE id = $2", p, 2, NULL);
}

/* list without user id (",12,15," → ",15,"), in the arena; *found when it was there. */
static const char *without_id(run *x, const char *list, int64_t id, int *found)
{
    jg_buf b;
    jg_buf_init(&b, 64);
    *found = 0;
    for (const char *s = list != NULL ? list : ""; *s != '\0';) {
        char *end;
        long long v = strtoll(s + (*s == ','), &end, 10);
        if (end == s + (*s == ','))
            break;
        if (v == id && !*found)
            *found = 1;
        else
            jg_buf_printf(&b, ",%lld", v);
        s = end;
    }
    const char *out = b.len > 0 ? jg_arena_printf(x->op->req->arena, "%s,", b.data) : NULL;
    jg_buf_free(&b);
    return out;
}

/* A signer of 会签 step nd (token) has just completed with action: is the step decided (*decided;
 * its outcome is this action), or what comes next (sequential: the next signer's task)?
 *   all    any other action than the passing one decides at once; else when all have passed
 *   any    the first signer decides
 *   ratio  passing when passes / signers >= jg:ratio; the other action as soon as that cannot
 *          be reached any more
 * The passing action is "approve" when a way out has it, else the first action; with no actions
 * every completion passes. Signers are the step's open and done tasks and those still to come. */
static jg_rc sign_decide(run *x, const jg_flow_node *nd, int64_t token, const char *action, int *decided)
{
    const char *pass = NULL, *first = NULL;
    for (int i = 0; i < nd->nout; i++) {
        const char *a = x->m->edges[nd->out[i]].action;
        if (a != NULL && first == NULL)
            first = a;
        if (a != NULL && strcmp(a, "approve") == 0)
            pass = a;
    }
    if (pass == NULL)
        pass = first;
    jg_rows *r;
    jg_value p[] = {JG_VINT(token), JG_VTEXT(pass != NULL ? pass : "")};
    jg_rc rc = jg_db_query(x->c,
                           "SELECT count(*), COALESCE(sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0),"
                           " COALESCE(sum(CASE WHEN state = 'done' AND action = $2 THEN 1 ELSE 0 END), 0)"
                           " FROM flow_task WHERE token_id = $1 AND state IN ('open', 'done')",
                           p, 2, &r);
    if (rc != JG_OK)
        return rc;
    int64_t total = jg_rows_int(r, 0, 0), done = jg_rows_int(r, 0, 1), passed = jg_rows_int(r, 0, 2);
    jg_rows_free(r);
    const char *pending;
    rc = pending_of(x, token, &pending);
    if (rc != JG_OK)
        return rc;
    total += count_ids(pending);
    if (pass == NULL)
        passed = done;
    int passes = pass == NULL || (action != NULL && strcmp(action, pass) == 0);
    double need = nd->ratio * (double)total - 1e-9;
    switch (nd->sign) {
    case JG_SIGN_ANY:
        *decided = 1;
        break;
    case JG_SIGN_RATIO:
        *decided = passes ? (double)passed >= need : (double)(total - (done - passed)) < need;
        break;
    default:
        *decided = !passes || done >= total;
    }
    if (done >= total)
        *decided = 1;
    if (*decided || !nd->sequential || pending == NULL)
        return JG_OK;
    /* The next signer in the sequence. */
    char *end;
    long long next = strtoll(pending + 1, &end, 10);
    int found;
    int64_t task;
    rc = set_pending(x, token, without_id(x, pending, next, &found));
    if (rc == JG_OK)
        rc = new_task(x, nd, token, next, 0, &task);
    return rc == JG_OK ? log_step(x, task, nd->id, "enter", NULL) : rc;
}

jg_rc jg_flow_complete(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *action,
                       const char *opinion)
{
    run x = {.c = c, .op = op, .who = op->req->principal, .action = action};
    jg_time_iso_now(x.now, sizeof(x.now));
    int node;
    int64_t token;
    jg_rc rc = open_task(&x, task_id, version, &node, &token);
    if (rc != JG_OK)
        goto done;
    const jg_flow_node *nd = &x.m->nodes[node];
    const char *node_id = nd->id;
    int64_t own = op->instance_id;
    /* The way out: the one whose jg:action is action, or the only one (conditions are gateways' job). */
    int way = -1, named = 0;
    for (int i = 0; i < nd->nout; i++) {
        const char *a = x.m->edges[nd->out[i]].action;
        named |= a != NULL;
        if (a != NULL && action != NULL && strcmp(a, action) == 0)
            way = nd->out[i];
    }
    if (!named && nd->nout == 1 && action == NULL)
        way = nd->out[0];
    if (way < 0) {
        jg_buf list;
        jg_buf_init(&list, 512);
        for (int i = 0; i < nd->nout; i++) {
            const jg_flow_edge *e = &x.m->edges[nd->out[i]];
            if (e->action != NULL)
                jg_buf_printf(&list, "%s%s（%s）", list.len > 0 ? "、" : "", e->action,
                              e->name ? e->name : e->action);
        }
        rc = list.len > 0 ? refuse(&x, JG_INVALID, "办理动作应为：%s", list.data)
                          : refuse(&x, JG_INVALID, "此任务不需要选择办理动作");
        jg_buf_free(&list);
        goto done;
    }
    int64_t changed = 0;
    jg_value u[] = {JG_VTEXT(x.now),
                    JG_VINT(x.who->user_id),
                    JG_VTEXT(action != NULL ? action : "complete"),
                    opinion != NULL ? JG_VTEXT(opinion) : JG_VNULL,
                    JG_VINT(task_id),
                    JG_VINT(version)};
    rc = jg_db_exec(
        c,
        "UPDATE flow_task SET state = 'done', done_at = $1, done_by = $2, action = $3, opinion = $4,"
        " version = version + 1 WHERE id = $5 AND state = 'open' AND version = $6",
        u, 6, &changed);
    if (rc == JG_OK && changed != 1)
        rc = refuse(&x, JG_CONFLICT, "该任务已被办理或已变化，请刷新后再试");
    if (rc == JG_OK)
        rc = log_step(&x, task_id, node_id,
                      jg_arena_printf(op->req->arena, "complete:%s", action != NULL ? action : "complete"),
                      opinion);
    op->state = "running";
    int decided = 1;
    if (rc == JG_OK && nd->sign != JG_SIGN_NONE)
        rc = sign_decide(&x, nd, token, action, &decided);
    if (rc != JG_OK || !decided)
        goto done;
    /* The step is done: the other signers of a 会签 have nothing left to do. */
    jg_value t[] = {JG_VINT(token), JG_VTEXT(x.now)};
    rc = jg_db_exec(
        c,
        "UPDATE flow_task SET state = 'cancelled', done_at = $2, action = 'decided', version = version + 1"
        " WHERE token_id = $1 AND state = 'open'",
        t, 2, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM flow_token WHERE id = $1", t, 1, NULL);
    if (rc == JG_OK)
        rc = arrive(&x, way);
    if (rc == JG_OK && op->instance_id == own) /* not when a child ended and its parent went on */
        rc = or_joins_recheck(&x);
    if (rc == JG_OK && strcmp(op->state, "completed") != 0)
        rc = maybe_finish(&x);
done:
    json_decref(x.record);
    return rc;
}

/* ---- 退回: back to a step done before ---- */

/* Whether node t of x->m may be a return target from node from: a returnable user task before it. */
static int return_ok(run *x, int t, int from, unsigned char *mark)
{
    if (t < 0 || t == from || x->m->nodes[t].kind != JG_NODE_USER || !x->m->nodes[t].returnable)
        return 0;
    after_of(x, t, mark);
    return mark[from];
}

/* Restore, after a return to t, the branches of parallel joins after t that came from elsewhere
 * and had already arrived (their tokens went when the join fired and will not come again). */
static jg_rc restore_joins(run *x, int t, const unsigned char *mark)
{
    const jg_flow_model *m = x->m;
    unsigned char *from = jg_arena_alloc(x->op->req->arena, (size_t)m->nnodes);
    jg_rc rc = JG_OK;
    for (int j = 0; j < m->nnodes && rc == JG_OK; j++) {
        const jg_flow_node *n = &m->nodes[j];
        if (!mark[j] || n->kind != JG_NODE_AND || n->nin < 2)
            continue;
        for (int i = 0; i < n->nin && rc == JG_OK; i++) {
            const jg_flow_edge *e = &m->edges[n->in[i]];
            if (e->source == t || mark[e->source])
                continue; /* comes again when t is done again */
            jg_rows *r;
            jg_value p[] = {JG_VINT(x->op->instance_id)};
            rc = jg_db_query(x->c, "SELECT node, edge FROM flow_token WHERE instance_id = $1", p, 1, &r);
            if (rc != JG_OK)
                return rc;
            int live = 0;
            for (int k = 0; k < jg_rows_count(r) && !live; k++) {
                int at = jg_flow_node_index(m, jg_rows_text(r, k, 0));
                const char *edge = jg_rows_text(r, k, 1);
                if (at == j && edge != NULL && strcmp(edge, e->id) == 0)
                    live = 1; /* already waiting there */
                else if (at == e->source)
                    live = 1;
                else if (at >= 0) {
                    after_of(x, at, from);
                    live = from[e->source];
                }
            }
            jg_rows_free(r);
            int64_t token;
            if (!live)
                rc = put_token(x, n, n->in[i], &token);
        }
    }
    return rc;
}

jg_rc jg_flow_return(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *target,
                     const char *opinion)
{
    run x = {.c = c, .op = op, .who = op->req->principal, .action = "return"};
    jg_time_iso_now(x.now, sizeof(x.now));
    int node;
    int64_t token;
    jg_rc rc = open_task(&x, task_id, version, &node, &token);
    if (rc != JG_OK)
        goto done;
    int t = jg_flow_node_index(x.m, target);
    unsigned char *mark = jg_arena_alloc(op->req->arena, (size_t)x.m->nnodes);
    int64_t before = 0, done_by = 0;
    jg_value q[] = {JG_VINT(op->instance_id), JG_VTEXT(target)};
    if (return_ok(&x, t, node, mark))
        rc = one_int(&x,
                     "SELECT count(*) FROM flow_task WHERE instance_id = $1 AND node = $2 AND state = 'done'",
                     q, 2, &before);
    if (rc == JG_OK && before == 0)
        rc = refuse(&x, JG_INVALID, "只能退回到本环节之前已经办理过、且允许退回的环节");
    if (rc == JG_OK)
        rc = one_int(
            &x,
            "SELECT done_by FROM flow_task WHERE id = (SELECT max(id) FROM flow_task WHERE instance_id = $1"
            " AND node = $2 AND state = 'done')",
            q, 2, &done_by);
    int64_t changed = 0;
    jg_value u[] = {JG_VTEXT(x.now), JG_VINT(x.who->user_id), opinion != NULL ? JG_VTEXT(opinion) : JG_VNULL,
                    JG_VINT(task_id), JG_VINT(version)};
    if (rc == JG_OK)
        rc = jg_db_exec(
            c,
            "UPDATE flow_task SET state = 'done', done_at = $1, done_by = $2, action = 'return',"
            " opinion = $3, version = version + 1 WHERE id = $4 AND state = 'open' AND version = $5",
            u, 5, &changed);
    if (rc == JG_OK && changed != 1)
        rc = refuse(&x, JG_CONFLICT, "该任务已被办理或已变化，请刷新后再试");
    if (rc != JG_OK)
        goto done;
    /* What goes: the returning step's token, and every token that came (by its flow) from t or
     * after it — sibling branches split after t, a 会签's other signers —; what stays: branches
     * that split before t and run beside it. */
    jg_rows *r;
    jg_value p[] = {JG_VINT(op->instance_id)};
    rc = jg_db_query(c, "SELECT id, node, edge FROM flow_token WHERE instance_id = $1", p, 1, &r);
    if (rc != JG_OK)
        goto done;
    for (int i = 0; i < jg_rows_count(r) && rc == JG_OK; i++) {
        int64_t id = jg_rows_int(r, i, 0);
        int at = jg_flow_node_index(x.m, jg_rows_text(r, i, 1));
        const char *edge = jg_rows_text(r, i, 2);
        int e = -1;
        for (int k = 0; edge != NULL && k < x.m->nedges && e < 0; k++)
            if (strcmp(x.m->edges[k].id, edge) == 0)
                e = k;
        int src = e >= 0 ? x.m->edges[e].source : -1;
        int goes = id == token || (src >= 0 ? src == t || mark[src] : at >= 0 && mark[at]);
        if (!goes)
            continue;
        jg_value d[] = {JG_VINT(id), JG_VTEXT(x.now)};
        rc = jg_db_exec(
            c,
            "UPDATE flow_task SET state = 'cancelled', done_at = $2, action = 'return', version = version"
            " + 1 WHERE token_id = $1 AND state = 'open'",
            d, 2, NULL);
        if (rc == JG_OK)
            rc = jg_db_exec(c, "DELETE FROM flow_token WHERE id = $1", d, 1, NULL);
    }
    jg_rows_free(r);
    if (rc == JG_OK)
        rc = restore_joins(&x, t, mark);
    if (rc == JG_OK)
        rc = log_step(&x, task_id, x.m->nodes[node].id, jg_arena_printf(op->req->arena, "return:%s", target),
                      opinion);
    if (rc == JG_OK)
        rc = enter_user_task(&x, t, -1);
    op->state = "running";
    /* Back to whoever did it last time, when they still can (release puts it back to the pool). */
    jg_value a[] = {JG_VINT(done_by), JG_VINT(x.last_task)};
    int yes = 0;
    if (rc == JG_OK && x.m->nodes[t].sign == JG_SIGN_NONE && done_by > 0)
        rc = user_active(&x, done_by, &yes);
    if (rc == JG_OK && yes)
        rc = jg_db_exec(
            c,
            "UPDATE flow_task SET pool_roles = candidate_roles, pool_org = org_code, pool_enterprise ="
            " enterprise_id, pooled = 1, candidate_roles = NULL, org_code = NULL, enterprise_id = NULL,"
            " assignee_id = $1 WHERE id = $2 AND assignee_id IS NULL",
            a, 2, NULL);
    op->state = "running";
    if (rc == JG_OK)
        rc = or_joins_recheck(&x);
done:
    json_decref(x.record);
    return rc;
}

jg_rc jg_flow_return_targets(jg_conn *c, jg_flow_op *op, int64_t task_id, json_t **out)
{
    run x = {.c = c, .op = op, .who = op->req->principal};
    jg_time_iso_now(x.now, sizeof(x.now));
    *out = NULL;
    int node;
    int64_t token;
    jg_rc rc = open_task(&x, task_id, 0, &node, &token);
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(op->instance_id)};
    if (rc == JG_OK)
        rc = jg_db_query(
            c,
            "SELECT node, min(id) FROM flow_task WHERE instance_id = $1 AND state = 'done' GROUP BY node"
            " ORDER BY 2",
            p, 1, &r);
    if (rc == JG_OK) {
        unsigned char *mark = jg_arena_alloc(op->req->arena, (size_t)x.m->nnodes);
        *out = json_array();
        for (int i = 0; i < jg_rows_count(r); i++) {
            int t = jg_flow_node_index(x.m, jg_rows_text(r, i, 0));
            if (return_ok(&x, t, node, mark))
                json_array_append_new(*out,
                                      json_pack("{s:s, s:s}", "node", x.m->nodes[t].id, "name",
                                                x.m->nodes[t].name ? x.m->nodes[t].name : x.m->nodes[t].id));
        }
    }
    jg_rows_free(r);
    json_decref(x.record);
    return rc;
}

/* ---- 加签 / 减签 ---- */

/* The caller's open task task_id at version on a 会签 step: the step, its token; the task's
 * version moves on (so two changes at once see one succeed). */
static jg_rc signer_step(run *x, int64_t task_id, int64_t version, const jg_flow_node **nd, int64_t *token)
{
    int node;
    jg_rc rc = open_task(x, task_id, version, &node, token);
    if (rc != JG_OK)
        return rc;
    *nd = &x->m->nodes[node];
    if ((*nd)->sign == JG_SIGN_NONE)
        return refuse(x, JG_INVALID, "此环节不是会签，不能加签或减签");
    int64_t changed = 0;
    jg_value u[] = {JG_VINT(task_id), JG_VINT(version)};
    rc = jg_db_exec(
        x->c, "UPDATE flow_task SET version = version + 1 WHERE id = $1 AND state = 'open' AND version = $2",
        u, 2, &changed);
    if (rc == JG_OK && changed != 1)
        rc = refuse(x, JG_CONFLICT, "该任务已被办理或已变化，请刷新后再试");
    return rc;
}

jg_rc jg_flow_add_signer(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, int64_t user_id)
{
    run x = {.c = c, .op = op, .who = op->req->principal};
    jg_time_iso_now(x.now, sizeof(x.now));
    const jg_flow_node *nd;
    int64_t token, there = 0;
    const char *pending = NULL;
    int yes = 0, found = 0;
    jg_rc rc = signer_step(&x, task_id, version, &nd, &token);
    if (rc == JG_OK)
        rc = user_active(&x, user_id, &yes);
    if (rc == JG_OK && !yes)
        rc = jg_refuse(op->why, JG_INVALID, "user_id", "会签人不存在或已停用");
    jg_value p[] = {JG_VINT(token), JG_VINT(user_id)};
    if (rc == JG_OK)
        rc = one_int(
            &x,
            "SELECT count(*) FROM flow_task WHERE token_id = $1 AND assignee_id = $2 AND state IN ('open',"
            " 'done')",
            p, 2, &there);
    if (rc == JG_OK)
        rc = pending_of(&x, token, &pending);
    if (rc == JG_OK)
        (void)without_id(&x, pending, user_id, &found);
    if (rc == JG_OK && (there > 0 || found))
        rc = jg_refuse(op->why, JG_INVALID, "user_id", "该用户已是本环节的会签人");
    int64_t task = 0;
    if (rc == JG_OK && nd->sequential)
        rc = set_pending(
            &x, token,
            jg_arena_printf(op->req->arena, "%s%lld,", pending != NULL ? pending : ",", (long long)user_id));
    else if (rc == JG_OK)
        rc = new_task(&x, nd, token, user_id, 0, &task);
    if (rc == JG_OK)
        rc = log_step(&x, task_id, nd->id,
                      jg_arena_printf(op->req->arena, "add_signer:%lld", (long long)user_id), NULL);
    op->state = "running";
    json_decref(x.record);
    return rc;
}

jg_rc jg_flow_remove_signer(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, int64_t user_id)
{
    run x = {.c = c, .op = op, .who = op->req->principal};
    jg_time_iso_now(x.now, sizeof(x.now));
    const jg_flow_node *nd;
    int64_t token, changed = 0;
    const char *pending = NULL, *rest = NULL;
    int found = 0;
    jg_rc rc = signer_step(&x, task_id, version, &nd, &token);
    if (rc == JG_OK)
        rc = pending_of(&x, token, &pending);
    if (rc == JG_OK)
        rest = without_id(&x, pending, user_id, &found);
    if (rc == JG_OK && found)
        rc = set_pending(&x, token, rest);
    jg_value p[] = {JG_VINT(token), JG_VINT(user_id), JG_VINT(task_id), JG_VTEXT(x.now)};
    if (rc == JG_OK && !found) /* the caller's own task stays: a step always keeps one signer to act */
        rc = jg_db_exec(
            c,
            "UPDATE flow_task SET state = 'cancelled', done_at = $4, action = 'remove_signer', version ="
            " version + 1 WHERE token_id = $1 AND assignee_id = $2 AND state = 'open' AND id <> $3",
            p, 4, &changed);
    if (rc == JG_OK && !found && changed == 0)
        rc = jg_refuse(op->why, JG_INVALID, "user_id", "该用户不是本环节尚未办理的其他会签人");
    if (rc == JG_OK)
        rc = log_step(&x, task_id, nd->id,
                      jg_arena_printf(op->req->arena, "remove_signer:%lld", (long long)user_id), NULL);
    op->state = "running";
    json_decref(x.record);
    return rc;
}

/* ---- entry points for the task operations (ops.c: withdraw, green channel) ---- */

jg_rc jg_flow_model_get(jg_conn *c, int64_t definition_id, const jg_flow_model **out)
{
    return model_of(c, definition_id, out);
}

jg_rc jg_flow_enter(jg_conn *c, jg_flow_op *op, const char *node_id)
{
    run x = {.c = c, .op = op, .who = op->req->principal};
    jg_time_iso_now(x.now, sizeof(x.now));
    jg_rows *r;
    jg_value p[] = {JG_VINT(op->instance_id)};
    jg_rc rc = jg_db_query(
        c, "SELECT definition_id, entity, record_id, started_by FROM flow_instance WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return refuse(&x, JG_NOTFOUND, "流程实例不存在");
    }
    int64_t definition = jg_rows_int(r, 0, 0), record_id = jg_rows_int(r, 0, 2);
    char entity[64];
    snprintf(entity, sizeof(entity), "%s", jg_rows_text(r, 0, 1));
    x.started_by = jg_rows_int(r, 0, 3);
    jg_rows_free(r);
    rc = model_of(c, definition, &x.m);
    if (rc == JG_OK)
        rc = load_record(&x, entity, record_id);
    int node = rc == JG_OK ? jg_flow_node_index(x.m, node_id) : -1;
    if (rc == JG_OK && (node < 0 || x.m->nodes[node].kind != JG_NODE_USER))
        rc = refuse(&x, JG_INVALID, "只能转到人工办理的环节");
    if (rc == JG_OK)
        rc = enter_user_task(&x, node, -1);
    json_decref(x.record);
    return rc;
}

/* ---- timers (timers.c fires them) ---- */

/* Notices about the open tasks of token: remind whoever may do each (效能提醒), or 督办 to the
 * supervisor of the step: the station chief of the task's region (the record's county when the
 * task is an enterprise's or one person's). */
static jg_rc notify(run *x, int64_t token, const char *kind, const char *message)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(token)};
    jg_rc rc = jg_db_query(
        x->c,
        "SELECT id, assignee_id, COALESCE(candidate_roles, pool_roles), COALESCE(org_code, pool_org),"
        " COALESCE(enterprise_id, pool_enterprise) FROM flow_task WHERE token_id = $1 AND state ="
        " 'open' ORDER BY id",
        p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int supervise = strcmp(kind, "supervise") == 0;
    for (int i = 0; i < jg_rows_count(r) && rc == JG_OK && !(supervise && i > 0); i++) {
        const char *org = jg_rows_text(r, i, 3);
        int64_t user = jg_rows_int(r, i, 1), enterprise = jg_rows_int(r, i, 4);
        jg_value q[] = {JG_VTEXT(kind),
                        JG_VINT(x->op->instance_id),
                        JG_VINT(jg_rows_int(r, i, 0)),
                        !supervise && user > 0 ? JG_VINT(user) : JG_VNULL,
                        supervise                                    ? JG_VTEXT(",station_chief,")
                        : user == 0 && jg_rows_text(r, i, 2) != NULL ? JG_VTEXT(jg_rows_text(r, i, 2))
                                                                     : JG_VNULL,
                        supervise                  ? JG_VTEXT(org != NULL ? org : level_org(x, "county"))
                        : user == 0 && org != NULL ? JG_VTEXT(org)
                                                   : JG_VNULL,
                        !supervise && user == 0 && enterprise > 0 ? JG_VINT(enterprise) : JG_VNULL,
                        JG_VTEXT(message),
                        JG_VTEXT(x->now)};
        rc = jg_db_exec(
            x->c,
            "INSERT INTO flow_notice (kind, instance_id, task_id, user_id, roles, org_code, enterprise_id,"
            " message, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            q, 9, NULL);
    }
    jg_rows_free(r);
    return rc;
}

jg_rc jg_flow_fire_timer(jg_conn *c, jg_flow_op *op, int64_t timer_id, const char *at, int *fired)
{
    run x = {.c = c, .op = op, .who = NULL};
    snprintf(x.now, sizeof(x.now), "%s", at);
    *fired = 0;
    int64_t changed = 0;
    jg_value claim[] = {JG_VTEXT(x.now), JG_VINT(timer_id)};
    jg_rc rc =
        jg_db_exec(c,
                   "UPDATE flow_timer SET state = 'fired', fired_at = $1 WHERE id = $2 AND state = 'pending'"
                   " AND due_at <= $1",
                   claim, 2, &changed);
    if (rc != JG_OK || changed != 1)
        return rc; /* another server fired it, or it is not due */
    jg_rows *r;
    jg_value p[] = {JG_VINT(timer_id)};
    rc = jg_db_query(
        c,
        "SELECT t.instance_id, t.token_id, t.node, t.kind, i.definition_id, i.entity, i.record_id,"
        " i.started_by, i.state, (SELECT count(*) FROM flow_token k WHERE k.id = t.token_id)"
        " FROM flow_timer t JOIN flow_instance i ON i.id = t.instance_id WHERE t.id = $1",
        p, 1, &r);
    if (rc != JG_OK)
        return rc;
    op->instance_id = jg_rows_int(r, 0, 0);
    int64_t token = jg_rows_int(r, 0, 1), definition = jg_rows_int(r, 0, 4), record_id = jg_rows_int(r, 0, 6);
    char node_id[JG_BPMN_ID_MAX + 1], entity[64], kind[16];
    snprintf(node_id, sizeof(node_id), "%s", jg_rows_text(r, 0, 2));
    snprintf(kind, sizeof(kind), "%s", jg_rows_text(r, 0, 3));
    snprintf(entity, sizeof(entity), "%s", jg_rows_text(r, 0, 5));
    x.started_by = jg_rows_int(r, 0, 7);
    int live = strcmp(jg_rows_text(r, 0, 8), "running") == 0 && jg_rows_int(r, 0, 9) == 1;
    jg_rows_free(r);
    op->state = "running";
    if (!live) /* the step was done before its time: nothing to do */
        return jg_db_exec(c, "UPDATE flow_timer SET state = 'cancelled' WHERE id = $1", p, 1, NULL);
    rc = model_of(c, definition, &x.m);
    if (rc == JG_OK)
        rc = load_record(&x, entity, record_id);
    int node = rc == JG_OK ? jg_flow_node_index(x.m, node_id) : -1;
    if (rc == JG_OK && node < 0)
        rc = JG_ERR;
    if (rc != JG_OK)
        goto done;
    const jg_flow_node *n = &x.m->nodes[node];
    int64_t own = op->instance_id;
    jg_value t[] = {JG_VINT(token), JG_VTEXT(x.now)};
    if (strcmp(kind, "boundary") == 0) {
        const jg_flow_node *task = &x.m->nodes[n->attached_to];
        rc = notify(&x, token, "supervise",
                    jg_arena_printf(op->req->arena, "督办：“%s”已超过时限（%s）",
                                    task->name ? task->name : task->id, n->name ? n->name : n->id));
        if (rc == JG_OK && n->cancel) {
            rc = jg_db_exec(
                c,
                "UPDATE flow_task SET state = 'cancelled', done_at = $2, action = 'timeout', version ="
                " version + 1 WHERE token_id = $1 AND state = 'open'",
                t, 2, NULL);
            if (rc == JG_OK)
                rc = jg_db_exec(c, "DELETE FROM flow_token WHERE id = $1", t, 1, NULL);
        }
        if (rc == JG_OK)
            rc = log_step(&x, 0, n->id, "timer", NULL);
        if (rc == JG_OK)
            rc = along(&x, n->out, n->nout);
    } else {
        const char *what = n->on_timeout != NULL ? n->on_timeout : "remind";
        int way = -1;
        for (int i = 0; i < n->nout && strcmp(what, "remind") != 0; i++)
            if (x.m->edges[n->out[i]].action != NULL && strcmp(x.m->edges[n->out[i]].action, what) == 0)
                way = n->out[i];
        if (way < 0 && n->nout == 1 && strcmp(what, "remind") != 0 && x.m->edges[n->out[0]].action == NULL)
            way = n->out[0];
        if (way < 0) {
            rc = notify(&x, token, "remind",
                        jg_arena_printf(op->req->arena, "提醒：“%s”已到办理时限", n->name ? n->name : n->id));
            if (rc == JG_OK)
                rc = log_step(&x, 0, n->id, "timeout:remind", NULL);
        } else {
            /* Done by the system with the step's outcome; the other signers' tasks go. */
            x.action = what;
            jg_value u[] = {JG_VTEXT(x.now), JG_VTEXT(what), JG_VINT(token)};
            rc = jg_db_exec(
                c,
                "UPDATE flow_task SET state = 'done', done_at = $1, action = $2, opinion = '超时自动办理',"
                " version = version + 1 WHERE id = (SELECT min(id) FROM flow_task WHERE token_id = $3 AND"
                " state = 'open')",
                u, 3, NULL);
            if (rc == JG_OK)
                rc = jg_db_exec(
                    c,
                    "UPDATE flow_task SET state = 'cancelled', done_at = $2, action = 'timeout', version ="
                    " version + 1 WHERE token_id = $1 AND state = 'open'",
                    t, 2, NULL);
            if (rc == JG_OK)
                rc = jg_db_exec(c, "DELETE FROM flow_token WHERE id = $1", t, 1, NULL);
            if (rc == JG_OK)
                rc = log_step(&x, 0, n->id, jg_arena_printf(op->req->arena, "timeout:%s", what),
                              "超时自动办理");
            if (rc == JG_OK)
                rc = arrive(&x, way);
        }
    }
    if (rc == JG_OK && op->instance_id == own)
        rc = or_joins_recheck(&x);
    if (rc == JG_OK && strcmp(op->state, "completed") != 0)
        rc = maybe_finish(&x);
    if (rc == JG_OK)
        *fired = 1;
done:
    json_decref(x.record);
    return rc;
}
