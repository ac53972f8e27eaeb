/* Whom a task may be handed to, for the pickers of the task page (docs/api/README.md, "Workflow:
 * operations and boxes"):
 *   GET /api/v1/flow/tasks/{id}/people?for=transfer|delegate|copy&keyword=
 * transfer: the task's valid candidates (its roles in its region, or the users of its enterprise),
 * or for a task assigned to one person that person's colleagues; delegate: the caller's colleagues
 * (department or enterprise); copy: government staff of the caller's region and the users of the
 * applicant enterprise. Only for whoever may do the task (copy: or did it); the operations check
 * again (ops.c), this list only saves typing user ids. At most 200, by name. */
#include "base/text.h"
#include "engine/flow/run.h"
#include "http/http.h"
#include "platform/session.h"

#include <stdint.h>
#include <string.h>

#define MAX_PEOPLE 200
#define MAX_KEYWORD_BYTES 60
#define MSG_NO_TASK "任务不存在"

typedef struct {
    int open, mine, done;
    int64_t enterprise, assignee, applicant;
    const char *roles, *org;
} task_facts;

static const char *dup(jg_arena *a, const char *s)
{
    return s != NULL ? jg_arena_strdup(a, s) : NULL;
}

static jg_rc load(jg_req *req, int64_t id, task_facts *t)
{
    const jg_principal *p = req->principal;
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_value v[8] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql,
                "SELECT t.state, COALESCE(t.pool_roles, t.candidate_roles), COALESCE(t.pool_org, t.org_code),"
                " COALESCE(t.pool_enterprise, t.enterprise_id, 0), COALESCE(t.assignee_id, 0),"
                " COALESCE(t.done_by, 0), COALESCE(i.enterprise_id, 0), CASE WHEN t.state = 'open'");
    jg_flow_mine_sql(p, &sql, v, &n);
    jg_buf_puts(&sql, " THEN 1 ELSE 0 END FROM flow_task t JOIN flow_instance i ON i.id = t.instance_id"
                      " WHERE t.id = $1");
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql.data, v, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    jg_arena *a = req->arena;
    *t = (task_facts){.open = strcmp(jg_rows_text(r, 0, 0), "open") == 0,
                      .roles = dup(a, jg_rows_text(r, 0, 1)),
                      .org = dup(a, jg_rows_text(r, 0, 2)),
                      .enterprise = jg_rows_int(r, 0, 3),
                      .assignee = jg_rows_int(r, 0, 4),
                      .done = jg_rows_int(r, 0, 5) == p->user_id,
                      .applicant = jg_rows_int(r, 0, 6),
                      .mine = jg_rows_int(r, 0, 7) == 1};
    jg_rows_free(r);
    return JG_OK;
}

/* GET /api/v1/flow/tasks/{id}/people?for=transfer|delegate|copy&keyword= */
static jg_rc h_people(jg_req *req, jg_resp *resp)
{
    const jg_principal *p = req->principal;
    const char *what = jg_req_query(req, "for"), *keyword = jg_req_query(req, "keyword");
    json_t *fields = json_object();
    if (what == NULL ||
        (strcmp(what, "transfer") != 0 && strcmp(what, "delegate") != 0 && strcmp(what, "copy") != 0))
        jg_field_error(fields, "for", "for 应为 transfer、delegate 或 copy");
    if (keyword != NULL && strlen(keyword) > MAX_KEYWORD_BYTES)
        jg_field_error(fields, "keyword", "关键字不超过 20 个汉字");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NO_TASK);
    task_facts t;
    jg_rc rc = load(req, id, &t);
    if (rc == JG_NOTFOUND || (rc == JG_OK && !(t.mine || (strcmp(what, "copy") == 0 && t.done))))
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NO_TASK);
    if (rc != JG_OK)
        return rc;

    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_value v[8];
    int n = 0;
    v[n++] = JG_VINT(p->user_id);
    jg_buf_puts(&sql,
                "SELECT u.id, u.username, u.display_name AS name, u.role, u.org_code, d.name AS department"
                " FROM app_user u LEFT JOIN department d ON d.id = u.department_id"
                " WHERE u.status = 'active' AND u.kind <> 'admin' AND u.id <> $1 AND ");
    if (strcmp(what, "transfer") == 0 && t.org != NULL && t.roles != NULL) {
        v[n++] = JG_VTEXT(t.org);
        v[n++] = JG_VTEXT(t.roles);
        jg_buf_printf(&sql, "u.org_code = $%d AND $%d LIKE '%%,' || u.role || ',%%'", n - 1, n);
    } else if (strcmp(what, "transfer") == 0 && t.enterprise > 0) {
        v[n++] = JG_VINT(t.enterprise);
        jg_buf_printf(&sql, "u.enterprise_id = $%d", n);
        if (t.roles != NULL) {
            v[n++] = JG_VTEXT(t.roles);
            jg_buf_printf(&sql, " AND $%d LIKE '%%,' || u.role || ',%%'", n);
        }
    } else if (strcmp(what, "transfer") == 0) { /* assigned to one person: that person's colleagues */
        v[n++] = JG_VINT(t.assignee);
        jg_buf_printf(&sql,
                      "(u.department_id = (SELECT department_id FROM app_user WHERE id = $%d)"
                      " OR u.enterprise_id = (SELECT enterprise_id FROM app_user WHERE id = $%d))",
                      n, n);
    } else if (strcmp(what, "delegate") == 0) {
        v[n++] = JG_VINT(p->department_id);
        v[n++] = JG_VINT(p->enterprise_id);
        jg_buf_printf(&sql, "((u.department_id = $%d AND $%d > 0) OR (u.enterprise_id = $%d AND $%d > 0))",
                      n - 1, n - 1, n, n);
    } else { /* copy: government staff of the caller's region, users of the applicant enterprise */
        int gov = p->kind != NULL && strcmp(p->kind, "government") == 0 && p->org_code != NULL;
        v[n++] = JG_VTEXT(gov ? p->org_code : "-");
        v[n++] = JG_VINT(t.applicant);
        jg_buf_printf(&sql,
                      "((u.kind = 'government' AND u.org_code LIKE $%d || '%%') OR (u.enterprise_id = $%d"
                      " AND $%d > 0))",
                      n - 1, n, n);
    }
    if (keyword != NULL && keyword[0] != '\0') {
        v[n++] = JG_VTEXT(keyword);
        jg_buf_printf(&sql,
                      " AND (u.display_name LIKE '%%' || $%d || '%%' OR u.username LIKE '%%' || $%d || '%%')",
                      n, n);
    }
    jg_buf_printf(&sql, " ORDER BY u.org_code, u.display_name, u.id LIMIT %d", MAX_PEOPLE);
    jg_rows *r;
    rc = jg_db_read(req->app->db, sql.data, v, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    json_t *o = json_pack("{s:o}", "items", jg_json_rows(r));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, o);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/flow/tasks/{id}/people", h_people, JG_ROUTE_AUTH, "转办、委托、抄送时可选的人员", "flow",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_flow_people = {"flow_people", routes, NULL, NULL};
