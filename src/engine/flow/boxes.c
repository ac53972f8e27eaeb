/* Boxes, instance history and efficiency statistics of the workflow engine (ops.h): 拟件箱 drafts,
 * 待办 todo, 补正 correction, 已办 done, 办结 finished, 抄送 copies, the history and diagram states
 * of an instance, and 效能 per department or person. Every list is the caller's own or inside
 * the caller's data scope. */
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "engine/flow/ops.h"
#include "platform/identity.h"
#include "platform/scope.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define TASK_COLUMNS                                                                                         \
    "t.id, t.instance_id, t.node, t.name, t.state, t.created_at, t.due_at, t.done_at, t.action, t.opinion,"  \
    " t.version, i.key, i.entity, i.record_id, t.assignee_id, t.pooled, t.delegated_by,"                     \
    " en.name AS applicant"
#define TASK_FROM                                                                                            \
    " FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id LEFT JOIN enterprise en ON en.id ="      \
    " i.enterprise_id"
/* An open task on the applicant's side: 补正 and the like. */
#define CORRECTION_SQL                                                                                       \
    " AND (COALESCE(t.enterprise_id, t.pool_enterprise) IS NOT NULL OR t.assignee_id = i.started_by)"
#define MAX_PARAMS 24

static const jg_principal *who(const jg_req *req)
{
    return req->principal;
}

/* The filters of a task or instance list from the query (key, entity, applicant; for tasks
 * overdue and due_within), appended to sql with their values. Field errors go to fields. */
static void list_filters(jg_req *req, json_t *fields, int tasks, int done, jg_buf *sql, jg_value *p, int *n)
{
    const char *key = jg_req_query(req, "key"), *entity = jg_req_query(req, "entity"),
               *applicant = jg_req_query(req, "applicant"), *overdue = jg_req_query(req, "overdue"),
               *within = jg_req_query(req, "due_within");
    if (key != NULL) {
        if (strlen(key) > JG_BPMN_ID_MAX)
            jg_field_error(fields, "key", "流程标识过长");
        p[(*n)++] = JG_VTEXT(key);
        jg_buf_printf(sql, " AND i.key = $%d", *n);
    }
    if (entity != NULL) {
        if (strlen(entity) > 64)
            jg_field_error(fields, "entity", "业务类型过长");
        p[(*n)++] = JG_VTEXT(entity);
        jg_buf_printf(sql, " AND i.entity = $%d", *n);
    }
    if (applicant != NULL) {
        if (jg_utf8_chars(applicant) > 50 || applicant[0] == '\0')
            jg_field_error(fields, "applicant", "申报单位名称应为 1 至 50 字");
        jg_buf like;
        jg_buf_init(&like, 256);
        jg_buf_puts(&like, "%");
        for (const char *s = applicant; *s != '\0'; s++) {
            if (*s == '%' || *s == '_' || *s == '\\')
                jg_buf_puts(&like, "\\");
            jg_buf_append(&like, s, 1);
        }
        jg_buf_puts(&like, "%");
        p[(*n)++] = JG_VTEXT(jg_arena_strdup(req->arena, like.data));
        jg_buf_free(&like);
        jg_buf_printf(sql, " AND en.name LIKE $%d ESCAPE '\\'", *n);
    }
    if (!tasks && (overdue != NULL || within != NULL))
        jg_field_error(fields, overdue != NULL ? "overdue" : "due_within", "办结箱不按期限筛选");
    char *now = jg_arena_alloc(req->arena, 32);
    jg_time_iso_now(now, 32);
    if (overdue != NULL) {
        if (strcmp(overdue, "1") != 0 && strcmp(overdue, "true") != 0)
            jg_field_error(fields, "overdue", "overdue 应为 1");
        if (done)
            jg_buf_puts(sql, " AND t.due_at IS NOT NULL AND t.done_at > t.due_at");
        else {
            p[(*n)++] = JG_VTEXT(now);
            jg_buf_printf(sql, " AND t.due_at IS NOT NULL AND t.due_at < $%d", *n);
        }
    }
    if (within != NULL) {
        int64_t days = 0;
        if (jg_parse_int64(within, 0, 365, &days) != JG_OK || done)
            jg_field_error(fields, "due_within", "due_within 应为 0 至 365 天（仅待办）");
        char *limit = jg_arena_alloc(req->arena, 32);
        jg_time_iso_offset(days * 86400, limit, 32);
        p[(*n)++] = JG_VTEXT(now);
        p[(*n)++] = JG_VTEXT(limit);
        jg_buf_printf(sql, " AND t.due_at IS NOT NULL AND t.due_at >= $%d AND t.due_at <= $%d", *n - 1, *n);
    }
}

/* GET /api/v1/flow/tasks?box=todo|correction|done&key=&entity=&applicant=&overdue=1&due_within=N
 * (box=finished and box=copies: as GET /api/v1/flow/instances?box=finished and /copies) */
jg_rc jg_flow_h_tasks(jg_req *req, jg_resp *resp)
{
    const char *box = jg_req_query(req, "box");
    /* One list route for every box: 办结 and 抄送 answer their own items. */
    if (box != NULL && strcmp(box, "finished") == 0)
        return jg_flow_h_finished(req, resp);
    if (box != NULL && strcmp(box, "copies") == 0)
        return jg_flow_h_copies(req, resp);
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, 100, &page, &size, fields);
    if (box == NULL)
        box = "todo";
    int todo = strcmp(box, "todo") == 0, correction = strcmp(box, "correction") == 0,
        done = strcmp(box, "done") == 0;
    if (!todo && !correction && !done)
        jg_field_error(
            fields, "box",
            "box 应为 todo（待办）、correction（补正）、done（已办）、finished（办结）或 copies（抄送）");
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[MAX_PARAMS];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " TASK_COLUMNS TASK_FROM " WHERE ");
    if (done) {
        p[n++] = JG_VINT(who(req)->user_id);
        jg_buf_puts(&sql, "t.done_by = $1");
    } else {
        jg_buf_puts(&sql, "t.state = 'open'");
        jg_flow_mine_sql(who(req), &sql, p, &n);
        if (correction)
            jg_buf_puts(&sql, CORRECTION_SQL);
    }
    list_filters(req, fields, 1, done, &sql, p, &n);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK) {
        jg_buf_free(&sql);
        return JG_INVALID;
    }
    p[n] = JG_VINT(size + 1);
    p[n + 1] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY t.id %s LIMIT $%d OFFSET $%d", done ? "DESC" : "", n + 1, n + 2);
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n + 2, &r);
    jg_buf_free(&sql);
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

/* 办结: instances that ended in which the caller acted (started, did a step, terminated …). */
#define FINISHED_SQL                                                                                         \
    " i.state <> 'running' AND i.id IN (SELECT l.instance_id FROM flow_log l WHERE l.user_id = $1)"

/* GET /api/v1/flow/instances?box=finished&key=&entity=&applicant= */
jg_rc jg_flow_h_finished(jg_req *req, jg_resp *resp)
{
    const char *box = jg_req_query(req, "box");
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, 100, &page, &size, fields);
    if (box == NULL || strcmp(box, "finished") != 0)
        jg_field_error(fields, "box", "box 应为 finished（办结）");
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[MAX_PARAMS] = {JG_VINT(who(req)->user_id)};
    int n = 1;
    jg_buf_puts(
        &sql,
        "SELECT i.id, i.key, d.name AS process_name, i.entity, i.record_id, i.state, i.started_at,"
        " i.ended_at, en.name AS applicant FROM flow_instance i JOIN flow_definition d ON"
        " d.id = i.definition_id LEFT JOIN enterprise en ON en.id = i.enterprise_id WHERE" FINISHED_SQL);
    list_filters(req, fields, 0, 0, &sql, p, &n);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK) {
        jg_buf_free(&sql);
        return JG_INVALID;
    }
    p[n] = JG_VINT(size + 1);
    p[n + 1] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY i.id DESC LIMIT $%d OFFSET $%d", n + 1, n + 2);
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n + 2, &r);
    jg_buf_free(&sql);
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

/* The entities whose drafts the caller may submit: top-level, with a "draft" state, and the
 * caller may create or update them. */
static int draftable(const jg_req *req, const jg_entity *e)
{
    int has = 0;
    for (int s = 0; s < e->nstates; s++)
        has |= strcmp(e->states[s].name, "draft") == 0;
    return has && e->parent == NULL &&
           (jg_principal_can(who(req), e->perm_create) || jg_principal_can(who(req), e->perm_update));
}

/* Drafts of k in the caller's scope: count (rows NULL) or a page. */
static jg_rc drafts_of(jg_req *req, const jg_record_kind *k, int64_t page, int64_t size, int64_t *count,
                       jg_rows **rows)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[8];
    int n = 0;
    jg_buf_puts(&sql, rows == NULL ? "SELECT count(*) FROM "
                                   : "SELECT r.id, r.created_at, r.updated_at, r.version FROM ");
    jg_buf_puts(&sql, k->e->table); /* from the definition, never from a request */
    jg_buf_puts(&sql, " r WHERE r.state = 'draft'");
    jg_rc rc = jg_record_scope(req, k, &sql, p, &n);
    if (rc == JG_DENIED) {
        jg_buf_free(&sql);
        if (count != NULL)
            *count = 0;
        return rows == NULL ? JG_OK : JG_DENIED;
    }
    if (rows != NULL) {
        p[n] = JG_VINT(size + 1);
        p[n + 1] = JG_VINT((page - 1) * size);
        jg_buf_printf(&sql, " ORDER BY r.id DESC LIMIT $%d OFFSET $%d", n + 1, n + 2);
        n += 2;
    }
    jg_rows *r;
    rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (rows != NULL) {
        *rows = r;
        return JG_OK;
    }
    *count = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return JG_OK;
}

/* Total drafts over every draftable entity. */
static jg_rc drafts_total(jg_req *req, int64_t *total, json_t *by)
{
    const jg_records *rs = jg_records_of(req);
    *total = 0;
    for (int i = 0; i < rs->set.nentities; i++) {
        const jg_entity *e = &rs->set.entities[i];
        const jg_record_kind *k = draftable(req, e) ? jg_record_kind_for(req, e) : NULL;
        int64_t c = 0;
        jg_rc rc = k != NULL ? drafts_of(req, k, 0, 0, &c, NULL) : JG_OK;
        if (rc != JG_OK)
            return rc;
        *total += c;
        if (k != NULL && by != NULL)
            json_array_append_new(by, json_pack("{s:s, s:s, s:I}", "entity", e->name, "label", e->label,
                                                "count", (json_int_t)c));
    }
    return JG_OK;
}

/* GET /api/v1/flow/drafts: counts per entity; ?entity=x: a page of its drafts. */
jg_rc jg_flow_h_drafts(jg_req *req, jg_resp *resp)
{
    const char *entity = jg_req_query(req, "entity");
    if (entity == NULL) {
        int64_t total;
        json_t *by = json_array();
        jg_rc rc = drafts_total(req, &total, by);
        if (rc != JG_OK) {
            json_decref(by);
            return rc;
        }
        return jg_resp_json(req, resp, 200,
                            json_pack("{s:I, s:o}", "total", (json_int_t)total, "entities", by));
    }
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, 100, &page, &size, fields);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    const jg_entity *e = jg_entity_find(&jg_records_of(req)->set, entity);
    const jg_record_kind *k = e != NULL && draftable(req, e) ? jg_record_kind_for(req, e) : NULL;
    if (k == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这类业务记录");
    jg_rows *r = NULL;
    jg_rc rc = drafts_of(req, k, page, size, NULL, &r);
    if (rc == JG_DENIED)
        return jg_resp_json(req, resp, 200,
                            json_pack("{s:[], s:I, s:I, s:b}", "items", "page", (json_int_t)page, "size",
                                      (json_int_t)size, "has_more", 0));
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

/* GET /api/v1/flow/boxes: every box's count, cheap enough to poll (indexed counts). */
jg_rc jg_flow_h_boxes(jg_req *req, jg_resp *resp)
{
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[MAX_PARAMS];
    int n = 0;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    p[n++] = JG_VINT(who(req)->user_id);
    p[n++] = JG_VTEXT(now);
    jg_buf_puts(&sql, "SELECT (SELECT count(*) FROM flow_task t WHERE t.state = 'open'");
    jg_flow_mine_sql(who(req), &sql, p, &n);
    jg_buf_puts(&sql, "), (SELECT count(*) FROM flow_task t WHERE t.state = 'open' AND t.due_at < $2");
    jg_flow_mine_sql(who(req), &sql, p, &n);
    jg_buf_puts(&sql, "), (SELECT count(*) FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id"
                      " WHERE t.state = 'open'");
    jg_flow_mine_sql(who(req), &sql, p, &n);
    jg_buf_puts(&sql,
                CORRECTION_SQL "), (SELECT count(*) FROM flow_task t WHERE t.done_by = $1),"
                               " (SELECT count(*) FROM flow_instance i WHERE" FINISHED_SQL "),"
                               " (SELECT count(*) FROM flow_copy WHERE to_user = $1),"
                               " (SELECT count(*) FROM flow_copy WHERE to_user = $1 AND read_at IS NULL)");
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    int64_t drafts = 0;
    rc = drafts_total(req, &drafts, NULL);
    if (rc != JG_OK) {
        jg_rows_free(r);
        return rc;
    }
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "drafts", (json_int_t)drafts, "todo",
                  (json_int_t)jg_rows_int(r, 0, 0), "overdue", (json_int_t)jg_rows_int(r, 0, 1), "correction",
                  (json_int_t)jg_rows_int(r, 0, 2), "done", (json_int_t)jg_rows_int(r, 0, 3), "finished",
                  (json_int_t)jg_rows_int(r, 0, 4), "copies", (json_int_t)jg_rows_int(r, 0, 5),
                  "copies_unread", (json_int_t)jg_rows_int(r, 0, 6));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, o);
}

/* GET /api/v1/flow/copies?unread=1 */
jg_rc jg_flow_h_copies(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, 100, &page, &size, fields);
    const char *unread = jg_req_query(req, "unread");
    if (unread != NULL && strcmp(unread, "1") != 0 && strcmp(unread, "true") != 0)
        jg_field_error(fields, "unread", "unread 应为 1");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_value p[] = {JG_VINT(who(req)->user_id), JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rows *r;
    jg_rc rc = jg_db_read(
        req->app->db,
        unread != NULL
            ? "SELECT c.id, c.instance_id, c.task_id, c.note, c.created_at, c.read_at, u.display_name"
              " AS from_name, i.key, d.name AS process_name, i.entity, i.record_id, i.state FROM"
              " flow_copy c JOIN flow_instance i ON i.id = c.instance_id JOIN flow_definition d ON"
              " d.id = i.definition_id LEFT JOIN app_user u ON u.id = c.from_user WHERE"
              " c.to_user = $1 AND c.read_at IS NULL ORDER BY c.id DESC LIMIT $2 OFFSET $3"
            : "SELECT c.id, c.instance_id, c.task_id, c.note, c.created_at, c.read_at, u.display_name"
              " AS from_name, i.key, d.name AS process_name, i.entity, i.record_id, i.state FROM"
              " flow_copy c JOIN flow_instance i ON i.id = c.instance_id JOIN flow_definition d ON"
              " d.id = i.definition_id LEFT JOIN app_user u ON u.id = c.from_user WHERE"
              " c.to_user = $1 ORDER BY c.id DESC LIMIT $2 OFFSET $3",
        p, 3, &r);
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

struct copy_read {
    jg_req *req;
    jg_refusal why;
    int64_t id;
    char now[32];
};

static jg_rc copy_read_tx(jg_conn *c, void *ud)
{
    struct copy_read *w = ud;
    jg_value p[] = {JG_VTEXT(w->now), JG_VINT(w->id), JG_VINT(who(w->req)->user_id)};
    int64_t changed = 0;
    jg_rc rc =
        jg_db_exec(c, "UPDATE flow_copy SET read_at = $1 WHERE id = $2 AND to_user = $3 AND read_at IS NULL",
                   p, 3, &changed);
    if (rc != JG_OK || changed == 1) {
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)w->id);
        return rc == JG_OK ? jg_audit_req(c, w->req, "flow_copy_read", "flow_copy", id, NULL) : rc;
    }
    jg_rows *r;
    rc = jg_db_query(c, "SELECT count(*) FROM flow_copy WHERE id = $1 AND to_user = $2", p + 1, 2, &r);
    if (rc != JG_OK)
        return rc;
    int64_t mine = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return mine == 1 ? JG_OK : jg_refuse(&w->why, JG_NOTFOUND, NULL, "抄送不存在");
}

/* POST /api/v1/flow/copies/{id}/read: mark a copy to the caller read (again: no change). */
jg_rc jg_flow_h_copy_read(jg_req *req, jg_resp *resp)
{
    struct copy_read w = {.req = req};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "抄送不存在");
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, copy_read_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w.id)};
    rc = jg_db_read(req->app->db, "SELECT id, instance_id, read_at FROM flow_copy WHERE id = $1", p, 1, &r);
    return rc == JG_OK ? jg_resp_row(req, resp, r) : rc;
}

/* ---- one instance: history and diagram ---- */

/* The log with each signature checked again: "signature": null | "valid" | "invalid". */
static jg_rc history(jg_req *req, int64_t id, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, task_id, node, action, user_id, username, opinion, at, on_behalf_of, to_user,"
                   " signature, sign_key_id FROM flow_log WHERE instance_id = $1 ORDER BY id",
                   p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *a = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *o =
            json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s?}", "id", (json_int_t)jg_rows_int(r, i, 0),
                      "node", jg_rows_text(r, i, 2), "action", jg_rows_text(r, i, 3), "username",
                      jg_rows_text(r, i, 5), "opinion", jg_rows_text(r, i, 6), "at", jg_rows_text(r, i, 7),
                      "on_behalf_of", jg_rows_text(r, i, 8), "to_user", jg_rows_text(r, i, 9));
        json_object_set_new(o, "task_id",
                            jg_rows_type(r, i, 1) == JG_V_NULL ? json_null()
                                                               : json_integer(jg_rows_int(r, i, 1)));
        const char *sig = jg_rows_text(r, i, 10), *action = jg_rows_text(r, i, 3);
        if (sig != NULL && strncmp(action, "complete:", 9) == 0)
            json_object_set_new(o, "signature",
                                json_string(jg_flow_sign_state(req, jg_rows_int(r, i, 11),
                                                               jg_rows_int(r, i, 4), jg_rows_int(r, i, 1),
                                                               action + 9, jg_rows_text(r, i, 6), sig)));
        else
            json_object_set_new(o, "signature", json_null());
        json_array_append_new(a, o);
    }
    jg_rows_free(r);
    *out = a;
    return JG_OK;
}

/* Node states for the diagram: current (open tasks or waiting tokens), done (in the log), pending. */
static jg_rc node_states(jg_req *req, int64_t id, int64_t definition, json_t **nodes, json_t **def)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(definition)};
    jg_rc rc = jg_db_read(req->app->db, "SELECT key, version, name, xml FROM flow_definition WHERE id = $1",
                          p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_ERR;
    }
    const char *xml = jg_rows_text(r, 0, 3);
    jg_flow_model m;
    char err[256];
    if (jg_bpmn_load(xml, strlen(xml), &m, err, sizeof(err)) != JG_OK) {
        jg_rows_free(r);
        return JG_ERR;
    }
    *def = json_pack("{s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)definition, "key", jg_rows_text(r, 0, 0),
                     "version", (json_int_t)jg_rows_int(r, 0, 1), "name", jg_rows_text(r, 0, 2), "xml", xml);
    jg_rows_free(r);
    jg_value q[] = {JG_VINT(id)};
    rc = jg_db_read(
        req->app->db,
        "SELECT node, 'current' FROM flow_task WHERE instance_id = $1 AND state = 'open' UNION"
        " SELECT node, 'current' FROM flow_token WHERE instance_id = $1 UNION"
        " SELECT node, 'done' FROM flow_log WHERE instance_id = $1 AND (action LIKE 'complete:%' OR"
        " action LIKE 'service:%' OR action IN ('start', 'end'))",
        q, 1, &r);
    if (rc != JG_OK) {
        json_decref(*def);
        jg_flow_model_free(&m);
        return rc;
    }
    *nodes = json_array();
    for (int i = 0; i < m.nnodes; i++) {
        const char *state = "pending";
        for (int k = 0; k < jg_rows_count(r); k++)
            if (strcmp(jg_rows_text(r, k, 0), m.nodes[i].id) == 0 &&
                (strcmp(state, "pending") == 0 || strcmp(jg_rows_text(r, k, 1), "current") == 0))
                state = strcmp(jg_rows_text(r, k, 1), "current") == 0 ? "current" : "done";
        json_array_append_new(*nodes,
                              json_pack("{s:s, s:s?, s:s, s:s}", "id", m.nodes[i].id, "name", m.nodes[i].name,
                                        "kind", jg_flow_kind_name(m.nodes[i].kind), "state", state));
    }
    jg_rows_free(r);
    jg_flow_model_free(&m);
    return JG_OK;
}

/* GET /api/v1/flow/instances/{id}: for whoever may read its record, or to whom it was copied. */
jg_rc jg_flow_h_instance(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "流程实例不存在");
    jg_rows *r;
    jg_value p[] = {JG_VINT(id), JG_VINT(who(req)->user_id)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, key, entity, record_id, state, started_at, ended_at, definition_id,"
                   " (SELECT count(*) FROM flow_copy c WHERE c.instance_id = $1 AND c.to_user = $2) AS copied"
                   " FROM flow_instance WHERE id = $1",
                   p, 2, &r);
    if (rc != JG_OK)
        return rc;
    const jg_entity *e =
        jg_rows_count(r) == 1 ? jg_entity_find(&jg_records_of(req)->set, jg_rows_text(r, 0, 2)) : NULL;
    const jg_record_kind *k = e != NULL ? jg_record_kind_for(req, e) : NULL;
    jg_rows *rec = NULL;
    int ok = k != NULL && (jg_rows_int(r, 0, 8) > 0 ||
                           (jg_principal_can(req->principal, e->perm_read) &&
                            jg_record_fetch(req, NULL, k, jg_rows_int(r, 0, 3), &rec) == JG_OK));
    jg_rows_free(rec);
    if (!ok) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, "流程实例不存在");
    }
    int64_t definition = jg_rows_int(r, 0, 7);
    json_t *o = jg_json_row(r, 0), *log = NULL, *nodes = NULL, *def = NULL;
    json_object_del(o, "copied");
    jg_rows_free(r);
    rc = jg_db_read(
        req->app->db,
        "SELECT t.id, t.instance_id, t.node, t.name, t.state, t.created_at, t.due_at, t.done_at, t.action,"
        " t.opinion, t.version, t.assignee_id, t.pooled, t.delegated_by, t.done_by FROM flow_task t"
        " WHERE t.instance_id = $1 ORDER BY t.id",
        p, 1, &r);
    if (rc == JG_OK) {
        json_object_set_new(o, "tasks", jg_json_rows(r));
        jg_rows_free(r);
        rc = history(req, id, &log);
    }
    if (rc == JG_OK) {
        json_object_set_new(o, "log", log);
        rc = node_states(req, id, definition, &nodes, &def);
    }
    if (rc != JG_OK) {
        json_decref(o);
        return rc;
    }
    json_object_set_new(o, "nodes", nodes);
    json_object_set_new(o, "definition", def);
    return jg_resp_json(req, resp, 200, o);
}

/* ---- 效能 ---- */

/* The UTC instant at which business date d (YYYY-MM-DD, Asia/Shanghai) starts, plus days. */
static int day_start(const char *d, int days, char *out, size_t len)
{
    char iso[32];
    int64_t t;
    if (!jg_time_valid_date(d))
        return 0;
    snprintf(iso, sizeof(iso), "%sT00:00:00Z", d);
    if (!jg_time_parse_iso(iso, &t))
        return 0;
    time_t u = (time_t)(t - 8 * 3600 + (int64_t)days * 86400);
    struct tm w;
    gmtime_r(&u, &w);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &w);
    return 1;
}

/* GET /api/v1/flow/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&by=department|person|process|node: tasks
 * done in the range (business dates, inclusive) on instances inside the caller's region: handled, on
 * time, overdue, average hours from the task's opening to its completion. */
jg_rc jg_flow_h_stats(jg_req *req, jg_resp *resp)
{
    const char *from = jg_req_query(req, "from"), *to = jg_req_query(req, "to"),
               *by = jg_req_query(req, "by");
    json_t *fields = json_object();
    char lo[32], hi[32];
    if (from == NULL || !day_start(from, 0, lo, sizeof(lo)))
        jg_field_error(fields, "from", "请填写开始日期（YYYY-MM-DD）");
    if (to == NULL || !day_start(to, 1, hi, sizeof(hi)))
        jg_field_error(fields, "to", "请填写结束日期（YYYY-MM-DD）");
    else if (from != NULL && strcmp(from, to) > 0)
        jg_field_error(fields, "to", "结束日期不能早于开始日期");
    if (by == NULL)
        by = "department";
    int person = strcmp(by, "person") == 0, process = strcmp(by, "process") == 0,
        step = strcmp(by, "node") == 0;
    if (!person && !process && !step && strcmp(by, "department") != 0)
        jg_field_error(fields, "by",
                       "by 应为 department（按部门）、person（按人员）、process（按流程）或 node（按环节）");
    if (jg_resp_fields(req, resp, "统计条件不正确", fields) != JG_OK)
        return JG_INVALID;
    const jg_principal *pr = who(req);
    int pg = jg_db_kind_of(req->app->db) == JG_DB_PGSQL;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_buf_puts(&sql, person    ? "SELECT u.id, u.display_name, dp.name"
                      : process ? "SELECT i.key, max(fd.name), NULL"
                      : step    ? "SELECT i.key, max(t.name), t.node"
                                : "SELECT dp.id, dp.name, dp.org_code");
    jg_buf_puts(&sql,
                ", count(*), sum(CASE WHEN t.due_at IS NULL OR t.done_at <= t.due_at THEN 1 ELSE 0 END),"
                " sum(CASE WHEN t.due_at IS NOT NULL AND t.done_at > t.due_at THEN 1 ELSE 0 END), ");
    jg_buf_puts(&sql,
                pg ? "CAST(avg(EXTRACT(EPOCH FROM (CAST(t.done_at AS timestamptz) - CAST(t.created_at AS"
                     " timestamptz))) / 3600.0) AS double precision)"
                   : "avg((julianday(t.done_at) - julianday(t.created_at)) * 24.0)");
    jg_buf_puts(
        &sql,
        " FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id JOIN app_user u ON"
        " u.id = t.done_by LEFT JOIN department dp ON dp.id = u.department_id JOIN flow_definition fd ON"
        " fd.id = i.definition_id WHERE t.state = 'done'"
        " AND t.done_at >= $1 AND t.done_at < $2");
    jg_value p[8] = {JG_VTEXT(lo), JG_VTEXT(hi)};
    int n = 2;
    /* The instances' records by the caller's data scope (platform/scope.h): a region and below. */
    const jg_scope_cols cols = {.org = "i.org_code", .enterprise = "i.enterprise_id"};
    if (jg_scope_sql(pr, &cols, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return jg_resp_error(req, resp, JG_DENIED, "没有查看效能统计的数据权限");
    }
    jg_buf_puts(&sql, person    ? " GROUP BY u.id, u.display_name, dp.name ORDER BY count(*) DESC, u.id"
                      : process ? " GROUP BY i.key ORDER BY count(*) DESC, i.key"
                      : step    ? " GROUP BY i.key, t.node ORDER BY count(*) DESC, i.key, t.node"
                                : " GROUP BY dp.id, dp.name, dp.org_code ORDER BY count(*) DESC, dp.id");
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *o =
            process || step ? json_pack("{s:s, s:s?, s:s?}", "key", jg_rows_text(r, i, 0), "name",
                                        jg_rows_text(r, i, 1), "node", jg_rows_text(r, i, 2))
            : person ? json_pack("{s:I, s:s?, s:s?}", "user_id", (json_int_t)jg_rows_int(r, i, 0), "name",
                                 jg_rows_text(r, i, 1), "department", jg_rows_text(r, i, 2))
                     : json_pack("{s:o, s:s, s:s?}", "department_id",
                                 jg_rows_type(r, i, 0) == JG_V_NULL ? json_null()
                                                                    : json_integer(jg_rows_int(r, i, 0)),
                                 "name", jg_rows_text(r, i, 1) != NULL ? jg_rows_text(r, i, 1) : "（无部门）",
                                 "org_code", jg_rows_text(r, i, 2));
        int64_t handled = jg_rows_int(r, i, 3), on_time = jg_rows_int(r, i, 4), late = jg_rows_int(r, i, 5);
        double hours = jg_rows_real(r, i, 6);
        json_object_set_new(o, "handled", json_integer(handled));
        json_object_set_new(o, "on_time", json_integer(on_time));
        json_object_set_new(o, "overdue", json_integer(late));
        json_object_set_new(o, "on_time_rate",
                            json_real(handled > 0 ? (double)on_time / (double)handled : 0));
        json_object_set_new(o, "avg_hours", json_real((double)(int64_t)(hours * 100 + 0.5) / 100));
        json_array_append_new(items, o);
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:s, s:o}", "from", from, "to", to, "by", by, "items", items));
}
