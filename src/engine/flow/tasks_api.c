/* The run API of the workflow engine (docs/api/README.md, "Workflow: instances and tasks"):
 *
 *   POST /api/v1/flow/instances            {"key","entity","record_id"}: submit a record to a process
 *   GET  /api/v1/flow/instances/{id}       the instance, its tasks and history
 *   GET  /api/v1/flow/tasks?box=todo|done  the caller's 待办 (tasks the caller may do) or 已办
 *   GET  /api/v1/flow/boxes                the counts of the boxes
 *   POST /api/v1/flow/tasks/{id}/complete  {"version","action"?,"opinion"?}
 * Any logged-in user; what each may see and do follows from the record's scope and the tasks'
 * candidates (run.h). */
#include "base/text.h"
#include "engine/entity/records.h"
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
    const char *key, *entity, *action, *opinion;
    int64_t record_id, task_id, version;
    json_t *tasks;
};

static jg_rc start_tx(jg_conn *c, void *ud)
{
    struct op *w = ud;
    json_decref(w->tasks);
    w->tasks = NULL;
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
    jg_rc rc = jg_flow_complete(c, &w->op, w->task_id, w->version, w->action, w->opinion);
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
           *opinion = json_object_get(b, "opinion");
    if (!json_is_integer(version) || json_integer_value(version) <= 0)
        jg_field_error(fields, "version", "请提交任务的版本号（version）");
    if (action != NULL && !json_is_null(action) &&
        (!json_is_string(action) || json_string_length(action) == 0 || json_string_length(action) > 40))
        jg_field_error(fields, "action", "办理动作不正确");
    if (opinion != NULL && !json_is_null(opinion) &&
        (!json_is_string(opinion) || jg_utf8_chars(json_string_value(opinion)) > MAX_OPINION_CHARS))
        jg_field_error(fields, "opinion", "办理意见应为不超过 2000 字的文本");
    static const char *const allowed[] = {"version", "action", "opinion", NULL};
    jg_field_unknown(b, allowed, fields);
    if (jg_resp_fields(req, resp, "办理内容不正确", fields) != JG_OK)
        return JG_INVALID;
    struct op w = {.op = {.req = req},
                   .task_id = id,
                   .version = json_integer_value(version),
                   .action = json_string_value(action),
                   .opinion = json_string_value(opinion)};
    w.op.why = &w.why;
    return answer(req, resp, jg_db_tx(req->app->db, complete_tx, &w), &w, 200);
}

/* GET /api/v1/flow/tasks?box=todo|done&page=&size= */
static jg_rc tasks(jg_req *req, jg_resp *resp)
{
    const char *box = jg_req_query(req, "box");
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, 100, &page, &size, fields);
    int todo = box == NULL || strcmp(box, "todo") == 0;
    if (!todo && strcmp(box, "done") != 0)
        jg_field_error(fields, "box", "box 应为 todo（待办）或 done（已办）");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[8];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " TASK_COLUMNS
                      " FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id WHERE ");
    if (todo) {
        jg_buf_puts(&sql, "t.state = 'open'");
        jg_flow_mine_sql(req->principal, &sql, p, &n);
    } else {
        p[n++] = JG_VINT(((const jg_principal *)req->principal)->user_id);
        jg_buf_puts(&sql, "t.done_by = $1");
    }
    p[n] = JG_VINT(size + 1);
    p[n + 1] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY t.id %s LIMIT $%d OFFSET $%d", todo ? "" : "DESC", n + 1, n + 2);
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n + 2, &r);
    jg_buf_free(&sql);
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

/* GET /api/v1/flow/boxes */
static jg_rc boxes(jg_req *req, jg_resp *resp)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[8];
    int n = 0;
    jg_buf_puts(&sql, "SELECT (SELECT count(*) FROM flow_task t WHERE t.state = 'open'");
    jg_flow_mine_sql(req->principal, &sql, p, &n);
    p[n++] = JG_VINT(((const jg_principal *)req->principal)->user_id);
    jg_buf_printf(&sql, "), (SELECT count(*) FROM flow_task t WHERE t.done_by = $%d)", n);
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *o = json_pack("{s:I, s:I}", "todo", (json_int_t)jg_rows_int(r, 0, 0), "done",
                          (json_int_t)jg_rows_int(r, 0, 1));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, o);
}

/* GET /api/v1/flow/instances/{id}: for whoever may read its record. */
static jg_rc instance(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "流程实例不存在");
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_read(req->app->db,
                          "SELECT id, key, entity, record_id, state, started_at, ended_at FROM flow_instance"
                          " WHERE id = $1",
                          p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const jg_entity *e =
        jg_rows_count(r) == 1 ? jg_entity_find(&jg_records_of(req)->set, jg_rows_text(r, 0, 2)) : NULL;
    const jg_record_kind *k = e != NULL ? jg_record_kind_for(req, e) : NULL;
    jg_rows *rec = NULL;
    if (k == NULL || !jg_principal_can(req->principal, e->perm_read) ||
        jg_record_fetch(req, NULL, k, jg_rows_int(r, 0, 3), &rec) != JG_OK) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, "流程实例不存在");
    }
    jg_rows_free(rec);
    json_t *o = jg_json_row(r, 0);
    jg_rows_free(r);
    rc = jg_db_read(req->app->db,
                    "SELECT " TASK_COLUMNS " FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id"
                    " WHERE t.instance_id = $1 ORDER BY t.id",
                    p, 1, &r);
    if (rc == JG_OK) {
        json_object_set_new(o, "tasks", jg_json_rows(r));
        jg_rows_free(r);
        rc = jg_db_read(
            req->app->db,
            "SELECT id, task_id, node, action, username, opinion, at FROM flow_log WHERE instance_id = $1"
            " ORDER BY id",
            p, 1, &r);
    }
    if (rc == JG_OK) {
        json_object_set_new(o, "log", jg_json_rows(r));
        jg_rows_free(r);
    }
    if (rc != JG_OK) {
        json_decref(o);
        return rc;
    }
    return jg_resp_json(req, resp, 200, o);
}

static const jg_route routes[] = {
    {"POST", "/api/v1/flow/instances", start, JG_ROUTE_AUTH | JG_ROUTE_JSON, "提交业务记录进入流程", "flow",
     NULL},
    {"GET", "/api/v1/flow/instances/{id}", instance, JG_ROUTE_AUTH, "流程实例（任务与办理记录）", "flow",
     NULL},
    {"GET", "/api/v1/flow/tasks", tasks, JG_ROUTE_AUTH, "我的待办（box=todo）或已办（box=done）", "flow",
     NULL},
    {"GET", "/api/v1/flow/boxes", boxes, JG_ROUTE_AUTH, "待办、已办数量", "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/complete", complete, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "办理任务（通过、退回等，需任务版本号）", "flow", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_flow_run = {"flow_run", routes, NULL, NULL};
