/* The BPMN 2.0 loader (model.h): libxml2 reads the document without DTDs, entities or network,
 * this file turns the one process into nodes and flows, and bpmn_check.c checks the graph. */
#include "engine/flow/bpmn_int.h"

#include "base/mem.h"
#include "base/text.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

jg_rc jg_bpmn_fail(jg_bpmn_ctx *c, const char *fmt, ...)
{
    if (c->errlen > 0 && c->err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return JG_INVALID;
}

const char *jg_flow_kind_name(jg_node_kind k)
{
    static const char *const names[] = {"startEvent",       "endEvent",         "userTask",
                                        "serviceTask",      "exclusiveGateway", "parallelGateway",
                                        "inclusiveGateway", "callActivity",     "boundaryEvent"};
    return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

int jg_flow_node_index(const jg_flow_model *m, const char *id)
{
    for (int i = 0; id != NULL && i < m->nnodes; i++)
        if (strcmp(m->nodes[i].id, id) == 0)
            return i;
    return -1;
}

/* ---- reading elements ---- */

static int is_bpmn(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, JG_BPMN_NS) == 0 &&
           (name == NULL || strcmp((const char *)n->name, name) == 0);
}

/* An attribute (no namespace, or ours when jg) as an arena copy, or NULL. Text must be UTF-8
 * without control characters and at most max bytes. */
static jg_rc attr(jg_bpmn_ctx *c, const xmlNode *n, const char *name, int jg, size_t max, const char **out)
{
    *out = NULL;
    xmlChar *v = jg ? xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)JG_BPMN_JG_NS)
                    : xmlGetNoNsProp(n, (const xmlChar *)name);
    if (v == NULL)
        return JG_OK;
    size_t len = strlen((const char *)v);
    int ok = len <= max;
    for (size_t i = 0; ok && i < len; i++)
        ok = v[i] >= 0x20 || v[i] == '\n' || v[i] == '\t';
    if (ok)
        *out = jg_arena_strdup(c->a, (const char *)v);
    xmlFree(v);
    return ok ? JG_OK
              : jg_bpmn_fail(c, "元素 %s 的属性 %s%s 过长或含控制字符", (const char *)n->name,
                             jg ? "jg:" : "", name);
}

/* The text of element n (its text children), trimmed, as an arena copy. */
static const char *text_of(jg_bpmn_ctx *c, const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    const char *s = v != NULL ? (const char *)v : "";
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    char *out = jg_arena_alloc(c->a, len + 1);
    memcpy(out, s, len);
    out[len] = '\0';
    xmlFree(v);
    return out;
}

static int id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > JG_BPMN_ID_MAX ||
        !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

static jg_rc id_and_name(jg_bpmn_ctx *c, const xmlNode *n, const char **id, const char **name)
{
    jg_rc rc = attr(c, n, "id", 0, JG_BPMN_ID_MAX + 1, id);
    if (rc == JG_OK)
        rc = attr(c, n, "name", 0, 300, name);
    if (rc != JG_OK)
        return rc;
    if (*id == NULL || !id_ok(*id))
        return jg_bpmn_fail(c, "元素 %s 缺少合法的 id（字母开头，最多 %d 个字母、数字、_ - .）",
                            (const char *)n->name, JG_BPMN_ID_MAX);
    return JG_OK;
}

/* ---- nodes ---- */

static jg_flow_node *add_node(jg_bpmn_ctx *c, jg_node_kind kind)
{
    jg_flow_model *m = c->m;
    if (m->nnodes == JG_BPMN_MAX_NODES) {
        jg_bpmn_fail(c, "流程的节点过多（最多 %d 个）", JG_BPMN_MAX_NODES);
        return NULL;
    }
    jg_flow_node *x = &m->nodes[m->nnodes++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->default_edge = -1;
    x->attached_to = -1;
    x->cancel = 1;
    return x;
}

/* Children of a task or event that carry no behaviour of their own. */
static int inert(const xmlNode *k)
{
    static const char *const names[] = {"incoming", "outgoing", "documentation", "extensionElements"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (is_bpmn(k, names[i]))
            return 1;
    return k->type != XML_ELEMENT_NODE ||
           (k->ns != NULL && strcmp((const char *)k->ns->href, JG_BPMN_NS) != 0);
}

static jg_rc multi_instance(jg_bpmn_ctx *c, const xmlNode *k, jg_flow_node *x)
{
    const char *seq, *complete, *ratio;
    jg_rc rc = attr(c, k, "isSequential", 0, 10, &seq);
    if (rc == JG_OK)
        rc = attr(c, k, "complete", 1, 10, &complete);
    if (rc == JG_OK)
        rc = attr(c, k, "ratio", 1, 10, &ratio);
    if (rc == JG_OK)
        rc = attr(c, k, "signersField", 1, 40, &x->signers_field);
    if (rc != JG_OK)
        return rc;
    x->sequential = seq != NULL && strcmp(seq, "true") == 0;
    x->sign = complete == NULL || strcmp(complete, "all") == 0 ? JG_SIGN_ALL
              : strcmp(complete, "any") == 0                   ? JG_SIGN_ANY
              : strcmp(complete, "ratio") == 0                 ? JG_SIGN_RATIO
                                                               : JG_SIGN_NONE;
    if (x->sign == JG_SIGN_NONE)
        return jg_bpmn_fail(c, "节点 %s：会签的 jg:complete 只能是 all、any 或 ratio", x->id);
    if (x->sign == JG_SIGN_RATIO) {
        char *end = NULL;
        x->ratio = ratio != NULL ? strtod(ratio, &end) : 0;
        if (ratio == NULL || *end != '\0' || !(x->ratio > 0 && x->ratio <= 1))
            return jg_bpmn_fail(c, "节点 %s：按比例会签需要 jg:ratio（大于 0、不大于 1 的小数）", x->id);
    }
    for (const xmlNode *g = k->children; g != NULL; g = g->next)
        if (!inert(g) && !is_bpmn(g, "loopCardinality"))
            return jg_bpmn_fail(c, "节点 %s：会签中不支持 %s", x->id, (const char *)g->name);
    return JG_OK;
}

static jg_rc int_attr(jg_bpmn_ctx *c, const xmlNode *n, jg_flow_node *x, const char *name, int lo, int hi,
                      int *out)
{
    const char *v;
    jg_rc rc = attr(c, n, name, 1, 10, &v);
    if (rc != JG_OK || v == NULL)
        return rc;
    int64_t i;
    if (jg_parse_int64(v, lo, hi, &i) != JG_OK)
        return jg_bpmn_fail(c, "节点 %s：jg:%s 应是 %d 到 %d 的整数", x->id, name, lo, hi);
    *out = (int)i;
    return JG_OK;
}

/* 1 when list (jg:editable) is "*" or field names [a-z][a-z0-9_]* (at most 64 bytes) separated by
 * commas and spaces: what engine/flow/editable.c reads. */
static int editable_ok(const char *list)
{
    for (const char *p = list; *p != '\0';) {
        while (*p == ',' || *p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *w = p;
        if (*p == '*') {
            p++;
        } else {
            if (*p < 'a' || *p > 'z')
                return 0;
            while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
                p++;
        }
        if (p - w > 64 || (*p != '\0' && *p != ',' && *p != ' '))
            return 0;
    }
    return 1;
}

static jg_rc user_task(jg_bpmn_ctx *c, const xmlNode *n, jg_flow_node *x)
{
    const char *calendar = NULL, *returnable = NULL, *sign = NULL;
    jg_rc rc = attr(c, n, "candidateRoles", 1, 500, &x->candidate_roles);
    if (rc == JG_OK)
        rc = attr(c, n, "level", 1, 20, &x->level);
    if (rc == JG_OK)
        rc = attr(c, n, "assigneeField", 1, 40, &x->assignee_field);
    if (rc == JG_OK)
        rc = attr(c, n, "state", 1, 40, &x->state);
    if (rc == JG_OK)
        rc = attr(c, n, "editable", 1, 2000, &x->editable);
    if (rc == JG_OK)
        rc = attr(c, n, "onTimeout", 1, 20, &x->on_timeout);
    if (rc == JG_OK)
        rc = attr(c, n, "calendar", 1, 20, &calendar);
    if (rc == JG_OK)
        rc = attr(c, n, "returnable", 1, 10, &returnable);
    if (rc == JG_OK)
        rc = attr(c, n, "sign", 1, 10, &sign);
    if (rc == JG_OK)
        rc = int_attr(c, n, x, "dueDays", 0, 365, &x->due_days);
    if (rc != JG_OK)
        return rc;
    if (x->editable != NULL && !editable_ok(x->editable))
        return jg_bpmn_fail(c, "节点 %s：jg:editable 应是以逗号分隔的字段名，或 *（全部字段）", x->id);
    x->working_days = calendar == NULL || strcmp(calendar, "working") == 0;
    if (calendar != NULL && !x->working_days && strcmp(calendar, "calendar") != 0)
        return jg_bpmn_fail(c, "节点 %s：jg:calendar 只能是 working（工作日）或 calendar（自然日）", x->id);
    x->returnable = returnable == NULL || strcmp(returnable, "false") != 0;
    if (sign != NULL && strcmp(sign, "required") != 0 && strcmp(sign, "optional") != 0)
        return jg_bpmn_fail(c, "节点 %s：jg:sign 只能是 required（须电子签名）或 optional", x->id);
    x->sign_required = sign != NULL && strcmp(sign, "required") == 0;
    for (const xmlNode *k = n->children; k != NULL; k = k->next) {
        if (is_bpmn(k, "multiInstanceLoopCharacteristics")) {
            rc = multi_instance(c, k, x);
            if (rc != JG_OK)
                return rc;
        } else if (!inert(k)) {
            return jg_bpmn_fail(c, "节点 %s：用户任务中不支持 %s", x->id, (const char *)k->name);
        }
    }
    return JG_OK;
}

/* ISO 8601 durations: PnD, PnW, PTnHnMnS (and PnDTnH…). Days alone when working days count. */
static jg_rc duration(jg_bpmn_ctx *c, const char *id, const char *s, jg_flow_node *x)
{
    int64_t total = 0, days = 0;
    int in_time = 0, any = 0;
    const char *p = s;
    if (*p++ != 'P')
        goto bad;
    while (*p != '\0') {
        if (*p == 'T' && !in_time) {
            in_time = 1;
            p++;
            continue;
        }
        int64_t v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0)
            goto bad;
        char unit = *p++;
        if (!in_time && unit == 'D')
            days += v;
        else if (!in_time && unit == 'W')
            days += 7 * v;
        else if (in_time && unit == 'H')
            total += 3600 * v;
        else if (in_time && unit == 'M')
            total += 60 * v;
        else if (in_time && unit == 'S')
            total += v;
        else
            goto bad;
        any = 1;
    }
    if (!any || days > 3650)
        goto bad;
    x->duration_days = (int)days;
    x->duration_s = total + days * 86400;
    if (x->duration_s <= 0)
        goto bad;
    return JG_OK;
bad:
    return jg_bpmn_fail(c, "定时事件 %s：时长“%.40s”不是支持的 ISO 8601 时长（如 P5D、PT4H）", id, s);
}

static jg_rc boundary(jg_bpmn_ctx *c, const xmlNode *n, jg_flow_node *x)
{
    const char *attached, *cancel, *calendar;
    jg_rc rc = attr(c, n, "attachedToRef", 0, JG_BPMN_ID_MAX, &attached);
    if (rc == JG_OK)
        rc = attr(c, n, "cancelActivity", 0, 10, &cancel);
    if (rc == JG_OK)
        rc = attr(c, n, "calendar", 1, 20, &calendar);
    if (rc != JG_OK)
        return rc;
    if (attached == NULL)
        return jg_bpmn_fail(c, "边界事件 %s：缺少 attachedToRef", x->id);
    c->node_ref[x - c->m->nodes] = attached; /* resolved to attached_to by the check */
    x->cancel = cancel == NULL || strcmp(cancel, "false") != 0;
    x->working_days = calendar != NULL && strcmp(calendar, "working") == 0;
    const xmlNode *timer = NULL;
    for (const xmlNode *k = n->children; k != NULL; k = k->next) {
        if (is_bpmn(k, "timerEventDefinition") && timer == NULL)
            timer = k;
        else if (!inert(k))
            return jg_bpmn_fail(c, "边界事件 %s：只支持定时边界事件，不支持 %s", x->id,
                                (const char *)k->name);
    }
    if (timer == NULL)
        return jg_bpmn_fail(c, "边界事件 %s：只支持定时边界事件（timerEventDefinition）", x->id);
    const xmlNode *dur = NULL;
    for (const xmlNode *k = timer->children; k != NULL; k = k->next) {
        if (is_bpmn(k, "timeDuration"))
            dur = k;
        else if (!inert(k))
            return jg_bpmn_fail(c, "定时事件 %s：只支持 timeDuration，不支持 %s", x->id,
                                (const char *)k->name);
    }
    if (dur == NULL)
        return jg_bpmn_fail(c, "定时事件 %s：缺少 timeDuration", x->id);
    rc = duration(c, x->id, text_of(c, dur), x);
    if (rc == JG_OK && x->working_days && x->duration_s != (int64_t)x->duration_days * 86400)
        return jg_bpmn_fail(c, "定时事件 %s：按工作日计时的时长只能是整天（如 P5D）", x->id);
    return rc;
}

/* An event with no trigger: no event definitions inside. */
static jg_rc plain_event(jg_bpmn_ctx *c, const xmlNode *n, jg_flow_node *x, const char *what)
{
    for (const xmlNode *k = n->children; k != NULL; k = k->next)
        if (!inert(k))
            return jg_bpmn_fail(c, "%s %s：只支持无触发条件的事件，不支持 %s", what, x->id,
                                (const char *)k->name);
    return JG_OK;
}

static jg_rc no_children(jg_bpmn_ctx *c, const xmlNode *n, jg_flow_node *x)
{
    for (const xmlNode *k = n->children; k != NULL; k = k->next)
        if (!inert(k))
            return jg_bpmn_fail(c, "节点 %s：不支持其中的 %s", x->id, (const char *)k->name);
    return JG_OK;
}

static const struct {
    const char *element;
    jg_node_kind kind;
} node_elements[] = {
    {"startEvent", JG_NODE_START},    {"endEvent", JG_NODE_END},         {"userTask", JG_NODE_USER},
    {"serviceTask", JG_NODE_SERVICE}, {"exclusiveGateway", JG_NODE_XOR}, {"parallelGateway", JG_NODE_AND},
    {"inclusiveGateway", JG_NODE_OR}, {"callActivity", JG_NODE_CALL},    {"boundaryEvent", JG_NODE_TIMER},
};

static jg_rc node_element(jg_bpmn_ctx *c, const xmlNode *n, jg_node_kind kind)
{
    jg_flow_node *x = add_node(c, kind);
    if (x == NULL)
        return JG_INVALID;
    jg_rc rc = id_and_name(c, n, &x->id, &x->name);
    if (rc != JG_OK)
        return rc;
    switch (kind) {
    case JG_NODE_START:
        return plain_event(c, n, x, "开始事件");
    case JG_NODE_END:
        rc = attr(c, n, "state", 1, 40, &x->state);
        return rc == JG_OK ? plain_event(c, n, x, "结束事件") : rc;
    case JG_NODE_USER:
        return user_task(c, n, x);
    case JG_NODE_SERVICE:
        rc = attr(c, n, "action", 1, 80, &x->action);
        return rc == JG_OK ? no_children(c, n, x) : rc;
    case JG_NODE_CALL:
        rc = attr(c, n, "calledElement", 0, JG_BPMN_ID_MAX, &x->called);
        return rc == JG_OK ? no_children(c, n, x) : rc;
    case JG_NODE_TIMER:
        return boundary(c, n, x);
    case JG_NODE_XOR:
    case JG_NODE_OR:
        /* The default flow's id, resolved to default_edge by the check. */
        rc = attr(c, n, "default", 0, JG_BPMN_ID_MAX, &c->node_ref[x - c->m->nodes]);
        return rc == JG_OK ? no_children(c, n, x) : rc;
    case JG_NODE_AND:
        return no_children(c, n, x);
    }
    return JG_OK;
}

static jg_rc flow_element(jg_bpmn_ctx *c, const xmlNode *n)
{
    jg_flow_model *m = c->m;
    if (m->nedges == JG_BPMN_MAX_FLOWS)
        return jg_bpmn_fail(c, "流程的连线过多（最多 %d 条）", JG_BPMN_MAX_FLOWS);
    jg_flow_edge *e = &m->edges[m->nedges++];
    memset(e, 0, sizeof(*e));
    e->source = e->target = -1;
    jg_rc rc = id_and_name(c, n, &e->id, &e->name);
    const char *src, *dst;
    if (rc == JG_OK)
        rc = attr(c, n, "sourceRef", 0, JG_BPMN_ID_MAX, &src);
    if (rc == JG_OK)
        rc = attr(c, n, "targetRef", 0, JG_BPMN_ID_MAX, &dst);
    if (rc == JG_OK)
        rc = attr(c, n, "action", 1, 40, &e->action);
    if (rc != JG_OK)
        return rc;
    if (src == NULL || dst == NULL)
        return jg_bpmn_fail(c, "连线 %s：缺少 sourceRef 或 targetRef", e->id);
    /* Kept as ids until every node is read; the check resolves them. */
    c->edge_src[m->nedges - 1] = src;
    c->edge_dst[m->nedges - 1] = dst;
    for (const xmlNode *k = n->children; k != NULL; k = k->next) {
        if (is_bpmn(k, "conditionExpression") && e->condition == NULL) {
            e->condition = text_of(c, k);
            char msg[256];
            if (jg_expr_parse(e->condition, strlen(e->condition), c->a, &e->cond, msg, sizeof(msg)) != JG_OK)
                return jg_bpmn_fail(c, "连线 %s 的条件：%s", e->id, msg);
        } else if (!inert(k)) {
            return jg_bpmn_fail(c, "连线 %s：不支持其中的 %s", e->id, (const char *)k->name);
        }
    }
    return JG_OK;
}

/* Elements of a process with no behaviour (lanes, notes). */
static int decoration(const xmlNode *k)
{
    static const char *const names[] = {"laneSet", "textAnnotation", "association", "documentation",
                                        "extensionElements"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (is_bpmn(k, names[i]))
            return 1;
    return 0;
}

static jg_rc process(jg_bpmn_ctx *c, const xmlNode *proc)
{
    jg_rc rc = id_and_name(c, proc, &c->m->key, &c->m->name);
    const char *exec;
    if (rc == JG_OK)
        rc = attr(c, proc, "isExecutable", 0, 10, &exec);
    if (rc != JG_OK)
        return rc;
    if (exec != NULL && strcmp(exec, "false") == 0)
        return jg_bpmn_fail(c, "流程 %s 标记为不可执行（isExecutable=\"false\"）", c->m->key);
    for (const xmlNode *k = proc->children; k != NULL && rc == JG_OK; k = k->next) {
        if (k->type != XML_ELEMENT_NODE || decoration(k))
            continue;
        if (is_bpmn(k, "sequenceFlow")) {
            rc = flow_element(c, k);
            continue;
        }
        size_t i, n = sizeof(node_elements) / sizeof(node_elements[0]);
        for (i = 0; i < n && !is_bpmn(k, node_elements[i].element); i++)
            ;
        if (i < n) {
            rc = node_element(c, k, node_elements[i].kind);
            continue;
        }
        xmlChar *id = xmlGetNoNsProp(k, (const xmlChar *)"id");
        rc = jg_bpmn_fail(c,
                          "不支持的流程元素 %s（id "
                          "%.64s）：请改用开始/结束事件、用户任务、服务任务、网关、子流程或定时边界事件",
                          (const char *)k->name, id != NULL ? (const char *)id : "无");
        xmlFree(id);
    }
    return rc;
}

static jg_rc definitions(jg_bpmn_ctx *c, const xmlNode *root)
{
    if (root == NULL || !is_bpmn(root, "definitions"))
        return jg_bpmn_fail(c, "不是 BPMN 2.0 文档：根元素应是 %s 命名空间中的 definitions", JG_BPMN_NS);
    const xmlNode *proc = NULL;
    for (const xmlNode *k = root->children; k != NULL; k = k->next) {
        if (!is_bpmn(k, "process"))
            continue; /* diagrams, collaborations, messages: not executed */
        if (proc != NULL)
            return jg_bpmn_fail(c, "一个文档只能有一个流程（process）");
        proc = k;
    }
    if (proc == NULL)
        return jg_bpmn_fail(c, "文档中没有流程（process）");
    return process(c, proc);
}

jg_rc jg_bpmn_load(const char *xml, size_t len, jg_flow_model *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (errlen > 0)
        err[0] = '\0';
    jg_bpmn_ctx c = {out, jg_arena_new(), err, errlen, NULL, NULL, NULL};
    out->arena = c.a;
    jg_rc rc;
    if (len > JG_BPMN_MAX_BYTES) {
        rc = jg_bpmn_fail(&c, "流程文件过大（最多 %d KB）", JG_BPMN_MAX_BYTES / 1024);
        goto done;
    }
    if (!jg_utf8_valid(xml, len)) {
        rc = jg_bpmn_fail(&c, "流程文件应是 UTF-8 编码的 XML");
        goto done;
    }
    /* No DTD at all: no entities to expand, nothing to fetch. */
    for (size_t i = 0; i + 9 <= len; i++) {
        if (xml[i] == '<' && xml[i + 1] == '!' && strncasecmp(xml + i + 2, "DOCTYPE", 7) == 0) {
            rc = jg_bpmn_fail(&c, "流程文件中不允许 DOCTYPE（文档类型定义）");
            goto done;
        }
    }
    pthread_once(&xml_once, xml_init);
    xmlDoc *doc =
        xmlReadMemory(xml, (int)len, NULL, "UTF-8",
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (doc == NULL) {
        rc = jg_bpmn_fail(&c, "流程文件不是格式正确的 XML");
        goto done;
    }
    out->nodes = jg_arena_alloc(c.a, sizeof(jg_flow_node) * JG_BPMN_MAX_NODES);
    out->edges = jg_arena_alloc(c.a, sizeof(jg_flow_edge) * JG_BPMN_MAX_FLOWS);
    c.edge_src = jg_arena_alloc(c.a, sizeof(char *) * JG_BPMN_MAX_FLOWS);
    c.edge_dst = jg_arena_alloc(c.a, sizeof(char *) * JG_BPMN_MAX_FLOWS);
    c.node_ref = jg_arena_alloc(c.a, sizeof(char *) * JG_BPMN_MAX_NODES);
    memset(c.node_ref, 0, sizeof(char *) * JG_BPMN_MAX_NODES);
    rc = definitions(&c, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (rc == JG_OK)
        rc = jg_bpmn_check(&c);
done:
    if (rc != JG_OK)
        jg_flow_model_free(out);
    return rc;
}

void jg_flow_model_free(jg_flow_model *m)
{
    if (m == NULL)
        return;
    jg_arena_free(m->arena);
    memset(m, 0, sizeof(*m));
}
