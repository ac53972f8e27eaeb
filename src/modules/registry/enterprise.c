/* 企业库: enterprises (one or several kinds each, a GB 32100 checked credit code) and their
 * qualifications (资质: category, grade, certificate, expiry). */
#include "modules/registry/registry.h"

#include "base/buf.h"
#include "platform/idcheck.h"
#include "platform/scope.h"

#include <ctype.h>
#include <string.h>

/* Enterprise users see their own enterprise; government users the whole registry. */
static const jg_scope_cols enterprise_scope = {.enterprise = "e.id"};

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
#define FETCH "SELECT " COLUMNS FROM " WHERE e.id = $1"

#define MAX_NAME 100
#define MAX_LEGAL_REP 50
#define MAX_ADDRESS 200
#define MAX_CATEGORY 60
#define MAX_CERT_NO 50

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

/* GET ?page=&size=&keyword=&kind=&status=&ids= */
jg_rc reg_enterprise_list(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    const char *keyword = jg_req_query(req, "keyword"), *kind = jg_req_query(req, "kind");
    const char *status = jg_req_query(req, "status");
    const char *like = keyword != NULL ? reg_like(req, keyword, "keyword", fields) : NULL;
    if (kind != NULL && !reg_in_list(kinds, kind))
        jg_field_error(fields, "kind", "企业类型取值无效");
    if (status != NULL && !reg_in_list(statuses, status))
        jg_field_error(fields, "status", "状态取值无效");
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[12 + REG_MAX_IDS];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " COLUMNS FROM " WHERE 1 = 1");
    reg_ids(jg_req_query(req, "ids"), "e.id", &sql, p, &n, fields);
    if (json_object_size(fields) > 0) {
        jg_buf_free(&sql);
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    }
    json_decref(fields);
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
        jg_field_error(fields, "kinds", "请至少选择一种企业类型");
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
            jg_field_error(fields, "kinds", "企业类型取值无效");
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
        jg_field_error(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
        return NULL;
    }
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(s)};
    if (jg_db_read(req->app->db, "SELECT id FROM org WHERE code = $1", p, 1, &r) != JG_OK) {
        jg_field_error(fields, "org_code", "暂时无法核对行政区划，请稍后重试");
        return NULL;
    }
    int found = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (!found) {
        jg_field_error(fields, "org_code", "行政区划不存在");
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
        jg_field_error(fields, "credit_code", "统一社会信用代码不正确（应为 18 位，校验位按 GB 32100 计算）");
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
    if (!create)
        in->status = reg_one_of(body, "status", statuses, "状态应为 active 或 revoked", fields);
}

struct enterprise_write {
    reg_write w; /* first: the transaction casts back */
    struct enterprise_in in;
};

#define CREDIT_CODE_TAKEN "SELECT id FROM enterprise WHERE credit_code = $1 AND id <> $2"

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct enterprise_write *w = ud;
    const struct enterprise_in *in = &w->in;
    jg_rc rc = reg_unique(c, &w->w, &reg_enterprise, CREDIT_CODE_TAKEN, in->credit_code, 0);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VTEXT(in->credit_code), JG_VTEXT(in->name),      JG_VTEXT(in->kinds),
                    JG_VTEXT(in->org_code),    JG_VTEXT(in->legal_rep), JG_VTEXT(in->address),
                    JG_VTEXT(w->w.now)};
    jg_rows *r;
    rc = jg_db_query(c,
                     "INSERT INTO enterprise (credit_code, name, kinds, org_code, legal_rep, address, status,"
                     " created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, 1)"
                     " RETURNING id",
                     p, 7, &r);
    if (rc == JG_CONFLICT) /* another request registered the same code in between */
        return jg_refuse(&w->w.refusal, rc, NULL, reg_enterprise.duplicate);
    if (rc != JG_OK)
        return rc;
    w->w.id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    json_t *after =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "credit_code", in->credit_code, "name", in->name, "kinds",
                  in->kinds, "org_code", in->org_code, "legal_rep", in->legal_rep, "address", in->address);
    return reg_audit(c, w->w.req, "create", "enterprise", w->w.id, json_pack("{s:o}", "after", after));
}

jg_rc reg_enterprise_create(jg_req *req, jg_resp *resp)
{
    if (!reg_government(req->principal))
        return jg_resp_error(req, resp, JG_DENIED, "企业由主管部门登记，企业用户不能新增企业");
    static const char *const allowed[] = {"credit_code", "name",    "kinds", "org_code",
                                          "legal_rep",   "address", NULL};
    json_t *fields = reg_body(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    struct enterprise_write w = {.w.req = req};
    parse_enterprise(req, req->json, 1, &w.in, fields);
    return reg_write_run(req, resp, &reg_enterprise, fields, create_tx, &w.w, 201);
}

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct enterprise_write *w = ud;
    const struct enterprise_in *in = &w->in;
    int government = reg_government(w->w.req->principal);
    jg_rows *cur;
    jg_rc rc = reg_fetch(c, w->w.req, FETCH, &enterprise_scope, w->w.id, &cur);
    if (rc != JG_OK)
        return rc;
    /* Columns: 0 id, 1 credit_code, 2 name, 3 kinds, 4 org_code, 5 org_name, 6 legal_rep, 7 address,
     * 8 status, 9 created_at, 10 updated_at, 11 version. */
    reg_update u;
    rc = reg_update_begin(&u, &w->w, &reg_enterprise, jg_rows_int(cur, 0, 11));
    reg_update_text(&u, "credit_code", jg_rows_text(cur, 0, 1), in->credit_code);
    reg_update_text(&u, "name", jg_rows_text(cur, 0, 2), in->name);
    reg_update_text(&u, "kinds", jg_rows_text(cur, 0, 3), in->kinds);
    reg_update_text(&u, "org_code", jg_rows_text(cur, 0, 4), in->org_code);
    reg_update_text(&u, "legal_rep", jg_rows_text(cur, 0, 6), in->legal_rep);
    reg_update_text(&u, "address", jg_rows_text(cur, 0, 7), in->address);
    reg_update_text(&u, "status", jg_rows_text(cur, 0, 8), in->status);
    jg_rows_free(cur);
    if (rc == JG_OK && !government && reg_update_has(&u, "credit_code"))
        rc = jg_refuse(&w->w.refusal, JG_DENIED, NULL, "统一社会信用代码只能由主管部门修改");
    if (rc == JG_OK && !government && reg_update_has(&u, "status"))
        rc = jg_refuse(&w->w.refusal, JG_DENIED, NULL, "企业状态只能由主管部门变更");
    if (rc == JG_OK && reg_update_has(&u, "credit_code"))
        rc = reg_unique(c, &w->w, &reg_enterprise, CREDIT_CODE_TAKEN, in->credit_code, w->w.id);
    if (rc == JG_OK)
        rc = reg_update_apply(c, &u, &w->w, &reg_enterprise);
    reg_update_free(&u);
    return rc;
}

jg_rc reg_enterprise_update(jg_req *req, jg_resp *resp)
{
    struct enterprise_write w = {.w.req = req};
    if (reg_param_id(req, "id", &w.w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, reg_enterprise.not_found);
    /* What GET answered may come back whole: its read-only members are ignored. */
    static const char *const allowed[] = {
        "credit_code", "name", "kinds",    "org_code",   "legal_rep",  "address",        "status",
        "version",     "id",   "org_name", "created_at", "updated_at", "qualifications", NULL};
    json_t *fields = reg_body(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    w.w.version = reg_version(req->json, fields);
    parse_enterprise(req, req->json, 0, &w.in, fields);
    return reg_write_run(req, resp, &reg_enterprise, fields, update_tx, &w.w, 200);
}

/* ---- the kind ---- */

static const reg_child_text qualification_texts[] = {
    {"category", 1, MAX_CATEGORY, NULL, NULL},
    {"grade", 1, 10, grades,
     "资质等级取值无效（特级、一级、二级、三级、甲级、乙级、丙级、暂定级、不分等级）"},
    {"certificate_no", 1, MAX_CERT_NO, NULL, NULL},
    {NULL, 0, 0, NULL, NULL},
};

static const reg_child qualifications = {
    .entity = "enterprise_qualification",
    .parent = "enterprise_id",
    .param = "qid",
    .list = "qualifications",
    .texts = qualification_texts,
    .not_found = "资质不存在",
    .invalid = "资质信息填写不正确",
    REG_CHILD_SQL("enterprise_qualification", "enterprise_id", "category, grade, certificate_no"),
};

const reg_kind reg_enterprise = {
    .entity = "enterprise",
    .fetch = FETCH,
    .update = "UPDATE enterprise SET ",
    .scope = &enterprise_scope,
    .not_found = "企业不存在",
    .invalid = "企业信息填写不正确",
    .duplicate = "该统一社会信用代码已登记，不能重复登记",
    .fix = kinds_array,
    .child = &qualifications,
};
