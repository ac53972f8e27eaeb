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
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "platform/idcheck.h"
#include "platform/identity.h"
#include "platform/scope.h"
#include "platform/sealed.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Enterprise users see their own enterprise's persons; government users everyone. */
static const jg_scope_cols person_scope = {NULL, "p.enterprise_id", NULL};

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
#define CERT_COLUMNS                                                                                         \
    "id, person_id, kind, certificate_no, specialty, issued_on, expires_on, created_at, updated_at"

#define ID_NUMBER_CONTEXT "person.id_number"
#define PHONE_CONTEXT "person.phone"
#define MAX_NAME 50
#define MAX_CERT_NO 50
#define MAX_SPECIALTY 40
#define MAX_VALUE JG_SEALED_MAX

static const char stale[] = "数据已被他人修改，请刷新后重试";
static const char duplicate[] = "该身份证号已登记，不能重复登记";
static const char no_person[] = "从业人员不存在";

static int in_list(const char *const *list, const char *s)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

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
        reg_bad(fields, key, "身份证号应为 18 位");
        return NULL;
    }
    memcpy(buf, s, 18);
    buf[18] = '\0';
    if (buf[17] == 'x')
        buf[17] = 'X';
    if (!jg_idcheck_resident_id(buf)) {
        reg_bad(fields, key, "身份证号不正确（出生日期或末位校验码不符合 GB 11643）");
        return NULL;
    }
    return jg_arena_strdup(req->arena, buf);
}

/* The person's row as the caller may see it: COLUMNS, then extra (a constant column list of this
 * file such as ", p.phone_enc", never input; "" for none), on c (or a read connection when c is
 * NULL). JG_NOTFOUND when absent or outside the caller's scope. */
static jg_rc fetch(jg_conn *c, jg_req *req, int64_t id, const char *extra, jg_rows **out)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[6] = {JG_VINT(id)};
    int n = 1;
    jg_buf_printf(&sql, "SELECT " COLUMNS "%s" FROM " WHERE p.id = $1", extra);
    if (jg_scope_sql(req->principal, &person_scope, &sql, p, &n, req->arena) != JG_OK) {
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

/* Answer the person (masked) with live certificates, each flagged "expired" when past. */
static jg_rc answer(jg_req *req, jg_resp *resp, int64_t id, int status)
{
    jg_rows *r;
    jg_rc rc = fetch(NULL, req, id, "", &r);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? no_person : NULL);
    json_t *item = reg_row_json(r, 0);
    jg_rows_free(r);
    jg_value p[] = {JG_VINT(id)};
    rc = jg_db_read(req->app->db,
                    "SELECT " CERT_COLUMNS
                    " FROM person_certificate WHERE person_id = $1 AND status = 'active'"
                    " ORDER BY expires_on, id",
                    p, 1, &r);
    if (rc != JG_OK) {
        json_decref(item);
        return rc;
    }
    char today[REG_DATE_LEN];
    reg_today(today);
    json_t *certs = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *cert = reg_row_json(r, i);
        reg_mark_expired(cert, today);
        json_array_append_new(certs, cert);
    }
    jg_rows_free(r);
    json_object_set_new(item, "certificates", certs);
    return jg_resp_json(req, resp, status, item);
}

jg_rc reg_person_get(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (reg_param_id(req, "id", &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, no_person);
    return answer(req, resp, id, 200);
}

/* GET ?page=&size=&enterprise_id=&keyword=&id_number=&phone=&status= */
jg_rc reg_person_list(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size, enterprise_id = 0;
    reg_paging(req, &page, &size, fields);
    const char *ent = jg_req_query(req, "enterprise_id"), *keyword = jg_req_query(req, "keyword");
    const char *idn = jg_req_query(req, "id_number"), *phone = jg_req_query(req, "phone");
    const char *status = jg_req_query(req, "status");
    if (ent != NULL && jg_parse_int64(ent, 1, INT64_MAX, &enterprise_id) != JG_OK)
        reg_bad(fields, "enterprise_id", "企业编号应为正整数");
    const char *like = keyword != NULL ? reg_like(req, keyword, "keyword", fields) : NULL;
    if (idn != NULL)
        idn = parse_id_number(req, "id_number", idn, fields);
    if (phone != NULL && !jg_idcheck_phone(phone))
        reg_bad(fields, "phone", "手机号应为 11 位数字，以 13 至 19 开头");
    if (status != NULL && !in_list(statuses, status))
        reg_bad(fields, "status", "状态取值无效");
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    json_decref(fields);

    const unsigned char *key = jg_identity_field_key(req);
    char idx_id[JG_SM4_INDEX_LEN + 1], idx_phone[JG_SM4_INDEX_LEN + 1];
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[14];
    int n = 0;
    jg_buf_puts(&sql, "SELECT " COLUMNS FROM " WHERE 1 = 1");
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
                reg_bad(fields, "phone", "手机号应为 11 位数字，以 13 至 19 开头");
        }
    }
    in->has_enterprise = reg_has(body, "enterprise_id");
    if (in->has_enterprise) {
        json_t *v = json_object_get(body, "enterprise_id");
        if (json_is_integer(v) && json_integer_value(v) > 0)
            in->enterprise_id = json_integer_value(v);
        else if (!json_is_null(v))
            reg_bad(fields, "enterprise_id", "企业编号应为正整数");
    }
    if (!create && reg_has(body, "status")) {
        const char *s = json_string_value(json_object_get(body, "status"));
        if (s == NULL || !in_list(statuses, s))
            reg_bad(fields, "status", "状态应为 active 或 inactive");
        else
            in->status = s;
    }
}

/* Seal what was given. */
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
    jg_req *req;
    struct person_in in;
    int64_t id, version;
    const char *message;           /* why the write was refused, for the answer */
    const char *field, *field_msg; /* a field found bad inside the transaction */
    char now[32];
};

static jg_rc id_number_taken(jg_conn *c, const char *bidx, int64_t except, int *taken)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(bidx), JG_VINT(except)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM person WHERE id_number_bidx = $1 AND id <> $2", p, 2, &r);
    if (rc != JG_OK)
        return rc;
    *taken = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc enterprise_exists(jg_conn *c, struct person_write *w, int64_t id)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM enterprise WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int found = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (found)
        return JG_OK;
    w->field = "enterprise_id";
    w->field_msg = "企业不存在";
    return JG_INVALID;
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct person_write *w = ud;
    const struct person_in *in = &w->in;
    w->message = w->field = w->field_msg = NULL;
    jg_rc rc = JG_OK;
    if (in->enterprise_id > 0)
        rc = enterprise_exists(c, w, in->enterprise_id);
    int taken = 0;
    if (rc == JG_OK)
        rc = id_number_taken(c, in->id_sealed.bidx, 0, &taken);
    if (rc == JG_OK && taken) {
        w->message = duplicate;
        rc = JG_CONFLICT;
    }
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
                    JG_VTEXT(w->now)};
    jg_rows *r;
    rc =
        jg_db_query(c,
                    "INSERT INTO person (name, id_number_enc, id_number_bidx, id_number_mask, phone_enc,"
                    " phone_bidx, phone_mask, gender, enterprise_id, status, created_at, updated_at, version)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $10, 1) RETURNING id",
                    p, 10, &r);
    if (rc == JG_CONFLICT) /* registered by another request in between */
        w->message = duplicate;
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    /* The audit keeps the masked forms only. */
    json_t *detail = json_pack("{s:{s:s, s:s, s:s?, s:s, s:o}}", "after", "name", in->name, "id_number",
                               in->id_sealed.mask, "phone", in->phone != NULL ? in->phone_sealed.mask : NULL,
                               "gender", gender_of(in->id_number), "enterprise_id",
                               in->enterprise_id > 0 ? json_integer(in->enterprise_id) : json_null());
    rc = reg_audit(c, w->req, "create", "person", w->id, detail);
    return rc;
}

/* The refusal of a write as an answer. */
static jg_rc refuse(jg_req *req, jg_resp *resp, jg_rc rc, const struct person_write *w)
{
    if (rc == JG_INVALID && w->field != NULL) {
        json_t *fields = json_object();
        reg_bad(fields, w->field, w->field_msg);
        return jg_resp_error_fields(req, resp, rc, "从业人员信息填写不正确", fields);
    }
    return jg_resp_error(req, resp, rc,
                         w->message != NULL  ? w->message
                         : rc == JG_NOTFOUND ? no_person
                                             : NULL);
}

jg_rc reg_person_create(jg_req *req, jg_resp *resp)
{
    const jg_principal *who = req->principal;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    static const char *const allowed[] = {"name", "id_number", "phone", "enterprise_id", NULL};
    reg_only(body, allowed, fields);
    struct person_write w = {.req = req};
    parse_person(req, body, 1, &w.in, fields);
    if (!reg_government(who)) {
        /* Enterprise users register their own staff. */
        if (who->enterprise_id <= 0) {
            json_decref(fields);
            return jg_resp_error(req, resp, JG_DENIED, "当前账号未关联企业，不能登记从业人员");
        }
        if (w.in.enterprise_id > 0 && w.in.enterprise_id != who->enterprise_id)
            reg_bad(fields, "enterprise_id", "只能登记本企业的从业人员");
        w.in.enterprise_id = who->enterprise_id;
    }
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "从业人员信息填写不正确", fields);
    json_decref(fields);
    jg_rc rc = seal_person(req, &w.in);
    if (rc != JG_OK)
        return rc;
    jg_time_iso_now(w.now, sizeof(w.now));
    rc = jg_db_tx(req->app->db, create_tx, &w);
    if (rc != JG_OK)
        return refuse(req, resp, rc, &w);
    return answer(req, resp, w.id, 201);
}

/* Columns fetch() adds for an update: 11 id_number_bidx, 12 phone_bidx. */
#define UPDATE_EXTRA ", p.id_number_bidx, p.phone_bidx"

static void set_text(jg_buf *sql, jg_value *p, int *n, const char *col, const char *v)
{
    p[(*n)++] = v != NULL ? JG_VTEXT(v) : JG_VNULL;
    jg_buf_printf(sql, "%s = $%d, ", col, *n);
}

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct person_write *w = ud;
    const struct person_in *in = &w->in;
    const jg_principal *who = w->req->principal;
    w->message = w->field = w->field_msg = NULL;
    jg_rows *cur;
    jg_rc rc = fetch(c, w->req, w->id, UPDATE_EXTRA, &cur);
    if (rc != JG_OK)
        return rc;
    /* Columns: 0 id, 1 name, 2 id_number_mask, 3 phone_mask, 4 gender, 5 enterprise_id,
     * 6 enterprise_name, 7 status, 8 created_at, 9 updated_at, 10 version, 11 id_number_bidx,
     * 12 phone_bidx. */
    json_t *before = json_object(), *after = json_object();
    jg_value p[16];
    int n = 0;
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_buf_puts(&sql, "UPDATE person SET ");
    int64_t version = jg_rows_int(cur, 0, 10), old_ent = jg_rows_int(cur, 0, 5);
    if (in->name != NULL && strcmp(in->name, jg_rows_text(cur, 0, 1)) != 0) {
        set_text(&sql, p, &n, "name", in->name);
        json_object_set_new(before, "name", json_string(jg_rows_text(cur, 0, 1)));
        json_object_set_new(after, "name", json_string(in->name));
    }
    int new_id = in->id_number != NULL && strcmp(in->id_sealed.bidx, jg_rows_text(cur, 0, 11)) != 0;
    if (new_id) {
        set_text(&sql, p, &n, "id_number_enc", in->id_sealed.enc);
        set_text(&sql, p, &n, "id_number_bidx", in->id_sealed.bidx);
        set_text(&sql, p, &n, "id_number_mask", in->id_sealed.mask);
        set_text(&sql, p, &n, "gender", gender_of(in->id_number));
        json_object_set_new(before, "id_number", json_string(jg_rows_text(cur, 0, 2)));
        json_object_set_new(after, "id_number", json_string(in->id_sealed.mask));
    }
    const char *old_phone = jg_rows_text(cur, 0, 12);
    const char *new_phone = in->phone != NULL ? in->phone_sealed.bidx : NULL;
    if (in->has_phone &&
        !(old_phone == NULL ? new_phone == NULL : new_phone != NULL && strcmp(old_phone, new_phone) == 0)) {
        set_text(&sql, p, &n, "phone_enc", in->phone != NULL ? in->phone_sealed.enc : NULL);
        set_text(&sql, p, &n, "phone_bidx", new_phone);
        set_text(&sql, p, &n, "phone_mask", in->phone != NULL ? in->phone_sealed.mask : NULL);
        const char *old_mask = jg_rows_text(cur, 0, 3);
        json_object_set_new(before, "phone", old_mask != NULL ? json_string(old_mask) : json_null());
        json_object_set_new(after, "phone",
                            in->phone != NULL ? json_string(in->phone_sealed.mask) : json_null());
    }
    int new_ent = in->has_enterprise && in->enterprise_id != old_ent;
    if (new_ent) {
        p[n++] = in->enterprise_id > 0 ? JG_VINT(in->enterprise_id) : JG_VNULL;
        jg_buf_printf(&sql, "enterprise_id = $%d, ", n);
        json_object_set_new(before, "enterprise_id", old_ent > 0 ? json_integer(old_ent) : json_null());
        json_object_set_new(after, "enterprise_id",
                            in->enterprise_id > 0 ? json_integer(in->enterprise_id) : json_null());
    }
    if (in->status != NULL && strcmp(in->status, jg_rows_text(cur, 0, 7)) != 0) {
        set_text(&sql, p, &n, "status", in->status);
        json_object_set_new(before, "status", json_string(jg_rows_text(cur, 0, 7)));
        json_object_set_new(after, "status", json_string(in->status));
    }
    jg_rows_free(cur);

    if (version != w->version) {
        w->message = stale;
        rc = JG_CONFLICT;
    } else if (new_ent && !reg_government(who)) {
        w->message = "企业用户不能变更从业人员的所属企业";
        rc = JG_DENIED;
    } else if (new_ent && in->enterprise_id > 0) {
        rc = enterprise_exists(c, w, in->enterprise_id);
    }
    if (rc == JG_OK && new_id) {
        int taken = 0;
        rc = id_number_taken(c, in->id_sealed.bidx, w->id, &taken);
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
            rc = reg_audit(c, w->req, "update", "person", w->id, detail);
        }
    }
    jg_buf_free(&sql);
    json_decref(before);
    json_decref(after);
    return rc;
}

jg_rc reg_person_update(jg_req *req, jg_resp *resp)
{
    struct person_write w = {.req = req};
    if (reg_param_id(req, "id", &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, no_person);
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    /* What GET answered may come back whole: its read-only members are ignored. */
    static const char *const allowed[] = {
        "name",       "id_number",  "phone",           "enterprise_id", "status",
        "version",    "id",         "id_number_mask",  "phone_mask",    "gender",
        "created_at", "updated_at", "enterprise_name", "certificates",  NULL};
    reg_only(body, allowed, fields);
    w.version = reg_version(body, fields);
    parse_person(req, body, 0, &w.in, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "从业人员信息填写不正确", fields);
    json_decref(fields);
    jg_rc rc = seal_person(req, &w.in);
    if (rc != JG_OK)
        return rc;
    jg_time_iso_now(w.now, sizeof(w.now));
    rc = jg_db_tx(req->app->db, update_tx, &w);
    if (rc != JG_OK)
        return refuse(req, resp, rc, &w);
    return answer(req, resp, w.id, 200);
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
    jg_rc rc = fetch(c, v->req, v->id, phone ? ", p.phone_enc" : ", p.id_number_enc", &r);
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
        return jg_resp_error(req, resp, JG_NOTFOUND, no_person);
    const char *field = json_string_value(json_object_get(req->json, "field"));
    if (field != NULL && strcmp(field, "id_number") == 0) {
        v.field = "id_number";
        v.context = ID_NUMBER_CONTEXT;
    } else if (field != NULL && strcmp(field, "phone") == 0) {
        v.field = "phone";
        v.context = PHONE_CONTEXT;
    } else {
        json_t *fields = json_object();
        reg_bad(fields, "field", "应为 id_number（身份证号）或 phone（手机号）");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请选择要查看的字段", fields);
    }
    jg_rc rc = jg_db_tx(req->app->db, reveal_tx, &v);
    if (rc != JG_OK) {
        OPENSSL_cleanse(v.value, sizeof(v.value));
        return jg_resp_error(req, resp, rc,
                             v.message != NULL   ? v.message
                             : rc == JG_NOTFOUND ? no_person
                                                 : NULL);
    }
    /* API answers carry Cache-Control: no-store (server.c), so no cache keeps the value. */
    rc = jg_resp_json(req, resp, 200, json_pack("{s:s, s:s}", "field", v.field, "value", v.value));
    OPENSSL_cleanse(v.value, sizeof(v.value));
    return rc;
}

/* ---- certificates ---- */

struct certificate_write {
    jg_req *req;
    int64_t person_id, id;
    const char *kind, *certificate_no, *specialty, *issued_on, *expires_on;
    char now[32];
};

static jg_rc certificate_add_tx(jg_conn *c, void *ud)
{
    struct certificate_write *w = ud;
    jg_rows *r;
    jg_rc rc = fetch(c, w->req, w->person_id, "", &r);
    if (rc != JG_OK)
        return rc;
    jg_rows_free(r);
    jg_value p[] = {JG_VINT(w->person_id),
                    JG_VTEXT(w->kind),
                    JG_VTEXT(w->certificate_no),
                    JG_VTEXT(w->specialty),
                    w->issued_on != NULL ? JG_VTEXT(w->issued_on) : JG_VNULL,
                    JG_VTEXT(w->expires_on),
                    JG_VTEXT(w->now)};
    rc = jg_db_query(c,
                     "INSERT INTO person_certificate (person_id, kind, certificate_no, specialty, issued_on,"
                     " expires_on, status, created_at, updated_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7) RETURNING id",
                     p, 7, &r);
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    json_t *detail = json_pack("{s:I, s:{s:s, s:s, s:s, s:s?, s:s}}", "person_id", (json_int_t)w->person_id,
                               "after", "kind", w->kind, "certificate_no", w->certificate_no, "specialty",
                               w->specialty, "issued_on", w->issued_on, "expires_on", w->expires_on);
    rc = reg_audit(c, w->req, "create", "person_certificate", w->id, detail);
    return rc;
}

jg_rc reg_certificate_add(jg_req *req, jg_resp *resp)
{
    struct certificate_write w = {.req = req};
    if (reg_param_id(req, "id", &w.person_id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, no_person);
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        reg_bad(fields, "body", "请求内容应为 JSON 对象");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为 JSON 对象", fields);
    }
    static const char *const allowed[] = {"kind",      "certificate_no", "specialty",
                                          "issued_on", "expires_on",     NULL};
    reg_only(body, allowed, fields);
    w.kind = reg_text(req, body, "kind", 1, 40, fields);
    if (w.kind != NULL && !in_list(cert_kinds, w.kind))
        reg_bad(fields, "kind", "证书类别取值无效");
    w.certificate_no = reg_text(req, body, "certificate_no", 1, MAX_CERT_NO, fields);
    w.specialty = reg_text(req, body, "specialty", 0, MAX_SPECIALTY, fields);
    if (w.specialty == NULL)
        w.specialty = "";
    w.issued_on = reg_date(body, "issued_on", 0, fields);
    w.expires_on = reg_date(body, "expires_on", 1, fields);
    if (w.issued_on != NULL && w.expires_on != NULL && strcmp(w.issued_on, w.expires_on) > 0)
        reg_bad(fields, "expires_on", "有效期至不能早于发证日期");
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "证书信息填写不正确", fields);
    json_decref(fields);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, certificate_add_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? no_person : NULL);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w.id)};
    rc = jg_db_read(req->app->db, "SELECT " CERT_COLUMNS " FROM person_certificate WHERE id = $1", p, 1, &r);
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

static jg_rc certificate_delete_tx(jg_conn *c, void *ud)
{
    struct certificate_write *w = ud;
    jg_rows *r;
    jg_rc rc = fetch(c, w->req, w->person_id, "", &r);
    if (rc != JG_OK)
        return rc;
    jg_rows_free(r);
    jg_value p[] = {JG_VINT(w->id), JG_VINT(w->person_id), JG_VTEXT(w->now)};
    rc = jg_db_query(c,
                     "SELECT " CERT_COLUMNS " FROM person_certificate WHERE id = $1 AND person_id = $2"
                     " AND status = 'active'",
                     p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    json_t *detail =
        json_pack("{s:I, s:o}", "person_id", (json_int_t)w->person_id, "before", reg_row_json(r, 0));
    jg_rows_free(r);
    rc = jg_db_exec(c,
                    "UPDATE person_certificate SET status = 'deleted', updated_at = $3"
                    " WHERE id = $1 AND person_id = $2 AND status = 'active'",
                    p, 3, NULL);
    if (rc == JG_OK)
        rc = reg_audit(c, w->req, "delete", "person_certificate", w->id, detail);
    return rc;
}

jg_rc reg_certificate_delete(jg_req *req, jg_resp *resp)
{
    struct certificate_write w = {.req = req};
    if (reg_param_id(req, "id", &w.person_id) != JG_OK || reg_param_id(req, "cid", &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "证书不存在");
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, certificate_delete_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? "证书不存在" : NULL);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}
