/* Opinions of the workflow engine (ops.h): 意见模板 (a user's own and shared ones) and 电子签单, the
 * SM2 signatures users make over their opinions with a key that never leaves their side; the
 * server keeps their public keys and verifies (docs/flow.md, "Operations and boxes"). */
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "engine/flow/ops.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

#define TEMPLATE_MAX_CHARS 500
#define TEMPLATES_PER_USER 200
#define MSG_NO_TEMPLATE "意见模板不存在"

static const jg_principal *who(const jg_req *req)
{
    return req->principal;
}

/* ---- signatures ---- */

const char *jg_flow_sign_text(jg_arena *a, int64_t task_id, const char *action, const char *opinion)
{
    return jg_arena_printf(a, "jianguan-opinion:v1\ntask:%lld\naction:%s\nopinion:%s", (long long)task_id,
                           action != NULL ? action : "complete", opinion != NULL ? opinion : "");
}

/* 1 when hex (r | s) is key_hex's signature over text. */
static int verifies(const char *key_hex, const char *text, const char *hex)
{
    jg_sm2_key *k;
    if (jg_sm2_pub_from_hex(key_hex, &k) != JG_OK)
        return 0;
    int ok = jg_sm2_verify_hex(k, text, strlen(text), hex) == JG_OK;
    jg_sm2_key_free(k);
    return ok;
}

jg_rc jg_flow_sign_check(jg_req *req, jg_conn *c, int64_t user_id, int64_t task_id, const char *action,
                         const char *opinion, const char *signature, int64_t *key_id, jg_refusal *why)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(user_id)};
    jg_rc rc =
        jg_db_query(c,
                    "SELECT id, public_key FROM flow_sign_key WHERE user_id = $1 AND retired_at IS NULL"
                    " ORDER BY id DESC LIMIT 1",
                    p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_refuse(why, JG_INVALID, "signature", "您尚未登记签名公钥，不能电子签名");
    }
    *key_id = jg_rows_int(r, 0, 0);
    int ok =
        verifies(jg_rows_text(r, 0, 1), jg_flow_sign_text(req->arena, task_id, action, opinion), signature);
    jg_rows_free(r);
    return ok ? JG_OK : jg_refuse(why, JG_INVALID, "signature", "电子签名与办理意见不符，验签失败");
}

const char *jg_flow_sign_state(jg_req *req, int64_t key_id, int64_t user_id, int64_t task_id,
                               const char *action, const char *opinion, const char *signature)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(key_id)};
    if (jg_db_read(req->app->db, "SELECT public_key, user_id FROM flow_sign_key WHERE id = $1", p, 1, &r) !=
        JG_OK)
        return "invalid";
    int ok =
        jg_rows_count(r) == 1 && jg_rows_int(r, 0, 1) == user_id &&
        verifies(jg_rows_text(r, 0, 0), jg_flow_sign_text(req->arena, task_id, action, opinion), signature);
    jg_rows_free(r);
    return ok ? "valid" : "invalid";
}

/* GET /api/v1/flow/sign-key: the caller's current public key, or null. */
jg_rc jg_flow_h_sign_key(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(who(req)->user_id)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, public_key, created_at FROM flow_sign_key WHERE user_id = $1 AND retired_at"
                   " IS NULL ORDER BY id DESC LIMIT 1",
                   p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o = jg_rows_count(r) == 1 ? jg_json_row(r, 0) : json_pack("{s:n}", "public_key");
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, o);
}

struct key_put {
    jg_req *req;
    const char *key;
    int64_t id;
    char now[32];
};

static jg_rc key_put_tx(jg_conn *c, void *ud)
{
    struct key_put *w = ud;
    int64_t user = who(w->req)->user_id;
    jg_value p[] = {JG_VTEXT(w->now), JG_VINT(user)};
    jg_rc rc = jg_db_exec(
        c, "UPDATE flow_sign_key SET retired_at = $1 WHERE user_id = $2 AND retired_at IS NULL", p, 2, NULL);
    jg_rows *r;
    jg_value q[] = {JG_VINT(user), JG_VTEXT(w->key), JG_VTEXT(w->now)};
    if (rc == JG_OK)
        rc = jg_db_query(c,
                         "INSERT INTO flow_sign_key (user_id, public_key, created_at) VALUES ($1, $2, $3)"
                         " RETURNING id",
                         q, 3, &r);
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)w->id);
    return jg_audit_req(c, w->req, "flow_sign_key", "flow_sign_key", id,
                        json_pack("{s:s}", "public_key", w->key));
}

/* PUT /api/v1/flow/sign-key {"public_key", "proof"}: register the caller's signing key (a new one
 * retires the old). proof is the key's signature over "jianguan-sign-key:v1\n<username>\n<key>":
 * who registers a key shows they hold its private part. */
jg_rc jg_flow_h_sign_key_put(jg_req *req, jg_resp *resp)
{
    json_t *b = req->json, *fields = json_object();
    const char *key = json_string_value(json_object_get(b, "public_key"));
    const char *proof = json_string_value(json_object_get(b, "proof"));
    jg_sm2_key *k = NULL;
    if (key == NULL || strlen(key) != JG_SM2_PUB_HEX_LEN || jg_sm2_pub_from_hex(key, &k) != JG_OK)
        jg_field_error(fields, "public_key", "公钥应为 04 开头的 130 位十六进制 SM2 公钥");
    if (proof == NULL || strlen(proof) != JG_SM2_SIG_HEX_LEN)
        jg_field_error(fields, "proof", "请提交用私钥对登记内容的签名（128 位十六进制）");
    else if (k != NULL) {
        const char *text =
            jg_arena_printf(req->arena, "jianguan-sign-key:v1\n%s\n%s", who(req)->username, key);
        if (jg_sm2_verify_hex(k, text, strlen(text), proof) != JG_OK)
            jg_field_error(fields, "proof", "签名验证失败：私钥与公钥不匹配");
    }
    jg_sm2_key_free(k);
    static const char *const allowed[] = {"public_key", "proof", NULL};
    jg_field_unknown(b, allowed, fields);
    if (jg_resp_fields(req, resp, "签名公钥不正确", fields) != JG_OK)
        return JG_INVALID;
    struct key_put w = {.req = req, .key = key};
    char *low = jg_arena_strdup(req->arena, key);
    for (char *s = low; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'F')
            *s = (char)(*s - 'A' + 'a');
    w.key = low;
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, key_put_tx, &w);
    if (rc != JG_OK)
        return rc;
    return jg_resp_json(
        req, resp, 200,
        json_pack("{s:I, s:s, s:s}", "id", (json_int_t)w.id, "public_key", w.key, "created_at", w.now));
}

/* ---- 意见模板 ---- */

/* GET /api/v1/flow/opinion-templates: the shared templates, then the caller's own. */
jg_rc jg_flow_h_templates(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(who(req)->user_id)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, text, sort, CASE WHEN owner_id IS NULL THEN 1 ELSE 0 END AS shared, version"
                   " FROM flow_opinion_template WHERE deleted = 0 AND (owner_id IS NULL OR owner_id = $1)"
                   " ORDER BY CASE WHEN owner_id IS NULL THEN 0 ELSE 1 END, sort, id",
                   p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o = json_pack("{s:o}", "items", jg_json_rows(r));
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, o);
}

struct tpl {
    jg_req *req;
    jg_refusal why;
    int64_t id, version, sort;
    const char *text;
    int shared, has_sort, del;
    char now[32];
};

/* Check the body's text, sort and shared into w; 400 answered when wrong. */
static jg_rc tpl_body(jg_req *req, jg_resp *resp, struct tpl *w, int update)
{
    json_t *b = req->json, *fields = json_object();
    json_t *text = json_object_get(b, "text"), *sort = json_object_get(b, "sort"),
           *shared = json_object_get(b, "shared"), *version = json_object_get(b, "version");
    if ((!update || text != NULL) && (!json_is_string(text) || json_string_length(text) == 0 ||
                                      jg_utf8_chars(json_string_value(text)) > TEMPLATE_MAX_CHARS))
        jg_field_error(fields, "text", "意见内容应为 1 至 500 字");
    if (sort != NULL &&
        (!json_is_integer(sort) || json_integer_value(sort) < 0 || json_integer_value(sort) > 9999))
        jg_field_error(fields, "sort", "排序应为 0 至 9999 的整数");
    if (shared != NULL && !json_is_boolean(shared))
        jg_field_error(fields, "shared", "shared 应为 true 或 false");
    if (update && (!json_is_integer(version) || json_integer_value(version) <= 0))
        jg_field_error(fields, "version", "请提交版本号（version）");
    static const char *const allowed_c[] = {"text", "sort", "shared", NULL};
    static const char *const allowed_u[] = {"text", "sort", "version", NULL};
    jg_field_unknown(b, update ? allowed_u : allowed_c, fields);
    if (jg_resp_fields(req, resp, "意见模板内容不正确", fields) != JG_OK)
        return JG_INVALID;
    w->text = json_string_value(text);
    w->sort = json_integer_value(sort);
    w->has_sort = sort != NULL;
    w->shared = json_is_true(shared);
    w->version = json_integer_value(version);
    if (w->shared && !jg_principal_can(who(req), "flow.deploy"))
        return jg_resp_error(req, resp, JG_DENIED, "没有维护共享意见模板的权限");
    return JG_OK;
}

static jg_rc tpl_create_tx(jg_conn *c, void *ud)
{
    struct tpl *w = ud;
    int64_t user = who(w->req)->user_id;
    jg_rows *r;
    jg_value p[] = {JG_VINT(user)};
    jg_rc rc = jg_db_query(
        c, "SELECT count(*) FROM flow_opinion_template WHERE owner_id = $1 AND deleted = 0", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t have = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    if (!w->shared && have >= TEMPLATES_PER_USER)
        return jg_refuse(&w->why, JG_INVALID, NULL, "个人意见模板最多 200 条");
    jg_value q[] = {w->shared ? JG_VNULL : JG_VINT(user), JG_VTEXT(w->text), JG_VINT(w->sort),
                    JG_VTEXT(w->now)};
    rc = jg_db_query(
        c,
        "INSERT INTO flow_opinion_template (owner_id, text, sort, created_at, updated_at) VALUES ($1, $2,"
        " $3, $4, $4) RETURNING id",
        q, 4, &r);
    if (rc != JG_OK)
        return rc;
    w->id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)w->id);
    return jg_audit_req(c, w->req, "flow_template_create", "flow_opinion_template", id,
                        json_pack("{s:s, s:b}", "text", w->text, "shared", w->shared));
}

static jg_rc tpl_answer(jg_req *req, jg_resp *resp, int64_t id, int status)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, text, sort, CASE WHEN owner_id IS NULL THEN 1 ELSE 0 END AS shared, version,"
                   " deleted FROM flow_opinion_template WHERE id = $1",
                   p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o = jg_json_row(r, 0);
    jg_rows_free(r);
    return jg_resp_json(req, resp, status, o);
}

/* POST /api/v1/flow/opinion-templates {"text", "sort"?, "shared"?} (shared: flow.deploy) */
jg_rc jg_flow_h_template_create(jg_req *req, jg_resp *resp)
{
    struct tpl w = {.req = req};
    if (tpl_body(req, resp, &w, 0) != JG_OK)
        return JG_INVALID;
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, tpl_create_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    return tpl_answer(req, resp, w.id, 201);
}

/* Change or delete template w->id: the caller's own, or a shared one with flow.deploy. */
static jg_rc tpl_change_tx(jg_conn *c, void *ud)
{
    struct tpl *w = ud;
    jg_rows *r;
    jg_value p[] = {JG_VINT(w->id)};
    jg_rc rc = jg_db_query(
        c, "SELECT owner_id, text, sort, version, deleted FROM flow_opinion_template WHERE id = $1", p, 1,
        &r);
    if (rc != JG_OK)
        return rc;
    int64_t owner = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : -1;
    int visible = jg_rows_count(r) == 1 && jg_rows_int(r, 0, 4) == 0 &&
                  (owner == who(w->req)->user_id ||
                   (jg_rows_type(r, 0, 0) == JG_V_NULL && jg_principal_can(who(w->req), "flow.deploy")));
    if (!visible) {
        jg_rows_free(r);
        return jg_refuse(&w->why, JG_NOTFOUND, NULL, MSG_NO_TEMPLATE);
    }
    json_t *before =
        json_pack("{s:s, s:I}", "text", jg_rows_text(r, 0, 1), "sort", (json_int_t)jg_rows_int(r, 0, 2));
    int64_t version = jg_rows_int(r, 0, 3);
    jg_rows_free(r);
    if (version != w->version) {
        json_decref(before);
        return jg_refuse(&w->why, JG_CONFLICT, NULL, "意见模板已被修改，请刷新后再试");
    }
    int64_t changed = 0;
    json_t *after;
    if (w->del) {
        jg_value q[] = {JG_VTEXT(w->now), JG_VINT(w->id), JG_VINT(w->version)};
        rc = jg_db_exec(c,
                        "UPDATE flow_opinion_template SET deleted = 1, updated_at = $1, version = version + 1"
                        " WHERE id = $2 AND version = $3",
                        q, 3, &changed);
        after = json_pack("{s:b}", "deleted", 1);
    } else {
        jg_value q[] = {w->text != NULL ? JG_VTEXT(w->text) : JG_VNULL,
                        w->has_sort ? JG_VINT(w->sort) : JG_VNULL, JG_VTEXT(w->now), JG_VINT(w->id),
                        JG_VINT(w->version)};
        rc = jg_db_exec(
            c,
            "UPDATE flow_opinion_template SET text = COALESCE($1, text), sort = COALESCE($2, sort),"
            " updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
            q, 5, &changed);
        after = json_pack("{s:s?, s:I}", "text", w->text, "sort", (json_int_t)w->sort);
    }
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->why, JG_CONFLICT, NULL, "意见模板已被修改，请刷新后再试");
    if (rc != JG_OK) {
        json_decref(before);
        json_decref(after);
        return rc;
    }
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)w->id);
    return jg_audit_req(c, w->req, w->del ? "flow_template_delete" : "flow_template_update",
                        "flow_opinion_template", id, jg_audit_change(before, after));
}

/* PUT /api/v1/flow/opinion-templates/{id} {"text"?, "sort"?, "version"} */
jg_rc jg_flow_h_template_update(jg_req *req, jg_resp *resp)
{
    struct tpl w = {.req = req};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NO_TEMPLATE);
    if (tpl_body(req, resp, &w, 1) != JG_OK)
        return JG_INVALID;
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, tpl_change_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    return tpl_answer(req, resp, w.id, 200);
}

/* DELETE /api/v1/flow/opinion-templates/{id}?version=N (kept, marked deleted) */
jg_rc jg_flow_h_template_delete(jg_req *req, jg_resp *resp)
{
    struct tpl w = {.req = req, .del = 1};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &w.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NO_TEMPLATE);
    if (jg_parse_int64(jg_req_query(req, "version"), 1, INT64_MAX, &w.version) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请提交版本号",
                                    json_pack("{s:s}", "version", "请在查询参数中提交版本号（version）"));
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, tpl_change_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.why);
    return tpl_answer(req, resp, w.id, 200);
}
