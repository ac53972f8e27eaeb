/* Running processes (run.h): moving tokens through a model inside one transaction. */
#include "engine/flow/run.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "engine/flow/actions.h"
#include "platform/session.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STEPS 1000 /* automatic steps in one operation: more means a loop without a user task */

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

/* now + days (working days skip Saturdays and Sundays; holidays are not known yet). */
static void due_of(const char *now, int days, int working, char *out, size_t len)
{
    int64_t utc;
    if (!jg_time_parse_iso(now, &utc)) {
        snprintf(out, len, "%s", now);
        return;
    }
    time_t t = (time_t)utc;
    for (int left = days; left > 0;) {
        t += 86400;
        struct tm w;
        gmtime_r(&t, &w);
        if (!working || (w.tm_wday != 0 && w.tm_wday != 6))
            left--;
    }
    struct tm w;
    gmtime_r(&t, &w);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &w);
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

/* A token of the instance at node n, arrived by edge (or none: -1). */
static jg_rc put_token(run *x, const jg_flow_node *n, int edge, int64_t *id)
{
    jg_value p[] = {JG_VINT(x->op->instance_id), JG_VTEXT(n->id),
                    edge >= 0 ? JG_VTEXT(x->m->edges[edge].id) : JG_VNULL};
    return one_int(x, "INSERT INTO flow_token (instance_id, node, edge) VALUES ($1, $2, $3) RETURNING id", p,
                   3, id);
}

static jg_rc enter_user_task(run *x, int node, int edge)
{
    const jg_flow_node *n = &x->m->nodes[node];
    int64_t token, task;
    jg_rc rc = put_token(x, n, edge, &token);
    if (rc != JG_OK)
        return rc;
    const char *level = n->level != NULL ? n->level : "county";
    const char *roles =
        n->candidate_roles != NULL ? jg_arena_printf(x->op->req->arena, ",%s,", n->candidate_roles) : NULL;
    int applicant = strcmp(level, "applicant") == 0, initiator = strcmp(level, "initiator") == 0;
    char due[32] = "";
    if (n->due_days > 0)
        due_of(x->now, n->due_days, n->working_days, due, sizeof(due));
    jg_value p[] = {JG_VINT(x->op->instance_id),
                    JG_VINT(token),
                    JG_VTEXT(n->id),
                    JG_VTEXT(n->name != NULL ? n->name : n->id),
                    roles != NULL ? JG_VTEXT(roles) : JG_VNULL,
                    applicant || initiator ? JG_VNULL : JG_VTEXT(level_org(x, level)),
                    applicant ? JG_VINT(x->enterprise_id) : JG_VNULL,
                    initiator ? JG_VINT(x->started_by) : JG_VNULL,
                    JG_VTEXT(x->now),
                    due[0] != '\0' ? JG_VTEXT(due) : JG_VNULL};
    rc =
        one_int(x,
                "INSERT INTO flow_task (instance_id, token_id, node, name, state, candidate_roles, org_code,"
                " enterprise_id, assignee_id, created_at, due_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7,"
                " $8, $9, $10) RETURNING id",
                p, 10, &task);
    if (rc != JG_OK)
        return rc;
    rc = log_step(x, task, n->id, "enter", NULL);
    if (rc == JG_OK && n->state != NULL)
        rc = set_state(x, n->state);
    return rc;
}

/* The instance ends when nothing is left in it. */
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
    return rc;
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
    return json_pack("{s:s?, s:O}", "action", x->action, "record", x->record);
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
        jg_rc rc = jg_flow_action_run(n->action, x->c, x->op->instance_id);
        if (rc == JG_OK)
            rc = log_step(x, 0, n->id, jg_arena_printf(x->op->req->arena, "service:%s", n->action), NULL);
        return rc == JG_OK ? along(x, n->out, n->nout) : rc;
    }
    case JG_NODE_XOR:
        return choose(x, n, 1);
    case JG_NODE_OR:
        return choose(x, n, 0);
    case JG_NODE_AND:
        return n->nin > 1 ? join(x, n, edge) : along(x, n->out, n->nout);
    default:
        return refuse(x, JG_INVALID, "流程无法继续：节点 %s 尚不支持运行", n->id);
    }
}

/* What of m cannot run yet (run.h), as a refusal naming the node. */
static jg_rc runnable(run *x, const jg_entity *e)
{
    for (int i = 0; i < x->m->nnodes; i++) {
        const jg_flow_node *n = &x->m->nodes[i];
        const char *why = n->kind == JG_NODE_CALL               ? "子流程尚不支持运行"
                          : n->kind == JG_NODE_OR && n->nin > 1 ? "包容网关的汇聚尚不支持运行"
                          : n->sign != JG_SIGN_NONE             ? "会签尚不支持运行"
                          : n->assignee_field != NULL           ? "按字段指定办理人尚不支持运行"
                          : n->kind == JG_NODE_SERVICE && !jg_flow_action_known(n->action)
                              ? "服务任务的动作未注册"
                              : NULL;
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

jg_rc jg_flow_complete(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *action,
                       const char *opinion)
{
    run x = {.c = c, .op = op, .who = op->req->principal, .action = action};
    jg_time_iso_now(x.now, sizeof(x.now));
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[8] = {JG_VINT(task_id)};
    int n = 1;
    jg_buf_puts(
        &sql, "SELECT t.node, t.state, t.version, i.id, i.definition_id, i.entity, i.record_id, i.started_by,"
              " t.token_id FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id WHERE t.id = $1");
    jg_flow_mine_sql(x.who, &sql, p, &n);
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return refuse(&x, JG_NOTFOUND, "待办任务不存在");
    }
    char node_id[JG_BPMN_ID_MAX + 1], entity[64];
    snprintf(node_id, sizeof(node_id), "%s", jg_rows_text(r, 0, 0));
    snprintf(entity, sizeof(entity), "%s", jg_rows_text(r, 0, 5));
    int open = strcmp(jg_rows_text(r, 0, 1), "open") == 0 && jg_rows_int(r, 0, 2) == version;
    op->instance_id = jg_rows_int(r, 0, 3);
    int64_t definition = jg_rows_int(r, 0, 4), record_id = jg_rows_int(r, 0, 6), token = jg_rows_int(r, 0, 8);
    x.started_by = jg_rows_int(r, 0, 7);
    jg_rows_free(r);
    if (!open)
        return refuse(&x, JG_CONFLICT, "该任务已被办理或已变化，请刷新后再试");
    rc = model_of(c, definition, &x.m);
    if (rc == JG_OK)
        rc = load_record(&x, entity, record_id);
    if (rc != JG_OK)
        goto done;
    int node = jg_flow_node_index(x.m, node_id);
    const jg_flow_node *nd = node >= 0 ? &x.m->nodes[node] : NULL;
    if (nd == NULL) {
        rc = JG_ERR;
        goto done;
    }
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
    jg_value t[] = {JG_VINT(token)};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM flow_token WHERE id = $1", t, 1, NULL);
    if (rc == JG_OK)
        rc = log_step(&x, task_id, node_id,
                      jg_arena_printf(op->req->arena, "complete:%s", action != NULL ? action : "complete"),
                      opinion);
    op->state = "running";
    if (rc == JG_OK)
        rc = arrive(&x, way);
    if (rc == JG_OK && strcmp(op->state, "completed") != 0)
        rc = maybe_finish(&x);
done:
    json_decref(x.record);
    return rc;
}
