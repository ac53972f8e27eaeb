/* Dictionary administration (数据字典) over HTTP: any logged-in user reads the dictionaries (the
 * form pickers ask for ?enabled=1), holders of dict.manage add dictionaries and items, rename,
 * reorder and disable them. Nothing is deleted: items stay valid for the records that hold them.
 * Every write is audited with before and after in its own transaction. */
#include "platform/dict.h"
#include "platform/identity.h"

#include "base/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define DICT_COLUMNS                                                                                         \
    "SELECT d.id, d.code, d.name, d.description, d.builtin, d.created_at, d.updated_at, d.version"           \
    " FROM dictionary d"
#define ITEM_COLUMNS                                                                                         \
    "SELECT code, label, parent_code, sort_order, enabled, builtin, created_at, updated_at, version"         \
    " FROM dictionary_item"

#define MSG_DICT_NOT_FOUND "数据字典不存在"
#define MSG_ITEM_NOT_FOUND "字典项不存在"
#define MSG_DICT_STALE "数据字典已被他人修改，请刷新后重试"
#define MSG_ITEM_STALE "字典项已被他人修改，请刷新后重试"
#define MSG_CODE "字典代码为 1–40 位小写字母、数字或下划线，以小写字母开头"
#define MSG_ITEM_CODE "字典项代码为 1–40 位字母、数字、下划线、点或连字符"
#define MSG_NAME "请填写字典名称（不超过 50 个字）"
#define MSG_DESCRIPTION "说明不超过 500 个字，且不能含控制字符"
#define MSG_LABEL "请填写字典项名称（不超过 100 个字）"
#define MSG_SORT "排序号应为 0–1000000 的整数"
#define MSG_ENABLED "启用状态应为 true 或 false"
#define MSG_VERSION "缺少版本号（用于防止覆盖他人的修改）"
#define MSG_PARENT "上级字典项应为本字典中已有的字典项代码"
#define MSG_ORDER "应为本字典全部字典项代码的数组，每项恰好出现一次"

/* ---- rows as the API shows them ---- */

static json_t *dict_json(const jg_rows *r, int i)
{
    json_t *o = jg_json_row(r, i);
    json_object_del(o, "id");
    json_object_set_new(o, "builtin", json_boolean(jg_rows_int(r, i, 4)));
    return o;
}

static json_t *item_json(const jg_rows *r, int i)
{
    json_t *o = jg_json_row(r, i);
    json_object_set_new(o, "enabled", json_boolean(jg_rows_int(r, i, 4)));
    json_object_set_new(o, "builtin", json_boolean(jg_rows_int(r, i, 5)));
    return o;
}

/* The dictionary called code, on c, without items: *out (NULL when there is none) and its *id. */
static jg_rc load_dict(jg_conn *c, const char *code, int64_t *id, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c, DICT_COLUMNS " WHERE d.code = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_count(r) == 1 ? dict_json(r, 0) : NULL;
    *id = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    return JG_OK;
}

/* The items of dictionary id in offering order; enabled < 0: all, else only those with that flag. */
static jg_rc load_items(jg_conn *c, int64_t id, int enabled, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id), JG_VINT(enabled)};
    jg_rc rc = jg_db_query(c,
                           ITEM_COLUMNS " WHERE dictionary_id = $1 AND ($2 < 0 OR enabled = $2)"
                                        " ORDER BY sort_order, code",
                           p, 2, &r);
    if (rc != JG_OK)
        return rc;
    *out = json_array();
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(*out, item_json(r, i));
    jg_rows_free(r);
    return JG_OK;
}

/* The dictionary with its items (enabled as for load_items): *out, or NULL when there is none. */
static jg_rc load_full(jg_conn *c, const char *code, int enabled, json_t **out)
{
    int64_t id;
    jg_rc rc = load_dict(c, code, &id, out);
    if (rc != JG_OK || *out == NULL)
        return rc;
    json_t *items;
    rc = load_items(c, id, enabled, &items);
    if (rc != JG_OK) {
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    json_object_set_new(*out, "items", items);
    return JG_OK;
}

/* Item code of dictionary id: *out (with "dictionary" added) or NULL. */
static jg_rc load_item(jg_conn *c, const char *dict, int64_t id, const char *code, json_t **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id), JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c, ITEM_COLUMNS " WHERE dictionary_id = $1 AND code = $2", p, 2, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_count(r) == 1 ? item_json(r, 0) : NULL;
    if (*out != NULL)
        json_object_set_new(*out, "dictionary", json_string(dict));
    jg_rows_free(r);
    return JG_OK;
}

/* ---- input checks ---- */

static void check_text(json_t *body, const char *key, size_t max, int required, const char *msg,
                       json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL && !required)
        return;
    if (!json_is_string(v) || !jg_dict_text_ok(json_string_value(v), max))
        jg_field_error(fields, key, msg);
}

static void check_description(json_t *body, json_t *fields)
{
    json_t *v = json_object_get(body, "description");
    if (v == NULL || (json_is_string(v) && json_string_length(v) == 0))
        return;
    if (!json_is_string(v) || !jg_dict_text_ok(json_string_value(v), JG_DICT_DESCRIPTION_MAX))
        jg_field_error(fields, "description", MSG_DESCRIPTION);
}

/* label, parent_code, sort_order, enabled of an item body (all optional here). */
static void check_item_fields(json_t *body, json_t *fields)
{
    check_text(body, "label", JG_DICT_LABEL_MAX, 0, MSG_LABEL, fields);
    json_t *parent = json_object_get(body, "parent_code");
    if (parent != NULL && !json_is_null(parent) && !jg_dict_item_code_ok(json_string_value(parent)))
        jg_field_error(fields, "parent_code", MSG_PARENT);
    json_t *sort = json_object_get(body, "sort_order");
    if (sort != NULL && (!json_is_integer(sort) || json_integer_value(sort) < 0 ||
                         json_integer_value(sort) > JG_DICT_SORT_MAX))
        jg_field_error(fields, "sort_order", MSG_SORT);
    json_t *enabled = json_object_get(body, "enabled");
    if (enabled != NULL && !json_is_boolean(enabled) &&
        !(json_is_integer(enabled) && (json_integer_value(enabled) == 0 || json_integer_value(enabled) == 1)))
        jg_field_error(fields, "enabled", MSG_ENABLED);
}

/* 1 for true or 1, 0 for false or 0, dflt when v is absent (v was checked by check_item_fields). */
static int flag_of(json_t *v, int dflt)
{
    if (v == NULL)
        return dflt;
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) == 1);
}

/* The field errors (unknown keys so far) of a write's JSON object body, or NULL when the body is not
 * an object (answered). */
static json_t *body_fields(jg_req *req, jg_resp *resp, const char *const *allowed)
{
    if (!json_is_object(req->json)) {
        jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
        return NULL;
    }
    json_t *fields = json_object();
    jg_field_unknown(req->json, allowed, fields);
    return fields;
}

/* ---- reads ---- */

/* GET /api/v1/dictionaries?page=&size= — by code, with item counts. */
static jg_rc list_dicts(jg_req *req, jg_resp *resp)
{
    int64_t page, size;
    json_t *fields = json_object();
    jg_req_paging(req, 50, req->app->cfg->max_page_size, &page, &size, fields);
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rows *r;
    jg_value p[] = {JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT d.id, d.code, d.name, d.description, d.builtin, d.created_at, d.updated_at,"
        " d.version, (SELECT COUNT(*) FROM dictionary_item i WHERE i.dictionary_id = d.id)"
        " AS item_count, (SELECT COUNT(*) FROM dictionary_item i WHERE i.dictionary_id = d.id"
        " AND i.enabled = 1) AS enabled_count FROM dictionary d ORDER BY d.code LIMIT $1 OFFSET $2",
        p, 2, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    int n = jg_rows_count(r);
    for (int i = 0; i < n && i < size; i++)
        json_array_append_new(items, dict_json(r, i));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:b}", "items", items, "page", (json_int_t)page, "size",
                                  (json_int_t)size, "has_more", n > size));
}

/* GET /api/v1/dictionaries/{code}?enabled=1 — the dictionary and its items in offering order. */
static jg_rc get_dict(jg_req *req, jg_resp *resp)
{
    const char *flag = jg_req_query(req, "enabled");
    int enabled = -1;
    if (flag != NULL) {
        if (strcmp(flag, "1") != 0 && strcmp(flag, "0") != 0)
            return jg_resp_error_fields(
                req, resp, JG_INVALID, "查询条件不正确",
                json_pack("{s:s}", "enabled", "enabled 应为 1（仅启用）或 0（仅停用）"));
        enabled = flag[0] == '1';
    }
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    json_t *d;
    rc = load_full(c, jg_req_param(req, "code"), enabled, &d);
    jg_db_release(c);
    if (rc != JG_OK)
        return rc;
    if (d == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_DICT_NOT_FOUND);
    return jg_resp_json(req, resp, 200, d);
}

/* ---- writes ---- */

struct write {
    jg_req *req;
    const char *dict, *item; /* codes from the path or the body */
    json_t *body;
    int64_t version;
    jg_refusal v;
    json_t *out; /* the answer */
};

static jg_rc create_dict_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_decref(w->out);
    w->out = NULL;
    int exists;
    jg_rc rc = jg_dict_exists(c, w->dict, &exists);
    if (rc != JG_OK)
        return rc;
    if (exists)
        return jg_refuse(&w->v, JG_CONFLICT, "code", "字典代码已存在");
    const char *desc = json_string_value(json_object_get(w->body, "description"));
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(w->dict), JG_VTEXT(json_string_value(json_object_get(w->body, "name"))),
                    JG_VTEXT(desc != NULL ? desc : ""), JG_VTEXT(now)};
    rc = jg_db_exec(c,
                    "INSERT INTO dictionary (code, name, description, builtin, created_at, updated_at)"
                    " VALUES ($1, $2, $3, 0, $4, $4)",
                    p, 4, NULL);
    if (rc == JG_CONFLICT)
        return jg_refuse(&w->v, JG_CONFLICT, "code", "字典代码已存在");
    if (rc == JG_OK)
        rc = load_full(c, w->dict, -1, &w->out);
    if (rc == JG_OK && w->out == NULL)
        rc = JG_ERR;
    if (rc == JG_OK) {
        json_t *after = json_deep_copy(w->out);
        json_object_del(after, "items");
        rc = jg_audit_req(c, w->req, "dict_create", "dictionary", w->dict, jg_audit_change(NULL, after));
    }
    return rc;
}

/* Run a write transaction and answer its result (status on success) or its refusal. */
static jg_rc run_write(jg_req *req, jg_resp *resp, jg_tx_fn fn, struct write *w, int status)
{
    jg_rc rc = jg_db_tx(req->app->db, fn, w);
    if (rc != JG_OK) {
        json_decref(w->out);
        return jg_resp_refusal(req, resp, rc, &w->v);
    }
    return jg_resp_json(req, resp, status, w->out);
}

/* POST /api/v1/dictionaries {code, name, description?} */
static jg_rc create_dict(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"code", "name", "description", NULL};
    json_t *body = req->json, *fields = body_fields(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    const char *code = json_string_value(json_object_get(body, "code"));
    if (!jg_dict_code_ok(code))
        jg_field_error(fields, "code", MSG_CODE);
    check_text(body, "name", JG_DICT_NAME_MAX, 1, MSG_NAME, fields);
    check_description(body, fields);
    if (jg_resp_fields(req, resp, "数据字典信息不正确", fields) != JG_OK)
        return JG_INVALID;
    struct write w = {.req = req, .dict = code, .body = body};
    return run_write(req, resp, create_dict_tx, &w, 201);
}

static jg_rc update_dict_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_decref(w->out);
    w->out = NULL;
    int64_t id;
    json_t *before;
    jg_rc rc = load_dict(c, w->dict, &id, &before);
    if (rc != JG_OK)
        return rc;
    if (before == NULL)
        return jg_refuse(&w->v, JG_NOTFOUND, NULL, MSG_DICT_NOT_FOUND);
    const char *name = json_string_value(json_object_get(w->body, "name"));
    const char *desc = json_string_value(json_object_get(w->body, "description"));
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {name ? JG_VTEXT(name) : JG_VNULL, desc ? JG_VTEXT(desc) : JG_VNULL, JG_VTEXT(now),
                    JG_VINT(id), JG_VINT(w->version)};
    int64_t changed = 0;
    rc =
        jg_db_exec(c,
                   "UPDATE dictionary SET name = COALESCE($1, name), description = COALESCE($2, description),"
                   " updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
                   p, 5, &changed);
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->v, JG_CONFLICT, "version", MSG_DICT_STALE);
    json_t *after = NULL;
    if (rc == JG_OK)
        rc = load_dict(c, w->dict, &id, &after);
    if (rc == JG_OK && after == NULL)
        rc = JG_ERR;
    if (rc == JG_OK) {
        rc = jg_audit_req(c, w->req, "dict_update", "dictionary", w->dict, jg_audit_change(before, after));
        before = NULL;
    } else {
        json_decref(after);
    }
    json_decref(before);
    if (rc == JG_OK)
        rc = load_full(c, w->dict, -1, &w->out);
    return rc;
}

/* The version of a write body (an integer >= 1) into *version, or a field error. */
static void check_version(json_t *body, int64_t *version, json_t *fields)
{
    json_t *v = json_object_get(body, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        jg_field_error(fields, "version", MSG_VERSION);
    else
        *version = json_integer_value(v);
}

/* PUT /api/v1/dictionaries/{code} {version, name?, description?}. The code cannot change: the
 * definitions name it. */
static jg_rc update_dict(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"version", "name", "description", NULL};
    json_t *body = req->json, *fields = body_fields(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    struct write w = {.req = req, .dict = jg_req_param(req, "code"), .body = body};
    check_version(body, &w.version, fields);
    check_text(body, "name", JG_DICT_NAME_MAX, 0, MSG_NAME, fields);
    check_description(body, fields);
    if (jg_resp_fields(req, resp, "数据字典信息不正确", fields) != JG_OK)
        return JG_INVALID;
    return run_write(req, resp, update_dict_tx, &w, 200);
}

/* ---- items ---- */

/* The codes and parents of every item of dictionary id, in offering order. */
static jg_rc load_tree(jg_conn *c, int64_t id, jg_rows **out)
{
    jg_value p[] = {JG_VINT(id)};
    return jg_db_query(c,
                       "SELECT code, parent_code, sort_order FROM dictionary_item WHERE dictionary_id = $1"
                       " ORDER BY sort_order, code",
                       p, 1, out);
}

static int tree_find(const jg_rows *t, const char *code)
{
    for (int i = 0; i < jg_rows_count(t); i++)
        if (strcmp(jg_rows_text(t, i, 0), code) == 0)
            return i;
    return -1;
}

/* Whether parent may be the parent of item (NULL for a new item): it exists, and neither it nor
 * any of its ancestors is item (which would make a cycle). The walk is bounded by the number of
 * items, so a cycle already in the table cannot make it loop. */
static int parent_fits(const jg_rows *t, const char *item, const char *parent)
{
    int at = tree_find(t, parent);
    if (at < 0)
        return 0;
    for (int steps = 0; at >= 0; steps++) {
        if (steps > jg_rows_count(t))
            return 0; /* the table holds a cycle already: refuse to build on it */
        if (item != NULL && strcmp(jg_rows_text(t, at, 0), item) == 0)
            return 0;
        const char *up = jg_rows_text(t, at, 1);
        if (up == NULL)
            return 1;
        at = tree_find(t, up);
    }
    return 1; /* an ancestor names a code that is not an item: the chain ends there */
}

/* The start of a write to the items of dictionary w->dict: drop the answer of an attempt that was
 * retried, and find the dictionary's *id or refuse (404) when there is none. */
static jg_rc open_dict(jg_conn *c, struct write *w, int64_t *id)
{
    json_decref(w->out);
    w->out = NULL;
    json_t *d;
    jg_rc rc = load_dict(c, w->dict, id, &d);
    if (rc != JG_OK)
        return rc;
    if (d == NULL)
        return jg_refuse(&w->v, JG_NOTFOUND, NULL, MSG_DICT_NOT_FOUND);
    json_decref(d);
    return JG_OK;
}

/* open_dict, then the item tree of the dictionary into *t (the caller frees it). */
static jg_rc open_tree(jg_conn *c, struct write *w, int64_t *id, jg_rows **t)
{
    jg_rc rc = open_dict(c, w, id);
    if (rc != JG_OK)
        return rc;
    return load_tree(c, *id, t);
}

/* The end of a write to item w->item of dictionary id: the item as it is now becomes the answer,
 * and the change from before (reference stolen; NULL for a new item) is audited as action. */
static jg_rc finish_item(jg_conn *c, struct write *w, int64_t id, const char *action, json_t *before)
{
    jg_rc rc = load_item(c, w->dict, id, w->item, &w->out);
    if (rc == JG_OK && w->out == NULL)
        rc = JG_ERR;
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    char *record = jg_arena_printf(w->req->arena, "%s/%s", w->dict, w->item);
    return jg_audit_req(c, w->req, action, "dictionary_item", record,
                        jg_audit_change(before, json_deep_copy(w->out)));
}

static jg_rc create_item_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    int64_t id;
    jg_rows *t;
    jg_rc rc = open_tree(c, w, &id, &t);
    if (rc != JG_OK)
        return rc;
    const char *parent = json_string_value(json_object_get(w->body, "parent_code"));
    int64_t sort = 10;
    for (int i = 0; i < jg_rows_count(t); i++)
        if (jg_rows_int(t, i, 2) + 10 > sort)
            sort = jg_rows_int(t, i, 2) + 10;
    if (tree_find(t, w->item) >= 0)
        rc = jg_refuse(&w->v, JG_CONFLICT, "code", "字典项代码已存在");
    else if (jg_rows_count(t) >= JG_DICT_MAX_ITEMS)
        rc = jg_refuse(&w->v, JG_CONFLICT, NULL, "该数据字典的字典项已达上限");
    else if (parent != NULL && !parent_fits(t, NULL, parent))
        rc = jg_refuse(&w->v, JG_INVALID, "parent_code", MSG_PARENT);
    jg_rows_free(t);
    if (rc != JG_OK)
        return rc;
    json_t *so = json_object_get(w->body, "sort_order");
    if (so != NULL)
        sort = json_integer_value(so);
    if (sort > JG_DICT_SORT_MAX)
        sort = JG_DICT_SORT_MAX;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VINT(id),
                    JG_VTEXT(w->item),
                    JG_VTEXT(json_string_value(json_object_get(w->body, "label"))),
                    parent != NULL ? JG_VTEXT(parent) : JG_VNULL,
                    JG_VINT(sort),
                    JG_VINT(flag_of(json_object_get(w->body, "enabled"), 1)),
                    JG_VTEXT(now)};
    rc = jg_db_exec(
        c,
        "INSERT INTO dictionary_item (dictionary_id, code, label, parent_code, sort_order, enabled,"
        " builtin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        p, 7, NULL);
    if (rc == JG_CONFLICT)
        return jg_refuse(&w->v, JG_CONFLICT, "code", "字典项代码已存在");
    if (rc != JG_OK)
        return rc;
    return finish_item(c, w, id, "dict_item_create", NULL);
}

/* POST /api/v1/dictionaries/{code}/items {code, label, parent_code?, sort_order?, enabled?} */
static jg_rc create_item(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"code", "label", "parent_code", "sort_order", "enabled", NULL};
    json_t *body = req->json, *fields = body_fields(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    const char *code = json_string_value(json_object_get(body, "code"));
    if (!jg_dict_item_code_ok(code))
        jg_field_error(fields, "code", MSG_ITEM_CODE);
    check_text(body, "label", JG_DICT_LABEL_MAX, 1, MSG_LABEL, fields);
    check_item_fields(body, fields);
    if (jg_resp_fields(req, resp, "字典项信息不正确", fields) != JG_OK)
        return JG_INVALID;
    struct write w = {.req = req, .dict = jg_req_param(req, "code"), .item = code, .body = body};
    return run_write(req, resp, create_item_tx, &w, 201);
}

static jg_rc update_item_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    int64_t id;
    json_t *before = NULL;
    jg_rc rc = open_dict(c, w, &id);
    if (rc != JG_OK)
        return rc;
    rc = load_item(c, w->dict, id, w->item, &before);
    if (rc != JG_OK)
        return rc;
    if (before == NULL)
        return jg_refuse(&w->v, JG_NOTFOUND, NULL, MSG_ITEM_NOT_FOUND);
    /* The new values: what the body says, else what the item has. */
    json_t *b = w->body;
    const char *label = json_string_value(json_object_get(b, "label"));
    if (label == NULL)
        label = json_string_value(json_object_get(before, "label"));
    json_t *sort_json = json_object_get(b, "sort_order");
    if (sort_json == NULL)
        sort_json = json_object_get(before, "sort_order");
    int64_t sort = json_integer_value(sort_json);
    int enabled = flag_of(json_object_get(b, "enabled"), json_is_true(json_object_get(before, "enabled")));
    json_t *parent_json = json_object_get(b, "parent_code"); /* null clears the parent */
    const char *parent = parent_json != NULL ? json_string_value(parent_json)
                                             : json_string_value(json_object_get(before, "parent_code"));
    if (json_integer_value(json_object_get(before, "version")) != w->version)
        rc = jg_refuse(&w->v, JG_CONFLICT, "version", MSG_ITEM_STALE);
    if (rc == JG_OK && parent != NULL && parent_json != NULL) {
        jg_rows *t;
        rc = load_tree(c, id, &t);
        if (rc == JG_OK && !parent_fits(t, w->item, parent))
            rc = jg_refuse(&w->v, JG_INVALID, "parent_code",
                           "上级字典项应为本字典中的其他字典项，且不能是其下级");
        jg_rows_free(t);
    }
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(label),   parent != NULL ? JG_VTEXT(parent) : JG_VNULL,
                    JG_VINT(sort),     JG_VINT(enabled),
                    JG_VTEXT(now),     JG_VINT(id),
                    JG_VTEXT(w->item), JG_VINT(w->version)};
    int64_t changed = 0;
    if (rc == JG_OK)
        rc = jg_db_exec(
            c,
            "UPDATE dictionary_item SET label = $1, parent_code = $2, sort_order = $3, enabled = $4,"
            " updated_at = $5, version = version + 1"
            " WHERE dictionary_id = $6 AND code = $7 AND version = $8",
            p, 8, &changed);
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->v, JG_CONFLICT, "version", MSG_ITEM_STALE);
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    return finish_item(c, w, id, "dict_item_update", before);
}

/* PUT /api/v1/dictionaries/{code}/items/{item_code} {version, label?, sort_order?, enabled?,
 * parent_code? (null: none)}. The item code cannot change: records hold it. */
static jg_rc update_item(jg_req *req, jg_resp *resp)
{
    static const char *const allowed[] = {"version", "label", "parent_code", "sort_order", "enabled", NULL};
    json_t *body = req->json, *fields = body_fields(req, resp, allowed);
    if (fields == NULL)
        return JG_INVALID;
    struct write w = {
        .req = req, .dict = jg_req_param(req, "code"), .item = jg_req_param(req, "item_code"), .body = body};
    check_version(body, &w.version, fields);
    check_item_fields(body, fields);
    if (jg_resp_fields(req, resp, "字典项信息不正确", fields) != JG_OK)
        return JG_INVALID;
    return run_write(req, resp, update_item_tx, &w, 200);
}

static jg_rc order_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    int64_t id;
    jg_rows *t;
    jg_rc rc = open_tree(c, w, &id, &t);
    if (rc != JG_OK)
        return rc;
    /* A permutation of every item: as many codes, each an item, none twice. */
    size_t n = json_array_size(w->body);
    int ok = n == (size_t)jg_rows_count(t);
    json_t *seen = json_object();
    for (size_t i = 0; ok && i < n; i++) {
        const char *code = json_string_value(json_array_get(w->body, i));
        ok = code != NULL && tree_find(t, code) >= 0 && json_object_get(seen, code) == NULL;
        if (ok)
            json_object_set_new(seen, code, json_true());
    }
    json_decref(seen);
    if (!ok) {
        jg_rows_free(t);
        return jg_refuse(&w->v, JG_INVALID, "order", MSG_ORDER);
    }
    json_t *before = json_array();
    for (int i = 0; i < jg_rows_count(t); i++)
        json_array_append_new(before, json_string(jg_rows_text(t, i, 0)));
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    for (size_t i = 0; rc == JG_OK && i < n; i++) {
        const char *code = json_string_value(json_array_get(w->body, i));
        int64_t sort = (int64_t)(i + 1) * 10;
        if (jg_rows_int(t, tree_find(t, code), 2) == sort)
            continue;
        jg_value p[] = {JG_VINT(sort), JG_VTEXT(now), JG_VINT(id), JG_VTEXT(code)};
        rc = jg_db_exec(c,
                        "UPDATE dictionary_item SET sort_order = $1, updated_at = $2, version = version + 1"
                        " WHERE dictionary_id = $3 AND code = $4",
                        p, 4, NULL);
    }
    jg_rows_free(t);
    if (rc == JG_OK) {
        rc = jg_audit_req(c, w->req, "dict_order", "dictionary", w->dict,
                          jg_audit_change(before, json_deep_copy(w->body)));
        before = NULL;
    }
    json_decref(before);
    if (rc == JG_OK)
        rc = load_full(c, w->dict, -1, &w->out);
    return rc;
}

/* POST /api/v1/dictionaries/{code}/order ["code", ...] — every item once, in the new order; they
 * get sort_order 10, 20, ... (an item whose number changes gets a new version). */
static jg_rc order_items(jg_req *req, jg_resp *resp)
{
    json_t *body = req->json;
    if (!json_is_array(body) || json_array_size(body) > JG_DICT_MAX_ITEMS)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容应为字典项代码的数组",
                                    json_pack("{s:s}", "order", MSG_ORDER));
    struct write w = {.req = req, .dict = jg_req_param(req, "code"), .body = body};
    return run_write(req, resp, order_tx, &w, 200);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/dictionaries", list_dicts, JG_ROUTE_AUTH, "数据字典列表", "dictionary", NULL},
    {"GET", "/api/v1/dictionaries/{code}", get_dict, JG_ROUTE_AUTH,
     "数据字典及其字典项（?enabled=1 仅启用项，供表单选择）", "dictionary", NULL},
    {"POST", "/api/v1/dictionaries", create_dict, JG_ROUTE_AUTH | JG_ROUTE_JSON, "新增数据字典", "dictionary",
     "dict.manage"},
    {"PUT", "/api/v1/dictionaries/{code}", update_dict, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改数据字典名称、说明（需 version）", "dictionary", "dict.manage"},
    {"POST", "/api/v1/dictionaries/{code}/items", create_item, JG_ROUTE_AUTH | JG_ROUTE_JSON, "新增字典项",
     "dictionary", "dict.manage"},
    {"PUT", "/api/v1/dictionaries/{code}/items/{item_code}", update_item, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改字典项名称、排序、上级、启用状态（需 version；字典项不删除，只停用）", "dictionary", "dict.manage"},
    {"POST", "/api/v1/dictionaries/{code}/order", order_items, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "调整字典项顺序（全部字典项代码的数组）", "dictionary", "dict.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_dict = {"dict", routes, NULL, NULL};
