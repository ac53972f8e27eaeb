/* The registry module: routes of the enterprise and person registries, and what both share:
 * body fields, paging, the record answer, versioned writes with audit, and child rows. */
#include "modules/registry/registry.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "platform/identity.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYWORD_CHARS 20

static const char not_object[] = "请求内容应为 JSON 对象";
static const char stale[] = "数据已被他人修改，请刷新后重试";

int reg_government(const jg_principal *p)
{
    const char *s = p->scope != NULL ? p->scope : "";
    return strcmp(s, "province") == 0 || strcmp(s, "region") == 0 || strcmp(s, "department") == 0;
}

int reg_in_list(const char *const *list, const char *s)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

jg_rc reg_param_id(jg_req *req, const char *name, int64_t *id)
{
    const char *s = jg_req_param(req, name);
    if (s == NULL || jg_parse_int64(s, 1, INT64_MAX, id) != JG_OK)
        return JG_NOTFOUND;
    return JG_OK;
}

void reg_ids(const char *s, const char *col, jg_buf *sql, jg_value *p, int *n, json_t *fields)
{
    if (s == NULL)
        return;
    int64_t ids[REG_MAX_IDS];
    int k = 0;
    for (;;) {
        char one[24];
        size_t len = strcspn(s, ",");
        int64_t id = 0;
        if (len == 0 || len >= sizeof(one) || k == REG_MAX_IDS) {
            jg_field_error(fields, "ids", "ids 应为以逗号分隔的编号，最多 100 个");
            return;
        }
        memcpy(one, s, len);
        one[len] = '\0';
        if (jg_parse_int64(one, 1, INT64_MAX, &id) != JG_OK) {
            jg_field_error(fields, "ids", "ids 应为以逗号分隔的编号，最多 100 个");
            return;
        }
        ids[k++] = id;
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    jg_buf_printf(sql, " AND %s IN (", col);
    for (int i = 0; i < k; i++) {
        p[(*n)++] = JG_VINT(ids[i]);
        jg_buf_printf(sql, "%s$%d", i > 0 ? ", " : "", *n);
    }
    jg_buf_puts(sql, ")");
}

const char *reg_like(jg_req *req, const char *s, const char *field, json_t *fields)
{
    if (jg_utf8_chars(s) > MAX_KEYWORD_CHARS) {
        jg_field_error(fields, field, "关键字不超过 20 个字");
        return NULL;
    }
    if (*s == '\0')
        return NULL;
    char *p = jg_arena_alloc(req->arena, strlen(s) * 2 + 3), *o = p;
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

void reg_today(char out[REG_DATE_LEN])
{
    jg_time_business_date((int64_t)time(NULL), out, REG_DATE_LEN);
}

/* ---- the body ---- */

json_t *reg_body(jg_req *req, jg_resp *resp, const char *const *allowed)
{
    if (!json_is_object(req->json)) {
        jg_resp_error_fields(req, resp, JG_INVALID, not_object, json_pack("{s:s}", "body", not_object));
        return NULL;
    }
    json_t *fields = json_object();
    jg_field_unknown(req->json, allowed, fields);
    return fields;
}

const char *reg_text(jg_req *req, json_t *body, const char *key, int required, size_t max_chars,
                     json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            jg_field_error(fields, key, "必填");
        return NULL;
    }
    if (!json_is_string(v)) {
        jg_field_error(fields, key, "应为文本");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    while (len > 0 && (*s == ' ' || (unsigned char)s[0] == 0xE3)) {
        /* Spaces, ASCII or the ideographic one (U+3000, E3 80 80), are not content. */
        if (*s == ' ') {
            s++, len--;
        } else if (len >= 3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
            s += 3, len -= 3;
        } else {
            break;
        }
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            jg_field_error(fields, key, "不能含有控制字符");
            return NULL;
        }
    char *out = jg_arena_strndup(req->arena, s, len);
    if (required && len == 0) {
        jg_field_error(fields, key, "必填");
        return NULL;
    }
    if (jg_utf8_chars(out) > max_chars) {
        jg_field_error(fields, key, jg_arena_printf(req->arena, "不超过 %zu 个字", max_chars));
        return NULL;
    }
    return out;
}

const char *reg_date(json_t *body, const char *key, int required, json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            jg_field_error(fields, key, "必填");
        return NULL;
    }
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 10 || !jg_time_valid_date(s)) {
        jg_field_error(fields, key, "日期格式应为 YYYY-MM-DD");
        return NULL;
    }
    return s;
}

const char *reg_one_of(json_t *body, const char *key, const char *const *values, const char *message,
                       json_t *fields)
{
    if (json_object_get(body, key) == NULL)
        return NULL;
    const char *s = json_string_value(json_object_get(body, key));
    if (s == NULL || !reg_in_list(values, s)) {
        jg_field_error(fields, key, message);
        return NULL;
    }
    return s;
}

int reg_has(json_t *body, const char *key)
{
    return json_object_get(body, key) != NULL;
}

int64_t reg_version(json_t *body, json_t *fields)
{
    json_t *v = json_object_get(body, "version");
    if (v == NULL) {
        jg_field_error(fields, "version", "修改时须提供版本号");
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        jg_field_error(fields, "version", "版本号应为正整数");
        return 0;
    }
    return json_integer_value(v);
}

/* ---- rows ---- */

jg_rc reg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size,
                    void (*fix)(json_t *item))
{
    json_t *items = json_array();
    int count = jg_rows_count(rows);
    for (int i = 0; i < count && i < size; i++) {
        json_t *item = jg_json_row(rows, i);
        if (fix != NULL)
            fix(item);
        json_array_append_new(items, item);
    }
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:b}", "items", items, "page", (json_int_t)page, "size",
                                  (json_int_t)size, "has_more", count > size));
}

void reg_mark_expired(json_t *item, const char *today)
{
    const char *until = json_string_value(json_object_get(item, "expires_on"));
    json_object_set_new(item, "expired", json_boolean(until != NULL && strcmp(until, today) < 0));
}

jg_rc reg_audit(jg_conn *c, jg_req *req, const char *action, const char *entity, int64_t id, json_t *detail)
{
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)id);
    return jg_audit_req(c, req, action, entity, rid, detail);
}

/* ---- records ---- */

jg_rc reg_fetch(jg_conn *c, jg_req *req, const char *sql, const jg_scope_cols *scope, int64_t id,
                jg_rows **out)
{
    jg_buf b;
    jg_buf_init(&b, 2048);
    jg_value p[6] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&b, sql);
    if (jg_scope_sql(req->principal, scope, &b, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&b);
        return JG_NOTFOUND;
    }
    jg_rows *r;
    jg_rc rc = c != NULL ? jg_db_query(c, b.data, p, n, &r) : jg_db_read(req->app->db, b.data, p, n, &r);
    jg_buf_free(&b);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    *out = r;
    return JG_OK;
}

/* The live child rows of parent_id as a JSON array into *out, each flagged "expired" when past. */
static jg_rc child_list(jg_req *req, const reg_child *d, int64_t parent_id, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(parent_id)};
    jg_rc rc = jg_db_read(req->app->db, d->list_sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    char today[REG_DATE_LEN];
    reg_today(today);
    json_t *list = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *item = jg_json_row(r, i);
        reg_mark_expired(item, today);
        json_array_append_new(list, item);
    }
    jg_rows_free(r);
    *out = list;
    return JG_OK;
}

/* Answer the record id of k with status, as reg_get describes it. */
static jg_rc answer(jg_req *req, jg_resp *resp, const reg_kind *k, int64_t id, int status)
{
    jg_rows *r;
    jg_rc rc = reg_fetch(NULL, req, k->fetch, k->scope, id, &r);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? k->not_found : NULL);
    json_t *item = jg_json_row(r, 0), *children;
    jg_rows_free(r);
    if (k->fix != NULL)
        k->fix(item);
    rc = child_list(req, k->child, id, &children);
    if (rc != JG_OK) {
        json_decref(item);
        return rc;
    }
    json_object_set_new(item, k->child->list, children);
    return jg_resp_json(req, resp, status, item);
}

jg_rc reg_get(jg_req *req, jg_resp *resp, const reg_kind *k)
{
    int64_t id;
    if (reg_param_id(req, "id", &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, k->not_found);
    return answer(req, resp, k, id, 200);
}

/* ---- writes ---- */

struct write_run {
    jg_tx_fn tx;
    reg_write *w;
};

static jg_rc write_tx(jg_conn *c, void *ud)
{
    struct write_run *run = ud;
    run->w->refusal = (jg_refusal){NULL, NULL}; /* a retry starts afresh */
    return run->tx(c, run->w);
}

jg_rc reg_write_run(jg_req *req, jg_resp *resp, const reg_kind *k, json_t *fields, jg_tx_fn tx, reg_write *w,
                    int status)
{
    if (jg_resp_fields(req, resp, k->invalid, fields) != JG_OK)
        return JG_INVALID;
    struct write_run run = {tx, w};
    jg_time_iso_now(w->now, sizeof(w->now));
    jg_rc rc = jg_db_tx(req->app->db, write_tx, &run);
    const jg_refusal *r = &w->refusal;
    if (rc == JG_INVALID && r->field != NULL)
        return jg_resp_error_fields(req, resp, rc, k->invalid, json_pack("{s:s}", r->field, r->message));
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc,
                             r->message != NULL  ? r->message
                             : rc == JG_NOTFOUND ? k->not_found
                                                 : NULL);
    return answer(req, resp, k, w->id, status);
}

jg_rc reg_unique(jg_conn *c, reg_write *w, const reg_kind *k, const char *sql, const char *value,
                 int64_t except)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(value), JG_VINT(except)};
    jg_rc rc = jg_db_query(c, sql, p, 2, &r);
    if (rc != JG_OK)
        return rc;
    int taken = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return taken ? jg_refuse(&w->refusal, JG_CONFLICT, NULL, k->duplicate) : JG_OK;
}

jg_rc reg_update_begin(reg_update *u, reg_write *w, const reg_kind *k, int64_t version)
{
    jg_buf_init(&u->sql, 1024);
    jg_buf_puts(&u->sql, k->update);
    u->n = 0;
    u->before = json_object();
    u->after = json_object();
    return version == w->version ? JG_OK : jg_refuse(&w->refusal, JG_CONFLICT, NULL, stale);
}

void reg_update_set(reg_update *u, const char *col, jg_value v)
{
    assert(u->n < REG_UPDATE_PARAMS - 3); /* the WHERE clause needs three */
    u->p[u->n++] = v;
    jg_buf_printf(&u->sql, "%s = $%d, ", col, u->n);
}

void reg_update_note(reg_update *u, const char *key, json_t *old, json_t *new_value)
{
    json_object_set_new(u->before, key, old != NULL ? old : json_null());
    json_object_set_new(u->after, key, new_value != NULL ? new_value : json_null());
}

void reg_update_text(reg_update *u, const char *col, const char *old, const char *new_value)
{
    if (new_value == NULL || (old != NULL && strcmp(old, new_value) == 0))
        return;
    reg_update_set(u, col, JG_VTEXT(new_value));
    reg_update_note(u, col, old != NULL ? json_string(old) : NULL, json_string(new_value));
}

int reg_update_has(const reg_update *u, const char *key)
{
    return json_object_get(u->after, key) != NULL;
}

jg_rc reg_update_apply(jg_conn *c, reg_update *u, reg_write *w, const reg_kind *k)
{
    if (json_object_size(u->after) == 0)
        return JG_OK; /* nothing changed: no new version, nothing to audit */
    u->p[u->n++] = JG_VTEXT(w->now);
    u->p[u->n++] = JG_VINT(w->id);
    u->p[u->n++] = JG_VINT(w->version);
    jg_buf_printf(&u->sql, "updated_at = $%d, version = version + 1 WHERE id = $%d AND version = $%d",
                  u->n - 2, u->n - 1, u->n);
    int64_t changed = 0;
    jg_rc rc = jg_db_exec(c, u->sql.data, u->p, u->n, &changed);
    if (rc == JG_CONFLICT) /* a unique column taken by another request in between */
        return jg_refuse(&w->refusal, rc, NULL, k->duplicate);
    if (rc != JG_OK)
        return rc;
    if (changed != 1) /* changed by another request since it was read */
        return jg_refuse(&w->refusal, JG_CONFLICT, NULL, stale);
    json_t *detail = json_pack("{s:O, s:O, s:I}", "before", u->before, "after", u->after, "version",
                               (json_int_t)(w->version + 1));
    return reg_audit(c, w->req, "update", k->entity, w->id, detail);
}

void reg_update_free(reg_update *u)
{
    jg_buf_free(&u->sql);
    json_decref(u->before);
    json_decref(u->after);
}

/* ---- child rows ---- */

struct child_write {
    jg_req *req;
    const reg_kind *k;
    int64_t parent_id, id;
    const char *text[REG_CHILD_TEXTS], *issued_on, *expires_on;
    char now[32];
};

/* The parent is there and the caller may see it: JG_NOTFOUND if not. */
static jg_rc parent_visible(jg_conn *c, const struct child_write *w)
{
    jg_rows *r;
    jg_rc rc = reg_fetch(c, w->req, w->k->fetch, w->k->scope, w->parent_id, &r);
    if (rc == JG_OK)
        jg_rows_free(r);
    return rc;
}

static jg_rc child_add_tx(jg_conn *c, void *ud)
{
    struct child_write *w = ud;
    const reg_child *d = w->k->child;
    jg_rc rc = parent_visible(c, w);
    if (rc != JG_OK)
        return rc;
    jg_value p[4 + REG_CHILD_TEXTS] = {JG_VINT(w->parent_id),
                                       w->issued_on != NULL ? JG_VTEXT(w->issued_on) : JG_VNULL,
                                       JG_VTEXT(w->expires_on), JG_VTEXT(w->now)};
    int n = 4;
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_buf_puts(&sql, d->insert_sql);
    json_t *after = json_object();
    for (int i = 0; d->texts[i].key != NULL; i++) {
        p[n++] = JG_VTEXT(w->text[i]);
        jg_buf_printf(&sql, ", $%d", n);
        json_object_set_new(after, d->texts[i].key, json_string(w->text[i]));
    }
    jg_buf_puts(&sql, ") RETURNING id");
    json_object_set_new(after, "issued_on", w->issued_on != NULL ? json_string(w->issued_on) : json_null());
    json_object_set_new(after, "expires_on", json_string(w->expires_on));
    jg_rows *r;
    rc = jg_db_query(c, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK) {
        json_decref(after);
        return rc;
    }
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    json_t *detail = json_pack("{s:I, s:o}", d->parent, (json_int_t)w->parent_id, "after", after);
    return reg_audit(c, w->req, "create", d->entity, w->id, detail);
}

/* The members of a row of d in the body, into w, with field errors into fields. */
static void parse_child(jg_req *req, const reg_child *d, struct child_write *w, json_t *fields)
{
    json_t *body = req->json;
    for (int i = 0; d->texts[i].key != NULL; i++) {
        const reg_child_text *t = &d->texts[i];
        const char *s = reg_text(req, body, t->key, t->required, t->max_chars, fields);
        if (s != NULL && t->values != NULL && !reg_in_list(t->values, s))
            jg_field_error(fields, t->key, t->bad_value);
        w->text[i] = s != NULL ? s : "";
    }
    w->issued_on = reg_date(body, "issued_on", 0, fields);
    w->expires_on = reg_date(body, "expires_on", 1, fields);
    if (w->issued_on != NULL && w->expires_on != NULL && strcmp(w->issued_on, w->expires_on) > 0)
        jg_field_error(fields, "expires_on", "有效期至不能早于发证日期");
}

jg_rc reg_child_add(jg_req *req, jg_resp *resp, const reg_kind *k)
{
    const reg_child *d = k->child;
    struct child_write w = {.req = req, .k = k};
    if (reg_param_id(req, "id", &w.parent_id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, k->not_found);
    const char *allowed[REG_CHILD_TEXTS + 3];
    int n = 0;
    for (; d->texts[n].key != NULL; n++) {
        assert(n < REG_CHILD_TEXTS);
        allowed[n] = d->texts[n].key;
    }
    allowed[n++] = "issued_on";
    allowed[n++] = "expires_on";
    allowed[n] = NULL;
    json_t *fields = reg_body(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    parse_child(req, d, &w, fields);
    if (jg_resp_fields(req, resp, d->invalid, fields) != JG_OK)
        return JG_INVALID;
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, child_add_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? k->not_found : NULL);
    jg_rows *r;
    jg_value p[] = {JG_VINT(w.id)};
    rc = jg_db_read(req->app->db, d->get_sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_ERR;
    }
    json_t *item = jg_json_row(r, 0);
    jg_rows_free(r);
    char today[REG_DATE_LEN];
    reg_today(today);
    reg_mark_expired(item, today);
    return jg_resp_json(req, resp, 201, item);
}

static jg_rc child_delete_tx(jg_conn *c, void *ud)
{
    struct child_write *w = ud;
    const reg_child *d = w->k->child;
    jg_rc rc = parent_visible(c, w);
    if (rc != JG_OK)
        return rc;
    jg_rows *r;
    jg_value p[] = {JG_VINT(w->id), JG_VINT(w->parent_id), JG_VTEXT(w->now)};
    rc = jg_db_query(c, d->live_sql, p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    json_t *detail =
        json_pack("{s:I, s:o}", d->parent, (json_int_t)w->parent_id, "before", jg_json_row(r, 0));
    jg_rows_free(r);
    rc = jg_db_exec(c, d->delete_sql, p, 3, NULL);
    if (rc != JG_OK) {
        json_decref(detail);
        return rc;
    }
    return reg_audit(c, w->req, "delete", d->entity, w->id, detail);
}

jg_rc reg_child_delete(jg_req *req, jg_resp *resp, const reg_kind *k)
{
    const reg_child *d = k->child;
    struct child_write w = {.req = req, .k = k};
    if (reg_param_id(req, "id", &w.parent_id) != JG_OK || reg_param_id(req, d->param, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, d->not_found);
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, child_delete_tx, &w);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? d->not_found : NULL);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}

/* ---- routes ---- */

/* Handlers of the routes both registries serve the same way. */
static jg_rc enterprise_get(jg_req *req, jg_resp *resp)
{
    return reg_get(req, resp, &reg_enterprise);
}

static jg_rc qualification_add(jg_req *req, jg_resp *resp)
{
    return reg_child_add(req, resp, &reg_enterprise);
}

static jg_rc qualification_delete(jg_req *req, jg_resp *resp)
{
    return reg_child_delete(req, resp, &reg_enterprise);
}

static jg_rc person_get(jg_req *req, jg_resp *resp)
{
    return reg_get(req, resp, &reg_person);
}

static jg_rc certificate_add(jg_req *req, jg_resp *resp)
{
    return reg_child_add(req, resp, &reg_person);
}

static jg_rc certificate_delete(jg_req *req, jg_resp *resp)
{
    return reg_child_delete(req, resp, &reg_person);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/enterprises", reg_enterprise_list, JG_ROUTE_AUTH,
     "企业库列表（关键字、企业类型筛选；企业用户只见本企业）", "registry", "enterprise.read"},
    {"POST", "/api/v1/enterprises", reg_enterprise_create, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增企业（政府端；校验统一社会信用代码）", "registry", "enterprise.manage"},
    {"GET", "/api/v1/enterprises/{id}", enterprise_get, JG_ROUTE_AUTH, "企业详情（含资质及是否过期）",
     "registry", "enterprise.read"},
    {"PUT", "/api/v1/enterprises/{id}", reg_enterprise_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改企业信息（带版本号；企业管理员仅限本企业）", "registry", "enterprise.manage"},
    {"POST", "/api/v1/enterprises/{id}/qualifications", qualification_add, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增企业资质", "registry", "enterprise.manage"},
    {"DELETE", "/api/v1/enterprises/{id}/qualifications/{qid}", qualification_delete, JG_ROUTE_AUTH,
     "删除企业资质（标记删除，留审计）", "registry", "enterprise.manage"},
    {"GET", "/api/v1/persons", reg_person_list, JG_ROUTE_AUTH,
     "从业人员列表（身份证号、手机号脱敏；可按身份证号精确查找）", "registry", "person.read"},
    {"POST", "/api/v1/persons", reg_person_create, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "登记从业人员（校验身份证号，加密存储）", "registry", "person.manage"},
    {"GET", "/api/v1/persons/{id}", person_get, JG_ROUTE_AUTH, "从业人员详情（含证书，敏感信息脱敏）",
     "registry", "person.read"},
    {"PUT", "/api/v1/persons/{id}", reg_person_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改从业人员（带版本号）", "registry", "person.manage"},
    {"POST", "/api/v1/persons/{id}/reveal", reg_person_reveal, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "查看身份证号或手机号明文（留审计）", "registry", "person.reveal"},
    {"POST", "/api/v1/persons/{id}/certificates", certificate_add, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增从业人员证书", "registry", "person.manage"},
    {"DELETE", "/api/v1/persons/{id}/certificates/{cid}", certificate_delete, JG_ROUTE_AUTH,
     "删除从业人员证书（标记删除，留审计）", "registry", "person.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_registry = {"registry", routes, NULL, NULL};
