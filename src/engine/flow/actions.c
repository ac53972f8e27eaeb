/* Service task actions (actions.h): registered C actions and rules. */
#include "engine/flow/actions.h"

#include "base/arena.h"
#include "base/buf.h"
#include "engine/rule/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_PREFIX "rule:"
#define RULE_CODE_MAX 64
#define LOG_MAX 2000 /* characters of a rule's explanation kept in the history */

typedef jg_flow_action_fn action_fn;

/* A step whose work is recorded in the instance's history and nothing more yet. */
static jg_rc mark_only(jg_flow_service *s)
{
    (void)s;
    return JG_OK;
}

/* The actions processes may name. The engine knows every name (a process is checked at deployment,
 * before any module starts); the modules give their bodies at start (jg_flow_action_set). */
static struct {
    const char *name;
    action_fn fn; /* NULL until its module sets it */
} actions[] = {
    {"flow.supervise", mark_only},      {"registration.receive", NULL},  {"registration.issue", NULL},
    {"project_change.apply", NULL},     {"project_change.check", NULL},  {"scoring.effective", NULL},
    {"scoring.check_items", NULL},      {"scoring.number", NULL},        {"scoring.publicity", NULL},
    {"scoring.notice_effective", NULL}, {"scoring.clause_change", NULL}, {"credit.owner_total", NULL},
    {"credit.owner_publish", NULL},
};

/* The index of action name in the table, or -1. */
static int slot(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcmp(actions[i].name, name) == 0)
            return (int)i;
    return -1;
}

void jg_flow_action_set(const char *name, jg_flow_action_fn fn)
{
    int i = slot(name);
    if (i >= 0)
        actions[i].fn = fn;
}

#define MAX_GATHERERS 16
static struct {
    const char *code;
    jg_flow_facts_fn fn;
} gatherers[MAX_GATHERERS];
static int ngatherers;

void jg_flow_facts_register(const char *code, jg_flow_facts_fn fn)
{
    for (int i = 0; i < ngatherers; i++)
        if (strcmp(gatherers[i].code, code) == 0) {
            gatherers[i].fn = fn;
            return;
        }
    if (ngatherers < MAX_GATHERERS) {
        gatherers[ngatherers].code = code;
        gatherers[ngatherers++].fn = fn;
    }
}

/* The rule code of "rule:<code>" (lower-case words and digits joined by '.' or '_'), or NULL. */
static const char *rule_code(const char *name)
{
    if (name == NULL || strncmp(name, RULE_PREFIX, strlen(RULE_PREFIX)) != 0)
        return NULL;
    const char *code = name + strlen(RULE_PREFIX);
    size_t n = strlen(code);
    if (n == 0 || n > RULE_CODE_MAX || code[0] < 'a' || code[0] > 'z')
        return NULL;
    for (const char *p = code; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
            return NULL;
    return code;
}

int jg_flow_action_known(const char *name)
{
    return slot(name) >= 0 || rule_code(name) != NULL;
}

json_t *jg_flow_vars(jg_conn *c, int64_t instance)
{
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(instance)};
    json_t *vars = NULL;
    if (jg_db_query(c, "SELECT vars FROM flow_instance WHERE id = $1", p, 1, &r) == JG_OK &&
        jg_rows_count(r) == 1 && jg_rows_text(r, 0, 0) != NULL)
        vars = json_loads(jg_rows_text(r, 0, 0), 0, NULL);
    jg_rows_free(r);
    if (!json_is_object(vars)) {
        json_decref(vars);
        vars = json_object();
    }
    return vars;
}

/* The explanation of a rule run as history text: "what: text; ...", at most LOG_MAX characters. */
static const char *explanation(jg_flow_service *s, const char *code, const jg_rule_result *res)
{
    jg_buf b;
    jg_buf_init(&b, 4 * LOG_MAX);
    jg_buf_printf(&b, "规则 %s：", code);
    size_t i;
    json_t *e;
    json_array_foreach(res->explain, i, e)
    {
        const char *what = json_string_value(json_object_get(e, "what"));
        const char *text = json_string_value(json_object_get(e, "text"));
        jg_buf_printf(&b, "%s%s%s%s", i > 0 ? "；" : "", what != NULL ? what : "", what != NULL ? " " : "",
                      text != NULL ? text : "");
    }
    const char *out = jg_arena_strdup(s->req->arena, b.data != NULL ? b.data : "");
    jg_buf_free(&b);
    return out;
}

/* facts.gathered: what the gatherer registered for code adds (actions.h), when there is one. */
static jg_rc gather(jg_flow_service *s, const char *code, json_t *facts)
{
    for (int i = 0; i < ngatherers; i++)
        if (strcmp(gatherers[i].code, code) == 0 && gatherers[i].fn != NULL) {
            json_t *g = json_object();
            if (g == NULL || json_object_set_new(facts, "gathered", g) != 0)
                return JG_NOMEM;
            return gatherers[i].fn(s, g);
        }
    return JG_OK;
}

/* 1 when the rule's value refuses the operation ({"refuse": [{field, message}, ...]}, not
 * empty): s->why says so with the first message, s->fields holds them all (the first per field). */
static int refused(jg_flow_service *s, const char *code, json_t *value)
{
    json_t *list = json_object_get(value, "refuse");
    if (!json_is_array(list) || json_array_size(list) == 0)
        return 0;
    json_t *fields = json_object();
    const char *first = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *field = json_string_value(json_object_get(e, "field"));
        const char *message = json_string_value(json_object_get(e, "message"));
        if (message == NULL)
            message = json_string_value(e);
        if (message == NULL)
            continue;
        if (first == NULL)
            first = message;
        if (fields != NULL && field != NULL && json_object_get(fields, field) == NULL)
            json_object_set_new(fields, field, json_string(message));
    }
    /* The first problem (and how many) when it fits whole, else a summary: never a cut character. */
    const size_t count = json_array_size(list);
    const char *why = first;
    if (first != NULL && count > 1)
        why = jg_arena_printf(s->req->arena, "%s（共 %zu 个问题）", first, count);
    if (why != NULL && strlen(why) < sizeof(s->why))
        snprintf(s->why, sizeof(s->why), "%s", why);
    else if (first != NULL)
        snprintf(s->why, sizeof(s->why), "未通过校验（共 %zu 个问题），请按各项说明修改", count);
    else
        snprintf(s->why, sizeof(s->why), "流程的节点 %.64s：规则“%.64s”未通过", s->node, code);
    char *text = fields != NULL && json_object_size(fields) > 0 ? json_dumps(fields, JSON_COMPACT) : NULL;
    s->fields = text != NULL ? jg_arena_strdup(s->req->arena, text) : NULL;
    free(text);
    json_decref(fields);
    return 1;
}

/* rule:<code> (actions.h). */
static jg_rc run_rule(jg_flow_service *s, const char *code)
{
    char key[RULE_CODE_MAX + 1];
    snprintf(key, sizeof(key), "%s", code);
    for (char *p = key; *p != '\0'; p++)
        if (*p == '.')
            *p = '_';
    json_t *vars = jg_flow_vars(s->c, s->instance);
    json_t *facts = json_pack("{s:O, s:O, s:s?, s:I}", "record", s->record != NULL ? s->record : json_null(),
                              "vars", vars, "action", s->action, "instance", (json_int_t)s->instance);
    jg_rule_result res;
    memset(&res, 0, sizeof(res));
    jg_rc rc = facts != NULL ? gather(s, code, facts) : JG_NOMEM;
    if (rc == JG_OK)
        rc = jg_rule_run(s->req->app->db, s->c, s->req->app->cfg, code, facts, s->now, &res, NULL);
    json_decref(facts);
    if (rc == JG_OK && refused(s, code, res.value)) {
        rc = JG_INVALID;
    } else if (rc == JG_NOTFOUND) {
        snprintf(s->why, sizeof(s->why), "流程的节点 %s 要执行规则“%s”，但该规则不存在或未启用", s->node,
                 code);
        rc = JG_INVALID;
    } else if (rc == JG_INVALID) {
        snprintf(s->why, sizeof(s->why), "流程的节点 %s 执行规则“%s”失败：%s", s->node, code,
                 res.message != NULL ? res.message : "规则出错");
    } else if (rc == JG_OK) {
        json_object_set(vars, key, res.value != NULL ? res.value : json_null());
        char *text = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS);
        jg_value p[] = {JG_VTEXT(text), JG_VINT(s->instance)};
        rc = text == NULL ? JG_NOMEM
                          : jg_db_exec(s->c, "UPDATE flow_instance SET vars = $1 WHERE id = $2", p, 2, NULL);
        free(text);
        s->log = explanation(s, code, &res);
    }
    jg_rule_result_clear(&res);
    json_decref(vars);
    return rc;
}

jg_rc jg_flow_action_run(const char *name, jg_flow_service *s)
{
    s->log = NULL;
    s->why[0] = '\0';
    s->fields = NULL;
    const char *code = rule_code(name);
    if (code != NULL)
        return run_rule(s, code);
    int i = slot(name);
    if (i < 0)
        return JG_NOTFOUND;
    if (actions[i].fn == NULL) { /* its module is not compiled in or did not start */
        snprintf(s->why, sizeof(s->why), "环节动作“%s”未启用，请联系系统管理员", name);
        return JG_INVALID;
    }
    return actions[i].fn(s);
}
