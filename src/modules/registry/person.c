/* 从业人员库: persons (GB 11643 checked ID number, phone, employer) and their certificates.
 *
 * The ID number and the phone are stored three ways, never in plain text:
 *   *_enc   jg_sm4_seal under the field key, context "person.id_number" / "person.phone"
 *   *_bidx  jg_sm4_blind_index, field "id_number" / "phone": equality search and uniqueness
 *   *_mask  what lists and records show (3501**********1234, 138****8000)
 * The plain value leaves the server only through POST /persons/{id}/reveal, which needs the
 * person.reveal permission and writes an audit row naming the field (never the value). */
#include "modules/registry/registry.h"

#include "base/buf.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "platform/idcheck.h"
#include "platform/identity.h"
#include "platform/scope.h"
#include "platform/sealed.h"

#include <openssl/crypto.h>
#include <string.h>

/* Enterprise users see their own enterprise's persons; government users everyone. */
static const jg_scope_cols person_scope = {.enterprise = "p.enterprise_id"};

static const char *const statuses[] = {"active", "inactive", NULL};
/* 注册建造师, 注册监理工程师, 注册造价工程师, 注册结构工程师, 注册建筑师, 注册消防工程师,
 * 安全生产考核合格证 A/B/C, 特种作业操作资格证, other. */
static const char *const cert_kinds[] = {"registered_constructor",
                                         "registered_supervisor",
                                         "registered_cost_engineer",
                                         "registered_structural_engineer",
                                         "registered_architect",
                                         "registered_fire_engineer",
                                         "safety_a",
                                         "safety_b",
                                         "safety_c",
                                         "special_operation",
                                         "other",
                                         NULL};

#define COLUMNS                                                                                              \
    "p.id, p.name, p.id_number_mask, p.phone_mask, p.gender, p.enterprise_id, e.name AS enterprise_name,"    \
    " p.status, p.created_at, p.updated_at, p.version"
#define FROM " FROM person p LEFT JOIN enterprise e ON e.id = p.enterprise_id"
/* The person's row with extra columns (a constant such as ", p.phone_enc", or ""). */
#define FETCH(extra) "SELECT " COLUMNS extra FROM " WHERE p.id = $1"

#define ID_NUMBER_CONTEXT "person.id_number"
#define PHONE_CONTEXT "person.phone"
#define MAX_NAME 50
#define MAX_CERT_NO 50
#define MAX_SPECIALTY 40
#define MAX_VALUE JG_SEALED_MAX

/* An ID number from outside: spaces trimmed, a final x made X, then GB 11643 checked. NULL with a
 * field error when it is not one. */
static const char *parse_id_number(jg_req *req, const char *key, const char *s, json_t *fields)
{
    char buf[24];
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    while (n > 0 && *s == ' ')
        s++, n--;
    if (n != 18) {
        jg_field_error(fields, key, "身份证号应为 18 位");
        return NULL;
    }
    memcpy(buf, s, 18);
    buf[18] = '\0';
    if (buf[17] == 'x')
        buf[17] = 'X';
    if (!jg_idcheck_resident_id(buf)) {
        jg_field_error(fields, key, "身份证号不正确（出生日期或末位校验码不符合 GB 11643）");
        return NULL;
    }
    return jg_arena_strdup(req->arena, buf);
}

/* GET ?page=&size=&enterprise_id=&keyword=&id_number=&phone=&status=&ids= */
jg_rc reg_person_list(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size, enterprise_id = 0;
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    const char *ent = jg_req_query(req, "enterprise_id"), *keyword = jg_req_query(req, "keyword");
    const char *idn = jg_req_query(req, "id_number"), *phone = jg_req_query(req, "phone");
    const char *status = jg_req_query(req, "status");
    if (ent != NULL && jg_parse_int64(ent, 1, INT64_MAX, &enterprise_id) != JG_OK)
        jg_field_error(fields, "enterprise_id", "企业编号应为正整数");
    const char *like = keyword != NULL ? reg_like(req, keyword, "keyword", fields) : NULL;
    if (idn != NULL)
        idn = parse_id_number(req, "id_number", idn, fields);
    if (phone != NULL && !jg_idcheck_phone(phone))
        jg_field_error(fields, "phone", "手机号应为 11 位数字，以 13 至 19 开头");
    if (status != NULL && !reg_in_list(statuses, status))
        jg_field_error(fields, "status", "状态取值无效");
    const unsigned char *key = jg_identity_field_key(req);
    char idx_id[JG_SM4_INDEX_LEN + 1], idx_phone[JG_SM4_INDEX_LEN + 1];
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[14 + REG_MAX_IDS];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " COLUMNS FROM " WHERE 1 = 1");
    reg_ids(jg_req_query(req, "ids"), "p.id", &sql, p, &n, fields);
    if (json_object_size(fields) > 0) {
        jg_buf_free(&sql);
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    }
    json_decref(fields);
    if (enterprise_id > 0) {
        p[n++] = JG_VINT(enterprise_id);
        jg_buf_printf(&sql, " AND p.enterprise_id = $%d", n);
    }
    if (like != NULL) {
        p[n++] = JG_VTEXT(like);
        jg_buf_printf(&sql, " AND p.name LIKE $%d ESCAPE '\\'", n);
    }
    jg_rc rc = JG_OK;
    if (idn != NULL) { /* found by its blind index: the database never sees the number */
        rc = jg_sm4_blind_index(key, "id_number", idn, strlen(idn), idx_id);
        p[n++] = JG_VTEXT(idx_id);
        jg_buf_printf(&sql, " AND p.id_number_bidx = $%d", n);
    }
    if (phone != NULL && rc == JG_OK) {
        rc = jg_sm4_blind_index(key, "phone", phone, strlen(phone), idx_phone);
        p[n++] = JG_VTEXT(idx_phone);
        jg_buf_printf(&sql, " AND p.phone_bidx = $%d", n);
    }
    if (status != NULL) {
        p[n++] = JG_VTEXT(status);
        jg_buf_printf(&sql, " AND p.status = $%d", n);
    }
    if (jg_scope_sql(req->principal, &person_scope, &sql, p, &n, req->arena) != JG_OK)
        jg_buf_puts(&sql, " AND 1 = 0"); /* no scope: nothing */
    p[n++] = JG_VINT(size + 1);
    p[n++] = JG_VINT((page - 1) * size);
    jg_buf_printf(&sql, " ORDER BY p.id LIMIT $%d OFFSET $%d", n - 1, n);
    jg_rows *rows = NULL;
    if (rc == JG_OK)
        rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, rows, page, size);
}

/* ---- writes ---- */

/* A person as given in a body. NULL for what was not given; has_phone says whether the phone was
 * given (phone NULL then clears it), has_enterprise likewise for the employer. */
struct person_in {
    const char *name, *id_number, *phone, *status;
    int has_phone, has_enterprise;
    int64_t enterprise_id; /* 0: none */
    jg_sealed id_sealed, phone_sealed;
};

static void parse_person(jg_req *req, json_t *body, int create, struct person_in *in, json_t *fields)
{
    memset(in, 0, sizeof(*in));
    if (create || reg_has(body, "name"))
        in->name = reg_text(req, body, "name", 1, MAX_NAME, fields);
    if (create || reg_has(body, "id_number")) {
        const char *s = reg_text(req, body, "id_number", 1, 24, fields);
        if (s != NULL)
            in->id_number = parse_id_number(req, "id_number", s, fields);
    }
    in->has_phone = reg_has(body, "phone");
    if (in->has_phone) {
        const char *s = reg_text(req, body, "phone", 0, 16, fields);
        if (s != NULL && *s != '\0') {
            if (jg_idcheck_phone(s))
                in->phone = s;
            else
                jg_field_error(fields, "phone", "手机号应为 11 位数字，以 13 至 19 开头");
        }
    }
    in->has_enterprise = reg_has(body, "enterprise_id");
    if (in->has_enterprise) {
        json_t *v = json_object_get(body, "enterprise_id");
        if (json_is_integer(v) && json_integer_value(v) > 0)
            in->enterprise_id = json_integer_value(v);
        else if (!json_is_null(v))
            jg_field_error(fields, "enterprise_id", "企业编号应为正整数");
    }
    if (!create)
        in->status = reg_one_of(body, "status", statuses, "状态应为 active 或 inactive", fields);
}

/* Seal what was given (in the write's transaction, before anything is stored). */
static jg_rc seal_person(jg_req *req, struct person_in *in)
{
    jg_rc rc = JG_OK;
    if (in->id_number != NULL)
        rc = jg_sealed_make(jg_identity_field_key(req), ID_NUMBER_CONTEXT, "id_number", in->id_number,
                            &in->id_sealed);
    if (rc == JG_OK && in->phone != NULL)
        rc = jg_sealed_make(jg_identity_field_key(req), PHONE_CONTEXT, "phone", in->phone, &in->phone_sealed);
    return rc;
}

/* M or F from the 17th character of the ID number (odd: male). */
static const char *gender_of(const char *id_number)
{
    return (id_number[16] - '0') % 2 == 1 ? "M" : "F";
}

struct person_write {
    reg_write w; /* first: the transaction casts back */
    struct person_in in;
};

#define ID_NUMBER_TAKEN "SELECT id FROM person WHERE id_number_bidx = $1 AND id <> $2"

static jg_rc enterprise_exists(jg_conn *c, reg_write *w, int64_t id)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM enterprise WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int found = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return found ? JG_OK : jg_refuse(&w->refusal, JG_INVALID, "enterprise_id", "企业不存在");
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct person_write *w = ud;
    const struct person_in *in = &w->in;
    jg_rc rc = seal_person(w->w.req, &w->in);
    if (rc == JG_OK && in->enterprise_id > 0)
        rc = enterprise_exists(c, &w->w, in->enterprise_id);
    if (rc == JG_OK)
        rc = reg_unique(c, &w->w, &reg_person, ID_NUMBER_TAKEN, in->id_sealed.bidx, 0);
    if (rc != JG_OK)
        return rc;
    jg_value none = JG_VNULL;
    jg_value p[] = {JG_VTEXT(in->name),
                    JG_VTEXT(in->id_sealed.enc),
                    JG_VTEXT(in->id_sealed.bidx),
                    JG_VTEXT(in->id_sealed.mask),
                    in->phone != NULL ? JG_VTEXT(in->phone_sealed.enc) : none,
                    in->phone != NULL ? JG_VTEXT(in->phone_sealed.bidx) : none,
                    in->phone != NULL ? JG_VTEXT(in->phone_sealed.mask) : none,
                    JG_VTEXT(gender_of(in->id_number)),
                    in->enterprise_id > 0 ? JG_VINT(in->enterprise_id) : none,
                    JG_VTEXT(w->w.now)};
    jg_rows *r;
    rc =
        jg_db_query(c,
                    "INSERT INTO person (name, id_number_enc, id_number_bidx, id_number_mask, phone_enc,"
                    " phone_bidx, phone_mask, gender, enterprise_id, status, created_at, updated_at, version)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $10, 1) RETURNING id",
                    p, 10, &r);
    if (rc == JG_CONFLICT) /* registered by another request in between */
        return jg_refuse(&w->w.refusal, rc, NULL, reg_person.duplicate);
    if (rc != JG_OK)
        return rc;
    w->w.id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    /* The audit keeps the masked forms only. */
    json_t *detail = json_pack("{s:{s:s, s:s, s:s?, s:s, s:o}}", "after", "name", in->name, "id_number",
                               in->id_sealed.mask, "phone", in->phone != NULL ? in->phone_sealed.mask : NULL,
                               "gender", gender_of(in->id_number), "enterprise_id",
                               in->enterprise_id > 0 ? json_integer(in->enterprise_id) : json_null());
    return reg_audit(c, w->w.req, "create", "person", w->w.id, detail);
}

jg_rc reg_person_create(jg_req *req, jg_resp *resp)
{
    const jg_principal *who = req->principal;
    static const char *const allowed[] = {"name", "id_number", "phone", "enterprise_id", NULL};
    json_t *fields = reg_body(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    struct person_write w = {.w.req = req};
    parse_person(req, req->json, 1, &w.in, fields);
    if (!reg_government(who)) {
        /* Enterprise users register their own staff. */
        if (who->enterprise_id <= 0) {
            json_decref(fields);
            return jg_resp_error(req, resp, JG_DENIED, "当前账号未关联企业，不能登记从业人员");
        }
        if (w.in.enterprise_id > 0 && w.in.enterprise_id != who->enterprise_id)
            jg_field_error(fields, "enterprise_id", "只能登记本企业的从业人员");
        w.in.enterprise_id = who->enterprise_id;
    }
    return reg_write_run(req, resp, &reg_person, fields, create_tx, &w.w, 201);
}

/* The values of a sealed column group (enc, bidx, mask) for an UPDATE; s NULL clears them. */
static void set_sealed(reg_update *u, const char *col_enc, const char *col_bidx, const char *col_mask,
                       const jg_sealed *s)
{
    reg_update_set(u, col_enc, s != NULL ? JG_VTEXT(s->enc) : JG_VNULL);
    reg_update_set(u, col_bidx, s != NULL ? JG_VTEXT(s->bidx) : JG_VNULL);
    reg_update_set(u, col_mask, s != NULL ? JG_VTEXT(s->mask) : JG_VNULL);
}

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct person_write *w = ud;
    const struct person_in *in = &w->in;
    jg_rc rc = seal_person(w->w.req, &w->in);
    if (rc != JG_OK)
        return rc;
    jg_rows *cur;
    rc = reg_fetch(c, w->w.req, FETCH(", p.id_number_bidx, p.phone_bidx"), &person_scope, w->w.id, &cur);
    if (rc != JG_OK)
        return rc;
    /* Columns: 0 id, 1 name, 2 id_number_mask, 3 phone_mask, 4 gender, 5 enterprise_id,
     * 6 enterprise_name, 7 status, 8 created_at, 9 updated_at, 10 version, 11 id_number_bidx,
     * 12 phone_bidx. */
    reg_update u;
    rc = reg_update_begin(&u, &w->w, &reg_person, jg_rows_int(cur, 0, 10));
    reg_update_text(&u, "name", jg_rows_text(cur, 0, 1), in->name);
    int new_id = in->id_number != NULL && strcmp(in->id_sealed.bidx, jg_rows_text(cur, 0, 11)) != 0;
    if (new_id) {
        set_sealed(&u, "id_number_enc", "id_number_bidx", "id_number_mask", &in->id_sealed);
        reg_update_set(&u, "gender", JG_VTEXT(gender_of(in->id_number)));
        reg_update_note(&u, "id_number", json_string(jg_rows_text(cur, 0, 2)),
                        json_string(in->id_sealed.mask));
    }
    const char *old_phone = jg_rows_text(cur, 0, 12), *old_mask = jg_rows_text(cur, 0, 3);
    const jg_sealed *phone = in->phone != NULL ? &in->phone_sealed : NULL;
    int same_phone = old_phone == NULL ? phone == NULL : phone != NULL && strcmp(old_phone, phone->bidx) == 0;
    if (in->has_phone && !same_phone) {
        set_sealed(&u, "phone_enc", "phone_bidx", "phone_mask", phone);
        reg_update_note(&u, "phone", old_mask != NULL ? json_string(old_mask) : NULL,
                        phone != NULL ? json_string(phone->mask) : NULL);
    }
    int64_t old_ent = jg_rows_int(cur, 0, 5);
    int new_ent = in->has_enterprise && in->enterprise_id != old_ent;
    if (new_ent) {
        reg_update_set(&u, "enterprise_id", in->enterprise_id > 0 ? JG_VINT(in->enterprise_id) : JG_VNULL);
        reg_update_note(&u, "enterprise_id", old_ent > 0 ? json_integer(old_ent) : NULL,
                        in->enterprise_id > 0 ? json_integer(in->enterprise_id) : NULL);
    }
    reg_update_text(&u, "status", jg_rows_text(cur, 0, 7), in->status);
    jg_rows_free(cur);
    if (rc == JG_OK && new_ent && !reg_government(w->w.req->principal))
        rc = jg_refuse(&w->w.refusal, JG_DENIED, NULL, "企业用户不能变更从业人员的所属企业");
    if (rc == JG_OK && new_ent && in->enterprise_id > 0)
        rc = enterprise_exists(c, &w->w, in->enterprise_id);
    if (rc == JG_OK && new_id)
        rc = reg_unique(c, &w->w, &reg_person, ID_NUMBER_TAKEN, in->id_sealed.bidx, w->w.id);
    if (rc == JG_OK)
        rc = reg_update_apply(c, &u, &w->w, &reg_person);
    reg_update_free(&u);
    return rc;
}

jg_rc reg_person_update(jg_req *req, jg_resp *resp)
{
    struct person_write w = {.w.req = req};
    if (reg_param_id(req, "id", &w.w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, reg_person.not_found);
    /* What GET answered may come back whole: its read-only members are ignored. */
    static const char *const allowed[] = {
        "name",       "id_number",  "phone",           "enterprise_id", "status",
        "version",    "id",         "id_number_mask",  "phone_mask",    "gender",
        "created_at", "updated_at", "enterprise_name", "certificates",  NULL};
    json_t *fields = reg_body(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    w.w.version = reg_version(req->json, fields);
    parse_person(req, req->json, 0, &w.in, fields);
    return reg_write_run(req, resp, &reg_person, fields, update_tx, &w.w, 200);
}

/* ---- reveal ---- */

struct reveal {
    jg_req *req;
    int64_t id;
    const char *field, *context;
    const char *message;
    char value[MAX_VALUE + 1];
};

static jg_rc reveal_tx(jg_conn *c, void *ud)
{
    struct reveal *v = ud;
    v->message = NULL;
    jg_rows *r;
    int phone = strcmp(v->field, "phone") == 0;
    jg_rc rc = reg_fetch(c, v->req, phone ? FETCH(", p.phone_enc") : FETCH(", p.id_number_enc"),
                         &person_scope, v->id, &r);
    if (rc != JG_OK)
        return rc;
    const char *token = jg_rows_text(r, 0, 11);
    if (token == NULL) {
        jg_rows_free(r);
        v->message = "该人员未登记手机号";
        return JG_NOTFOUND;
    }
    size_t n = 0;
    rc = jg_sm4_open(jg_identity_field_key(v->req), v->context, token, v->value, MAX_VALUE, &n);
    jg_rows_free(r);
    if (rc != JG_OK) { /* a token that does not open was altered, or sealed under another key */
        OPENSSL_cleanse(v->value, sizeof(v->value));
        v->message = "加密数据校验失败，请联系管理员";
        return JG_ERR;
    }
    v->value[n] = '\0';
    /* The audit names the field, never the value. */
    json_t *detail = json_pack("{s:s}", "field", v->field);
    rc = reg_audit(c, v->req, "reveal", "person", v->id, detail);
    return rc;
}

jg_rc reg_person_reveal(jg_req *req, jg_resp *resp)
{
    struct reveal v = {.req = req};
    if (reg_param_id(req, "id", &v.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, reg_person.not_found);
    const char *field = json_string_value(json_object_get(req->json, "field"));
    if (field != NULL && strcmp(field, "id_number") == 0) {
        v.field = "id_number";
        v.context = ID_NUMBER_CONTEXT;
    } else if (field != NULL && strcmp(field, "phone") == 0) {
        v.field = "phone";
        v.context = PHONE_CONTEXT;
    } else {
        json_t *fields = json_object();
        jg_field_error(fields, "field", "应为 id_number（身份证号）或 phone（手机号）");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请选择要查看的字段", fields);
    }
    jg_rc rc = jg_db_tx(req->app->db, reveal_tx, &v);
    if (rc != JG_OK) {
        OPENSSL_cleanse(v.value, sizeof(v.value));
        return jg_resp_error(req, resp, rc,
                             v.message != NULL   ? v.message
                             : rc == JG_NOTFOUND ? reg_person.not_found
                                                 : NULL);
    }
    /* API answers carry Cache-Control: no-store (server.c), so no cache keeps the value. */
    rc = jg_resp_json(req, resp, 200, json_pack("{s:s, s:s}", "field", v.field, "value", v.value));
    OPENSSL_cleanse(v.value, sizeof(v.value));
    return rc;
}

/* ---- the kind ---- */

static const reg_child_text certificate_texts[] = {
    {"kind", 1, 40, cert_kinds, "证书类别取值无效"},
    {"certificate_no", 1, MAX_CERT_NO, NULL, NULL},
    {"specialty", 0, MAX_SPECIALTY, NULL, NULL},
    {NULL, 0, 0, NULL, NULL},
};

static const reg_child certificates = {
    .entity = "person_certificate",
    .parent = "person_id",
    .param = "cid",
    .list = "certificates",
    .texts = certificate_texts,
    .not_found = "证书不存在",
    .invalid = "证书信息填写不正确",
    REG_CHILD_SQL("person_certificate", "person_id", "kind, certificate_no, specialty"),
};

const reg_kind reg_person = {
    .entity = "person",
    .fetch = FETCH(""),
    .update = "UPDATE person SET ",
    .scope = &person_scope,
    .not_found = "从业人员不存在",
    .invalid = "从业人员信息填写不正确",
    .duplicate = "该身份证号已登记，不能重复登记",
    .fix = NULL,
    .child = &certificates,
};
