/* Routes of the execution core (docs/api/README.md, "Workflow: return and 会签"):
 *   GET  /api/v1/flow/tasks/{id}/return-targets  the steps the task may be returned to
 *   POST /api/v1/flow/tasks/{id}/return           {"version","target","opinion"?}   退回
 *   POST /api/v1/flow/tasks/{id}/add-signer       {"version","user_id"}              加签
 *   POST /api/v1/flow/tasks/{id}/remove-signer    {"version","user_id"}              减签
 *   GET  /api/v1/flow/calendar?year=2026         holidays and 调休 workdays (calendar.h)
 *   PUT / DELETE /api/v1/flow/calendar/{day}     {"kind":"holiday|workday","name"} (flow.deploy)
 * Tasks: whoever may do the task (run.h); every write is one transaction with a log line (tasks)
 * and an audit row, and answers the instance's open tasks as completing does. The module starts
 * the timer poller of `serve` (timers.h). */
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/flow/calendar.h"
#include "engine/flow/run.h"
#include "engine/flow/timers.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

#define MAX_OPINION_CHARS 2000

typedef struct {
    jg_flow_op op;
    jg_refusal why;
    int64_t task_id, version, user_id;
    const char *target, *opinion, *what; /* what: return | add_signer | remove_signer */
    json_t *tasks;
} core_op;

static jg_rc task_id_of(jg_req *req, int64_t *id)
{
    return jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, id);
}

static jg_rc write_tx(jg_conn *c, void *ud)
{
    core_op *w = ud;
    json_decref(w->tasks);
    w->tasks = NULL;
    jg_rc rc;
    json_t *detail;
    if (strcmp(w->what, "return") == 0) {
        rc = jg_flow_return(c, &w->op, w->task_id, w->version, w->target, w->opinion);
        detail = json_pack("{s:I, s:s}", "task_id", (json_int_t)w->task_id, "target", w->target);
    } else {
        rc = strcmp(w->what, "add_signer") == 0
                 ? jg_flow_add_signer(c, &w->op, w->task_id, w->version, w->user_id)
                 : jg_flow_remove_signer(c, &w->op, w->task_id, w->version, w->user_id);
        detail =
            json_pack("{s:I, s:I}", "task_id", (json_int_t)w->task_id, "user_id", (json_int_t)w->user_id);
    }
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(w->op.instance_id)};
    if (rc == JG_OK)
        rc = jg_db_query(c,
                         "SELECT id, instance_id, node, name, state, assignee_id, created_at, due_at, version"
                         " FROM flow_task WHERE instance_id = $1 AND state = 'open' ORDER BY id",
                         p, 1, &r);
    if (rc == JG_OK) {
        w->tasks = jg_json_rows(r);
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)w->op.instance_id);
        rc = jg_audit_req(c, w->op.req, jg_arena_printf(w->op.req->arena, "flow_%s", w->what),
                          "flow_instance", id, detail);
        detail = NULL;
    }
    json_decref(detail);
    jg_rows_free(r);
    return rc;
}

static jg_rc write(jg_req *req, jg_resp *resp, const char *what)
{
    int64_t id;
    if (task_id_of(req, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "待办任务不存在");
    json_t *b = req->json, *fields = json_object();
    json_t *version = json_object_get(b, "version"), *target = json_object_get(b, "target"),
           *opinion = json_object_get(b, "opinion"), *user = json_object_get(b, "user_id");
    if (!json_is_integer(version) || json_integer_value(version) <= 0)
        jg_field_error(fields, "version", "请提交任务的版本号（version）");
    int is_return = strcmp(what, "return") == 0;
    if (is_return) {
        if (!json_is_string(target) || json_string_length(target) == 0 || json_string_length(target) > 64)
            jg_field_error(fields, "target", "请选择退回到哪个环节");
        if (opinion != NULL && !json_is_null(opinion) &&
            (!json_is_string(opinion) || jg_utf8_chars(json_string_value(opinion)) > MAX_OPINION_CHARS))
            jg_field_error(fields, "opinion", "办理意见应为不超过 2000 字的文本");
        static const char *const allowed[] = {"version", "target", "opinion", NULL};
        jg_field_unknown(b, allowed, fields);
    } else {
        if (!json_is_integer(user) || json_integer_value(user) <= 0)
            jg_field_error(fields, "user_id", "请选择会签人");
        static const char *const allowed[] = {"version", "user_id", NULL};
        jg_field_unknown(b, allowed, fields);
    }
    if (jg_resp_fields(req, resp, "提交内容不正确", fields) != JG_OK)
        return JG_INVALID;
    core_op w = {.op = {.req = req},
                 .task_id = id,
                 .version = json_integer_value(version),
                 .user_id = json_integer_value(user),
                 .target = json_string_value(target),
                 .opinion = json_string_value(opinion),
                 .what = what};
    w.op.why = &w.why;
    jg_rc rc = jg_db_tx(req->app->db, write_tx, &w);
    if (rc != JG_OK) {
        json_decref(w.tasks);
        return jg_resp_refusal(req, resp, rc, &w.why);
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:I, s:s, s:o}", "id", (json_int_t)w.op.instance_id, "state", w.op.state,
                                  "tasks", w.tasks));
}

/* POST /api/v1/flow/tasks/{id}/return */
static jg_rc h_return(jg_req *req, jg_resp *resp)
{
    return write(req, resp, "return");
}

/* POST /api/v1/flow/tasks/{id}/add-signer */
static jg_rc h_add_signer(jg_req *req, jg_resp *resp)
{
    return write(req, resp, "add_signer");
}

/* POST /api/v1/flow/tasks/{id}/remove-signer */
static jg_rc h_remove_signer(jg_req *req, jg_resp *resp)
{
    return write(req, resp, "remove_signer");
}

typedef struct {
    jg_flow_op op;
    jg_refusal why;
    int64_t task_id;
    json_t *items;
} targets_op;

static jg_rc targets_tx(jg_conn *c, void *ud)
{
    targets_op *w = ud;
    json_decref(w->items);
    w->items = NULL;
    return jg_flow_return_targets(c, &w->op, w->task_id, &w->items);
}

/* GET /api/v1/flow/tasks/{id}/return-targets */
static jg_rc h_return_targets(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (task_id_of(req, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "待办任务不存在");
    targets_op w = {.op = {.req = req}, .task_id = id};
    w.op.why = &w.why;
    jg_rc rc = jg_db_tx(req->app->db, targets_tx, &w);
    if (rc != JG_OK) {
        json_decref(w.items);
        return jg_resp_refusal(req, resp, rc, &w.why);
    }
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", w.items));
}

/* ---- notices (效能提醒, 督办) raised by timers ---- */

/* The condition of the notices p is to see, on flow_notice n, with its values at params[*n...]. */
static void notices_mine(const jg_principal *p, jg_buf *sql, jg_value *params, int *n)
{
    params[(*n)++] = JG_VINT(p->user_id);
    params[(*n)++] = JG_VTEXT(p->role != NULL ? p->role : "");
    params[(*n)++] = JG_VTEXT(p->org_code != NULL ? p->org_code : "");
    params[(*n)++] = JG_VINT(p->enterprise_id);
    int k = *n - 3;
    jg_buf_printf(sql,
                  " (n.user_id = $%d OR (n.user_id IS NULL AND n.org_code = $%d AND n.roles LIKE '%%,' || $%d"
                  " || ',%%') OR (n.user_id IS NULL AND n.enterprise_id = $%d AND $%d > 0))",
                  k, k + 2, k + 1, k + 3, k + 3);
}

/* GET /api/v1/flow/notices?unread=1&page=&size= */
static jg_rc h_notices(jg_req *req, jg_resp *resp)
{
    int64_t page, size;
    json_t *fields = json_object();
    jg_req_paging(req, 20, 100, &page, &size, fields);
    const char *unread = jg_req_query(req, "unread");
    if (unread != NULL && strcmp(unread, "1") != 0 && strcmp(unread, "0") != 0)
        jg_field_error(fields, "unread", "unread 只能是 1 或 0");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_value p[8];
    int n = 0;
    jg_buf_puts(&sql,
                "SELECT n.id, n.kind, n.instance_id, n.task_id, n.message, n.at, n.read_at, i.key, i.entity,"
                " i.record_id FROM flow_notice n JOIN flow_instance i ON i.id = n.instance_id WHERE");
    notices_mine(req->principal, &sql, p, &n);
    if (unread != NULL && strcmp(unread, "1") == 0)
        jg_buf_puts(&sql, " AND n.read_at IS NULL");
    p[n++] = JG_VINT(size + 1);
    p[n++] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY n.id DESC LIMIT $%d OFFSET $%d", n - 1, n);
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    return rc == JG_OK ? jg_resp_page(req, resp, r, page, size) : rc;
}

typedef struct {
    jg_req *req;
    int64_t id;
    int found;
    char at[32];
} read_op;

static jg_rc read_tx(jg_conn *c, void *ud)
{
    read_op *w = ud;
    jg_buf sql;
    jg_buf_init(&sql, 512);
    jg_value p[8] = {JG_VTEXT(w->at), JG_VINT(w->id)};
    int n = 2;
    jg_buf_puts(&sql, "UPDATE flow_notice SET read_at = COALESCE(read_at, $1) WHERE id IN (SELECT n.id FROM"
                      " flow_notice n WHERE n.id = $2 AND");
    notices_mine(w->req->principal, &sql, p, &n);
    jg_buf_puts(&sql, ")");
    int64_t changed = 0;
    jg_rc rc = jg_db_exec(c, sql.data, p, n, &changed);
    jg_buf_free(&sql);
    w->found = changed == 1;
    return rc;
}

/* POST /api/v1/flow/notices/{id}/read (a role's notice is read for all its holders) */
static jg_rc h_notice_read(jg_req *req, jg_resp *resp)
{
    read_op w = {.req = req};
    if (task_id_of(req, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "提醒不存在");
    jg_time_iso_now(w.at, sizeof(w.at));
    jg_rc rc = jg_db_tx(req->app->db, read_tx, &w);
    if (rc != JG_OK)
        return rc;
    if (!w.found)
        return jg_resp_error(req, resp, JG_NOTFOUND, "提醒不存在");
    return jg_resp_json(req, resp, 200, json_pack("{s:I}", "id", (json_int_t)w.id));
}

/* ---- the working-day calendar ---- */

/* GET /api/v1/flow/calendar?year=2026 */
static jg_rc h_calendar(jg_req *req, jg_resp *resp)
{
    const char *year = jg_req_query(req, "year");
    int64_t y = 0;
    if (year != NULL && jg_parse_int64(year, 1970, 9999, &y) != JG_OK) {
        json_t *f = json_object();
        jg_field_error(f, "year", "年份不正确");
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", f);
    }
    char from[16], to[16];
    snprintf(from, sizeof(from), "%04d-01-01", y > 0 ? (int)y : 1970);
    snprintf(to, sizeof(to), "%04d-12-31", y > 0 ? (int)y : 9999);
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(from), JG_VTEXT(to)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT day, kind, name, updated_at FROM flow_calendar WHERE day >= $1 AND day <= $2"
                   " ORDER BY day",
                   p, 2, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = jg_json_rows(r);
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

typedef struct {
    jg_req *req;
    const char *day, *kind, *name, *now;
    int removed;
} cal_op;

static jg_rc cal_before(jg_conn *c, const char *day, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(day)};
    jg_rc rc = jg_db_query(c, "SELECT day, kind, name FROM flow_calendar WHERE day = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_count(r) == 1 ? jg_json_row(r, 0) : NULL;
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc cal_tx(jg_conn *c, void *ud)
{
    cal_op *w = ud;
    json_t *before = NULL;
    jg_rc rc = cal_before(c, w->day, &before);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VTEXT(w->day), JG_VTEXT(w->kind != NULL ? w->kind : ""),
                    JG_VTEXT(w->name != NULL ? w->name : ""), JG_VTEXT(w->now)};
    if (w->kind == NULL)
        rc = jg_db_exec(c, "DELETE FROM flow_calendar WHERE day = $1", p, 1, NULL);
    else if (before != NULL)
        rc = jg_db_exec(c, "UPDATE flow_calendar SET kind = $2, name = $3, updated_at = $4 WHERE day = $1", p,
                        4, NULL);
    else
        rc = jg_db_exec(c, "INSERT INTO flow_calendar (day, kind, name, updated_at) VALUES ($1, $2, $3, $4)",
                        p, 4, NULL);
    json_t *after = w->kind != NULL ? json_pack("{s:s, s:s, s:s}", "day", w->day, "kind", w->kind, "name",
                                                w->name != NULL ? w->name : "")
                                    : NULL;
    w->removed = before != NULL && w->kind == NULL;
    if (rc == JG_OK)
        return jg_audit_req(c, w->req, "flow_calendar", "flow_calendar", w->day,
                            jg_audit_change(before, after));
    json_decref(before);
    json_decref(after);
    return rc;
}

/* PUT /api/v1/flow/calendar/{day} {"kind":"holiday|workday","name"} and DELETE (back to the week's rule) */
static jg_rc cal_write(jg_req *req, jg_resp *resp, int put)
{
    const char *day = jg_req_param(req, "day");
    int32_t d;
    if (jg_cal_parse_day(day, &d) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "日期应为 YYYY-MM-DD");
    const char *kind = NULL, *name = NULL;
    if (put) {
        json_t *b = req->json, *fields = json_object();
        kind = json_string_value(json_object_get(b, "kind"));
        json_t *nm = json_object_get(b, "name");
        name = json_string_value(nm);
        if (kind == NULL || (strcmp(kind, "holiday") != 0 && strcmp(kind, "workday") != 0))
            jg_field_error(fields, "kind", "类型应为 holiday（放假）或 workday（调休上班）");
        if (nm != NULL && !json_is_null(nm) && (name == NULL || jg_utf8_chars(name) > 40))
            jg_field_error(fields, "name", "名称应为不超过 40 字的文本");
        static const char *const allowed[] = {"kind", "name", NULL};
        jg_field_unknown(b, allowed, fields);
        if (jg_resp_fields(req, resp, "提交内容不正确", fields) != JG_OK)
            return JG_INVALID;
    }
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    cal_op w = {.req = req, .day = day, .kind = kind, .name = name, .now = now};
    jg_rc rc = jg_db_tx(req->app->db, cal_tx, &w);
    if (rc != JG_OK)
        return rc;
    if (!put && !w.removed)
        return jg_resp_error(req, resp, JG_NOTFOUND, "该日期没有特别安排");
    return jg_resp_json(
        req, resp, 200,
        put ? json_pack("{s:s, s:s, s:s}", "day", day, "kind", kind, "name", name != NULL ? name : "")
            : json_pack("{s:s}", "day", day));
}

static jg_rc h_calendar_put(jg_req *req, jg_resp *resp)
{
    return cal_write(req, resp, 1);
}

static jg_rc h_calendar_delete(jg_req *req, jg_resp *resp)
{
    return cal_write(req, resp, 0);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/flow/tasks/{id}/return-targets", h_return_targets, JG_ROUTE_AUTH, "可退回的环节", "flow",
     NULL},
    {"POST", "/api/v1/flow/tasks/{id}/return", h_return, JG_ROUTE_AUTH | JG_ROUTE_JSON, "退回到之前的环节",
     "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/add-signer", h_add_signer, JG_ROUTE_AUTH | JG_ROUTE_JSON, "会签加签",
     "flow", NULL},
    {"POST", "/api/v1/flow/tasks/{id}/remove-signer", h_remove_signer, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "会签减签", "flow", NULL},
    {"GET", "/api/v1/flow/notices", h_notices, JG_ROUTE_AUTH, "我的效能提醒与督办", "flow", NULL},
    {"POST", "/api/v1/flow/notices/{id}/read", h_notice_read, JG_ROUTE_AUTH, "提醒标记已读", "flow", NULL},
    {"GET", "/api/v1/flow/calendar", h_calendar, JG_ROUTE_AUTH, "工作日历：节假日与调休", "flow", NULL},
    {"PUT", "/api/v1/flow/calendar/{day}", h_calendar_put, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "设置节假日或调休上班日", "flow", "flow.deploy"},
    {"DELETE", "/api/v1/flow/calendar/{day}", h_calendar_delete, JG_ROUTE_AUTH, "删除节假日或调休安排",
     "flow", "flow.deploy"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

static jg_rc core_init(jg_app *app)
{
    return jg_flow_timers_start(app);
}

static void core_exit(jg_app *app)
{
    jg_flow_timers_stop(app);
}

const jg_module jg_module_flow_core = {"flow_core", routes, core_init, core_exit};
