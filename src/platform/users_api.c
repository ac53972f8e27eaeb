/* User administration (用户管理) under the separation of the 三员:
 *
 *   系统管理员 (user.manage)  creates accounts, edits their profile and binding, disables them,
 *                             unlocks them and resets their passwords — but grants no role;
 *   安全管理员 (role.manage)  grants and changes roles (users_role) — but creates no account;
 *   审计员                    reads the audit log only (audit_api.c).
 *
 * A new account has no role (role = ''), so it can log in but do and see nothing until the
 * security administrator grants one. The 三员 accounts themselves (kind admin, or a reserved
 * role) cannot be changed through these routes by anyone, themselves included, and no reserved
 * role can be granted. Every write runs in one transaction with its audit row (before/after). */
#include "platform/idcheck.h"
#include "platform/identity.h"
#include "platform/login.h"
#include "platform/password.h"
#include "platform/sealed.h"
#include "platform/session.h"

#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLUMNS                                                                                         \
    "SELECT u.id, u.username, u.display_name, u.kind, NULLIF(u.role, '') AS role, r.name AS role_name,"      \
    " u.org_code, u.department_id, d.name AS department_name, u.enterprise_id, e.name AS enterprise_name,"   \
    " u.person_id, u.phone_mask, u.status, u.must_change_password,"                                          \
    " CASE WHEN u.kind = 'admin' OR r.reserved = 1 THEN 1 ELSE 0 END AS reserved,"                           \
    " u.created_at, u.updated_at, u.version FROM app_user u LEFT JOIN role r ON r.code = u.role"             \
    " LEFT JOIN department d ON d.id = u.department_id LEFT JOIN enterprise e ON e.id = u.enterprise_id"

#define MAX_KEYWORD_BYTES 60
#define MAX_DISPLAY_NAME_BYTES 96 /* 32 Chinese characters */

/* ---- small helpers ---- */

static int username_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 3 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return 0;
    return 1;
}

/* Text shown to people: not empty, bounded, no control characters (the body is valid UTF-8). */
static int display_text_ok(const char *s, size_t max)
{
    if (s == NULL)
        return 0;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return strspn(s, " ") < n;
}

static int region_code_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 2 || n > 6 || n % 2 != 0)
        return 0;
    return strspn(s, "0123456789") == n;
}

static int one_of(const char *s, const char *const *list)
{
    for (int i = 0; s != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static const char *const user_kinds[] = {"government", "enterprise", "expert", NULL};
static const char *const statuses[] = {"active", "disabled", NULL};

/* A JSON id: a positive integer, or null (*id = 0) when null_ok. Returns 1 if acceptable. */
static int id_value(json_t *v, int null_ok, int64_t *id)
{
    *id = 0;
    if (json_is_null(v))
        return null_ok;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return 0;
    *id = json_integer_value(v);
    return 1;
}

/* One user as the API shows it, read on c (inside the caller's transaction): *out or NULL. */
static jg_rc load_user(jg_conn *c, int64_t id, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_query(c, USER_COLUMNS " WHERE u.id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_count(r) == 1 ? jg_json_row(r, 0) : NULL;
    jg_rows_free(r);
    return JG_OK;
}

static int64_t jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Who may not be changed through these routes: the 三员 accounts, and the caller himself. */
static jg_rc changeable(const jg_principal *me, json_t *user, jg_refusal *v)
{
    if (jint(user, "reserved"))
        return jg_refuse(v, JG_DENIED, NULL, "三员账号（系统管理员、安全管理员、审计员）不能通过接口修改");
    if (jint(user, "id") == me->user_id)
        return jg_refuse(v, JG_DENIED, NULL, "不能对本人账号执行此操作");
    return JG_OK;
}

static jg_rc audit_on(jg_conn *c, jg_req *req, const char *action, int64_t user_id, json_t *detail)
{
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)user_id);
    return jg_audit_req(c, req, action, "app_user", rid, detail);
}

static jg_rc revoke_sessions(jg_conn *c, int64_t user_id, int64_t *count)
{
    jg_value p[] = {JG_VINT(user_id)};
    return jg_db_exec(c, "UPDATE login_session SET revoked = 1 WHERE user_id = $1 AND revoked = 0", p, 1,
                      count);
}

/* ---- bindings: department, enterprise, person ---- */

/* The org_code of department id, or a refusal. */
static jg_rc department_org(jg_conn *c, jg_arena *a, int64_t id, const char **org, jg_refusal *v)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_query(c, "SELECT org_code FROM department WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1)
        *org = jg_arena_strdup(a, jg_rows_text(r, 0, 0));
    else
        rc = jg_refuse(v, JG_INVALID, "department_id", "所属部门不存在");
    jg_rows_free(r);
    return rc;
}

static jg_rc enterprise_org(jg_conn *c, jg_arena *a, int64_t id, const char **org, jg_refusal *v)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc =
        jg_db_query(c, "SELECT org_code FROM enterprise WHERE id = $1 AND status = 'active'", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1)
        *org = jg_arena_strdup(a, jg_rows_text(r, 0, 0));
    else
        rc = jg_refuse(v, JG_INVALID, "enterprise_id", "所属企业不存在或已注销");
    jg_rows_free(r);
    return rc;
}

/* A person an enterprise account acts as must work for that enterprise. */
static jg_rc person_of(jg_conn *c, int64_t person_id, int64_t enterprise_id, jg_refusal *v)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(person_id), JG_VINT(enterprise_id)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM person WHERE id = $1 AND enterprise_id = $2", p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1)
        rc = jg_refuse(v, JG_INVALID, "person_id", "从业人员不存在或不属于该企业");
    jg_rows_free(r);
    return rc;
}

static jg_rc region_exists(jg_conn *c, const char *code, jg_refusal *v)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM org WHERE code = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1)
        rc = jg_refuse(v, JG_INVALID, "org_code", "行政区划不存在");
    jg_rows_free(r);
    return rc;
}

/* A user's binding: which fields are set, and the org_code they give. */
struct binding {
    int64_t department_id, enterprise_id, person_id;
    const char *org_code;
};

/* The phone of a request body: absent (no change), null (none), or a valid mobile number. */
struct phone_in {
    int given, clear;
    jg_sealed sealed;
};

static void read_phone(jg_req *req, json_t *body, struct phone_in *ph, json_t *fields)
{
    json_t *v = json_object_get(body, "phone");
    memset(ph, 0, sizeof(*ph));
    if (v == NULL)
        return;
    ph->given = 1;
    ph->clear = json_is_null(v);
    if (ph->clear)
        return;
    if (!jg_idcheck_phone(json_string_value(v)))
        jg_field_error(fields, "phone", "手机号应为 11 位大陆手机号码");
    else if (jg_sealed_make(jg_identity_field_key(req), "app_user.phone", "phone", json_string_value(v),
                            &ph->sealed) != JG_OK)
        jg_field_error(fields, "phone", "手机号无法加密保存，请联系管理员");
}

/* Store ph on user id (when given). A phone logs in by SMS, so two active accounts may not share
 * one: 409. */
static jg_rc write_phone(jg_conn *c, int64_t id, const struct phone_in *ph, jg_refusal *v)
{
    if (!ph->given)
        return JG_OK;
    jg_rows *r;
    jg_value q[] = {JG_VTEXT(ph->sealed.bidx), JG_VINT(id)};
    jg_rc rc = ph->clear ? JG_OK
                         : jg_db_query(c,
                                       "SELECT 1 FROM app_user WHERE phone_bidx = $1 AND id <> $2"
                                       " AND status = 'active'",
                                       q, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (!ph->clear) {
        int taken = jg_rows_count(r) > 0;
        jg_rows_free(r);
        if (taken)
            return jg_refuse(v, JG_CONFLICT, "phone", "该手机号已被其他账号使用");
    }
    jg_value p[] = {ph->clear ? JG_VNULL : JG_VTEXT(ph->sealed.enc),
                    ph->clear ? JG_VNULL : JG_VTEXT(ph->sealed.bidx),
                    ph->clear ? JG_VNULL : JG_VTEXT(ph->sealed.mask), JG_VINT(id)};
    return jg_db_exec(c, "UPDATE app_user SET phone_enc = $1, phone_bidx = $2, phone_mask = $3 WHERE id = $4",
                      p, 4, NULL);
}

/* Check b for kind and fill b->org_code from what it is bound to. */
static jg_rc resolve_binding(jg_conn *c, jg_arena *a, const char *kind, struct binding *b, jg_refusal *v)
{
    if (strcmp(kind, "government") == 0) {
        if (b->department_id <= 0)
            return jg_refuse(v, JG_INVALID, "department_id", "政府用户必须绑定所属部门");
        return department_org(c, a, b->department_id, &b->org_code, v);
    }
    if (strcmp(kind, "enterprise") == 0) {
        if (b->enterprise_id <= 0)
            return jg_refuse(v, JG_INVALID, "enterprise_id", "企业用户必须绑定所属企业");
        jg_rc rc = enterprise_org(c, a, b->enterprise_id, &b->org_code, v);
        if (rc == JG_OK && b->person_id > 0)
            rc = person_of(c, b->person_id, b->enterprise_id, v);
        return rc;
    }
    /* experts: a region of their own, the province unless said */
    if (b->org_code == NULL)
        b->org_code = "35";
    return region_exists(c, b->org_code, v);
}

/* ---- GET /api/v1/users ---- */

static char *like_pattern(jg_arena *a, const char *s)
{
    char *p = jg_arena_alloc(a, strlen(s) * 2 + 3), *o = p;
    *o++ = '%';
    for (; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

static jg_rc list_users(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    const char *kind = jg_req_query(req, "kind"), *role = jg_req_query(req, "role");
    const char *org = jg_req_query(req, "org_code"), *status = jg_req_query(req, "status");
    const char *keyword = jg_req_query(req, "keyword");
    int64_t page, size;
    if (kind != NULL && !one_of(kind, user_kinds) && strcmp(kind, "admin") != 0)
        jg_field_error(fields, "kind", "用户类型取值无效");
    if (role != NULL && (strlen(role) == 0 || strlen(role) > 32))
        jg_field_error(fields, "role", "角色代码无效");
    if (org != NULL && !region_code_ok(org))
        jg_field_error(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
    if (status != NULL && !one_of(status, statuses))
        jg_field_error(fields, "status", "状态取值无效");
    if (keyword != NULL && strlen(keyword) > MAX_KEYWORD_BYTES)
        jg_field_error(fields, "keyword", "关键字不超过 20 个汉字");
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;

    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[10];
    int n = 0;
    jg_buf_puts(&sql, USER_COLUMNS " WHERE 1 = 1");
    if (kind != NULL) {
        p[n++] = JG_VTEXT(kind);
        jg_buf_printf(&sql, " AND u.kind = $%d", n);
    }
    if (role != NULL) {
        p[n++] = JG_VTEXT(strcmp(role, "none") == 0 ? "" : role); /* role=none: accounts without one */
        jg_buf_printf(&sql, " AND u.role = $%d", n);
    }
    if (org != NULL) {
        char *end = jg_arena_strdup(req->arena, org);
        end[strlen(end) - 1]++;
        p[n++] = JG_VTEXT(org);
        p[n++] = JG_VTEXT(end);
        jg_buf_printf(&sql, " AND u.org_code >= $%d AND u.org_code < $%d", n - 1, n);
    }
    if (status != NULL) {
        p[n++] = JG_VTEXT(status);
        jg_buf_printf(&sql, " AND u.status = $%d", n);
    }
    if (keyword != NULL && *keyword != '\0') {
        p[n++] = JG_VTEXT(like_pattern(req->arena, keyword));
        jg_buf_printf(&sql, " AND (u.username LIKE $%d ESCAPE '\\' OR u.display_name LIKE $%d ESCAPE '\\')",
                      n, n);
    }
    p[n++] = JG_VINT(size + 1);
    p[n++] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY u.id LIMIT $%d OFFSET $%d", n - 1, n);
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, rows, page, size);
}

/* ---- GET /api/v1/users/{id} ---- */

static jg_rc path_id(jg_req *req, int64_t *id)
{
    return jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, id);
}

static jg_rc get_user(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (path_id(req, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_read(req->app->db, USER_COLUMNS " WHERE u.id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    }
    json_t *user = jg_json_row(r, 0);
    jg_rows_free(r);
    /* Failed logins are counted per name tried: show them, so the administrator knows to unlock. */
    char key[2 * JG_SM3_LEN + 1];
    int failures = 0, locked = 0;
    rc = jg_login_name_key(jstr(user, "username"), key);
    if (rc == JG_OK)
        rc = jg_login_attempts(req->app->db, key, &failures, &locked);
    if (rc != JG_OK) {
        json_decref(user);
        return rc;
    }
    json_object_set_new(user, "login_failures", json_integer(failures));
    json_object_set_new(user, "locked", json_boolean(locked));
    return jg_resp_json(req, resp, 200, user);
}

/* ---- POST /api/v1/users ---- */

struct create {
    jg_req *req;
    const char *username, *display_name, *kind;
    struct binding b;
    struct phone_in phone;
    char hash[JG_PASSWORD_HASH_MAX];
    jg_refusal v;
    json_t *user; /* the new account, set on success */
};

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct create *cr = ud;
    jg_arena *a = cr->req->arena;
    json_decref(cr->user); /* a retried transaction starts over */
    cr->user = NULL;
    jg_rows *r;
    jg_value who[] = {JG_VTEXT(cr->username)};
    /* Names differing only in case would share one lockout counter: they are duplicates. */
    jg_rc rc = jg_db_query(c, "SELECT id FROM app_user WHERE lower(username) = lower($1)", who, 1, &r);
    if (rc != JG_OK)
        return rc;
    int taken = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (taken)
        return jg_refuse(&cr->v, JG_CONFLICT, "username", "用户名已被使用");
    rc = resolve_binding(c, a, cr->kind, &cr->b, &cr->v);
    if (rc != JG_OK)
        return rc;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(cr->username),
                    JG_VTEXT(cr->hash),
                    JG_VTEXT(cr->display_name),
                    JG_VTEXT(cr->b.org_code),
                    JG_VTEXT(cr->kind),
                    cr->b.department_id > 0 ? JG_VINT(cr->b.department_id) : JG_VNULL,
                    cr->b.enterprise_id > 0 ? JG_VINT(cr->b.enterprise_id) : JG_VNULL,
                    cr->b.person_id > 0 ? JG_VINT(cr->b.person_id) : JG_VNULL,
                    JG_VTEXT(now)};
    rc = jg_db_exec(c,
                    "INSERT INTO app_user (username, password_hash, display_name, role, org_code, kind,"
                    " department_id, enterprise_id, person_id, status, must_change_password,"
                    " password_changed_at, created_at, updated_at)"
                    " VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, 'active', 1, $9, $9, $9)",
                    p, 9, NULL);
    if (rc == JG_CONFLICT)
        return jg_refuse(&cr->v, JG_CONFLICT, "username", "用户名已被使用");
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT id FROM app_user WHERE username = $1", who, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t id = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    rc = id > 0 ? write_phone(c, id, &cr->phone, &cr->v) : JG_ERR;
    if (rc == JG_OK)
        rc = load_user(c, id, &cr->user);
    if (rc == JG_OK && cr->user == NULL)
        rc = JG_ERR;
    if (rc == JG_OK)
        rc = audit_on(c, cr->req, "user_create", id, jg_audit_change(NULL, json_incref(cr->user)));
    return rc;
}

/* Read the binding fields of a body into b; kind says which belong. */
static void read_binding(json_t *body, const char *kind, struct binding *b, json_t *fields)
{
    int gov = kind != NULL && strcmp(kind, "government") == 0;
    int ent = kind != NULL && strcmp(kind, "enterprise") == 0;
    int expert = kind != NULL && strcmp(kind, "expert") == 0;
    json_t *v;
    /* A binding of another kind of user may only be given as null. */
    if ((v = json_object_get(body, "department_id")) != NULL) {
        if (!gov && !json_is_null(v))
            jg_field_error(fields, "department_id", "只有政府用户绑定部门");
        else if (gov && !id_value(v, 0, &b->department_id))
            jg_field_error(fields, "department_id", "所属部门无效");
    }
    if ((v = json_object_get(body, "enterprise_id")) != NULL) {
        if (!ent && !json_is_null(v))
            jg_field_error(fields, "enterprise_id", "只有企业用户绑定企业");
        else if (ent && !id_value(v, 0, &b->enterprise_id))
            jg_field_error(fields, "enterprise_id", "所属企业无效");
    }
    if ((v = json_object_get(body, "person_id")) != NULL) {
        if (!ent && !json_is_null(v))
            jg_field_error(fields, "person_id", "只有企业用户绑定从业人员");
        else if (ent && !id_value(v, 1, &b->person_id))
            jg_field_error(fields, "person_id", "从业人员无效");
    }
    if ((v = json_object_get(body, "org_code")) != NULL) {
        if (!expert)
            jg_field_error(fields, "org_code", "行政区划由所属部门或企业决定");
        else if (!region_code_ok(json_string_value(v)))
            jg_field_error(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
        else
            b->org_code = json_string_value(v);
    }
}

static void unknown_keys(json_t *body, const char *const *allowed, json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (one_of(key, allowed))
            continue;
        if (strcmp(key, "role") == 0)
            jg_field_error(fields, key, "角色由安全管理员授予");
        else if (strcmp(key, "password") == 0)
            jg_field_error(fields, key, "初始密码由系统生成");
        else
            jg_field_error(fields, key, "不支持的字段");
    }
}

static jg_rc create_user(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"username",      "display_name",  "kind",
                                          "department_id", "enterprise_id", "person_id",
                                          "org_code",      "phone",         NULL};
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    struct create cr = {.req = req};
    cr.username = jstr(body, "username");
    cr.display_name = jstr(body, "display_name");
    cr.kind = jstr(body, "kind");
    unknown_keys(body, allowed, fields);
    if (!username_ok(cr.username))
        jg_field_error(fields, "username", "用户名为 3–32 位字母、数字或 _ . -");
    if (!display_text_ok(cr.display_name, MAX_DISPLAY_NAME_BYTES))
        jg_field_error(fields, "display_name", "请填写姓名（不超过 32 个汉字）");
    if (!one_of(cr.kind, user_kinds))
        jg_field_error(fields, "kind", "用户类型应为政府用户、企业用户或专家");
    else
        read_binding(body, cr.kind, &cr.b, fields);
    read_phone(req, body, &cr.phone, fields);
    if (jg_resp_fields(req, resp, "用户信息不正确", fields) != JG_OK)
        return JG_INVALID;

    char password[JG_PASSWORD_INITIAL_LEN + 1];
    jg_rc rc = jg_password_initial(cr.username, password);
    if (rc == JG_OK)
        rc = jg_password_hash(password, JG_PASSWORD_ITERATIONS, cr.hash, sizeof(cr.hash));
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, create_tx, &cr);
    if (rc != JG_OK) {
        json_decref(cr.user);
        memset(password, 0, sizeof(password));
        return jg_resp_refusal(req, resp, rc, &cr.v);
    }
    /* The initial password is shown this once; only its hash is kept, and it must be changed. */
    json_t *out = json_pack("{s:o, s:s}", "user", cr.user, "initial_password", password);
    memset(password, 0, sizeof(password));
    return jg_resp_json(req, resp, 201, out);
}

/* ---- PUT /api/v1/users/{id} ---- */

struct update {
    jg_req *req;
    int64_t id, version;
    json_t *body;
    struct phone_in phone;
    jg_refusal v;
    json_t *user;
};

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct update *u = ud;
    jg_arena *a = u->req->arena;
    json_decref(u->user);
    u->user = NULL;
    json_t *before;
    jg_rc rc = load_user(c, u->id, &before);
    if (rc != JG_OK)
        return rc;
    if (before == NULL)
        return jg_refuse(&u->v, JG_NOTFOUND, NULL, "用户不存在");
    rc = changeable(u->req->principal, before, &u->v);
    if (rc == JG_OK && jint(before, "version") != u->version)
        rc = jg_refuse(&u->v, JG_CONFLICT, NULL, "用户信息已被他人修改，请刷新后重试");
    const char *kind = jstr(before, "kind");
    /* The binding after the change: what the body says, else what the user had. */
    struct binding b = {jint(before, "department_id"), jint(before, "enterprise_id"),
                        jint(before, "person_id"), NULL};
    json_t *fields = json_object();
    read_binding(u->body, kind, &b, fields);
    if (rc == JG_OK && json_object_size(fields) > 0) {
        const char *field = json_object_iter_key(json_object_iter(fields));
        rc = jg_refuse(&u->v, JG_INVALID, jg_arena_strdup(a, field),
                       jg_arena_strdup(a, json_string_value(json_object_get(fields, field))));
    }
    json_decref(fields);
    /* The binding is checked again only when it changes: an account of an enterprise revoked
     * since keeps its binding while its name or status is edited. */
    int rebind = json_object_get(u->body, "department_id") != NULL ||
                 json_object_get(u->body, "enterprise_id") != NULL ||
                 json_object_get(u->body, "person_id") != NULL ||
                 json_object_get(u->body, "org_code") != NULL;
    if (rc == JG_OK && b.org_code == NULL && (strcmp(kind, "expert") == 0 || !rebind))
        b.org_code = jg_arena_strdup(a, jstr(before, "org_code"));
    if (rc == JG_OK && rebind)
        rc = resolve_binding(c, a, kind, &b, &u->v);
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    const char *name = jstr(u->body, "display_name"), *status = jstr(u->body, "status");
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {name ? JG_VTEXT(name) : JG_VNULL,
                    status ? JG_VTEXT(status) : JG_VNULL,
                    JG_VTEXT(b.org_code),
                    b.department_id > 0 ? JG_VINT(b.department_id) : JG_VNULL,
                    b.enterprise_id > 0 ? JG_VINT(b.enterprise_id) : JG_VNULL,
                    b.person_id > 0 ? JG_VINT(b.person_id) : JG_VNULL,
                    JG_VTEXT(now),
                    JG_VINT(u->id),
                    JG_VINT(u->version)};
    int64_t changed = 0;
    rc = jg_db_exec(
        c,
        "UPDATE app_user SET display_name = COALESCE($1, display_name), status = COALESCE($2, status),"
        " org_code = $3, department_id = $4, enterprise_id = $5, person_id = $6, updated_at = $7,"
        " version = version + 1 WHERE id = $8 AND version = $9",
        p, 9, &changed);
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&u->v, JG_CONFLICT, NULL, "用户信息已被他人修改，请刷新后重试");
    if (rc == JG_OK)
        rc = write_phone(c, u->id, &u->phone, &u->v);
    /* A disabled account's sessions end now (the session lookup also wants status active). */
    int64_t revoked = 0;
    if (rc == JG_OK && status != NULL && strcmp(status, "disabled") == 0)
        rc = revoke_sessions(c, u->id, &revoked);
    if (rc == JG_OK)
        rc = load_user(c, u->id, &u->user);
    if (rc == JG_OK && u->user == NULL)
        rc = JG_ERR;
    if (rc == JG_OK) {
        json_t *after = json_deep_copy(u->user);
        if (revoked > 0)
            json_object_set_new(after, "sessions_revoked", json_integer(revoked));
        rc = audit_on(c, u->req, "user_update", u->id, jg_audit_change(before, after));
        before = NULL;
    }
    json_decref(before);
    return rc;
}

static jg_rc update_user(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"version",       "display_name",  "status",
                                          "department_id", "enterprise_id", "person_id",
                                          "org_code",      "phone",         NULL};
    int64_t id;
    if (path_id(req, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    unknown_keys(body, allowed, fields);
    json_t *version = json_object_get(body, "version"), *v;
    if (!json_is_integer(version))
        jg_field_error(fields, "version", "缺少版本号（用于防止覆盖他人的修改）");
    if ((v = json_object_get(body, "display_name")) != NULL &&
        !display_text_ok(json_string_value(v), MAX_DISPLAY_NAME_BYTES))
        jg_field_error(fields, "display_name", "请填写姓名（不超过 32 个汉字）");
    if ((v = json_object_get(body, "status")) != NULL && !one_of(json_string_value(v), statuses))
        jg_field_error(fields, "status", "状态应为 active（启用）或 disabled（停用）");
    struct update u = {.req = req, .id = id, .version = json_integer_value(version), .body = body};
    read_phone(req, body, &u.phone, fields);
    if (jg_resp_fields(req, resp, "用户信息不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rc rc = jg_db_tx(req->app->db, update_tx, &u);
    if (rc != JG_OK) {
        json_decref(u.user);
        return jg_resp_refusal(req, resp, rc, &u.v);
    }
    return jg_resp_json(req, resp, 200, u.user);
}

/* ---- POST /api/v1/users/{id}/unlock ---- */

struct unlock {
    jg_req *req;
    int64_t id;
    jg_refusal v;
    int64_t cleared;
};

static jg_rc unlock_tx(jg_conn *c, void *ud)
{
    struct unlock *u = ud;
    json_t *user;
    jg_rc rc = load_user(c, u->id, &user);
    if (rc != JG_OK)
        return rc;
    if (user == NULL)
        return jg_refuse(&u->v, JG_NOTFOUND, NULL, "用户不存在");
    rc = changeable(u->req->principal, user, &u->v);
    char key[2 * JG_SM3_LEN + 1];
    if (rc == JG_OK)
        rc = jg_login_name_key(jstr(user, "username"), key);
    json_decref(user);
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(key)};
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT failures, locked_until FROM login_attempt WHERE name_key = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *before = jg_rows_count(r) == 1 ? jg_json_row(r, 0) : NULL;
    jg_rows_free(r);
    rc = jg_db_exec(c, "DELETE FROM login_attempt WHERE name_key = $1", p, 1, &u->cleared);
    if (rc == JG_OK)
        rc = audit_on(c, u->req, "user_unlock", u->id, jg_audit_change(before, NULL));
    else
        json_decref(before);
    return rc;
}

static jg_rc unlock_user(jg_req *req, jg_resp *resp)
{
    struct unlock u = {.req = req};
    if (path_id(req, &u.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    jg_rc rc = jg_db_tx(req->app->db, unlock_tx, &u);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &u.v);
    return jg_resp_json(req, resp, 200, json_pack("{s:b, s:b}", "ok", 1, "was_locked", u.cleared > 0));
}

/* ---- POST /api/v1/users/{id}/reset-password ---- */

struct reset {
    jg_req *req;
    int64_t id;
    char hash[JG_PASSWORD_HASH_MAX];
    jg_refusal v;
    int64_t revoked;
};

static jg_rc reset_tx(jg_conn *c, void *ud)
{
    struct reset *rs = ud;
    json_t *user;
    jg_rc rc = load_user(c, rs->id, &user);
    if (rc != JG_OK)
        return rc;
    if (user == NULL)
        return jg_refuse(&rs->v, JG_NOTFOUND, NULL, "用户不存在");
    rc = changeable(rs->req->principal, user, &rs->v);
    json_t *before =
        json_pack("{s:I, s:I}", "must_change_password", (json_int_t)jint(user, "must_change_password"),
                  "version", (json_int_t)jint(user, "version"));
    json_decref(user);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value h[] = {JG_VINT(rs->id), JG_VTEXT(now)};
    if (rc == JG_OK) /* the old hash joins the history, so it cannot be chosen again right away */
        rc = jg_db_exec(c,
                        "INSERT INTO password_history (user_id, password_hash, created_at)"
                        " SELECT id, password_hash, $2 FROM app_user WHERE id = $1",
                        h, 2, NULL);
    jg_value p[] = {JG_VTEXT(rs->hash), JG_VTEXT(now), JG_VINT(rs->id)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "UPDATE app_user SET password_hash = $1, must_change_password = 1,"
                        " password_changed_at = $2, updated_at = $2, version = version + 1 WHERE id = $3",
                        p, 3, NULL);
    rs->revoked = 0;
    if (rc == JG_OK)
        rc = revoke_sessions(c, rs->id, &rs->revoked);
    if (rc == JG_OK) {
        json_t *after = json_pack("{s:i, s:I, s:I}", "must_change_password", 1, "version",
                                  (json_int_t)json_integer_value(json_object_get(before, "version")) + 1,
                                  "sessions_revoked", (json_int_t)rs->revoked);
        rc = audit_on(c, rs->req, "user_reset_password", rs->id, jg_audit_change(before, after));
        before = NULL;
    }
    json_decref(before);
    return rc;
}

static jg_rc reset_password(jg_req *req, jg_resp *resp)
{
    struct reset rs = {.req = req};
    if (path_id(req, &rs.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    /* The name for the policy check ("must not contain the user name"). */
    jg_rows *r;
    jg_value p[] = {JG_VINT(rs.id)};
    jg_rc rc = jg_db_read(req->app->db, "SELECT username FROM app_user WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const char *username = jg_rows_count(r) == 1 ? jg_arena_strdup(req->arena, jg_rows_text(r, 0, 0)) : NULL;
    jg_rows_free(r);
    if (username == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    char password[JG_PASSWORD_INITIAL_LEN + 1];
    rc = jg_password_initial(username, password);
    if (rc == JG_OK)
        rc = jg_password_hash(password, JG_PASSWORD_ITERATIONS, rs.hash, sizeof(rs.hash));
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, reset_tx, &rs);
    if (rc != JG_OK) {
        memset(password, 0, sizeof(password));
        return jg_resp_refusal(req, resp, rc, &rs.v);
    }
    json_t *out = json_pack("{s:s, s:b, s:I}", "initial_password", password, "must_change_password", 1,
                            "sessions_revoked", (json_int_t)rs.revoked);
    memset(password, 0, sizeof(password));
    return jg_resp_json(req, resp, 200, out);
}

/* ---- POST /api/v1/users/{id}/role (安全管理员) ---- */

struct grant {
    jg_req *req;
    int64_t id, version; /* version 0: not checked */
    const char *role;    /* NULL: take the role away */
    jg_refusal v;
    json_t *user;
};

static jg_rc grant_tx(jg_conn *c, void *ud)
{
    struct grant *g = ud;
    json_decref(g->user);
    g->user = NULL;
    json_t *before;
    jg_rc rc = load_user(c, g->id, &before);
    if (rc != JG_OK)
        return rc;
    if (before == NULL)
        return jg_refuse(&g->v, JG_NOTFOUND, NULL, "用户不存在");
    rc = changeable(g->req->principal, before, &g->v);
    if (rc == JG_OK && g->version > 0 && jint(before, "version") != g->version)
        rc = jg_refuse(&g->v, JG_CONFLICT, NULL, "用户信息已被他人修改，请刷新后重试");
    jg_rows *r = NULL;
    jg_value rp[] = {JG_VTEXT(g->role ? g->role : "")};
    if (rc == JG_OK && g->role != NULL)
        rc = jg_db_query(c, "SELECT user_kind, reserved FROM role WHERE code = $1", rp, 1, &r);
    if (rc == JG_OK && g->role != NULL) {
        if (jg_rows_count(r) != 1)
            rc = jg_refuse(&g->v, JG_INVALID, "role", "角色不存在");
        else if (jg_rows_int(r, 0, 1))
            rc = jg_refuse(&g->v, JG_DENIED, "role", "三员角色不能通过接口授予");
        else if (strcmp(jg_rows_text(r, 0, 0), jstr(before, "kind")) != 0)
            rc = jg_refuse(&g->v, JG_INVALID, "role", "该角色不适用于此类用户");
    }
    jg_rows_free(r);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(g->role ? g->role : ""), JG_VTEXT(now), JG_VINT(g->id)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "UPDATE app_user SET role = $1, updated_at = $2, version = version + 1 WHERE id = $3",
                        p, 3, NULL);
    if (rc == JG_OK)
        rc = load_user(c, g->id, &g->user);
    if (rc == JG_OK && g->user == NULL)
        rc = JG_ERR;
    if (rc == JG_OK) {
        json_t *b = json_pack("{s:O, s:I}", "role", json_object_get(before, "role"), "version",
                              (json_int_t)jint(before, "version"));
        json_t *a = json_pack("{s:O, s:I}", "role", json_object_get(g->user, "role"), "version",
                              (json_int_t)jint(g->user, "version"));
        rc = audit_on(c, g->req, "user_role_grant", g->id, jg_audit_change(b, a));
    }
    json_decref(before);
    return rc;
}

static jg_rc grant_role(jg_req *req, jg_resp *resp)
{
    struct grant g = {.req = req};
    if (path_id(req, &g.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "用户不存在");
    static const char *const allowed[] = {"role", "version", NULL};
    json_t *body = req->json;
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    json_t *fields = json_object();
    jg_field_unknown(body, allowed, fields);
    json_t *role = json_object_get(body, "role"), *version = json_object_get(body, "version");
    if (role == NULL || !(json_is_null(role) || (json_is_string(role) && json_string_length(role) > 0 &&
                                                 json_string_length(role) <= 32)))
        jg_field_error(fields, "role", "请选择角色（null 表示收回角色）");
    if (version != NULL && (!json_is_integer(version) || json_integer_value(version) < 1))
        jg_field_error(fields, "version", "版本号应为正整数");
    if (jg_resp_fields(req, resp, "授权信息不正确", fields) != JG_OK)
        return JG_INVALID;
    g.role = json_string_value(role);
    g.version = version != NULL ? json_integer_value(version) : 0;
    jg_rc rc = jg_db_tx(req->app->db, grant_tx, &g);
    if (rc != JG_OK) {
        json_decref(g.user);
        return jg_resp_refusal(req, resp, rc, &g.v);
    }
    return jg_resp_json(req, resp, 200, g.user);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/users", list_users, JG_ROUTE_AUTH, "用户列表（系统管理员、安全管理员）", "admin",
     "user.manage|role.manage"},
    {"GET", "/api/v1/users/{id}", get_user, JG_ROUTE_AUTH, "用户详情（含登录失败次数、是否锁定）", "admin",
     "user.manage|role.manage"},
    {"POST", "/api/v1/users", create_user, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增用户（系统管理员；返回一次性初始密码，无角色）", "admin", "user.manage"},
    {"PUT", "/api/v1/users/{id}", update_user, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改用户信息、所属部门/企业、启用停用（系统管理员）", "admin", "user.manage"},
    {"POST", "/api/v1/users/{id}/unlock", unlock_user, JG_ROUTE_AUTH, "解除登录锁定（系统管理员）", "admin",
     "user.manage"},
    {"POST", "/api/v1/users/{id}/reset-password", reset_password, JG_ROUTE_AUTH,
     "重置密码（系统管理员；返回一次性初始密码，结束该用户会话）", "admin", "user.manage"},
    {"POST", "/api/v1/users/{id}/role", grant_role, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "授予或变更用户角色（安全管理员）", "admin", "role.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_users = {"users", routes, NULL, NULL};
