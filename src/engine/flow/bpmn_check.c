/* What a process must satisfy to be deployed (model.h), checked once so the engine never meets
 * a step it cannot take: references resolve, each kind of node has the flows and settings it
 * needs, every node is reachable from the start and can reach an end. */
#include "engine/flow/bpmn_int.h"

#include <stdio.h>
#include <string.h>

/* "Task_1（审核）" for messages. */
static const char *label(const jg_flow_node *x, char *buf, size_t len)
{
    if (x->name != NULL && x->name[0] != '\0')
        snprintf(buf, len, "%s（%s）", x->id, x->name);
    else
        snprintf(buf, len, "%s（%s）", x->id, jg_flow_kind_name(x->kind));
    return buf;
}

static jg_rc node_fail(jg_bpmn_ctx *c, const jg_flow_node *x, const char *why)
{
    char buf[400];
    return jg_bpmn_fail(c, "节点 %s：%s", label(x, buf, sizeof(buf)), why);
}

static jg_rc unique_ids(jg_bpmn_ctx *c)
{
    const jg_flow_model *m = c->m;
    int total = m->nnodes + m->nedges;
    for (int i = 0; i < total; i++) {
        const char *a = i < m->nnodes ? m->nodes[i].id : m->edges[i - m->nnodes].id;
        for (int j = i + 1; j < total; j++) {
            const char *b = j < m->nnodes ? m->nodes[j].id : m->edges[j - m->nnodes].id;
            if (strcmp(a, b) == 0)
                return jg_bpmn_fail(c, "id %s 重复", a);
        }
    }
    return JG_OK;
}

/* Each edge's ends, and the in/out lists of every node. */
static jg_rc link(jg_bpmn_ctx *c)
{
    jg_flow_model *m = c->m;
    for (int i = 0; i < m->nedges; i++) {
        jg_flow_edge *e = &m->edges[i];
        e->source = jg_flow_node_index(m, c->edge_src[i]);
        e->target = jg_flow_node_index(m, c->edge_dst[i]);
        if (e->source < 0 || e->target < 0)
            return jg_bpmn_fail(c, "连线 %s：找不到%s节点 %s", e->id, e->source < 0 ? "起点" : "终点",
                                e->source < 0 ? c->edge_src[i] : c->edge_dst[i]);
        m->nodes[e->source].nout++;
        m->nodes[e->target].nin++;
    }
    for (int i = 0; i < m->nnodes; i++) {
        jg_flow_node *x = &m->nodes[i];
        x->out = jg_arena_alloc(c->a, sizeof(int) * ((size_t)x->nout + 1));
        x->in = jg_arena_alloc(c->a, sizeof(int) * ((size_t)x->nin + 1));
        x->nout = x->nin = 0;
    }
    for (int i = 0; i < m->nedges; i++) {
        jg_flow_node *s = &m->nodes[m->edges[i].source], *t = &m->nodes[m->edges[i].target];
        s->out[s->nout++] = i;
        t->in[t->nin++] = i;
    }
    return JG_OK;
}

static jg_rc check_user(jg_bpmn_ctx *c, const jg_flow_node *x)
{
    static const char *const levels[] = {"applicant", "initiator", "leader", "county", "city", "province"};
    if (x->candidate_roles == NULL && x->assignee_field == NULL && x->level == NULL &&
        x->sign == JG_SIGN_NONE)
        return node_fail(
            c, x,
            "没有指定办理角色（jg:candidateRoles）、办理层级（jg:level）或办理人字段（jg:assigneeField）");
    if (x->level != NULL) {
        size_t i, n = sizeof(levels) / sizeof(levels[0]);
        for (i = 0; i < n && strcmp(x->level, levels[i]) != 0; i++)
            ;
        if (i == n)
            return node_fail(c, x, "jg:level 只能是 applicant、initiator、leader、county、city 或 province");
        if ((strcmp(x->level, "county") == 0 || strcmp(x->level, "city") == 0 ||
             strcmp(x->level, "province") == 0) &&
            x->candidate_roles == NULL)
            return node_fail(c, x, "按层级办理时还需指定办理角色（jg:candidateRoles）");
    }
    if (x->on_timeout != NULL && strcmp(x->on_timeout, "remind") != 0 &&
        strcmp(x->on_timeout, "approve") != 0 && strcmp(x->on_timeout, "reject") != 0)
        return node_fail(c, x,
                         "jg:onTimeout 只能是 remind（提醒）、approve（自动通过）或 reject（自动退回）");
    if (x->on_timeout != NULL && x->due_days == 0)
        return node_fail(c, x, "设置了超时处理（jg:onTimeout）但没有办理时限（jg:dueDays）");
    if (x->sign != JG_SIGN_NONE && x->signers_field == NULL && x->candidate_roles == NULL)
        return node_fail(c, x, "会签需要会签人字段（jg:signersField）或办理角色");
    /* Several ways out of a task: each is a button (jg:action) or a condition, all different. */
    if (x->nout > 1) {
        const jg_flow_model *m = c->m;
        for (int i = 0; i < x->nout; i++) {
            const jg_flow_edge *e = &m->edges[x->out[i]];
            if (e->action == NULL && e->cond == NULL)
                return node_fail(c, x, "有多条出线时，每条都要有办理动作（jg:action）或条件；否则请用网关");
            for (int j = 0; j < i && e->action != NULL; j++) {
                const jg_flow_edge *f = &m->edges[x->out[j]];
                if (f->action != NULL && strcmp(f->action, e->action) == 0)
                    return node_fail(c, x, "两条出线的办理动作（jg:action）相同");
            }
        }
    }
    return JG_OK;
}

static jg_rc check_gateway(jg_bpmn_ctx *c, int index)
{
    jg_flow_model *m = c->m;
    jg_flow_node *x = &m->nodes[index];
    const char *def = c->node_ref[index];
    if (x->nin == 0 || x->nout == 0)
        return node_fail(c, x, "网关必须有进线和出线");
    if (x->kind == JG_NODE_AND) {
        for (int i = 0; i < x->nout; i++)
            if (m->edges[x->out[i]].cond != NULL)
                return node_fail(c, x, "并行网关的出线不能带条件");
        return JG_OK;
    }
    for (int i = 0; i < x->nout; i++)
        if (def != NULL && strcmp(m->edges[x->out[i]].id, def) == 0)
            x->default_edge = x->out[i];
    if (def != NULL && x->default_edge < 0)
        return node_fail(c, x, "默认出线（default）不是本网关的出线");
    if (x->nout > 1) {
        for (int i = 0; i < x->nout; i++)
            if (x->out[i] != x->default_edge && m->edges[x->out[i]].cond == NULL)
                return node_fail(c, x, "网关有多条出线时，除默认出线外每条都要有条件");
    }
    return JG_OK;
}

static jg_rc check_node(jg_bpmn_ctx *c, int index, int *starts)
{
    jg_flow_model *m = c->m;
    jg_flow_node *x = &m->nodes[index];
    switch (x->kind) {
    case JG_NODE_START:
        ++*starts;
        m->start = index;
        if (x->nin > 0 || x->nout != 1)
            return node_fail(c, x, "开始事件不能有进线，且只能有一条出线");
        return JG_OK;
    case JG_NODE_END:
        return x->nout > 0 ? node_fail(c, x, "结束事件不能有出线") : JG_OK;
    case JG_NODE_TIMER: {
        int t = jg_flow_node_index(m, c->node_ref[index]);
        if (t < 0 || m->nodes[t].kind != JG_NODE_USER)
            return node_fail(c, x, "定时边界事件只能附着在用户任务上");
        x->attached_to = t;
        jg_flow_node *task = &m->nodes[t];
        int *timers = jg_arena_alloc(c->a, sizeof(int) * ((size_t)task->ntimers + 1));
        if (task->ntimers > 0)
            memcpy(timers, task->timers, sizeof(int) * (size_t)task->ntimers);
        timers[task->ntimers++] = index;
        task->timers = timers;
        if (x->nin > 0 || x->nout != 1)
            return node_fail(c, x, "定时边界事件不能有进线，且只能有一条出线");
        return JG_OK;
    }
    case JG_NODE_XOR:
    case JG_NODE_AND:
    case JG_NODE_OR:
        return check_gateway(c, index);
    default:
        break;
    }
    if (x->nin == 0 || x->nout == 0)
        return node_fail(c, x, "任务必须有进线和出线");
    if (x->kind == JG_NODE_SERVICE && x->action == NULL)
        return node_fail(c, x, "服务任务没有指定动作（jg:action）");
    if (x->kind == JG_NODE_CALL && x->called == NULL)
        return node_fail(c, x, "子流程没有指定被调用的流程（calledElement）");
    if (x->kind != JG_NODE_USER && x->nout > 1)
        return node_fail(c, x, "只能有一条出线；要分支请用网关");
    return x->kind == JG_NODE_USER ? check_user(c, x) : JG_OK;
}

/* Mark what can be reached from start (forward) or what reaches an end (backward). A boundary
 * timer goes with its task. */
static void walk(const jg_flow_model *m, int forward, unsigned char *seen, int *stack)
{
    int top = 0;
    for (int i = 0; i < m->nnodes; i++) {
        int root = forward ? i == m->start : m->nodes[i].kind == JG_NODE_END;
        if (root) {
            seen[i] = 1;
            stack[top++] = i;
        }
    }
    while (top > 0) {
        const jg_flow_node *x = &m->nodes[stack[--top]];
        int n = forward ? x->nout : x->nin;
        for (int k = 0; k <= n; k++) {
            int next;
            if (k < n) {
                const jg_flow_edge *e = &m->edges[forward ? x->out[k] : x->in[k]];
                next = forward ? e->target : e->source;
            } else if (x->kind == JG_NODE_TIMER) {
                next = x->attached_to; /* backward: the task reaches an end through its timer */
                if (forward)
                    continue;
            } else {
                continue;
            }
            if (!seen[next]) {
                seen[next] = 1;
                stack[top++] = next;
            }
        }
        if (forward) /* a task's timers start when the task does */
            for (int t = 0; t < x->ntimers; t++)
                if (!seen[x->timers[t]]) {
                    seen[x->timers[t]] = 1;
                    stack[top++] = x->timers[t];
                }
    }
}

static jg_rc reachable(jg_bpmn_ctx *c)
{
    const jg_flow_model *m = c->m;
    unsigned char *fwd = jg_arena_alloc(c->a, (size_t)m->nnodes + 1);
    unsigned char *bwd = jg_arena_alloc(c->a, (size_t)m->nnodes + 1);
    int *stack = jg_arena_alloc(c->a, sizeof(int) * ((size_t)m->nnodes + 1));
    memset(fwd, 0, (size_t)m->nnodes + 1);
    memset(bwd, 0, (size_t)m->nnodes + 1);
    walk(m, 1, fwd, stack);
    walk(m, 0, bwd, stack);
    for (int i = 0; i < m->nnodes; i++) {
        if (!fwd[i])
            return node_fail(c, &m->nodes[i], "从开始事件到达不了");
        if (!bwd[i])
            return node_fail(c, &m->nodes[i], "到达不了任何结束事件");
    }
    return JG_OK;
}

jg_rc jg_bpmn_check(jg_bpmn_ctx *c)
{
    jg_flow_model *m = c->m;
    jg_rc rc = unique_ids(c);
    if (rc == JG_OK)
        rc = link(c);
    int starts = 0, ends = 0;
    for (int i = 0; rc == JG_OK && i < m->nnodes; i++) {
        rc = check_node(c, i, &starts);
        ends += m->nodes[i].kind == JG_NODE_END;
    }
    if (rc != JG_OK)
        return rc;
    if (starts != 1)
        return jg_bpmn_fail(c, "流程必须有且只有一个开始事件（现有 %d 个）", starts);
    if (ends == 0)
        return jg_bpmn_fail(c, "流程至少要有一个结束事件");
    return reachable(c);
}
