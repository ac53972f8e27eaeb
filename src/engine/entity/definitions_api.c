/* 业务定制 over HTTP: edit entity definitions at run time, check what a new version would do to the
 * tables, activate it without restarting, and roll back. Holders of platform.customize only.
 *
 *   GET    /api/v1/admin/definitions                       every entity: active version, draft
 *   GET    /api/v1/admin/definitions/{name}                active and draft documents
 *   GET    /api/v1/admin/definitions/{name}/versions       the history
 *   PUT    /api/v1/admin/definitions/{name}/draft          save the draft {"doc": {...}, "note"}
 *   DELETE /api/v1/admin/definitions/{name}/draft          discard it
 *   POST   /api/v1/admin/definitions/{name}/validate       dry run: changes, statements, refusal
 *   POST   /api/v1/admin/definitions/{name}/activate       apply the draft and switch to it
 *   POST   /api/v1/admin/definitions/{name}/rollback       {"version": n}: a copy of n, activated
 *
 * Versions are the server's: a draft is numbered one above every version known (definitions.h).
 * An activation runs the schema sync (destructive changes refused), records the versions and
 * audits in one transaction built from what entity_def holds, then publishes the new set as the
 * live snapshot (live.h): requests running keep the one they pinned. Since only additive changes
 * go through, an older snapshot's SQL stays valid against the changed tables. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/def_int.h"
#include "engine/entity/definitions.h"
#include "engine/entity/records.h"
#include "engine/entity/schema.h"
#include "platform/identity.h"
#include "platform/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERMISSION "platform.customize"
#define MSG_NAME "业务类型名称为 1–40 位小写字母、数字或下划线，以小写字母开头"
#define MSG_NOT_FOUND "没有这个业务记录类型"
#define MSG_NO_DRAFT "没有待生效的草稿"
#define MSG_BAD_DOC "业务定义有误，未保存"
#define MSG_BAD_SET "业务定义有误，不能生效"
#define MSG_DESTRUCTIVE "此修改会影响已有数据，不能在线生效"
#define MSG_DATA "已有数据与新的定义冲突（如必填、唯一要求或同名的表），不能在线生效"
#define MSG_STALE "草稿已被他人修改或已生效，请刷新后重试"
#define MSG_VERSION "请指定要回退到的历史版本号"
#define MSG_SAME "该版本就是当前生效的版本"
#define MSG_NOTE "说明不超过 200 个字"
#define MAX_DOC_BYTES (1 << 20)

/* The {name} path parameter when it can be an entity name; else answers 404. */
static const char *path_name(jg_req *req, jg_resp *resp)
{
    const char *name = jg_req_param(req, "name");
    if (name == NULL || !jg_def_name_ok(name)) {
        jg_resp_error(req, resp, JG_NOTFOUND, MSG_NOT_FOUND);
        return NULL;
    }
    return name;
}

static json_t *doc_of(const char *text)
{
    json_error_t je;
    return text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
}

/* A stored draft or version as the API shows it: its document with "version" set from the row. */
static json_t *version_doc(const char *text, int64_t version)
{
    json_t *doc = doc_of(text);
    if (json_is_object(doc))
        json_object_set_new(doc, "version", json_integer(version));
    return doc != NULL ? doc : json_null();
}

/* ---- reads ---- */

#define VERSION_COLUMNS                                                                                      \
    "SELECT v.name, v.version, v.status, v.source, v.note, v.created_at, cu.username AS created_by,"         \
    " v.activated_at, au.username AS activated_by, v.doc FROM entity_def_version v"                          \
    " LEFT JOIN app_user cu ON cu.id = v.created_by LEFT JOIN app_user au ON au.id = v.activated_by"

/* One version row (VERSION_COLUMNS) as JSON; with_doc adds the document. */
static json_t *version_json(const jg_rows *r, int i, int with_doc)
{
    json_t *o = jg_json_row(r, i);
    json_object_del(o, "doc");
    if (with_doc)
        json_object_set_new(o, "doc", version_doc(jg_rows_text(r, i, 9), jg_rows_int(r, i, 1)));
    return o;
}

/* GET /api/v1/admin/definitions */
static jg_rc list(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT name, version, status, source, activated_at, created_at, doc FROM entity_def_version"
        " WHERE status IN ('active', 'draft') ORDER BY name, version",
        NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    const jg_records *rs = jg_records_of(req);
    json_t *items = json_array(), *byname = json_object();
    for (int i = 0; i < rs->set.nentities; i++) {
        const jg_entity *e = &rs->set.entities[i];
        json_t *o = json_pack("{s:s, s:s, s:i, s:n, s:n, s:b, s:n, s:n}", "name", e->name, "label", e->label,
                              "version", e->version, "source", "activated_at", "has_draft", 0,
                              "draft_version", "shipped_version");
        int shipped = jg_definitions_shipped_version(e->name);
        if (shipped > 0)
            json_object_set_new(o, "shipped_version", json_integer(shipped));
        json_array_append_new(items, o);
        json_object_set(byname, e->name, o);
    }
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *name = jg_rows_text(r, i, 0);
        json_t *o = json_object_get(byname, name);
        int draft = strcmp(jg_rows_text(r, i, 2), "draft") == 0;
        if (o == NULL) { /* an entity that exists only as a draft (new), or another server's newer one */
            json_t *doc = doc_of(jg_rows_text(r, i, 6));
            const char *label = json_string_value(json_object_get(doc, "label"));
            o = json_pack("{s:s, s:s?, s:n, s:n, s:n, s:b, s:n, s:n}", "name", name, "label", label,
                          "version", "source", "activated_at", "has_draft", 0, "draft_version",
                          "shipped_version");
            json_decref(doc);
            json_array_append_new(items, o);
            json_object_set(byname, name, o);
        }
        if (draft) {
            json_object_set_new(o, "has_draft", json_true());
            json_object_set_new(o, "draft_version", json_integer(jg_rows_int(r, i, 1)));
            json_object_set_new(o, "draft_saved_at", json_string(jg_rows_text(r, i, 5)));
        } else {
            json_object_set_new(o, "version", json_integer(jg_rows_int(r, i, 1)));
            json_object_set_new(o, "source", json_string(jg_rows_text(r, i, 3)));
            json_object_set_new(o, "activated_at", json_string(jg_rows_text(r, i, 4)));
        }
    }
    jg_rows_free(r);
    json_decref(byname);
    /* The permission codes an entity may name (roles.json), for the editor's choosers. */
    json_t *perms = json_array(), *defs = jg_roles_defs();
    const char *code;
    json_t *label;
    json_object_foreach(json_object_get(defs, "permissions"), code, label)
    {
        json_array_append_new(perms, json_pack("{s:s, s:O}", "code", code, "name", label));
    }
    json_decref(defs);
    return jg_resp_json(req, resp, 200, json_pack("{s:o, s:o}", "items", items, "permissions", perms));
}

/* GET /api/v1/admin/definitions/{name} */
static jg_rc get(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(name)};
    jg_rc rc = jg_db_read(req->app->db,
                          VERSION_COLUMNS " WHERE v.name = $1 AND v.status IN ('active', 'draft')", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NOT_FOUND);
    }
    json_t *o = json_pack("{s:s, s:n, s:n, s:n}", "name", name, "active", "draft", "shipped_version");
    for (int i = 0; i < jg_rows_count(r); i++)
        json_object_set_new(o, strcmp(jg_rows_text(r, i, 2), "draft") == 0 ? "draft" : "active",
                            version_json(r, i, 1));
    jg_rows_free(r);
    int shipped = jg_definitions_shipped_version(name);
    if (shipped > 0)
        json_object_set_new(o, "shipped_version", json_integer(shipped));
    return jg_resp_json(req, resp, 200, o);
}

/* GET /api/v1/admin/definitions/{name}/versions — newest first */
static jg_rc versions(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(name)};
    jg_rc rc =
        jg_db_read(req->app->db, VERSION_COLUMNS " WHERE v.name = $1 ORDER BY v.version DESC", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NOT_FOUND);
    }
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(items, version_json(r, i, 1));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:s, s:o}", "name", name, "items", items));
}

/* ---- the draft ---- */

/* The live set with doc as the definition of name (added when new): JG_OK, or JG_INVALID with the
 * loader's message in err. */
static jg_rc check_against_live(jg_req *req, const char *name, json_t *doc, char *err, size_t errlen)
{
    const jg_records *rs = jg_records_of(req);
    json_t **docs = jg_xcalloc((size_t)rs->set.nentities + 2, sizeof(json_t *));
    int n = 0, replaced = 0;
    for (int i = 0; i < rs->set.nentities; i++) {
        const jg_entity *e = &rs->set.entities[i];
        int same = strcmp(e->name, name) == 0;
        replaced |= same;
        docs[n++] = same ? doc : e->doc;
    }
    if (!replaced)
        docs[n++] = doc;
    jg_entity_set set;
    jg_rc rc = jg_definitions_set_from_docs(docs, n, &set, err, errlen);
    free(docs);
    if (rc == JG_OK)
        jg_entity_set_free(&set);
    return rc;
}

/* The loader's messages in Chinese for the editor, by what they say (the loader speaks English to
 * developers). First match wins; NULL text: the English message follows 定义有误. */
static const struct {
    const char *says, *key, *text;
} loader_zh[] = {
    {"must be Chinese text", NULL, "显示名称必须含有中文（用户看到的文字）"},
    {"is an SQL reserved word", NULL, "名称是数据库保留字，请换一个"},
    {"is the name of a system column", NULL, "名称与系统列重名，请换一个"},
    {"is already the name of", NULL, "名称与其他字段或子表重复"},
    {"must be 1-40 of a-z", NULL, "名称为 1–40 位小写字母、数字或下划线，以小写字母开头，不含连续下划线"},
    {"unknown type", NULL, "没有这种字段类型"},
    {"unknown key", NULL, "含有不支持的设置项"},
    {"not an option of", NULL, "该类型的字段没有这个选项"},
    {"a secret field is never shown in lists", NULL, "机密字段不能在列表中显示"},
    {"cannot be unique", NULL, "该类型的字段不能设为不可重复"},
    {"cannot be indexed", NULL, "该类型的字段不能建立索引"},
    {"cannot take part in an index", NULL, "该类型的字段不能用于索引"},
    {"is larger than", NULL, "下限不能大于上限"},
    {"is not an entity name", NULL, "关联的业务记录类型不存在"},
    {"placed twice", NULL, "在表单中放置了两次"},
    {"listed twice", NULL, "重复列出"},
    {"longer than", NULL, "名称过长，请缩短"},
    {"without control characters", "label", "显示名称为 1–50 个字符，不含控制字符"},
    {"without control characters", "help", "帮助说明为 1–500 个字符，不含控制字符"},
    {"must be an array of 1-", "fields", "至少要有一个字段"},
    {"required", "fields", "至少要有一个字段"},
    {NULL, "pattern", "格式（正则表达式）不符合要求"},
    {NULL, "default", "默认值不符合该字段的要求"},
    {NULL, "searchable", "该字段不能参与全局搜索"},
    {NULL, "dict", "字典代码不正确"},
    {NULL, "class", "数据分级不适用于该类型的字段"},
    {"required", NULL, "必须填写"},
    {"must be between", NULL, "超出允许的范围"},
};

/* Whether s[0..n) looks like a place in a definition: fields[3].label, list.columns, label. */
static int place_like(const char *s, size_t n)
{
    if (n == 0 || n > 120 || s[0] < 'a' || s[0] > 'z')
        return 0;
    int inner = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.' || ch == '[')
            inner = 1;
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == ']'))
            return 0;
    }
    static const char *const top[] = {"label",       "help", "fields", "children", "states", "scope",
                                      "permissions", "list", "form",   "indexes",  "print",  NULL};
    for (int i = 0; !inner && top[i] != NULL; i++)
        if (strlen(top[i]) == n && strncmp(s, top[i], n) == 0)
            return 1;
    return inner;
}

/* Adds to fields the loader's error err ("registration: fields[3].label: must be ...") under the
 * place it names ("fields[3].label"), in Chinese, so the editor can show it beside that field.
 * Nothing is added when err names no place. */
static void place_error(jg_req *req, json_t *fields, const char *name, const char *err)
{
    const char *place = NULL, *msg = err;
    size_t plen = 0, nlen = strlen(name);
    /* The checks against the other definitions name the entity first. */
    if (strncmp(err, name, nlen) == 0 && strncmp(err + nlen, ": ", 2) == 0)
        err += nlen + 2;
    for (const char *seg = err;;) {
        const char *colon = strstr(seg, ": ");
        if (colon == NULL)
            break;
        if (!place_like(seg, (size_t)(colon - seg)))
            break;
        place = seg;
        plen = (size_t)(colon - seg);
        msg = colon + 2;
        seg = msg;
    }
    if (place == NULL)
        return;
    const char *dot = NULL;
    for (size_t i = 0; i < plen; i++)
        if (place[i] == '.')
            dot = place + i;
    const char *key = dot != NULL ? dot + 1 : place;
    size_t klen = plen - (size_t)(key - place);
    const char *text = NULL;
    for (size_t i = 0; text == NULL && i < sizeof(loader_zh) / sizeof(loader_zh[0]); i++) {
        int says = loader_zh[i].says == NULL || strstr(msg, loader_zh[i].says) != NULL;
        int at = loader_zh[i].key == NULL ||
                 (strlen(loader_zh[i].key) == klen && strncmp(key, loader_zh[i].key, klen) == 0);
        if (says && at)
            text = loader_zh[i].text;
    }
    jg_field_error(fields, jg_arena_printf(req->arena, "%.*s", (int)plen, place),
                   text != NULL ? jg_arena_printf(req->arena, "%s（%s）", text, msg)
                                : jg_arena_printf(req->arena, "定义有误：%s", msg));
}

typedef struct {
    jg_req *req;
    const char *name, *note;
    json_t *doc;
    int version;    /* out: the draft's */
    int64_t before; /* the version of the draft replaced, 0 when none */
} draft_ctx;

static jg_rc draft_tx(jg_conn *c, void *ud)
{
    draft_ctx *d = ud;
    jg_rc rc = jg_definitions_next_version(c, d->name, &d->version);
    if (rc != JG_OK)
        return rc;
    json_object_set_new(d->doc, "version", json_integer(d->version));
    char *text = json_dumps(d->doc, JSON_COMPACT);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    const jg_principal *pr = d->req->principal;
    jg_rows *r = NULL;
    jg_value pn[] = {JG_VTEXT(d->name)};
    rc = jg_db_query(c, "SELECT version FROM entity_def_version WHERE name = $1 AND status = 'draft'", pn, 1,
                     &r);
    d->before = rc == JG_OK && jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    jg_value p[] = {JG_VTEXT(d->name),    JG_VINT(d->version),
                    JG_VTEXT(text),       d->note != NULL ? JG_VTEXT(d->note) : JG_VNULL,
                    JG_VINT(pr->user_id), JG_VTEXT(now)};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM entity_def_version WHERE name = $1 AND status = 'draft'", p, 1, NULL);
    if (rc == JG_OK)
        rc =
            jg_db_exec(c,
                       "INSERT INTO entity_def_version (name, version, doc, status, source, note, created_by,"
                       " created_at) VALUES ($1, $2, $3, 'draft', 'custom', $4, $5, $6)",
                       p, 6, NULL);
    free(text);
    if (rc == JG_OK)
        rc = jg_audit_req(
            c, d->req, "definition_draft", "entity_def", d->name,
            jg_audit_change(d->before > 0 ? json_pack("{s:I}", "version", (json_int_t)d->before) : NULL,
                            json_pack("{s:i, s:s?}", "version", d->version, "note", d->note)));
    return rc;
}

/* PUT /api/v1/admin/definitions/{name}/draft {"doc": {...}, "note": "..."} */
static jg_rc put_draft(jg_req *req, jg_resp *resp)
{
    const char *name = jg_req_param(req, "name");
    json_t *fields = json_object();
    if (name == NULL || !jg_def_name_ok(name))
        jg_field_error(fields, "name", MSG_NAME);
    static const char *const allowed[] = {"doc", "note", NULL};
    jg_field_unknown(req->json, allowed, fields);
    json_t *doc = json_object_get(req->json, "doc");
    json_t *note_v = json_object_get(req->json, "note");
    const char *note = json_string_value(note_v);
    if (!json_is_object(doc))
        jg_field_error(fields, "doc", "请提供业务定义（JSON 对象）");
    if (note_v != NULL && !json_is_null(note_v) && (note == NULL || jg_utf8_chars(note) > 200))
        jg_field_error(fields, "note", MSG_NOTE);
    if (jg_resp_fields(req, resp, MSG_BAD_DOC, fields) != JG_OK)
        return JG_INVALID;
    doc = json_deep_copy(doc);
    json_t *dn = json_object_get(doc, "name");
    if (dn == NULL)
        json_object_set_new(doc, "name", json_string(name));
    else if (!json_is_string(dn) || strcmp(json_string_value(dn), name) != 0) {
        json_decref(doc);
        return jg_resp_error_fields(
            req, resp, JG_INVALID, MSG_BAD_DOC,
            json_pack("{s:s}", "doc", "定义中的名称（name）与地址中的业务类型名称不一致"));
    }
    json_object_set_new(doc, "version", json_integer(1)); /* the server numbers it in the transaction */
    char *text = json_dumps(doc, JSON_COMPACT);
    size_t len = text != NULL ? strlen(text) : 0;
    free(text);
    char err[512] = "";
    jg_entity e;
    jg_rc rc = len > MAX_DOC_BYTES ? JG_TOOLARGE : jg_entity_load(doc, &e, err, sizeof(err));
    if (rc == JG_OK) {
        jg_entity_free(&e);
        rc = check_against_live(req, name, doc, err, sizeof(err));
    }
    if (rc != JG_OK) {
        json_decref(doc);
        if (rc == JG_TOOLARGE)
            return jg_resp_error(req, resp, JG_TOOLARGE, "业务定义过大");
        json_t *errs = json_pack("{s:s+}", "doc", "定义有误：", err);
        place_error(req, errs, name, err);
        return jg_resp_error_fields(req, resp, JG_INVALID, MSG_BAD_DOC, errs);
    }
    draft_ctx d = {req, name, note, doc, 0, 0};
    rc = jg_db_tx(req->app->db, draft_tx, &d);
    json_decref(doc);
    if (rc == JG_CONFLICT)
        return jg_resp_error(req, resp, rc, "版本号已用尽");
    if (rc != JG_OK)
        return rc;
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:i, s:s?}", "name", name, "version", d.version, "note", note));
}

static jg_rc discard_tx(jg_conn *c, void *ud)
{
    draft_ctx *d = ud;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(d->name)};
    jg_rc rc = jg_db_query(c, "SELECT version FROM entity_def_version WHERE name = $1 AND status = 'draft'",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    d->before = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    if (d->before == 0)
        return JG_NOTFOUND;
    rc = jg_db_exec(c, "DELETE FROM entity_def_version WHERE name = $1 AND status = 'draft'", p, 1, NULL);
    if (rc == JG_OK)
        rc = jg_audit_req(c, d->req, "definition_discard", "entity_def", d->name,
                          jg_audit_change(json_pack("{s:I}", "version", (json_int_t)d->before), NULL));
    return rc;
}

/* DELETE /api/v1/admin/definitions/{name}/draft */
static jg_rc delete_draft(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    draft_ctx d = {req, name, NULL, NULL, 0, 0};
    jg_rc rc = jg_db_tx(req->app->db, discard_tx, &d);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, MSG_NO_DRAFT);
    if (rc != JG_OK)
        return rc;
    resp->status = 204;
    return JG_OK;
}

/* ---- applying: validate (dry run), activate, rollback ---- */

typedef enum { APPLY_DRY, APPLY_DRAFT, APPLY_ROLLBACK } apply_mode;

typedef struct {
    jg_req *req;
    const char *name;
    apply_mode mode;
    int from;          /* rollback: the version copied */
    int version;       /* out: the version applied */
    int64_t before;    /* out: the version active before, 0 for a new entity */
    jg_entity_set set; /* out: the new live set (after a commit) */
    json_t *changes;   /* out: jg_definitions_diff */
    jg_buf plan;       /* out: the statements */
    jg_refusal refusal;
    char err[1024]; /* the developer detail of a refusal */
    int dry_done;
} apply_ctx;

/* The document to apply, from the draft or (rollback) the old version, with its new version. */
static jg_rc apply_doc(jg_conn *c, apply_ctx *a, json_t **doc)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(a->name), JG_VINT(a->from)};
    jg_rc rc =
        a->mode == APPLY_ROLLBACK
            ? jg_db_query(c,
                          "SELECT version, doc FROM entity_def_version WHERE name = $1 AND version = $2"
                          " AND status <> 'draft'",
                          p, 2, &r)
            : jg_db_query(c,
                          "SELECT version, doc FROM entity_def_version WHERE name = $1 AND status = 'draft'",
                          p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_refuse(&a->refusal, JG_NOTFOUND, a->mode == APPLY_ROLLBACK ? "version" : NULL,
                         a->mode == APPLY_ROLLBACK ? "没有这个历史版本" : MSG_NO_DRAFT);
    }
    a->version = (int)jg_rows_int(r, 0, 0);
    *doc = doc_of(jg_rows_text(r, 0, 1));
    jg_rows_free(r);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        return JG_ERR;
    }
    if (a->mode == APPLY_ROLLBACK) {
        if (a->from == a->before) {
            json_decref(*doc);
            return jg_refuse(&a->refusal, JG_CONFLICT, "version", MSG_SAME);
        }
        rc = jg_definitions_next_version(c, a->name, &a->version);
        if (rc != JG_OK) {
            json_decref(*doc);
            return rc;
        }
    }
    json_object_set_new(*doc, "version", json_integer(a->version));
    return JG_OK;
}

/* The set of every definition entity_def holds, doc replacing (or joining as) a->name: the
 * database is the truth, whatever this server's snapshot says. *old: the active one, or NULL. */
static jg_rc apply_set(jg_conn *c, apply_ctx *a, json_t *doc, jg_entity *old, int *has_old)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(c, "SELECT name, doc FROM entity_def ORDER BY name", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    const jg_records *rs = jg_records_of(a->req);
    int n = jg_rows_count(r);
    json_t **docs = jg_xcalloc((size_t)n + 2, sizeof(json_t *));
    int *order = jg_xcalloc((size_t)n + 1, sizeof(int)), norder = 0, k = 0, found = 0;
    *has_old = 0;
    /* This server's order first (shipped ones as the binary lists them), then the others by name. */
    for (int j = 0; j < rs->set.nentities; j++)
        for (int i = 0; i < n; i++)
            if (strcmp(jg_rows_text(r, i, 0), rs->set.entities[j].name) == 0)
                order[norder++] = i;
    for (int i = 0; i < n; i++)
        if (jg_entity_find(&rs->set, jg_rows_text(r, i, 0)) == NULL)
            order[norder++] = i;
    for (int o = 0; o < norder && rc == JG_OK; o++) {
        int i = order[o];
        const char *name = jg_rows_text(r, i, 0);
        json_t *d = doc_of(jg_rows_text(r, i, 1));
        if (d == NULL) {
            rc = jg_refuse(&a->refusal, JG_ERR, NULL, NULL);
            break;
        }
        if (strcmp(name, a->name) == 0) {
            found = 1;
            if (jg_entity_load(d, old, a->err, sizeof(a->err)) == JG_OK)
                *has_old = 1;
            a->err[0] = '\0';
            json_decref(d);
            d = json_incref(doc);
        }
        docs[k++] = d;
    }
    free(order);
    jg_rows_free(r);
    if (rc == JG_OK && !found)
        docs[k++] = json_incref(doc);
    if (rc == JG_OK) {
        rc = jg_definitions_set_from_docs(docs, k, &a->set, a->err, sizeof(a->err));
        if (rc == JG_INVALID)
            rc = jg_refuse(&a->refusal, JG_INVALID, NULL, MSG_BAD_SET);
    }
    for (int i = 0; i < k; i++)
        json_decref(docs[i]);
    free(docs);
    return rc;
}

/* The Chinese reason of a refusal by the schema sync: the first destructive change, if the diff
 * sees one, else the data that does not fit. */
static const char *destructive_reason(apply_ctx *a)
{
    size_t i;
    json_t *ch;
    json_array_foreach(a->changes, i, ch)
    {
        if (json_is_true(json_object_get(ch, "destructive")))
            return jg_arena_printf(a->req->arena, "%s：%s", MSG_DESTRUCTIVE,
                                   json_string_value(json_object_get(ch, "text")));
    }
    return MSG_DATA;
}

static jg_rc apply_tx(jg_conn *c, void *ud)
{
    apply_ctx *a = ud;
    jg_entity_set_free(&a->set); /* from an attempt that was retried */
    json_array_clear(a->changes);
    a->plan.len = 0;
    if (a->plan.data != NULL)
        a->plan.data[0] = '\0';
    a->refusal = (jg_refusal){0};
    a->err[0] = '\0';
    jg_rc rc = JG_OK;
    /* What entity_def holds is read under the lock the sync takes: another server's activation
     * commits before this one reads it, not in between. */
    if (jg_db_kind_of(jg_conn_db(c)) == JG_DB_PGSQL)
        rc = jg_db_exec(c, "LOCK TABLE entity_def IN SHARE ROW EXCLUSIVE MODE", NULL, 0, NULL);
    jg_rows *r;
    jg_value pn[] = {JG_VTEXT(a->name)};
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT version FROM entity_def WHERE name = $1", pn, 1, &r);
    if (rc != JG_OK)
        return rc;
    a->before = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    json_t *doc = NULL;
    rc = apply_doc(c, a, &doc);
    if (rc != JG_OK)
        return rc;
    jg_entity old;
    int has_old = 0;
    rc = apply_set(c, a, doc, &old, &has_old);
    json_decref(doc);
    if (rc != JG_OK) {
        if (has_old)
            jg_entity_free(&old);
        return rc;
    }
    jg_definitions_diff(has_old ? &old : NULL, jg_entity_find(&a->set, a->name), a->changes);
    if (has_old)
        jg_entity_free(&old);
    if (a->before >= a->version)
        return jg_refuse(&a->refusal, JG_CONFLICT, NULL, MSG_STALE);
    rc = jg_schema_sync_on(c, &a->set, 0, &a->plan, a->err, sizeof(a->err));
    if (rc == JG_CONFLICT)
        return jg_refuse(&a->refusal, JG_CONFLICT, NULL, destructive_reason(a));
    if (rc != JG_OK)
        return rc;
    if (a->mode == APPLY_DRY) {
        a->dry_done = 1;
        return JG_UNSUPPORTED; /* roll back: nothing of a dry run stays */
    }
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    const jg_principal *pr = a->req->principal;
    jg_value p[] = {JG_VTEXT(a->name), JG_VINT(a->version), JG_VINT(pr->user_id), JG_VTEXT(now),
                    JG_VINT(a->from)};
    rc = jg_db_exec(
        c, "UPDATE entity_def_version SET status = 'superseded' WHERE name = $1 AND status = 'active'", p, 1,
        NULL);
    if (rc == JG_OK && a->mode == APPLY_ROLLBACK) {
        /* The draft, if any, stays one above the new active version. */
        jg_value pd[] = {JG_VTEXT(a->name), JG_VINT(a->version + 1)};
        rc = jg_db_exec(c, "UPDATE entity_def_version SET version = $2 WHERE name = $1 AND status = 'draft'",
                        pd, 2, NULL);
        const jg_entity *e = jg_entity_find(&a->set, a->name);
        char *text = json_dumps(e->doc, JSON_COMPACT);
        char *note = jg_arena_printf(a->req->arena, "回退到版本 %d", a->from);
        jg_value pi[] = {JG_VTEXT(a->name), JG_VINT(a->version),  JG_VTEXT(text),
                         JG_VTEXT(note),    JG_VINT(pr->user_id), JG_VTEXT(now)};
        if (rc == JG_OK)
            rc = jg_db_exec(
                c,
                "INSERT INTO entity_def_version (name, version, doc, status, source, note, created_by,"
                " created_at, activated_by, activated_at) VALUES ($1, $2, $3, 'active', 'custom', $4,"
                " $5, $6, $5, $6)",
                pi, 6, NULL);
        free(text);
    } else if (rc == JG_OK) {
        rc =
            jg_db_exec(c,
                       "UPDATE entity_def_version SET status = 'active', activated_by = $3, activated_at = $4"
                       " WHERE name = $1 AND version = $2 AND status = 'draft'",
                       p, 4, NULL);
    }
    json_t *after = json_pack("{s:i, s:O}", "version", a->version, "changes", a->changes);
    if (a->mode == APPLY_ROLLBACK)
        json_object_set_new(after, "copied_from", json_integer(a->from));
    if (rc == JG_OK)
        rc = jg_audit_req(
            c, a->req, a->mode == APPLY_ROLLBACK ? "definition_rollback" : "definition_activate",
            "entity_def", a->name,
            jg_audit_change(a->before > 0 ? json_pack("{s:I}", "version", (json_int_t)a->before) : NULL,
                            after));
    else
        json_decref(after);
    return rc;
}

static json_t *plan_lines(const jg_buf *plan)
{
    json_t *out = json_array();
    const char *s = plan->data != NULL ? plan->data : "";
    while (*s != '\0') {
        const char *nl = strchr(s, '\n');
        size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
        if (n > 0)
            json_array_append_new(out, json_stringn(s, n));
        s += n + (nl != NULL);
    }
    return out;
}

/* Run a->mode for the entity of the path. Answers refusals; JG_OK leaves the answer to the caller. */
static jg_rc apply(jg_req *req, jg_resp *resp, apply_ctx *a)
{
    a->changes = json_array();
    jg_buf_init(&a->plan, 1 << 20);
    /* Activations of this process one at a time, so snapshots are published in commit order
     * (other servers are kept apart by the transaction's lock on entity_def). */
    if (a->mode != APPLY_DRY)
        jg_records_lock(req->app);
    jg_rc rc = jg_db_tx(req->app->db, apply_tx, a);
    if (rc == JG_UNSUPPORTED && a->dry_done)
        rc = JG_OK;
    if (rc == JG_OK && a->mode != APPLY_DRY) {
        jg_records_publish(req->app, &a->set);
        jg_info("entity %s: version %d activated by %s (was %lld)", a->name, a->version,
                ((const jg_principal *)req->principal)->username, (long long)a->before);
    }
    if (a->mode != APPLY_DRY)
        jg_records_unlock(req->app);
    jg_entity_set_free(&a->set);
    if (rc != JG_OK && a->mode == APPLY_DRY && a->refusal.message != NULL && rc != JG_NOTFOUND)
        return rc; /* validate reports the refusal in its answer */
    if (rc != JG_OK && a->refusal.message != NULL) {
        if (a->err[0] != '\0' && a->refusal.field == NULL)
            jg_resp_error_fields(req, resp, rc, a->refusal.message,
                                 json_pack("{s:s+}", "doc", "技术细节：", a->err));
        else
            jg_resp_refusal(req, resp, rc, &a->refusal);
    }
    return rc;
}

static void apply_free(apply_ctx *a)
{
    json_decref(a->changes);
    jg_buf_free(&a->plan);
}

/* Permission codes of the new definition that no role can be given (not in roles.json). */
static json_t *permission_warnings(const jg_entity *e)
{
    json_t *warnings = json_array();
    json_t *defs = jg_roles_defs();
    json_t *known = json_object_get(defs, "permissions");
    const char *codes[] = {e->perm_read, e->perm_create, e->perm_update, e->perm_delete, e->perm_reveal};
    for (size_t i = 0; known != NULL && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] != NULL && json_object_get(known, codes[i]) == NULL)
            json_array_append_new(
                warnings, json_sprintf("权限代码“%s”不是已定义的权限，任何角色都不能获得它", codes[i]));
    json_decref(defs);
    return warnings;
}

/* POST /api/v1/admin/definitions/{name}/validate — the draft checked and dry-run. */
static jg_rc validate(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    apply_ctx a = {.req = req, .name = name, .mode = APPLY_DRY};
    jg_rc rc = apply(req, resp, &a);
    json_t *o = NULL;
    if (rc == JG_OK || (a.refusal.message != NULL && rc != JG_NOTFOUND)) {
        o = json_pack("{s:s, s:i, s:I, s:b, s:O, s:o}", "name", name, "version", a.version, "active_version",
                      (json_int_t)a.before, "ok", rc == JG_OK, "changes", a.changes, "statements",
                      plan_lines(&a.plan));
        if (rc != JG_OK) {
            json_object_set_new(o, "message", json_string(a.refusal.message));
            json_object_set_new(o, "detail", json_string(a.err));
        }
        /* The warnings need the draft loaded on its own. */
        jg_rows *r;
        jg_value p[] = {JG_VTEXT(name)};
        json_t *warnings = json_array();
        if (jg_db_read(req->app->db,
                       "SELECT doc FROM entity_def_version WHERE name = $1 AND status = 'draft'", p, 1,
                       &r) == JG_OK) {
            json_t *doc = jg_rows_count(r) == 1 ? doc_of(jg_rows_text(r, 0, 0)) : NULL;
            jg_entity e;
            char err[256];
            if (doc != NULL && jg_entity_load(doc, &e, err, sizeof(err)) == JG_OK) {
                json_decref(warnings);
                warnings = permission_warnings(&e);
                jg_entity_free(&e);
            }
            json_decref(doc);
            jg_rows_free(r);
        }
        json_object_set_new(o, "warnings", warnings);
        rc = JG_OK;
    }
    apply_free(&a);
    return o != NULL ? jg_resp_json(req, resp, 200, o) : rc;
}

static jg_rc applied(jg_req *req, jg_resp *resp, apply_ctx *a, jg_rc rc)
{
    json_t *o = rc == JG_OK ? json_pack("{s:s, s:i, s:I, s:O, s:o}", "name", a->name, "version", a->version,
                                        "previous_version", (json_int_t)a->before, "changes", a->changes,
                                        "statements", plan_lines(&a->plan))
                            : NULL;
    apply_free(a);
    return o != NULL ? jg_resp_json(req, resp, 200, o) : rc;
}

/* POST /api/v1/admin/definitions/{name}/activate */
static jg_rc activate(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    apply_ctx a = {.req = req, .name = name, .mode = APPLY_DRAFT};
    return applied(req, resp, &a, apply(req, resp, &a));
}

/* POST /api/v1/admin/definitions/{name}/rollback {"version": n} */
static jg_rc rollback(jg_req *req, jg_resp *resp)
{
    const char *name = path_name(req, resp);
    if (name == NULL)
        return JG_NOTFOUND;
    json_t *fields = json_object();
    static const char *const allowed[] = {"version", NULL};
    jg_field_unknown(req->json, allowed, fields);
    json_t *v = json_object_get(req->json, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
        jg_field_error(fields, "version", MSG_VERSION);
    if (jg_resp_fields(req, resp, "回退请求不正确", fields) != JG_OK)
        return JG_INVALID;
    apply_ctx a = {.req = req, .name = name, .mode = APPLY_ROLLBACK, .from = (int)json_integer_value(v)};
    return applied(req, resp, &a, apply(req, resp, &a));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/admin/definitions", list, JG_ROUTE_AUTH, "业务定制：全部业务记录类型（生效版本、草稿）",
     "definitions", PERMISSION},
    {"GET", "/api/v1/admin/definitions/{name}", get, JG_ROUTE_AUTH, "业务定制：生效定义与草稿", "definitions",
     PERMISSION},
    {"GET", "/api/v1/admin/definitions/{name}/versions", versions, JG_ROUTE_AUTH, "业务定制：版本历史",
     "definitions", PERMISSION},
    {"PUT", "/api/v1/admin/definitions/{name}/draft", put_draft, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "业务定制：保存草稿（新名称即新建业务类型）", "definitions", PERMISSION},
    {"DELETE", "/api/v1/admin/definitions/{name}/draft", delete_draft, JG_ROUTE_AUTH, "业务定制：放弃草稿",
     "definitions", PERMISSION},
    {"POST", "/api/v1/admin/definitions/{name}/validate", validate, JG_ROUTE_AUTH,
     "业务定制：校验草稿并预演表结构变更", "definitions", PERMISSION},
    {"POST", "/api/v1/admin/definitions/{name}/activate", activate, JG_ROUTE_AUTH,
     "业务定制：草稿生效（无需重启）", "definitions", PERMISSION},
    {"POST", "/api/v1/admin/definitions/{name}/rollback", rollback, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "业务定制：回退到历史版本（作为新版本生效）", "definitions", PERMISSION},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_definitions = {"definitions", routes, NULL, NULL};
