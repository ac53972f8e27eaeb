/* The run API of the workflow engine (docs/api/README.md, "Workflow: instances and tasks" and
 * "Workflow: operations and boxes"): submitting a record and completing a task here; the task
 * operations, boxes, history, opinions and statistics in ops.c, boxes.c and opinions.c (ops.h),
 * routed from this file's table.
 *   POST /api/v1/flow/instances            {"key","entity","record_id"}: submit a record to a process
 *   POST /api/v1/flow/tasks/{id}/complete  {"version","action"?,"opinion"?,"signature"?}
 * Any logged-in user; what each may see and do follows from the record's scope and the tasks'
 * candidates (run.h); terminate, green channel and statistics need their permissions. */
#include "base/text.h"
#include "crypto/crypto.h"
#include "engine/entity/records.h"
#include "engine/flow/editable.h"
#include "engine/flow/ops.h"
#include "engine/flow/run.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <string.h>

#define MAX_OPINION_CHARS 2000
#define TASK_COLUMNS                                                                                         \
    "t.id, t.instance_id, t.node, t.name, t.state, t.created_at, t.due_at, t.done_at, t.action, t.opinion,"  \
    " t.version, i.key, i.entity, i.record_id"

/* The open tasks of instance id on c, for the answer of a write. */
static jg_rc open_tasks(jg_conn *c, int64_t id, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc =
        jg_db_query(c,
                    "SELECT " TASK_COLUMNS " FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id"
                    " WHERE t.instance_id = $1 AND t.state = 'open' ORDER BY t.id",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_json_rows(r);
    jg_rows_free(r);
    return JG_OK;
}

struct op {
    jg_flow_op op;
    jg_refusal why;
    const char *key, *entity, *action, *opinion, *signature;
    int64_t record_id, task_id, version;
    json_t *tasks;
};

static jg_rc start_tx(jg_conn *c, void *ud)
{
    struct op *w = ud;
    json_decref(w->tasks);
    w->tasks = NULL;
    w->op.fields = NULL;
    jg_rc rc = jg_flow_start(c, &w->op, w->key, w->entity, w->record_id);
    if (rc == JG_OK)
        rc = open_tasks(c, w->op.instance_id, &w->tasks);
    if (rc == JG_OK) {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)w->op.instance_id);
        rc = jg_audit_req(c, w->op.req, "flow_start", "flow_instance", id,
                          json_pack("{s:s, s:s, s:I}", "key", w->key, "entity", w->entity, "record_id",
                                    (json_int_t)w->record_id));
    }
    return rc;
}

static jg_rc answer(jg_req *req, jg_resp *resp, jg_rc rc, struct op *w, int status)
{
    if (rc != JG_OK) {
        json_decref(w->tasks);
        json_t *fields = w->op.fields != NULL ? json_loads(w->op.fields, 0, NULL) : NULL;
        if (rc == JG_INVALID && w->why.message != NULL && json_is_object(fields))
            return jg_resp_error_fields(req, resp, rc, w->why.message, fields); /* a rule's checks */
        json_decref(fields);
        return jg_resp_refusal(req, resp, rc, &w->why);
    }
    return jg_resp_json(req, resp, status,
                        json_pack("{s:I, s:s, s:o}", "id", (json_int_t)w->op.instance_id, "state",
                                  w->op.state, "tasks", w->tasks));
}

/* POST /api/v1/flow/instances */
static jg_rc start(jg_req *req, jg_resp *resp)
{
    json_t *b = req->json, *fields = json_object();
    const char *key = json_string_value(json_object_get(b, "key"));
    const char *entity = json_string_value(json_object_get(b, "entity"));
    json_t *rid = json_object_get(b, "record_id");
    if (key == NULL || strlen(key) > JG_BPMN_ID_MAX)
        jg_field_error(fields, "key", "请指定流程");
    if (entity == NULL || !jg_entity_ident_ok(entity, JG_ENTITY_NAME_MAX))
        jg_field_error(fields, "entity", "请指定业务记录类型");
    if (!json_is_integer(rid) || json_integer_value(rid) <= 0)
        jg_field_error(fields, "record_id", "请指定业务记录");
    static const char *const allowed[] = {"key", "entity", "record_id", NULL};
    jg_field_unknown(b, allowed, fields);
    if (jg_resp_fields(req, resp, "提交内容不正确", fields) != JG_OK)
        return JG_INVALID;
    struct op w = {.op = {.req = req}, .key = key, .entity = entity, .record_id = json_integer_value(rid)};
    w.op.why = &w.why;
    return answer(req, resp, jg_db_tx(req->app->db, start_tx, &w), &w, 201);
}

static jg_rc complete_tx(jg_conn *c, void *ud)
{
    struct op *w = ud;
    json_decref(w->tasks);
    w->tasks = NULL;
    w->op.fields = NULL;
    jg_rc rc = jg_flow_complete_task(c, &w->op, w->task_id, w->version, w->action, w->opinion, w->signature);
    if (rc == JG_OK)
        rc = open_tasks(c, w->op.instance_id, &w->tasks);
    return rc;
}

/* POST /api/v1/flow/tasks/{id}/complete */
static jg_rc complete(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "待办任务不存在");
    json_t *b = req->json, *fields = json_object();
    json_t *version = json_object_get(b, "version"), *action = json_object_get(b, "action"),
           *opinion = json_object_get(b, "opinion"), *signature = json_object_get(b, "signature");
    if (!json_is_integer(version) || json_integer_value(version) <= 0)
        jg_field_error(fields, "version", "请提交任务的版本号（version）");
    if (action != NULL && !json_is_null(action) &&
        (!json_is_string(action) || json_string_length(action) == 0 || json_string_length(action) > 40))
        jg_field_error(fields, "action", "办理动作不正确");
    if (opinion != NULL && !json_is_null(opinion) &&
        (!json_is_string(opinion) || jg_utf8_chars(json_string_value(opinion)) > MAX_OPINION_CHARS))
        jg_field_error(fields, "opinion", "办理意见应为不超过 2000 字的文本");
    if (signature != NULL && !json_is_null(signature) &&
        (!json_is_string(signature) || json_string_length(signature) != JG_SM2_SIG_HEX_LEN))
        jg_field_error(fields, "signature", "电子签名应为 128 位十六进制（r|s）");
    static const char *const allowed[] = {"version", "action", "opinion", "signature", NULL};
    jg_field_unknown(b, allowed, fields);
    if (jg_resp_fields(req, resp, "办理内容不正确", fields) != JG_OK)
        return JG_INVALID;
    struct op w = {.op = {.req = req},
                   .task_id = id,
                   .version = json_integer_value(version),
                   .action = json_string_value(action),
                   .opinion = json_string_value(opinion),
                   .signature = json_string_value(signature)};
    w.op.why = &w.why;
    return answer(req, resp, jg_db_tx(req->app->db, complete_tx, &w), &w, 200);
}

static const jg_route routes[] = {
    {"POST", "/api/v1/flow/instances", start, JG_ROUTE_AUTH | JG_ROUTE_JSON, "提交业务记录进入流程", "flow",
     NULL},
    {"GET", "/api/v1/flow/instances", jg_flow_h_finished, JG_ROUTE_AUTH, "办结箱：我参与的已结束流程", "flow",
     NULL},
    {"GET", "/api/v1/flow/instances/{id}", jg_flow_h_instance, JG_ROUTE_AUTH,
     "流程实例：任务、办理记录（含签名验证）、节点状态与流程图", "flow", NULL},
    {"POST", "/api/v1/flow/instances/{id}/terminate", jg_flow_h_terminate, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "终止流程实例", "flow", "flow.terminate"},
    {"POST", "/api/v1/flow/instances/{id}/jump", jg_flow_h_jump, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "绿色通道：跳转到后续环节", "flow", "flow.green_channel"},
    {"GET", "/api/v1/flow/tasks", jg_flow_h_tasks, JG_ROUTE_AUTH,
     "待办（todo）、补正（correction）、已办（done）", "flow", NULL},
    {"GET", "/api/v1/flow/boxes", jg_flow_h_boxes, JG_ROUTE_AUTH,
     "各箱数量：拟件、待办、超期、补正、已办、办结、抄送", "flow", NULL},
    {"GET", "/api/v1/flow/editable", jg_flow_h_editable, JG_ROUTE_AUTH,
     "流程中的记录：当前用户在所办环节可修改的字段", "flow", NULL},
    {"GET", "/api/v1/flow/drafts", jg_flow_h_drafts, JG_ROUTE_AUTH, "拟件箱：可提交的草稿", "flow", NULL},
    {"GET", "/api/v1/flow/copies", jg_flow_h_copies, JG_ROUTE_AUTH, "抄送给我的流程", "flow", NULL},
    {"POST", "/api/v1/flow/copies/{id}/read", jg_flow_h_copy_read, JG_ROUTE_AUTH, "抄送标记已读", "flow",
     NULL},
    {"GET", "/api/v1/flow/stats", jg_flow_h_stats, JG_ROUTE_AUTH, "效能统计（按部门或人员）", "flow",
     "flow.stats"},
    {"POST", "/api/v1/flow/tasks/bulk", jg_flow_h_bulk, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "批量办理（最多 500 件）", "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/complete", complete, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "办理任务（通过、退回等，需任务版本号，可电子签名）", "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/claim", jg_flow_h_claim, JG_ROUTE_AUTH | JG_ROUTE_JSON, "签收任务",
     "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/release", jg_flow_h_release, JG_ROUTE_AUTH | JG_ROUTE_JSON, "退回签收",
     "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/transfer", jg_flow_h_transfer, JG_ROUTE_AUTH | JG_ROUTE_JSON, "转办",
     "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/delegate", jg_flow_h_delegate, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "委托办理", "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/withdraw", jg_flow_h_withdraw, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "撤回（下一环节尚未签收或办理时）", "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/copy", jg_flow_h_copy, JG_ROUTE_AUTH | JG_ROUTE_JSON, "抄送", "flow",
     NULL},
    {"GET", "/api/v1/flow/opinion-templates", jg_flow_h_templates, JG_ROUTE_AUTH, "意见模板（共享与个人）",
     "flow", NULL},
    {"POST", "/api/v1/flow/opinion-templates", jg_flow_h_template_create, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增意见模板", "flow", NULL},
    {"PUT", "/api/v1/flow/opinion-templates/{id}", jg_flow_h_template_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改意见模板", "flow", NULL},
    {"DELETE", "/api/v1/flow/opinion-templates/{id}", jg_flow_h_template_delete, JG_ROUTE_AUTH,
     "删除意见模板", "flow", NULL},
    {"GET", "/api/v1/flow/sign-key", jg_flow_h_sign_key, JG_ROUTE_AUTH, "我的签名公钥", "flow", NULL},
    {"PUT", "/api/v1/flow/sign-key", jg_flow_h_sign_key_put, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "登记签名公钥（电子签单）", "flow", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

/* jg:editable is enforced on the records API from the start (editable.h). */
static jg_rc run_init(jg_app *app)
{
    (void)app;
    jg_flow_editable_install();
    return JG_OK;
}

const jg_module jg_module_flow_run = {"flow_run", routes, run_init, NULL};
