/* Role administration (角色与权限) for the 安全管理员 (role.manage).
 *
 * A role groups permission codes of defs/platform/roles.json ("permissions") and has a data scope
 * fitting its kind of user. The reserved roles (the 三员) and their permissions are out of reach:
 * they cannot be edited or deleted, and no other role may hold one of their permission codes, so
 * the separation of the 三员 cannot be undone by putting user.manage into an ordinary role.
 * Builtin templates may be edited but not deleted (migrate would bring them back). */
#include "platform/identity.h"
#include "platform/roles.h"
#include "platform/session.h"

#include "base/text.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLE_COLUMNS                                                                                         \
    "SELECT r.code, r.name, r.user_kind, r.scope, r.permissions, r.builtin, r.reserved, r.created_at,"       \
    " r.updated_at, r.version, (SELECT COUNT(*) FROM app_user u WHERE u.role = r.code) AS users FROM role r"

#define MAX_NAME_BYTES 96 /* 32 Chinese characters */
#define MAX_PERMISSIONS 128

static int one_of(const char *s, const char *const *list)
{
    for (int i = 0; s != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static const char *const role_kinds[] = {"government", "enterprise", "expert", NULL};

/* The scopes that make sense for a kind of user. */
static int scope_fits(const char *kind, const char *scope)
{
    static const char *const gov[] = {"department", "region", "province", "none", NULL};
    static const char *const ent[] = {"enterprise", "none", NULL};
    static const char *const other[] = {"none", NULL};
    if (strcmp(kind, "government") == 0)
        return one_of(scope, gov);
    if (strcmp(kind, "enterprise") == 0)
        return one_of(scope, ent);
    return one_of(scope, other);
}

static int code_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 2 || n > 32 || s[0] < 'a' || s[0] > 'z')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int name_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > MAX_NAME_BYTES || strspn(s, " ") == n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* 1 when code belongs to a reserved role (the 三员) in the definitions. */
static int reserved_permission(json_t *defs, const char *code)
{
    const char *name;
    json_t *role;
    json_object_foreach(json_object_get(defs, "roles"), name, role)
    {
        if (!json_is_true(json_object_get(role, "reserved")))
            continue;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(role, "permissions"), i,
                           p) if (strcmp(json_string_value(p), code) == 0) return 1;
    }
    return 0;
}

/* Check a permissions array: known codes, none of the 三员's, no repeats. Adds to fields. */
static void check_permissions(json_t *defs, json_t *perms, json_t *fields)
{
    if (!json_is_array(perms) || json_array_size(perms) > MAX_PERMISSIONS) {
        jg_field_error(fields, "permissions", "权限应为权限代码的数组");
        return;
    }
    json_t *known = json_object_get(defs, "permissions");
    size_t i;
    json_t *p;
    json_array_foreach(perms, i, p)
    {
        const char *code = json_string_value(p);
        if (code == NULL || json_object_get(known, code) == NULL) {
            jg_field_error(fields, "permissions", "包含未定义的权限代码");
            return;
        }
        if (reserved_permission(defs, code)) {
            jg_field_error(fields, "permissions",
                           "三员（系统管理员、安全管理员、审计员）的权限不能授予其他角色");
            return;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(json_string_value(json_array_get(perms, k)), code) == 0) {
                jg_field_error(fields, "permissions", "权限代码重复");
                return;
            }
    }
}

/* One role row as the API shows it: permissions as an array, flags as booleans. */
static json_t *role_json(const jg_rows *r, int i)
{
    json_t *o = jg_json_row(r, i);
    json_error_t e;
    json_t *perms = json_loads(jg_rows_text(r, i, 4), 0, &e);
    json_object_set_new(o, "permissions", json_is_array(perms) ? perms : json_array());
    if (!json_is_array(perms))
        json_decref(perms);
    json_object_set_new(o, "builtin", json_boolean(jg_rows_int(r, i, 5)));
    json_object_set_new(o, "reserved", json_boolean(jg_rows_int(r, i, 6)));
    return o;
}

/* The role called code, read on c: *out or NULL. */
static jg_rc load_role(jg_conn *c, const char *code, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c, ROLE_COLUMNS " WHERE r.code = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_count(r) == 1 ? role_json(r, 0) : NULL;
    jg_rows_free(r);
    return JG_OK;
}

/* ---- reads ---- */

/* GET /api/v1/roles — every role with its permissions and how many users hold it. */
static jg_rc list_roles(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc =
        jg_db_read(req->app->db, ROLE_COLUMNS " ORDER BY r.reserved DESC, r.builtin DESC, r.id", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(items, role_json(r, i));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

static jg_rc get_role(jg_req *req, jg_resp *resp)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    json_t *role = NULL;
    rc = load_role(c, jg_req_param(req, "code"), &role);
    jg_db_release(c);
    if (rc != JG_OK)
        return rc;
    if (role == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, "角色不存在");
    return jg_resp_json(req, resp, 200, role);
}

/* GET /api/v1/permissions — the codes with their Chinese names, for the role editor; those of
 * the 三员 are marked not grantable. */
static jg_rc list_permissions(jg_req *req, jg_resp *resp)
{
    json_t *defs = jg_roles_defs();
    if (defs == NULL)
        return JG_ERR;
    json_t *items = json_array();
    const char *code;
    json_t *name;
    json_object_foreach(json_object_get(defs, "permissions"), code, name)
    {
        json_array_append_new(items, json_pack("{s:s, s:O, s:b}", "code", code, "name", name, "grantable",
                                               !reserved_permission(defs, code)));
    }
    json_decref(defs);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* ---- POST /api/v1/roles ---- */

struct write {
    jg_req *req;
    const char *code;
    json_t *body;
    int64_t version;
    jg_refusal v;
    json_t *role; /* the role after the change */
};

/* The start of a write to role w->code: drop the answer of an attempt that was retried, and read
 * the role as it is into *before, or refuse (404) when there is none. */
static jg_rc open_role(jg_conn *c, struct write *w, json_t **before)
{
    json_decref(w->role);
    w->role = NULL;
    jg_rc rc = load_role(c, w->code, before);
    if (rc != JG_OK)
        return rc;
    if (*before == NULL)
        return jg_refuse(&w->v, JG_NOTFOUND, NULL, "角色不存在");
    return JG_OK;
}

/* The end of a write to role w->code: the role as it is now becomes the answer, and the change from
 * before (reference stolen; NULL for a new role) is audited as action. */
static jg_rc finish_role(jg_conn *c, struct write *w, const char *action, json_t *before)
{
    jg_rc rc = load_role(c, w->code, &w->role);
    if (rc == JG_OK && w->role == NULL)
        rc = JG_ERR;
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    return jg_audit_req(c, w->req, action, "role", w->code, jg_audit_change(before, json_deep_copy(w->role)));
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_decref(w->role);
    w->role = NULL;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    char *perms = json_dumps(json_object_get(w->body, "permissions"), JSON_COMPACT);
    jg_value p[] = {JG_VTEXT(w->code),
                    JG_VTEXT(json_string_value(json_object_get(w->body, "name"))),
                    JG_VTEXT(json_string_value(json_object_get(w->body, "user_kind"))),
                    JG_VTEXT(json_string_value(json_object_get(w->body, "scope"))),
                    JG_VTEXT(perms != NULL ? perms : "[]"),
                    JG_VTEXT(now)};
    jg_rows *have;
    jg_rc rc = jg_db_query(c, "SELECT id FROM role WHERE code = $1", p, 1, &have);
    if (rc == JG_OK) {
        if (jg_rows_count(have) > 0)
            rc = jg_refuse(&w->v, JG_CONFLICT, "code", "角色代码已存在");
        jg_rows_free(have);
    }
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "INSERT INTO role (code, name, user_kind, scope, permissions, builtin, reserved,"
                        " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6)",
                        p, 6, NULL);
    free(perms);
    if (rc == JG_CONFLICT && w->v.message == NULL)
        rc = jg_refuse(&w->v, JG_CONFLICT, "code", "角色代码已存在");
    if (rc != JG_OK)
        return rc;
    return finish_role(c, w, "role_create", NULL);
}

/* Run a write transaction and answer the role after it (status on success) or its refusal. */
static jg_rc run_write(jg_req *req, jg_resp *resp, jg_tx_fn fn, struct write *w, int status)
{
    jg_rc rc = jg_db_tx(req->app->db, fn, w);
    if (rc != JG_OK) {
        json_decref(w->role);
        return jg_resp_refusal(req, resp, rc, &w->v);
    }
    return jg_resp_json(req, resp, status, w->role);
}

static jg_rc create_role(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"code", "name", "user_kind", "scope", "permissions", NULL};
    json_t *body = req->json;
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    json_t *defs = jg_roles_defs();
    if (defs == NULL)
        return JG_ERR;
    json_t *fields = json_object();
    jg_field_unknown(body, allowed, fields);
    const char *code = json_string_value(json_object_get(body, "code"));
    const char *kind = json_string_value(json_object_get(body, "user_kind"));
    const char *scope = json_string_value(json_object_get(body, "scope"));
    if (!code_ok(code))
        jg_field_error(fields, "code", "角色代码为 2–32 位小写字母、数字或下划线，以字母开头");
    if (!name_ok(json_string_value(json_object_get(body, "name"))))
        jg_field_error(fields, "name", "请填写角色名称（不超过 32 个汉字）");
    if (!one_of(kind, role_kinds))
        jg_field_error(fields, "user_kind", "适用用户类型应为 government、enterprise 或 expert");
    else if (scope == NULL || !scope_fits(kind, scope))
        jg_field_error(fields, "scope", "数据范围与适用用户类型不符");
    check_permissions(defs, json_object_get(body, "permissions"), fields);
    json_decref(defs);
    if (jg_resp_fields(req, resp, "角色信息不正确", fields) != JG_OK)
        return JG_INVALID;
    struct write w = {.req = req, .code = code, .body = body};
    return run_write(req, resp, create_tx, &w, 201);
}

/* ---- PUT /api/v1/roles/{code} ---- */

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_t *before;
    jg_rc rc = open_role(c, w, &before);
    if (rc != JG_OK)
        return rc;
    const char *kind = json_string_value(json_object_get(before, "user_kind"));
    json_t *v;
    if (json_is_true(json_object_get(before, "reserved")))
        rc = jg_refuse(&w->v, JG_DENIED, NULL, "三员角色不能修改");
    else if (json_integer_value(json_object_get(before, "version")) != w->version)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "角色已被他人修改，请刷新后重试");
    else if ((v = json_object_get(w->body, "user_kind")) != NULL &&
             (!json_is_string(v) || strcmp(json_string_value(v), kind) != 0))
        rc = jg_refuse(&w->v, JG_INVALID, "user_kind", "适用用户类型不能修改，请新建角色");
    const char *scope = json_string_value(json_object_get(w->body, "scope"));
    if (rc == JG_OK && scope != NULL && !scope_fits(kind, scope))
        rc = jg_refuse(&w->v, JG_INVALID, "scope", "数据范围与适用用户类型不符");
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    json_t *perms_json = json_object_get(w->body, "permissions");
    char *perms = perms_json != NULL ? json_dumps(perms_json, JSON_COMPACT) : NULL;
    const char *name = json_string_value(json_object_get(w->body, "name"));
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {name ? JG_VTEXT(name) : JG_VNULL,
                    scope ? JG_VTEXT(scope) : JG_VNULL,
                    perms ? JG_VTEXT(perms) : JG_VNULL,
                    JG_VTEXT(now),
                    JG_VTEXT(w->code),
                    JG_VINT(w->version)};
    int64_t changed = 0;
    rc = jg_db_exec(c,
                    "UPDATE role SET name = COALESCE($1, name), scope = COALESCE($2, scope),"
                    " permissions = COALESCE($3, permissions), updated_at = $4, version = version + 1"
                    " WHERE code = $5 AND version = $6 AND reserved = 0",
                    p, 6, &changed);
    free(perms);
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "角色已被他人修改，请刷新后重试");
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    return finish_role(c, w, "role_update", before);
}

static jg_rc update_role(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"version", "name", "user_kind", "scope", "permissions", NULL};
    json_t *body = req->json;
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    /* A 三员 role is refused as such, whatever the body holds (update_tx checks again). */
    jg_rows *r;
    jg_value code[] = {JG_VTEXT(jg_req_param(req, "code"))};
    jg_rc rc = jg_db_read(req->app->db, "SELECT reserved FROM role WHERE code = $1", code, 1, &r);
    if (rc != JG_OK)
        return rc;
    int reserved = jg_rows_count(r) == 1 && jg_rows_int(r, 0, 0) != 0;
    jg_rows_free(r);
    if (reserved)
        return jg_resp_error(req, resp, JG_DENIED, "三员角色不能修改");
    json_t *defs = jg_roles_defs();
    if (defs == NULL)
        return JG_ERR;
    json_t *fields = json_object(), *v;
    jg_field_unknown(body, allowed, fields);
    json_t *version = json_object_get(body, "version");
    if (!json_is_integer(version))
        jg_field_error(fields, "version", "缺少版本号（用于防止覆盖他人的修改）");
    if ((v = json_object_get(body, "name")) != NULL && !name_ok(json_string_value(v)))
        jg_field_error(fields, "name", "请填写角色名称（不超过 32 个汉字）");
    if ((v = json_object_get(body, "scope")) != NULL && !json_is_string(v))
        jg_field_error(fields, "scope", "数据范围取值无效");
    if ((v = json_object_get(body, "permissions")) != NULL)
        check_permissions(defs, v, fields);
    json_decref(defs);
    if (jg_resp_fields(req, resp, "角色信息不正确", fields) != JG_OK)
        return JG_INVALID;
    struct write w = {
        .req = req, .code = jg_req_param(req, "code"), .body = body, .version = json_integer_value(version)};
    return run_write(req, resp, update_tx, &w, 200);
}

/* ---- DELETE /api/v1/roles/{code} ---- */

static jg_rc delete_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_t *before;
    jg_rc rc = open_role(c, w, &before);
    if (rc != JG_OK)
        return rc;
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(w->code)};
    if (json_is_true(json_object_get(before, "reserved")))
        rc = jg_refuse(&w->v, JG_DENIED, NULL, "三员角色不能删除");
    else if (w->version > 0 && json_integer_value(json_object_get(before, "version")) != w->version)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "角色已被他人修改，请刷新后重试");
    else if (json_is_true(json_object_get(before, "builtin")))
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "内置角色模板不能删除，可修改其名称和权限");
    else if (json_integer_value(json_object_get(before, "users")) > 0)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "仍有用户使用该角色，请先为这些用户变更角色");
    else
        rc = jg_db_query(c, "SELECT COUNT(*) FROM app_client WHERE role = $1", p, 1, &r);
    if (rc == JG_OK && jg_rows_int(r, 0, 0) > 0)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "仍有外部系统接入密钥使用该角色");
    jg_rows_free(r);
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM role WHERE code = $1 AND reserved = 0 AND builtin = 0", p, 1, NULL);
    if (rc == JG_OK) {
        rc = jg_audit_req(c, w->req, "role_delete", "role", w->code, jg_audit_change(before, NULL));
        before = NULL;
    }
    json_decref(before);
    return rc;
}

static jg_rc delete_role(jg_req *req, jg_resp *resp)
{
    struct write w = {.req = req, .code = jg_req_param(req, "code")};
    const char *version = jg_req_query(req, "version");
    if (version != NULL && jg_parse_int64(version, 1, INT64_MAX, &w.version) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "版本号应为正整数",
                                    json_pack("{s:s}", "version", "版本号应为正整数"));
    jg_rc rc = jg_db_tx(req->app->db, delete_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.v);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/roles", list_roles, JG_ROUTE_AUTH, "角色列表（含权限与使用人数）", "admin",
     "role.manage|user.manage"},
    {"GET", "/api/v1/roles/{code}", get_role, JG_ROUTE_AUTH, "角色详情", "admin", "role.manage|user.manage"},
    {"GET", "/api/v1/permissions", list_permissions, JG_ROUTE_AUTH, "权限代码与名称（角色编辑用）", "admin",
     "role.manage"},
    {"POST", "/api/v1/roles", create_role, JG_ROUTE_AUTH | JG_ROUTE_JSON, "新增角色（安全管理员）", "admin",
     "role.manage"},
    {"PUT", "/api/v1/roles/{code}", update_role, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改角色名称、数据范围、权限（安全管理员）", "admin", "role.manage"},
    {"DELETE", "/api/v1/roles/{code}", delete_role, JG_ROUTE_AUTH,
     "删除角色（安全管理员；仍有用户使用时 409）", "admin", "role.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_roles = {"roles", routes, NULL, NULL};
