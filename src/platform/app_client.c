/* Administration of app keys for other systems (安全管理员, permission app_client.manage): list,
 * create, disable, rotate. The secret is shown once, when made, and kept only SM4-sealed.
 *
 * app_client: id | app_key | name | secret_enc | role | org_code | enterprise_id | status
 *             (active | disabled) | created_at | updated_at | version */
#include "platform/appkey.h"
#include "platform/identity_int.h"

#include "base/text.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME_CHARS 50
#define KEY_BYTES 12 /* app_key = "ak_" and 24 hex digits: an identifier, not a secret */

#define COLUMNS                                                                                              \
    "SELECT id, app_key, name, role, org_code, enterprise_id, status, created_at, updated_at, version"       \
    " FROM app_client"

/* A fresh secret (64 hex digits) and its sealed form. */
struct secret {
    char hex[JG_APPKEY_SECRET_HEX + 1];
    char sealed[JG_SM4_TOKEN_SIZE(JG_APPKEY_SECRET_HEX)];
};

static jg_rc new_secret(jg_req *req, struct secret *s)
{
    unsigned char raw[JG_APPKEY_SECRET_HEX / 2];
    jg_rc rc = jg_crypto_random(raw, sizeof(raw));
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(raw, sizeof(raw), s->hex);
    explicit_bzero(raw, sizeof(raw));
    return jg_sm4_seal(jg_identity_of(req)->field_key, JG_APPKEY_SECRET_CONTEXT, s->hex, JG_APPKEY_SECRET_HEX,
                       s->sealed, sizeof(s->sealed));
}

/* One client as JSON (never the secret), from a row of COLUMNS. */
static json_t *client_json(const jg_rows *r, int i)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)jg_rows_int(r, i, 0), "app_key",
        jg_rows_text(r, i, 1), "name", jg_rows_text(r, i, 2), "role", jg_rows_text(r, i, 3), "org_code",
        jg_rows_text(r, i, 4), "status", jg_rows_text(r, i, 6), "created_at", jg_rows_text(r, i, 7),
        "updated_at", jg_rows_text(r, i, 8), "version", (json_int_t)jg_rows_int(r, i, 9));
    if (o != NULL)
        json_object_set_new(o, "enterprise_id",
                            jg_rows_type(r, i, 5) == JG_V_NULL ? json_null()
                                                               : json_integer(jg_rows_int(r, i, 5)));
    return o;
}

/* Answer the client with this id (and the new secret when one was just made). */
static jg_rc answer_client(jg_req *req, jg_resp *resp, int status, int64_t id, const char *secret)
{
    jg_rows *r;
    jg_value p[] = {JG_VINT(id)};
    jg_rc rc = jg_db_read(req->app->db, COLUMNS " WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o = jg_rows_count(r) == 1 ? client_json(r, 0) : NULL;
    jg_rows_free(r);
    if (o == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, "接入客户端不存在");
    if (secret != NULL) {
        json_object_set_new(o, "secret", json_string(secret));
        json_object_set_new(o, "secret_notice", json_string("密钥仅显示这一次，请立即妥善保存"));
    }
    return jg_resp_json(req, resp, status, o);
}

/* GET /api/v1/app-clients?page=&size=&status= */
static jg_rc list_clients(jg_req *req, jg_resp *resp)
{
    int64_t page, size;
    const char *status = jg_req_query(req, "status");
    json_t *fields = json_object();
    jg_req_paging(req, 20, req->app->cfg->max_page_size, &page, &size, fields);
    if (status != NULL && strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
        json_object_set_new(fields, "status", json_string("状态应为 active 或 disabled"));
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_INVALID;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(status != NULL ? status : ""), JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rc rc = jg_db_read(req->app->db,
                          COLUMNS " WHERE ($1 = '' OR status = $1) ORDER BY id LIMIT $2 OFFSET $3", p, 3, &r);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, r, page, size);
}

/* ---- create ---- */

struct create {
    jg_identity *id;
    const jg_principal *by;
    const char *ip;
    const char *name, *role, *org_code;
    int64_t enterprise_id; /* 0: none */
    char app_key[4 + 2 * KEY_BYTES];
    struct secret secret;
    int64_t new_id;
};

/* Check the body; field errors go into fields. */
static jg_rc validate(jg_req *req, struct create *c, json_t *fields)
{
    json_t *body = req->json;
    if (!json_is_object(body)) {
        json_object_set_new(fields, "body", json_string("请求内容应为 JSON 对象"));
        return JG_OK;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "role") != 0 && strcmp(key, "org_code") != 0 &&
            strcmp(key, "enterprise_id") != 0)
            json_object_set_new(fields, key, json_string("不支持的字段"));
    }
    c->name = json_string_value(json_object_get(body, "name"));
    c->role = json_string_value(json_object_get(body, "role"));
    c->org_code = json_string_value(json_object_get(body, "org_code"));
    json_t *ent = json_object_get(body, "enterprise_id");
    if (c->name == NULL || *c->name == '\0' || jg_utf8_chars(c->name) > MAX_NAME_CHARS)
        json_object_set_new(fields, "name", json_string("请填写接入系统名称（不超过 50 个字）"));
    if (ent != NULL && !json_is_null(ent)) {
        if (!json_is_integer(ent) || json_integer_value(ent) < 1)
            json_object_set_new(fields, "enterprise_id", json_string("企业编号应为正整数"));
        else
            c->enterprise_id = json_integer_value(ent);
    }

    jg_rows *r;
    jg_rc rc = JG_OK;
    const char *scope = NULL;
    if (c->role == NULL || *c->role == '\0') {
        json_object_set_new(fields, "role", json_string("请选择角色"));
    } else {
        jg_value p[] = {JG_VTEXT(c->role)};
        rc = jg_db_read(req->app->db, "SELECT reserved, scope FROM role WHERE code = $1", p, 1, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) == 0)
            json_object_set_new(fields, "role", json_string("角色不存在"));
        else if (jg_rows_int(r, 0, 0) != 0) /* the 三员 are people, never systems */
            json_object_set_new(fields, "role",
                                json_string("系统管理员、安全管理员、审计员角色不能授予外部系统"));
        else
            scope = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 1));
        jg_rows_free(r);
    }
    if (c->org_code == NULL || *c->org_code == '\0') {
        json_object_set_new(fields, "org_code", json_string("请选择所属行政区划"));
    } else {
        jg_value p[] = {JG_VTEXT(c->org_code)};
        rc = jg_db_read(req->app->db, "SELECT 1 FROM org WHERE code = $1", p, 1, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) == 0)
            json_object_set_new(fields, "org_code", json_string("行政区划不存在"));
        jg_rows_free(r);
    }
    if (c->enterprise_id > 0) {
        jg_value p[] = {JG_VINT(c->enterprise_id)};
        rc = jg_db_read(req->app->db, "SELECT 1 FROM enterprise WHERE id = $1", p, 1, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) == 0)
            json_object_set_new(fields, "enterprise_id", json_string("企业不存在"));
        jg_rows_free(r);
    } else if (scope != NULL && strcmp(scope, "enterprise") == 0 &&
               json_object_get(fields, "enterprise_id") == NULL) {
        json_object_set_new(fields, "enterprise_id", json_string("该角色按企业划分数据范围，须指定企业"));
    }
    return JG_OK;
}

static jg_rc create_tx(jg_conn *conn, void *ud)
{
    struct create *c = ud;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(c->app_key),
                    JG_VTEXT(c->name),
                    JG_VTEXT(c->secret.sealed),
                    JG_VTEXT(c->role),
                    JG_VTEXT(c->org_code),
                    c->enterprise_id > 0 ? JG_VINT(c->enterprise_id) : JG_VNULL,
                    JG_VTEXT(now)};
    jg_rc rc =
        jg_db_exec(conn,
                   "INSERT INTO app_client (app_key, name, secret_enc, role, org_code, enterprise_id, status,"
                   " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7)",
                   p, 7, NULL);
    jg_rows *r = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(conn, "SELECT id FROM app_client WHERE app_key = $1", p, 1, &r);
    if (rc == JG_OK && jg_rows_count(r) != 1)
        rc = JG_ERR;
    if (rc == JG_OK)
        c->new_id = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    if (rc != JG_OK)
        return rc;
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s, s:o}", "app_key", c->app_key, "name", c->name, "role",
                               c->role, "org_code", c->org_code, "enterprise_id",
                               c->enterprise_id > 0 ? json_integer(c->enterprise_id) : json_null());
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)c->new_id);
    jg_audit_entry e = {c->by->user_id, c->by->username, c->ip, "app_client_create", "app_client", rid, text};
    rc = jg_audit_append(conn, c->id->audit_key, &e);
    free(text);
    return rc;
}

/* POST {"name","role","org_code","enterprise_id"?} -> 201 with the secret, shown this once. */
static jg_rc create_client(jg_req *req, jg_resp *resp)
{
    struct create c = {.id = jg_identity_of(req), .by = req->principal, .ip = req->ip};
    json_t *fields = json_object();
    jg_rc rc = validate(req, &c, fields);
    if (rc != JG_OK) {
        json_decref(fields);
        return rc;
    }
    if (jg_resp_fields(req, resp, "接入客户端信息不完整或不正确", fields) != JG_OK)
        return JG_INVALID;
    unsigned char raw[KEY_BYTES];
    rc = jg_crypto_random(raw, sizeof(raw));
    if (rc == JG_OK) {
        memcpy(c.app_key, "ak_", 3);
        jg_crypto_hex_encode(raw, sizeof(raw), c.app_key + 3);
        rc = new_secret(req, &c.secret);
    }
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, create_tx, &c);
    if (rc == JG_OK)
        rc = answer_client(req, resp, 201, c.new_id, c.secret.hex);
    explicit_bzero(c.secret.hex, sizeof(c.secret.hex));
    return rc;
}

/* ---- disable and rotate ---- */

struct change {
    jg_identity *id;
    const jg_principal *by;
    const char *ip;
    int64_t client_id;
    int rotate;           /* 0: disable */
    struct secret secret; /* rotate: the new one */
};

static jg_rc change_tx(jg_conn *conn, void *ud)
{
    struct change *ch = ud;
    jg_rows *r;
    jg_value key[] = {JG_VINT(ch->client_id)};
    jg_rc rc = jg_db_query(conn, "SELECT app_key, status, version FROM app_client WHERE id = $1", key, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    json_t *detail =
        json_pack("{s:s}", "app_key", jg_rows_text(r, 0, 0)); /* the key names the client; the secret never */
    const char *status = jg_rows_text(r, 0, 1);
    int64_t version = jg_rows_int(r, 0, 2);
    int changed = ch->rotate || strcmp(status, "disabled") != 0;
    if (ch->rotate)
        json_object_set_new(
            detail, "version",
            json_pack("{s:I, s:I}", "before", (json_int_t)version, "after", (json_int_t)version + 1));
    else
        json_object_set_new(detail, "status", json_pack("{s:s, s:s}", "before", status, "after", "disabled"));
    jg_rows_free(r);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VINT(ch->client_id), JG_VTEXT(now), JG_VTEXT(ch->secret.sealed)};
    if (!changed) /* disabled already: nothing to do or audit */
        rc = JG_OK;
    else if (ch->rotate)
        rc = jg_db_exec(
            conn,
            "UPDATE app_client SET secret_enc = $3, updated_at = $2, version = version + 1 WHERE id = $1", p,
            3, NULL);
    else
        rc = jg_db_exec(conn,
                        "UPDATE app_client SET status = 'disabled', updated_at = $2, version = version + 1"
                        " WHERE id = $1",
                        p, 2, NULL);
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)ch->client_id);
    jg_audit_entry e = {ch->by->user_id,
                        ch->by->username,
                        ch->ip,
                        ch->rotate ? "app_client_rotate" : "app_client_disable",
                        "app_client",
                        rid,
                        text};
    if (rc == JG_OK && changed)
        rc = jg_audit_append(conn, ch->id->audit_key, &e);
    free(text);
    return rc;
}

static jg_rc change_client(jg_req *req, jg_resp *resp, int rotate)
{
    struct change ch = {.id = jg_identity_of(req), .by = req->principal, .ip = req->ip, .rotate = rotate};
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &ch.client_id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "接入客户端不存在");
    jg_rc rc = rotate ? new_secret(req, &ch.secret) : JG_OK;
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, change_tx, &ch);
    if (rc == JG_NOTFOUND)
        rc = jg_resp_error(req, resp, JG_NOTFOUND, "接入客户端不存在");
    else if (rc == JG_OK)
        rc = answer_client(req, resp, 200, ch.client_id, rotate ? ch.secret.hex : NULL);
    explicit_bzero(ch.secret.hex, sizeof(ch.secret.hex));
    return rc;
}

/* POST /api/v1/app-clients/{id}/disable — its signed requests are refused from now on. */
static jg_rc disable_client(jg_req *req, jg_resp *resp)
{
    return change_client(req, resp, 0);
}

/* POST /api/v1/app-clients/{id}/rotate — a new secret, shown once; the old one stops working. */
static jg_rc rotate_client(jg_req *req, jg_resp *resp)
{
    return change_client(req, resp, 1);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/app-clients", list_clients, JG_ROUTE_AUTH, "外部系统接入客户端列表（不含密钥）",
     "identity", "app_client.manage"},
    {"POST", "/api/v1/app-clients", create_client, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增外部系统接入客户端（密钥仅返回这一次）", "identity", "app_client.manage"},
    {"POST", "/api/v1/app-clients/{id}/disable", disable_client, JG_ROUTE_AUTH, "停用外部系统接入客户端",
     "identity", "app_client.manage"},
    {"POST", "/api/v1/app-clients/{id}/rotate", rotate_client, JG_ROUTE_AUTH,
     "重置外部系统接入密钥（新密钥仅返回这一次）", "identity", "app_client.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_app_client = {"app_client", routes, NULL, NULL};
