/* The rule management API (docs/api/README.md, "Rules"; docs/rules.md):
 *
 *   GET  /api/v1/rules?kind=&state=&page=&size=   rules, newest change first
 *   POST /api/v1/rules                            {code,name,kind,params,source}: a draft, version 1
 *   POST /api/v1/rules/validate                   {source,params,facts,now}: compile and run, store nothing
 *   GET  /api/v1/rules/{code}                     the rule and its version in force (or latest)
 *   PUT  /api/v1/rules/{code}                     {name,params,source,latest_version}: a new draft version
 *   GET  /api/v1/rules/{code}/versions            its versions
 *   GET  /api/v1/rules/{code}/versions/{version}  one version with its source
 *   POST /api/v1/rules/{code}/publish             {version}: put a version in force (default latest)
 *   POST /api/v1/rules/{code}/start | /stop       run it / stop it
 *   POST /api/v1/rules/{code}/rollback            {version}: put an earlier published version back
 *   POST /api/v1/rules/{code}/trial/{entity}/{id} {version,params,now}: 试算 on a record the caller may read
 *
 * Rule state machine:
 *   state      publish           start              stop
 *   draft      -> published      409                409
 *   published  published         -> running         409
 *   running    running (new v.)  running            -> stopped
 *   stopped    stopped (new v.)  -> running         409
 * Reading needs rule.read; everything else rule.manage. Every write is one transaction, audited. */
#include "base/log.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "engine/entity/records.h"
#include "engine/rule/rule.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_NOT_FOUND "没有这个规则"
#define CODE_MAX 64
#define NAME_MAX_CHARS 100

static const char *const KINDS[] = {"score", "credit", "warning", "assessment", "qc", "condition", NULL};
static const char *const STATES[] = {"draft", "published", "running", "stopped", NULL};

static int one_of(const char *const *list, const char *s)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static jg_rule_limits limits_of(const jg_config *cfg)
{
    jg_rule_limits l = {cfg->rule_budget, (size_t)cfg->rule_memory_bytes, cfg->rule_time_ms};
    return l;
}

/* A rule code: lower-case words of [a-z0-9_] joined by dots, starting with a letter. */
static int code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CODE_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' && s[i + 1] == '.')
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static void sm3_hex(const char *s, size_t n, char out[2 * JG_SM3_LEN + 1])
{
    unsigned char d[JG_SM3_LEN];
    jg_sm3(s, n, d);
    jg_crypto_hex_encode(d, JG_SM3_LEN, out);
}

/* The body's "source" (required when need) and "params" (an object; NULL when absent), checked
 * against the configured sizes, with errors added to fields. *params_text is arena-owned. */
static void body_source_params(jg_req *req, json_t *body, int need, const char **source, json_t **params,
                               const char **params_text, json_t *fields)
{
    const jg_config *cfg = req->app->cfg;
    json_t *s = json_object_get(body, "source"), *p = json_object_get(body, "params");
    *source = NULL;
    *params = NULL;
    *params_text = NULL;
    if (s == NULL && need)
        jg_field_error(fields, "source", "请填写规则代码");
    else if (s != NULL && !json_is_string(s))
        jg_field_error(fields, "source", "规则代码应是文本");
    else if (s != NULL && json_string_length(s) == 0)
        jg_field_error(fields, "source", "请填写规则代码");
    else if (s != NULL && (long)json_string_length(s) > cfg->rule_max_code_bytes) {
        char m[96];
        snprintf(m, sizeof(m), "规则代码不能超过 %ld 字节", cfg->rule_max_code_bytes);
        jg_field_error(fields, "source", jg_arena_strdup(req->arena, m));
    } else if (s != NULL && strlen(json_string_value(s)) != json_string_length(s))
        jg_field_error(fields, "source", "规则代码不能含有 NUL 字符");
    else if (s != NULL)
        *source = json_string_value(s);
    if (p != NULL && !json_is_object(p)) {
        jg_field_error(fields, "params", "参数应是 JSON 对象");
    } else if (p != NULL) {
        char *t = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
        if (t == NULL || (long)strlen(t) > cfg->rule_max_params_bytes) {
            char m[96];
            snprintf(m, sizeof(m), "参数不能超过 %ld 字节", cfg->rule_max_params_bytes);
            jg_field_error(fields, "params", jg_arena_strdup(req->arena, m));
        } else {
            *params = p;
            *params_text = jg_arena_strdup(req->arena, t);
        }
        free(t);
    }
}

/* Answer a failed rule: 400 with the rule's error code, its message, and the detail on "source". */
static jg_rc rule_failed(jg_req *req, jg_resp *resp, const jg_rule_result *r)
{
    char text[400];
    if (r->detail[0] != '\0')
        snprintf(text, sizeof(text), "%s：%s", r->message, r->detail);
    else
        snprintf(text, sizeof(text), "%s", r->message);
    json_t *fields = json_pack("{s:s}", "source", text);
    jg_resp_status_error(req, resp, 400, r->code, r->message, fields);
    return JG_INVALID;
}

/* Evaluate and answer {value, explain, instructions, micros} or the rule's error. */
static jg_rc eval_answer(jg_req *req, jg_resp *resp, const char *key, const char *source, json_t *facts,
                         json_t *params, const char *now, json_t *extra)
{
    jg_rule_vm *vm = jg_rule_vm_thread();
    if (vm == NULL) {
        json_decref(extra);
        return JG_NOMEM;
    }
    jg_rule_limits lim = limits_of(req->app->cfg);
    jg_rule_result r;
    jg_rc rc = jg_rule_eval(vm, &lim, key, source, strlen(source), facts, params, now, &r);
    if (rc == JG_NOMEM) {
        json_decref(extra);
        return rc;
    }
    if (rc != JG_OK) {
        jg_rule_result_clear(&r);
        json_decref(extra);
        return rule_failed(req, resp, &r);
    }
    json_t *o = extra != NULL ? extra : json_object();
    json_object_set_new(o, "valid", json_true());
    json_object_set_new(o, "value", r.value);
    json_object_set_new(o, "explain", r.explain);
    json_object_set_new(o, "instructions", json_integer(r.instructions));
    json_object_set_new(o, "micros", json_real(r.micros));
    r.value = r.explain = NULL;
    return jg_resp_json(req, resp, 200, o);
}

/* The "now" of a body: a string, or the server's time when absent. */
static const char *body_now(jg_req *req, json_t *body, json_t *fields)
{
    json_t *n = json_object_get(body, "now");
    if (n == NULL) {
        char *t = jg_arena_alloc(req->arena, 40);
        jg_time_iso_now(t, 40);
        return t;
    }
    if (!json_is_string(n) || json_string_length(n) > 40) {
        jg_field_error(fields, "now", "时间应是 ISO-8601 文本");
        return NULL;
    }
    return json_string_value(n);
}

/* POST /api/v1/rules/validate */
static jg_rc validate(jg_req *req, jg_resp *resp)
{
    json_t *body = req->json, *fields = json_object();
    static const char *const allowed[] = {"source", "params", "facts", "now", NULL};
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应是 JSON 对象");
    jg_field_unknown(body, allowed, fields);
    const char *source, *params_text;
    json_t *params;
    body_source_params(req, body, 1, &source, &params, &params_text, fields);
    json_t *facts = json_object_get(body, "facts");
    if (facts != NULL && !json_is_object(facts) && !json_is_array(facts))
        jg_field_error(fields, "facts", "样例数据应是 JSON 对象或数组");
    const char *now = body_now(req, body, fields);
    if (jg_resp_fields(req, resp, "规则内容不正确", fields) != JG_OK)
        return JG_INVALID;
    return eval_answer(req, resp, NULL, source, facts, params, now, NULL);
}

/* The rule named by {code}: one row of id, code, name, kind, state, current_version, latest_version,
 * source, created_at, updated_at; JG_NOTFOUND when none. */
static jg_rc rule_row(jg_conn *c, jg_db *db, const char *code, jg_rows **out)
{
    jg_value p[] = {JG_VTEXT(code)};
    static const char sql[] = "SELECT id, code, name, kind, state, current_version, latest_version, source,"
                              " created_at, updated_at FROM rule WHERE code = $1";
    jg_rc rc = c != NULL ? jg_db_query(c, sql, p, 1, out) : jg_db_read(db, sql, p, 1, out);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(*out) == 0) {
        jg_rows_free(*out);
        *out = NULL;
        return JG_NOTFOUND;
    }
    return JG_OK;
}

/* Version v (0: the one in force, else the latest) of rule id: params, code, sm3, published_at,
 * version. JG_NOTFOUND when none. */
static jg_rc version_row(jg_conn *c, jg_db *db, int64_t rule_id, int64_t v, jg_rows **out)
{
    jg_value p[] = {JG_VINT(rule_id), JG_VINT(v)};
    static const char sql[] =
        "SELECT v.params, v.code, v.sm3, v.published_at, v.version, v.created_at FROM rule_version v"
        " JOIN rule r ON r.id = v.rule_id WHERE v.rule_id = $1"
        " AND v.version = CASE WHEN $2 > 0 THEN $2 ELSE COALESCE(r.current_version, r.latest_version) END";
    jg_rc rc = c != NULL ? jg_db_query(c, sql, p, 2, out) : jg_db_read(db, sql, p, 2, out);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(*out) == 0) {
        jg_rows_free(*out);
        *out = NULL;
        return JG_NOTFOUND;
    }
    return JG_OK;
}

/* The rule as the API shows it, from rule_row's row (and a version row, or NULL). */
static json_t *rule_json(const jg_rows *r, const jg_rows *v)
{
    json_t *o = jg_json_row(r, 0);
    json_object_del(o, "id");
    if (v != NULL) {
        json_t *params = json_loads(jg_rows_text(v, 0, 0), 0, NULL);
        json_object_set_new(o, "version",
                            json_pack("{s:I, s:o, s:s, s:s, s:s?, s:s}", "version",
                                      (json_int_t)jg_rows_int(v, 0, 4), "params",
                                      params != NULL ? params : json_object(), "source",
                                      jg_rows_text(v, 0, 1), "sm3", jg_rows_text(v, 0, 2), "published_at",
                                      jg_rows_text(v, 0, 3), "created_at", jg_rows_text(v, 0, 5)));
    }
    return o;
}

/* GET /api/v1/rules */
static jg_rc list(jg_req *req, jg_resp *resp)
{
    int64_t page, size;
    json_t *fields = json_object();
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    const char *kind = jg_req_query(req, "kind"), *state = jg_req_query(req, "state");
    if (kind != NULL && !one_of(KINDS, kind))
        jg_field_error(fields, "kind", "规则类别应是 score、credit、warning、assessment、qc、condition 之一");
    if (state != NULL && !one_of(STATES, state))
        jg_field_error(fields, "state", "状态应是 draft、published、running、stopped 之一");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(kind != NULL ? kind : ""), JG_VTEXT(state != NULL ? state : ""),
                    JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT code, name, kind, state, current_version, latest_version, source, created_at,"
                   " updated_at FROM rule WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR state = $2)"
                   " ORDER BY updated_at DESC, code LIMIT $3 OFFSET $4",
                   p, 4, &r);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, r, page, size);
}

/* GET /api/v1/rules/{code} */
static jg_rc get(jg_req *req, jg_resp *resp)
{
    jg_rows *r, *v = NULL;
    jg_rc rc = rule_row(NULL, req->app->db, jg_req_param(req, "code"), &r);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, MSG_NOT_FOUND);
    if (rc != JG_OK)
        return rc;
    rc = version_row(NULL, req->app->db, jg_rows_int(r, 0, 0), 0, &v);
    if (rc != JG_OK) {
        jg_rows_free(r);
        return rc == JG_NOTFOUND ? JG_ERR : rc;
    }
    json_t *o = rule_json(r, v);
    jg_rows_free(r);
    jg_rows_free(v);
    return jg_resp_json(req, resp, 200, o);
}

/* GET /api/v1/rules/{code}/versions */
static jg_rc versions(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc = rule_row(NULL, req->app->db, jg_req_param(req, "code"), &r);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, MSG_NOT_FOUND);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VINT(jg_rows_int(r, 0, 0))};
    jg_rows_free(r);
    rc = jg_db_read(
        req->app->db,
        "SELECT v.version, v.sm3, v.created_at, c.username AS created_by, v.published_at,"
        " u.username AS published_by FROM rule_version v LEFT JOIN app_user c ON c.id = v.created_by"
        " LEFT JOIN app_user u ON u.id = v.published_by WHERE v.rule_id = $1 ORDER BY v.version DESC",
        p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = jg_json_rows(r);
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* The {version} path parameter, or 0 when it is not a positive number. */
static int64_t path_version(jg_req *req)
{
    int64_t v = 0;
    const char *s = jg_req_param(req, "version");
    if (s == NULL || jg_parse_int64(s, 1, 1000000000, &v) != JG_OK)
        return 0;
    return v;
}

/* GET /api/v1/rules/{code}/versions/{version} */
static jg_rc version_get(jg_req *req, jg_resp *resp)
{
    int64_t ver = path_version(req);
    jg_rows *r, *v;
    jg_rc rc = ver > 0 ? rule_row(NULL, req->app->db, jg_req_param(req, "code"), &r) : JG_NOTFOUND;
    if (rc == JG_OK) {
        rc = version_row(NULL, req->app->db, jg_rows_int(r, 0, 0), ver, &v);
        if (rc != JG_OK)
            jg_rows_free(r);
    }
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, "没有这个规则版本");
    if (rc != JG_OK)
        return rc;
    json_t *o = rule_json(r, v);
    jg_rows_free(r);
    jg_rows_free(v);
    return jg_resp_json(req, resp, 200, o);
}

/* --- writes ------------------------------------------------------------------------------------ */

struct write {
    jg_req *req;
    const char *code, *name, *kind, *source, *params;
    int64_t version;  /* publish / rollback: the version asked for (0: latest) */
    int64_t expected; /* edit: the latest version the editor saw (0: no check) */
    const char *op;   /* publish, start, stop, rollback */
    int64_t out_version;
    jg_refusal refusal;
};

/* The rule's row as audit detail. */
static json_t *state_json(const jg_rows *r)
{
    return json_pack("{s:s, s:s, s:o, s:I}", "name", jg_rows_text(r, 0, 2), "state", jg_rows_text(r, 0, 4),
                     "current_version",
                     jg_rows_type(r, 0, 5) == JG_V_NULL ? json_null() : json_integer(jg_rows_int(r, 0, 5)),
                     "latest_version", (json_int_t)jg_rows_int(r, 0, 6));
}

static jg_rc insert_version(jg_conn *c, int64_t rule_id, int64_t version, const char *params,
                            const char *source, int64_t user, const char *now, int published)
{
    char sm3[2 * JG_SM3_LEN + 1];
    sm3_hex(source, strlen(source), sm3);
    jg_value by = user > 0 ? JG_VINT(user) : JG_VNULL;
    jg_value p[] = {JG_VINT(rule_id),
                    JG_VINT(version),
                    JG_VTEXT(params),
                    JG_VTEXT(source),
                    JG_VTEXT(sm3),
                    by,
                    JG_VTEXT(now),
                    published ? JG_VTEXT(now) : JG_VNULL,
                    published ? by : JG_VNULL};
    return jg_db_exec(c,
                      "INSERT INTO rule_version (rule_id, version, params, code, sm3, created_by, created_at,"
                      " published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                      p, 9, NULL);
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    const jg_principal *pr = w->req->principal;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(w->code), JG_VTEXT(w->name), JG_VTEXT(w->kind), JG_VINT(pr->user_id),
                    JG_VTEXT(now)};
    jg_rc rc =
        jg_db_query(c,
                    "INSERT INTO rule (code, name, kind, state, current_version, latest_version, source,"
                    " created_by, created_at, updated_at) SELECT $1, $2, $3, 'draft', NULL, 1, 'api', $4,"
                    " $5, $5 WHERE NOT EXISTS (SELECT 1 FROM rule WHERE code = $1) RETURNING id",
                    p, 5, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return jg_refuse(&w->refusal, JG_CONFLICT, "code", "规则编码已存在");
    }
    int64_t id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    rc = insert_version(c, id, 1, w->params, w->source, pr->user_id, now, 0);
    if (rc == JG_OK)
        rc = jg_audit_req(c, w->req, "rule_create", "rule", w->code,
                          jg_audit_change(NULL, json_pack("{s:s, s:s, s:s, s:i}", "name", w->name, "kind",
                                                          w->kind, "state", "draft", "latest_version", 1)));
    w->out_version = 1;
    return rc;
}

/* Check the body of a create or an edit, and compile its source. JG_OK, or answered. */
static jg_rc write_body(jg_req *req, jg_resp *resp, struct write *w, int create)
{
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应是 JSON 对象");
    }
    static const char *const allowed_create[] = {"code", "name", "kind", "params", "source", NULL};
    static const char *const allowed_edit[] = {"name", "params", "source", "latest_version", NULL};
    jg_field_unknown(body, create ? allowed_create : allowed_edit, fields);
    json_t *code = json_object_get(body, "code"), *name = json_object_get(body, "name"),
           *kind = json_object_get(body, "kind");
    if (create) {
        if (!json_is_string(code) || !code_ok(json_string_value(code)))
            jg_field_error(fields, "code",
                           "规则编码应是小写字母、数字、下划线，以点分段，如 score.clause_default");
        else
            w->code = json_string_value(code);
        if (!json_is_string(kind) || !one_of(KINDS, json_string_value(kind)))
            jg_field_error(fields, "kind",
                           "规则类别应是 score、credit、warning、assessment、qc、condition 之一");
        else
            w->kind = json_string_value(kind);
    } else {
        json_t *lv = json_object_get(body, "latest_version");
        if (lv != NULL && (!json_is_integer(lv) || json_integer_value(lv) < 1))
            jg_field_error(fields, "latest_version", "应是正整数");
        else if (lv != NULL)
            w->expected = json_integer_value(lv);
    }
    if (name != NULL || create) {
        if (!json_is_string(name) || json_string_length(name) == 0 ||
            jg_utf8_chars(json_string_value(name)) > NAME_MAX_CHARS)
            jg_field_error(fields, "name", "请填写规则名称（不超过 100 字）");
        else
            w->name = json_string_value(name);
    }
    json_t *params;
    body_source_params(req, body, create || json_object_get(body, "source") != NULL, &w->source, &params,
                       &w->params, fields);
    if (!create && json_object_get(body, "source") == NULL && json_object_get(body, "params") == NULL &&
        name == NULL)
        jg_field_error(fields, "source", "请提交要修改的内容（source、params 或 name）");
    if (w->params == NULL && create)
        w->params = "{}";
    if (w->source != NULL && json_object_size(fields) == 0) {
        jg_rule_vm *vm = jg_rule_vm_thread();
        if (vm == NULL) {
            json_decref(fields);
            return JG_NOMEM;
        }
        jg_rule_limits lim = limits_of(req->app->cfg);
        jg_rule_result r;
        jg_rc rc = jg_rule_check(vm, &lim, w->source, strlen(w->source), &r);
        if (rc == JG_NOMEM) {
            json_decref(fields);
            return rc;
        }
        if (rc != JG_OK) {
            json_decref(fields);
            return rule_failed(req, resp, &r);
        }
    }
    if (jg_resp_fields(req, resp, "规则内容不正确", fields) != JG_OK)
        return JG_INVALID;
    return JG_OK;
}

static jg_rc answer_rule(jg_req *req, jg_resp *resp, int status, const char *code)
{
    jg_rows *r, *v;
    jg_rc rc = rule_row(NULL, req->app->db, code, &r);
    if (rc != JG_OK)
        return rc == JG_NOTFOUND ? JG_ERR : rc;
    rc = version_row(NULL, req->app->db, jg_rows_int(r, 0, 0), 0, &v);
    if (rc != JG_OK) {
        jg_rows_free(r);
        return rc == JG_NOTFOUND ? JG_ERR : rc;
    }
    json_t *o = rule_json(r, v);
    jg_rows_free(r);
    jg_rows_free(v);
    return jg_resp_json(req, resp, status, o);
}

/* Run write w in one transaction of tx, then answer the rule with status (or the refusal). */
static jg_rc write_tx(jg_req *req, jg_resp *resp, struct write *w, jg_rc (*tx)(jg_conn *, void *), int status)
{
    jg_rc rc = jg_db_tx(req->app->db, tx, w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w->refusal);
    return answer_rule(req, resp, status, w->code);
}

/* POST /api/v1/rules */
static jg_rc create(jg_req *req, jg_resp *resp)
{
    struct write w = {.req = req};
    jg_rc rc = write_body(req, resp, &w, 1);
    if (rc != JG_OK)
        return rc;
    return write_tx(req, resp, &w, create_tx, 201);
}

static jg_rc edit_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    const jg_principal *pr = w->req->principal;
    jg_rows *r, *v;
    jg_rc rc = rule_row(c, NULL, w->code, &r);
    if (rc == JG_NOTFOUND)
        return jg_refuse(&w->refusal, rc, NULL, MSG_NOT_FOUND);
    if (rc != JG_OK)
        return rc;
    int64_t id = jg_rows_int(r, 0, 0), latest = jg_rows_int(r, 0, 6);
    if (w->expected > 0 && w->expected != latest) {
        jg_rows_free(r);
        return jg_refuse(&w->refusal, JG_CONFLICT, "latest_version", "规则已被他人修改，请刷新后再改");
    }
    rc = version_row(c, NULL, id, latest, &v);
    if (rc != JG_OK) {
        jg_rows_free(r);
        return rc == JG_NOTFOUND ? JG_ERR : rc;
    }
    const char *params =
        w->params != NULL ? w->params : jg_arena_strdup(w->req->arena, jg_rows_text(v, 0, 0));
    const char *source =
        w->source != NULL ? w->source : jg_arena_strdup(w->req->arena, jg_rows_text(v, 0, 1));
    json_t *before = state_json(r);
    json_object_set_new(before, "params", json_string(jg_rows_text(v, 0, 0)));
    json_object_set_new(before, "sm3", json_string(jg_rows_text(v, 0, 2)));
    jg_rows_free(v);
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    w->out_version = latest + 1;
    rc = insert_version(c, id, latest + 1, params, source, pr->user_id, now, 0);
    if (rc == JG_OK) {
        jg_value p[] = {JG_VINT(id), JG_VINT(latest + 1), JG_VTEXT(now),
                        JG_VTEXT(w->name != NULL ? w->name : jg_rows_text(r, 0, 2))};
        rc = jg_db_exec(c, "UPDATE rule SET latest_version = $2, updated_at = $3, name = $4 WHERE id = $1", p,
                        4, NULL);
    }
    if (rc == JG_OK) {
        char sm3[2 * JG_SM3_LEN + 1];
        sm3_hex(source, strlen(source), sm3);
        json_t *after =
            json_pack("{s:s, s:I, s:s, s:s}", "name", w->name != NULL ? w->name : jg_rows_text(r, 0, 2),
                      "latest_version", (json_int_t)(latest + 1), "params", params, "sm3", sm3);
        rc = jg_audit_req(c, w->req, "rule_edit", "rule", w->code, jg_audit_change(before, after));
        before = NULL;
    }
    json_decref(before);
    jg_rows_free(r);
    return rc;
}

/* PUT /api/v1/rules/{code} */
static jg_rc edit(jg_req *req, jg_resp *resp)
{
    struct write w = {.req = req, .code = jg_req_param(req, "code")};
    jg_rc rc = write_body(req, resp, &w, 0);
    if (rc != JG_OK)
        return rc;
    return write_tx(req, resp, &w, edit_tx, 200);
}

/* publish, start, stop, rollback in one transaction. */
static jg_rc op_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    const jg_principal *pr = w->req->principal;
    jg_rows *r;
    jg_rc rc = rule_row(c, NULL, w->code, &r);
    if (rc == JG_NOTFOUND)
        return jg_refuse(&w->refusal, rc, NULL, MSG_NOT_FOUND);
    if (rc != JG_OK)
        return rc;
    int64_t id = jg_rows_int(r, 0, 0), latest = jg_rows_int(r, 0, 6);
    int has_current = jg_rows_type(r, 0, 5) != JG_V_NULL;
    const char *state = jg_arena_strdup(w->req->arena, jg_rows_text(r, 0, 4));
    json_t *before = state_json(r);
    jg_rows_free(r);
    const char *new_state = state;
    int64_t current = -1; /* unchanged */
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    if (strcmp(w->op, "publish") == 0 || strcmp(w->op, "rollback") == 0) {
        int64_t v = w->version > 0 ? w->version : latest;
        jg_rows *vr;
        rc = version_row(c, NULL, id, v, &vr);
        if (rc == JG_NOTFOUND) {
            json_decref(before);
            return jg_refuse(&w->refusal, JG_INVALID, "version", "没有这个规则版本");
        }
        if (rc != JG_OK) {
            json_decref(before);
            return rc;
        }
        int published = jg_rows_type(vr, 0, 3) != JG_V_NULL;
        jg_rows_free(vr);
        if (strcmp(w->op, "rollback") == 0 && !published) {
            json_decref(before);
            return jg_refuse(&w->refusal, JG_INVALID, "version", "只能回退到已发布过的版本");
        }
        if (!published) {
            jg_value p[] = {JG_VINT(id), JG_VINT(v), JG_VTEXT(now), JG_VINT(pr->user_id)};
            rc = jg_db_exec(c,
                            "UPDATE rule_version SET published_at = $3, published_by = $4 WHERE rule_id = $1"
                            " AND version = $2",
                            p, 4, NULL);
        }
        current = v;
        w->out_version = v;
        if (strcmp(state, "draft") == 0)
            new_state = "published";
    } else if (strcmp(w->op, "start") == 0) {
        if (!has_current) {
            json_decref(before);
            return jg_refuse(&w->refusal, JG_CONFLICT, NULL, "规则尚未发布，不能启用");
        }
        new_state = "running";
    } else { /* stop */
        if (strcmp(state, "running") != 0) {
            json_decref(before);
            return jg_refuse(&w->refusal, JG_CONFLICT, NULL, "规则未在运行，无需停用");
        }
        new_state = "stopped";
    }
    if (rc == JG_OK) {
        jg_value p[] = {JG_VINT(id), JG_VTEXT(new_state), JG_VINT(current), JG_VTEXT(now)};
        rc = jg_db_exec(
            c,
            "UPDATE rule SET state = $2, current_version = CASE WHEN $3 > 0 THEN $3 ELSE current_version"
            " END, updated_at = $4 WHERE id = $1",
            p, 4, NULL);
    }
    if (rc == JG_OK) {
        jg_rows *after;
        rc = rule_row(c, NULL, w->code, &after);
        if (rc == JG_OK) {
            char action[32];
            snprintf(action, sizeof(action), "rule_%s", w->op);
            rc = jg_audit_req(c, w->req, action, "rule", w->code, jg_audit_change(before, state_json(after)));
            before = NULL;
            jg_rows_free(after);
        }
    }
    json_decref(before);
    return rc;
}

/* The optional JSON body of a route that may be called without one: a new reference, NULL when
 * there is no body; *bad = 1 when there is one that is not JSON. */
static json_t *optional_body(jg_req *req, int *bad)
{
    *bad = 0;
    if (req->json != NULL)
        return json_incref(req->json);
    if (req->body == NULL || req->body_len == 0)
        return NULL;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    *bad = j == NULL;
    return j;
}

static jg_rc op(jg_req *req, jg_resp *resp, const char *name, int takes_version)
{
    struct write w = {.req = req, .code = jg_req_param(req, "code"), .op = name};
    int bad;
    json_t *fields = json_object(), *body = optional_body(req, &bad);
    if (bad || (body != NULL && !json_is_object(body)))
        jg_field_error(fields, "version", "请求内容应是 JSON 对象");
    if (json_is_object(body)) {
        static const char *const with_version[] = {"version", NULL};
        static const char *const nothing[] = {NULL};
        jg_field_unknown(body, takes_version ? with_version : nothing, fields);
        json_t *v = json_object_get(body, "version");
        if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1))
            jg_field_error(fields, "version", "版本号应是正整数");
        else if (v != NULL)
            w.version = json_integer_value(v);
    }
    json_decref(body);
    if (strcmp(name, "rollback") == 0 && w.version == 0 && json_object_size(fields) == 0)
        jg_field_error(fields, "version", "请指定要回退到的版本");
    if (jg_resp_fields(req, resp, "请求内容不正确", fields) != JG_OK)
        return JG_INVALID;
    return write_tx(req, resp, &w, op_tx, 200);
}

static jg_rc publish(jg_req *req, jg_resp *resp)
{
    return op(req, resp, "publish", 1);
}

static jg_rc start_rule(jg_req *req, jg_resp *resp)
{
    return op(req, resp, "start", 0);
}

static jg_rc stop_rule(jg_req *req, jg_resp *resp)
{
    return op(req, resp, "stop", 0);
}

static jg_rc rollback(jg_req *req, jg_resp *resp)
{
    return op(req, resp, "rollback", 1);
}

static void decref_json(void *j)
{
    json_decref(j);
}

/* POST /api/v1/rules/{code}/trial/{entity}/{id}: 试算 on a record read through the entity engine, so
 * the caller's permission on the entity and data scope apply (404 outside them). */
static jg_rc trial(jg_req *req, jg_resp *resp)
{
    int bad;
    json_t *body = optional_body(req, &bad), *fields = json_object();
    if (bad || (body != NULL && !json_is_object(body)))
        jg_field_error(fields, "version", "请求内容应是 JSON 对象");
    int64_t ver = 0;
    json_t *params = NULL;
    const char *now = NULL;
    if (json_is_object(body)) {
        static const char *const allowed[] = {"version", "params", "now", NULL};
        jg_field_unknown(body, allowed, fields);
        json_t *v = json_object_get(body, "version");
        if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1))
            jg_field_error(fields, "version", "版本号应是正整数");
        else if (v != NULL)
            ver = json_integer_value(v);
        const char *src, *pt;
        body_source_params(req, body, 0, &src, &params, &pt, fields);
        now = body_now(req, body, fields);
    } else {
        now = body_now(req, NULL, fields); /* no body: the server's time */
    }
    if (now != NULL)
        now = jg_arena_strdup(req->arena, now);
    if (body != NULL) /* params point into it: freed with the request */
        jg_arena_on_free(req->arena, decref_json, body);
    if (jg_resp_fields(req, resp, "请求内容不正确", fields) != JG_OK)
        return JG_INVALID;
    const jg_record_kind *k = jg_record_kind_of(req, resp, "read");
    if (k == NULL)
        return JG_DENIED;
    int64_t id;
    if (jg_record_path_id(req, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这条记录");
    jg_rows *rec;
    jg_rc rc = jg_record_fetch(req, NULL, k, id, &rec);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, "没有这条记录");
    if (rc != JG_OK)
        return rc;
    json_t *facts;
    rc = jg_record_json(req, NULL, k, rec, 0, JG_RECORD_DETAIL, &facts);
    jg_rows_free(rec);
    if (rc != JG_OK)
        return rc;
    jg_rows *r, *v;
    rc = rule_row(NULL, req->app->db, jg_req_param(req, "code"), &r);
    if (rc == JG_OK) {
        rc = version_row(NULL, req->app->db, jg_rows_int(r, 0, 0), ver, &v);
        jg_rows_free(r);
    }
    if (rc != JG_OK) {
        json_decref(facts);
        return rc == JG_NOTFOUND ? jg_resp_error(req, resp, rc, ver > 0 ? "没有这个规则版本" : MSG_NOT_FOUND)
                                 : rc;
    }
    json_t *stored = params == NULL ? json_loads(jg_rows_text(v, 0, 0), 0, NULL) : NULL;
    json_t *extra = json_pack("{s:I, s:{s:s, s:I}}", "version", (json_int_t)jg_rows_int(v, 0, 4), "record",
                              "entity", k->e->name, "id", (json_int_t)id);
    const char *source = jg_arena_strdup(req->arena, jg_rows_text(v, 0, 1));
    /* the cache key names code and params: the version's sm3 and its params' sm3; none for one-off params */
    const char *key = NULL;
    if (params == NULL) {
        char ph[2 * JG_SM3_LEN + 1];
        const char *pt = jg_rows_text(v, 0, 0);
        sm3_hex(pt, strlen(pt), ph);
        char *kb = jg_arena_alloc(req->arena, 2 * JG_SM3_LEN + 34);
        snprintf(kb, 2 * JG_SM3_LEN + 34, "%s/%.32s", jg_rows_text(v, 0, 2), ph);
        key = kb;
    }
    jg_rows_free(v);
    rc = eval_answer(req, resp, key, source, facts, params != NULL ? params : stored, now, extra);
    json_decref(stored);
    json_decref(facts);
    return rc;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/rules", list, JG_ROUTE_AUTH, "规则列表", "rule", "rule.read"},
    {"POST", "/api/v1/rules", create, JG_ROUTE_AUTH | JG_ROUTE_JSON, "新建规则（草稿，版本 1）", "rule",
     "rule.manage"},
    {"POST", "/api/v1/rules/validate", validate, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "校验规则：编译并用样例数据运行", "rule", "rule.manage"},
    {"GET", "/api/v1/rules/{code}", get, JG_ROUTE_AUTH, "规则（生效版本或最新版本）", "rule", "rule.read"},
    {"PUT", "/api/v1/rules/{code}", edit, JG_ROUTE_AUTH | JG_ROUTE_JSON, "修改规则（新的草稿版本）", "rule",
     "rule.manage"},
    {"GET", "/api/v1/rules/{code}/versions", versions, JG_ROUTE_AUTH, "规则的版本", "rule", "rule.read"},
    {"GET", "/api/v1/rules/{code}/versions/{version}", version_get, JG_ROUTE_AUTH, "规则的某一版本（含代码）",
     "rule", "rule.read"},
    {"POST", "/api/v1/rules/{code}/publish", publish, JG_ROUTE_AUTH, "发布规则版本（默认最新版本）", "rule",
     "rule.manage"},
    {"POST", "/api/v1/rules/{code}/start", start_rule, JG_ROUTE_AUTH, "启用规则", "rule", "rule.manage"},
    {"POST", "/api/v1/rules/{code}/stop", stop_rule, JG_ROUTE_AUTH, "停用规则", "rule", "rule.manage"},
    {"POST", "/api/v1/rules/{code}/rollback", rollback, JG_ROUTE_AUTH, "回退到已发布过的版本", "rule",
     "rule.manage"},
    {"POST", "/api/v1/rules/{code}/trial/{entity}/{id}", trial, JG_ROUTE_AUTH,
     "试算：在一条有权查看的记录上运行规则", "rule", "rule.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_rules = {"rules", routes, NULL, NULL};

/* --- shipped rules, at migrate ---------------------------------------------------------------- */

static jg_rc sync_tx(jg_conn *c, void *ud)
{
    (void)ud;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    for (const jg_rule_shipped *s = jg_rules_shipped; s->code != NULL; s++) {
        jg_rows *r;
        jg_value p[] = {JG_VTEXT(s->code), JG_VTEXT(s->name), JG_VTEXT(s->kind), JG_VTEXT(now)};
        jg_rc rc =
            jg_db_query(c,
                        "INSERT INTO rule (code, name, kind, state, current_version, latest_version, source,"
                        " created_by, created_at, updated_at) SELECT $1, $2, $3, 'running', 1, 1, 'shipped',"
                        " NULL, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM rule WHERE code = $1) RETURNING id",
                        p, 4, &r);
        if (rc != JG_OK)
            return rc;
        const char *source = jg_rule_shipped_source(s);
        if (source == NULL) {
            jg_error("rules: the shipped rule %s has no embedded file %s", s->code, s->file);
            rc = JG_ERR;
        } else if (jg_rows_count(r) == 1) {
            rc = insert_version(c, jg_rows_int(r, 0, 0), 1, s->params, source, 0, now, 1);
        }
        jg_rows_free(r);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_rc jg_rule_sync_shipped(jg_db *db)
{
    return jg_db_tx(db, sync_tx, NULL);
}

/* --- the running version, for other engines ----------------------------------------------------- */

jg_rc jg_rule_run(jg_db *db, jg_conn *c, const jg_config *cfg, const char *code, json_t *facts,
                  const char *now, jg_rule_result *out, int64_t *version)
{
    memset(out, 0, sizeof(*out));
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code)};
    static const char sql[] = "SELECT v.params, v.code, v.sm3, v.version FROM rule r JOIN rule_version v"
                              " ON v.rule_id = r.id AND v.version = r.current_version"
                              " WHERE r.code = $1 AND r.state = 'running'";
    jg_rc rc = c != NULL ? jg_db_query(c, sql, p, 1, &r) : jg_db_read(db, sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    const char *pt = jg_rows_text(r, 0, 0), *src = jg_rows_text(r, 0, 1);
    json_t *params = json_loads(pt, 0, NULL);
    char ph[2 * JG_SM3_LEN + 1], key[2 * JG_SM3_LEN + 34];
    sm3_hex(pt, strlen(pt), ph);
    snprintf(key, sizeof(key), "%s/%.32s", jg_rows_text(r, 0, 2), ph);
    if (version != NULL)
        *version = jg_rows_int(r, 0, 3);
    jg_rule_vm *vm = jg_rule_vm_thread();
    jg_rule_limits lim = limits_of(cfg);
    rc = vm == NULL ? JG_NOMEM : jg_rule_eval(vm, &lim, key, src, strlen(src), facts, params, now, out);
    json_decref(params);
    jg_rows_free(r);
    return rc;
}

jg_rc jg_rule_load(jg_conn *c, const jg_config *cfg, const char *code, jg_rule_loaded *out)
{
    memset(out, 0, sizeof(*out));
    out->lim = limits_of(cfg);
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c,
                           "SELECT v.params, v.code, v.sm3, v.version FROM rule r JOIN rule_version v"
                           " ON v.rule_id = r.id AND v.version = r.current_version"
                           " WHERE r.code = $1 AND r.state = 'running'",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    const char *pt = jg_rows_text(r, 0, 0);
    char ph[2 * JG_SM3_LEN + 1];
    sm3_hex(pt, strlen(pt), ph);
    snprintf(out->key, sizeof(out->key), "%s/%.32s", jg_rows_text(r, 0, 2), ph);
    out->version = jg_rows_int(r, 0, 3);
    out->params = json_loads(pt, 0, NULL);
    out->src = strdup(jg_rows_text(r, 0, 1));
    jg_rows_free(r);
    return out->params == NULL || out->src == NULL ? JG_NOMEM : JG_OK;
}

jg_rc jg_rule_loaded_eval(const jg_rule_loaded *r, json_t *facts, const char *now, jg_rule_result *out)
{
    memset(out, 0, sizeof(*out));
    jg_rule_vm *vm = jg_rule_vm_thread();
    if (vm == NULL || r->src == NULL)
        return JG_NOMEM;
    return jg_rule_eval(vm, &r->lim, r->key, r->src, strlen(r->src), facts, r->params, now, out);
}

void jg_rule_loaded_free(jg_rule_loaded *r)
{
    free(r->src);
    json_decref(r->params);
    r->src = NULL;
    r->params = NULL;
}
