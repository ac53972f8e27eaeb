/* 企业库: enterprises (one or several kinds each, a GB 32100 checked credit code) and their
 * qualifications (资质: category, grade, certificate, expiry). */
#include "modules/registry/registry.h"

#include "base/buf.h"
#include "base/timeutil.h"
#include "platform/idcheck.h"
#include "platform/scope.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Enterprise users see their own enterprise; government users the whole registry. */
static const jg_scope_cols enterprise_scope = {NULL, "e.id", NULL};

/* What an enterprise can be, in the order kinds are stored ("owner,contractor"). */
static const char *const kinds[] = {"owner",        "contractor",     "supervisor_firm",
                                    "lab",          "concrete_plant", "cost_consultant",
                                    "fire_service", "crane_owner",    NULL};
static const char *const grades[] = {"特级", "一级", "二级",   "三级",     "甲级",
                                     "乙级", "丙级", "暂定级", "不分等级", NULL};
static const char *const statuses[] = {"active", "revoked", NULL};

#define COLUMNS                                                                                              \
    "e.id, e.credit_code, e.name, e.kinds, e.org_code, o.name AS org_name, e.legal_rep, e.address, "         \
    "e.status,"                                                                                              \
    " e.created_at, e.updated_at, e.version"
#define FROM " FROM enterprise e LEFT JOIN org o ON o.code = e.org_code"
#define QUAL_COLUMNS                                                                                         \
    "id, enterprise_id, category, grade, certificate_no, issued_on, expires_on, created_at, updated_at"

#define MAX_NAME 100
#define MAX_LEGAL_REP 50
#define MAX_ADDRESS 200
#define MAX_CATEGORY 60
#define MAX_CERT_NO 50

static int in_list(const char *const *list, const char *s)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

/* "owner,contractor" -> ["owner","contractor"] in the item. */
static void kinds_array(json_t *item)
{
    const char *s = json_string_value(json_object_get(item, "kinds"));
    json_t *a = json_array();
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, ",");
        if (n > 0)
            json_array_append_new(a, json_stringn(s, n));
        s += n + (s[n] == ',');
    }
    json_object_set_new(item, "kinds", a);
}

/* The enterprise's row as the caller may see it, on c (or a read connection when c is NULL).
 * JG_NOTFOUND when it does not exist or is outside the caller's scope. */
static jg_rc fetch(jg_conn *c, jg_req *req, int64_t id, jg_rows **out)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[6] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql, "SELECT " COLUMNS FROM " WHERE e.id = $1");
    if (jg_scope_sql(req->principal, &enterprise_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return JG_NOTFOUND;
    }
    jg_rows *r;
    jg_rc rc = c != NULL ? jg_db_query(c, sql.data, p, n, &r) : jg_db_read(req->app->db, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    *out = r;
    return JG_OK;
}

/* Answer the enterprise with its live qualifications, each flagged "expired" when past. */
static jg_rc answer(jg_req *req, jg_resp *resp, int64_t id, int status)
{
    jg_rows *r;
    jg_rc rc = fetch(NULL, req, id, &r);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? "企业不存在" : NULL);
    json_t *item = reg_row_json(r, 0);
    jg_rows_free(r);
    kinds_array(item);
    jg_value p[] = {JG_VINT(id)};
    rc = jg_db_read(req->app->db,
                    "SELECT " QUAL_COLUMNS " FROM enterprise_qualification WHERE enterprise_id = $1"
                    " AND status = 'active' ORDER BY expires_on, id",
                    p, 1, &r);
    if (rc != JG_OK) {
        json_decref(item);
        return rc;
    }
    char today[REG_DATE_LEN];
    reg_today(today);
    json_t *quals = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *q = reg_row_json(r, i);
        reg_mark_expired(q, today);
        json_array_append_new(quals, q);
    }
    jg_rows_free(r);
    json_object_set_new(item, "qualifications", quals);
    return jg_resp_json(req, resp, status, item);
}

jg_rc reg_enterprise_get(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (reg_param_id(req, "id", &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "企业不存在");
    return answer(req, resp, id, 200);
}

/* GET ?page=&size=&keyword=&kind=&status= */
jg_rc reg_enterprise_list(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size;
    reg_paging(req, &page, &size, fields);
    const char *keyword = jg_req_query(req, "keyword"), *kind = jg_req_query(req, "kind");
    const char *status = jg_req_query(req, "status");
    const char *like = keyword != NULL ? reg_like(req, keyword, "keyword", fields) : NULL;
    if (kind != NULL && !in_list(kinds, kind))
        reg_bad(fields, "kind", "企业类型取值无效");
    if (status != NULL && !in_list(statuses, status))
        reg_bad(fields, "status", "状态取值无效");
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    json_decref(fields);

    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[12];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " COLUMNS FROM " WHERE 1 = 1");
    if (like != NULL) {
        /* A name fragment, or a whole credit code (typed in either case). */
        char *code = jg_arena_strdup(req->arena, keyword);
        for (char *c = code; *c != '\0'; c++)
            *c = (char)toupper((unsigned char)*c);
        p[n++] = JG_VTEXT(like);
        p[n++] = JG_VTEXT(code);
        jg_buf_printf(&sql, " AND (e.name LIKE $%d ESCAPE '\\' OR e.credit_code = $%d)", n - 1, n);
    }
    if (kind != NULL) {
        /* Kinds are a comma list of [a-z_] words: match one whole word, '_' taken literally. */
        jg_buf b;
        jg_buf_init(&b, 64);
        jg_buf_puts(&b, "%,");
        for (const char *c = kind; *c != '\0'; c++)
            jg_buf_puts(&b, *c == '_' ? "\\_" : (char[]){*c, '\0'});
        jg_buf_puts(&b, ",%");
        p[n++] = JG_VTEXT(jg_arena_strdup(req->arena, b.data));
        jg_buf_free(&b);
        jg_buf_printf(&sql, " AND (',' || e.kinds || ',') LIKE $%d ESCAPE '\\'", n);
    }
    if (status != NULL) {
        p[n++] = JG_VTEXT(status);
        jg_buf_printf(&sql, " AND e.status = $%d", n);
    }
    if (jg_scope_sql(req->principal, &enterprise_scope, &sql, p, &n, req->arena) != JG_OK)
        jg_buf_puts(&sql, " AND 1 = 0"); /* no scope: nothing */
    p[n++] = JG_VINT(size + 1);
    p[n++] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY e.id LIMIT $%d OFFSET $%d", n - 1, n);
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    return reg_resp_page(req, resp, rows, page, size, kinds_array);
}

/* ---- writes ---- */

/* An enterprise as given in a body; NULL for what was not given. */
struct enterprise_in {
    const char *credit_code, *name, *kinds, *org_code, *legal_rep, *address, *status;
};

/* kinds: a non-empty array of known kinds, stored in the fixed order without repeats. */
static const char *parse_kinds(jg_req *req, json_t *v, json_t *fields)
{
    if (!json_is_array(v) || json_array_size(v) == 0) {
        reg_bad(fields, "kinds", "请至少选择一种企业类型");
        return NULL;
    }
    int chosen[sizeof(kinds) / sizeof(kinds[0])] = {0};
    size_t i;
    json_t *k;
    json_array_foreach(v, i, k)
    {
        const char *s = json_string_value(k);
        int found = -1;
        for (int j = 0; s != NULL && kinds[j] != NULL; j++)
            if (strcmp(kinds[j], s) == 0)
                found = j;
        if (found < 0) {
            reg_bad(fields, "kinds", "企业类型取值无效");
            return NULL;
        }
        chosen[found] = 1;
    }
    jg_buf b;
    jg_buf_init(&b, 256);
    for (int j = 0; kinds[j] != NULL; j++)
        if (chosen[j])
            jg_buf_printf(&b, "%s%s", b.len > 0 ? "," : "", kinds[j]);
    const char *out = jg_arena_strdup(req->arena, b.data);
    jg_buf_free(&b);
    return out;
}

/* A region code of the org table. */
static const char *parse_org(jg_req *req, json_t *body, json_t *fields)
{
    const char *s = reg_text(req, body, "org_code", 1, 6, fields);
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    int digits = len >= 2 && len <= 6 && len % 2 == 0;
    for (size_t i = 0; digits && i < len; i++)
        digits = s[i] >= '0' && s[i] <= '9';
    if (!digits) {
        reg_bad(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
        return NULL;
    }
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(s)};
    if (jg_db_read(req->app->db, "SELECT id FROM org WHERE code = $1", p, 1, &r) != JG_OK) {
        reg_bad(fields, "org_code", "暂时无法核对行政区划，请稍后重试");
        return NULL;
    }
    int found = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (!found) {
        reg_bad(fields, "org_code", "行政区划不存在");
        return NULL;
    }
    return s;
}

static const char *parse_credit_code(jg_req *req, json_t *body, json_t *fields)
{
    const char *s = reg_text(req, body, "credit_code", 1, 18, fields);
    if (s == NULL)
        return NULL;
    char *code = jg_arena_strdup(req->arena, s);
    for (char *c = code; *c != '\0'; c++)
        *c = (char)toupper((unsigned char)*c);
    if (!jg_idcheck_credit_code(code)) {
        reg_bad(fields, "credit_code", "统一社会信用代码不正确（应为 18 位，校验位按 GB 32100 计算）");
        return NULL;
    }
    return code;
}

/* A text that may be left out or null (both meaning ""); NULL only when it is bad. */
static const char *optional_text(jg_req *req, json_t *body, const char *key, size_t max, json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v))
        return "";
    return reg_text(req, body, key, 0, max, fields);
}

/* Read the fields of an enterprise from body; all of them required on create. */
static void parse_enterprise(jg_req *req, json_t *body, int create, struct enterprise_in *in, json_t *fields)
{
    memset(in, 0, sizeof(*in));
    if (create || reg_has(body, "credit_code"))
        in->credit_code = parse_credit_code(req, body, fields);
    if (create || reg_has(body, "name"))
        in->name = reg_text(req, body, "name", 1, MAX_NAME, fields);
    if (create || reg_has(body, "kinds"))
        in->kinds = parse_kinds(req, json_object_get(body, "kinds"), fields);
    if (create || reg_has(body, "org_code"))
        in->org_code = parse_org(req, body, fields);
    if (create || reg_has(body, "legal_rep"))
        in->legal_rep = optional_text(req, body, "legal_rep", MAX_LEGAL_REP, fields);
    if (create || reg_has(body, "address"))
        in->address = optional_text(req, body, "address", MAX_ADDRESS, fields);
    if (!create && reg_has(body, "status")) {
        const char *s = json_string_value(json_object_get(body, "status"));
        if (s == NULL || !in_list(statuses, s))
            reg_bad(fields, "status", "状态应为 active 或 revoked");
        else
            in->status = s;
    }
}

struct enterprise_write {
    jg_req *req;
    struct enterprise_in in;
    int64_t id, version;
    const char *message; /* why the write was refused, for the answer */
    char now[32];
};

static const char duplicate[] = "该统一社会信用代码已登记，不能重复登记";
static const char stale[] = "数据已被他人修改，请刷新后重试";

static jg_rc credit_code_taken(jg_conn *c, const char *code, int64_t except, int *taken)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code), JG_VINT(except)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM enterprise WHERE credit_code = $1 AND id <> $2", p, 2, &r);
    if (rc != JG_OK)
        return rc;
    *taken = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct enterprise_write *w = ud;
    const struct enterprise_in *in = &w->in;
    w->message = NULL;
    int taken;
    jg_rc rc = credit_code_taken(c, in->credit_code, 0, &taken);
    if (rc != JG_OK)
        return rc;
    if (taken) {
        w->message = duplicate;
        return JG_CONFLICT;
    }
    jg_value p[] = {JG_VTEXT(in->credit_code), JG_VTEXT(in->name),      JG_VTEXT(in->kinds),
                    JG_VTEXT(in->org_code),    JG_VTEXT(in->legal_rep), JG_VTEXT(in->address),
                    JG_VTEXT(w->now)};
    jg_rows *r;
    rc = jg_db_query(c,
                     "INSERT INTO enterprise (credit_code, name, kinds, org_code, legal_rep, address, status,"
                     " created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, 1)"
                     " RETURNING id",
                     p, 7, &r);
    if (rc == JG_CONFLICT) /* another request registered the same code in between */
        w->message = duplicate;
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    json_t *after =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "credit_code", in->credit_code, "name", in->name, "kinds",
                  in->kinds, "org_code", in->org_code, "legal_rep", in->legal_rep, "address", in->address);
    json_t *detail = json_pack("{s:o}", "after", after);
    rc = reg_audit(c, w->req, "create", "enterprise", w->id, detail);
    return rc;
}

jg_rc reg_enterprise_create(jg_req *req, jg_resp *resp)
{
    if (!reg_government(req->principal))
        return jg_resp_error(req, resp, JG_DENIED, "企业由主管部门登记，企业用户不能新增企业");
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    static const char *const allowed[] = {"credit_code", "name",    "kinds", "org_code",
                                          "legal_rep",   "address", NULL};
    reg_only(body, allowed, fields);
    struct enterprise_write w = {.req = req};
    parse_enterprise(req, body, 1, &w.in, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "企业信息填写不正确", fields);
    json_decref(fields);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, create_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, w.message);
    return answer(req, resp, w.id, 201);
}

/* One changed column for the UPDATE and the audit's before/after. */
static void change(jg_buf *sql, jg_value *p, int *n, json_t *before, json_t *after, const char *col,
                   const char *old, const char *new_value)
{
    if (new_value == NULL || (old != NULL && strcmp(old, new_value) == 0))
        return;
    p[(*n)++] = JG_VTEXT(new_value);
    jg_buf_printf(sql, "%s = $%d, ", col, *n);
    json_object_set_new(before, col, old != NULL ? json_string(old) : json_null());
    json_object_set_new(after, col, json_string(new_value));
}

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct enterprise_write *w = ud;
    const struct enterprise_in *in = &w->in;
    const jg_principal *who = w->req->principal;
    w->message = NULL;
    jg_rows *cur;
    jg_rc rc = fetch(c, w->req, w->id, &cur);
    if (rc == JG_NOTFOUND)
        w->message = "企业不存在";
    if (rc != JG_OK)
        return rc;
    /* Columns: 0 id, 1 credit_code, 2 name, 3 kinds, 4 org_code, 5 org_name, 6 legal_rep, 7 address,
     * 8 status, 9 created_at, 10 updated_at, 11 version. */
    jg_value p[12];
    int n = 0;
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    json_t *before = json_object(), *after = json_object();
    jg_buf_puts(&sql, "UPDATE enterprise SET ");
    change(&sql, p, &n, before, after, "credit_code", jg_rows_text(cur, 0, 1), in->credit_code);
    change(&sql, p, &n, before, after, "name", jg_rows_text(cur, 0, 2), in->name);
    change(&sql, p, &n, before, after, "kinds", jg_rows_text(cur, 0, 3), in->kinds);
    change(&sql, p, &n, before, after, "org_code", jg_rows_text(cur, 0, 4), in->org_code);
    change(&sql, p, &n, before, after, "legal_rep", jg_rows_text(cur, 0, 6), in->legal_rep);
    change(&sql, p, &n, before, after, "address", jg_rows_text(cur, 0, 7), in->address);
    change(&sql, p, &n, before, after, "status", jg_rows_text(cur, 0, 8), in->status);
    int64_t version = jg_rows_int(cur, 0, 11);
    jg_rows_free(cur);
    if (version != w->version) {
        w->message = stale;
        rc = JG_CONFLICT;
    } else if (!reg_government(who) && json_object_get(after, "credit_code") != NULL) {
        w->message = "统一社会信用代码只能由主管部门修改";
        rc = JG_DENIED;
    } else if (!reg_government(who) && json_object_get(after, "status") != NULL) {
        w->message = "企业状态只能由主管部门变更";
        rc = JG_DENIED;
    } else if (in->credit_code != NULL && json_object_get(after, "credit_code") != NULL) {
        int taken = 0;
        rc = credit_code_taken(c, in->credit_code, w->id, &taken);
        if (rc == JG_OK && taken) {
            w->message = duplicate;
            rc = JG_CONFLICT;
        }
    }
    if (rc == JG_OK && json_object_size(after) > 0) {
        p[n++] = JG_VTEXT(w->now);
        p[n++] = JG_VINT(w->id);
        p[n++] = JG_VINT(w->version);
        jg_buf_printf(&sql, "updated_at = $%d, version = version + 1 WHERE id = $%d AND version = $%d", n - 2,
                      n - 1, n);
        int64_t changed = 0;
        rc = jg_db_exec(c, sql.data, p, n, &changed);
        if (rc == JG_CONFLICT)
            w->message = duplicate;
        else if (rc == JG_OK && changed != 1) {
            w->message = stale;
            rc = JG_CONFLICT;
        }
        if (rc == JG_OK) {
            json_t *detail = json_pack("{s:O, s:O, s:I}", "before", before, "after", after, "version",
                                       (json_int_t)(w->version + 1));
            rc = reg_audit(c, w->req, "update", "enterprise", w->id, detail);
        }
    }
    jg_buf_free(&sql);
    json_decref(before);
    json_decref(after);
    return rc;
}

jg_rc reg_enterprise_update(jg_req *req, jg_resp *resp)
{
    struct enterprise_write w = {.req = req};
    if (reg_param_id(req, "id", &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "企业不存在");
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    /* What GET answered may come back whole: its read-only members are ignored. */
    static const char *const allowed[] = {
        "credit_code", "name", "kinds",    "org_code",   "legal_rep",  "address",        "status",
        "version",     "id",   "org_name", "created_at", "updated_at", "qualifications", NULL};
    reg_only(body, allowed, fields);
    w.version = reg_version(body, fields);
    parse_enterprise(req, body, 0, &w.in, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "企业信息填写不正确", fields);
    json_decref(fields);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, update_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, w.message);
    return answer(req, resp, w.id, 200);
}

/* ---- qualifications ---- */

struct qualification_write {
    jg_req *req;
    int64_t enterprise_id, id;
    const char *category, *grade, *certificate_no, *issued_on, *expires_on;
    char now[32];
};

static jg_rc qualification_add_tx(jg_conn *c, void *ud)
{
    struct qualification_write *w = ud;
    jg_rows *r;
    jg_rc rc = fetch(c, w->req, w->enterprise_id, &r);
    if (rc != JG_OK)
        return rc;
    jg_rows_free(r);
    jg_value p[] = {JG_VINT(w->enterprise_id),
                    JG_VTEXT(w->category),
                    JG_VTEXT(w->grade),
                    JG_VTEXT(w->certificate_no),
                    w->issued_on != NULL ? JG_VTEXT(w->issued_on) : JG_VNULL,
                    JG_VTEXT(w->expires_on),
                    JG_VTEXT(w->now)};
    rc = jg_db_query(c,
                     "INSERT INTO enterprise_qualification (enterprise_id, category, grade, certificate_no,"
                     " issued_on, expires_on, status, created_at, updated_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7) RETURNING id",
                     p, 7, &r);
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    json_t *detail =
        json_pack("{s:I, s:{s:s, s:s, s:s, s:s?, s:s}}", "enterprise_id", (json_int_t)w->enterprise_id,
                  "after", "category", w->category, "grade", w->grade, "certificate_no", w->certificate_no,
                  "issued_on", w->issued_on, "expires_on", w->expires_on);
    rc = reg_audit(c, w->req, "create", "enterprise_qualification", w->id, detail);
    return rc;
}

jg_rc reg_qualification_add(jg_req *req, jg_resp *resp)
{
    struct qualification_write w = {.req = req};
    if (reg_param_id(req, "id", &w.enterprise_id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "企业不存在");
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    static const char *const allowed[] = {"category",  "grade",      "certificate_no",
                                          "issued_on", "expires_on", NULL};
    reg_only(body, allowed, fields);
    w.category = reg_text(req, body, "category", 1, MAX_CATEGORY, fields);
    w.grade = reg_text(req, body, "grade", 1, 10, fields);
    if (w.grade != NULL && !in_list(grades, w.grade))
        reg_bad(fields, "grade",
                "资质等级取值无效（特级、一级、二级、三级、甲级、乙级、丙级、暂定级、不分等级）");
    w.certificate_no = reg_text(req, body, "certificate_no", 1, MAX_CERT_NO, fields);
    w.issued_on = reg_date(body, "issued_on", 0, fields);
    w.expires_on = reg_date(body, "expires_on", 1, fields);
    if (w.issued_on != NULL && w.expires_on != NULL && strcmp(w.issued_on, w.expires_on) > 0)
        reg_bad(fields, "expires_on", "有效期至不能早于发证日期");
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "资质信息填写不正确", fields);
    json_decref(fields);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, qualification_add_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? "企业不存在" : NULL);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w.id)};
    rc = jg_db_read(req->app->db, "SELECT " QUAL_COLUMNS " FROM enterprise_qualification WHERE id = $1", p, 1,
                    &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_ERR;
    }
    json_t *item = reg_row_json(r, 0);
    jg_rows_free(r);
    char today[REG_DATE_LEN];
    reg_today(today);
    reg_mark_expired(item, today);
    return jg_resp_json(req, resp, 201, item);
}

static jg_rc qualification_delete_tx(jg_conn *c, void *ud)
{
    struct qualification_write *w = ud;
    jg_rows *r;
    jg_rc rc = fetch(c, w->req, w->enterprise_id, &r);
    if (rc != JG_OK)
        return rc;
    jg_rows_free(r);
    jg_value p[] = {JG_VINT(w->id), JG_VINT(w->enterprise_id), JG_VTEXT(w->now)};
    rc = jg_db_query(c,
                     "SELECT " QUAL_COLUMNS
                     " FROM enterprise_qualification WHERE id = $1 AND enterprise_id = $2"
                     " AND status = 'active'",
                     p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    json_t *detail =
        json_pack("{s:I, s:o}", "enterprise_id", (json_int_t)w->enterprise_id, "before", reg_row_json(r, 0));
    jg_rows_free(r);
    rc = jg_db_exec(c,
                    "UPDATE enterprise_qualification SET status = 'deleted', updated_at = $3"
                    " WHERE id = $1 AND enterprise_id = $2 AND status = 'active'",
                    p, 3, NULL);
    if (rc == JG_OK)
        rc = reg_audit(c, w->req, "delete", "enterprise_qualification", w->id, detail);
    return rc;
}

jg_rc reg_qualification_delete(jg_req *req, jg_resp *resp)
{
    struct qualification_write w = {.req = req};
    if (reg_param_id(req, "id", &w.enterprise_id) != JG_OK || reg_param_id(req, "qid", &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "资质不存在");
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, qualification_delete_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? "资质不存在" : NULL);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}
