/* Identity: the authenticate hook for JG_ROUTE_AUTH routes (session, CSRF, forced password change,
 * permission), login key, session start and end, the current user.
 *
 * Routes: GET /api/v1/auth/login-key, POST /api/v1/auth/logout, GET /api/v1/auth/me. Password login
 * is in login.c; the other identity modules share jg_identity (identity_int.h). */
#include "platform/identity.h"
#include "platform/identity_int.h"

#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "platform/appkey.h"
#include "platform/keys.h"
#include "platform/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE "jg_session"

int jg_identity_rate_ok(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    uint64_t h = jg_fnv1a(req->ip);
    int64_t minute = jg_time_mono_us() / 60000000;
    pthread_mutex_lock(&id->rate_mu);
    struct jg_rate_slot *s = &id->rate[h % JG_RATE_SLOTS];
    if (s->minute != minute || strcmp(s->ip, req->ip) != 0) {
        snprintf(s->ip, sizeof(s->ip), "%s", req->ip);
        s->minute = minute;
        s->count = 0;
    }
    int ok = ++s->count <= req->app->cfg->auth_rate_per_minute;
    pthread_mutex_unlock(&id->rate_mu);
    if (!ok)
        jg_resp_status_error(req, resp, 429, "rate_limited", "请求过于频繁，请稍后再试", NULL);
    return ok;
}

/* The value of one cookie from a Cookie header, copied into the arena; NULL if absent. */
static const char *cookie(jg_req *req, const char *name)
{
    const char *h = jg_req_header(req, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
            return jg_arena_strndup(req->arena, p + n + 1, len - n - 1);
        p += len;
    }
    return NULL;
}

static int is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* 1 when p holds the route's permission, or one of several written "a|b". */
static int allowed(const jg_principal *p, const char *permission)
{
    for (const char *s = permission; *s != '\0';) {
        size_t n = strcspn(s, "|");
        char code[64];
        if (n < sizeof(code)) {
            memcpy(code, s, n);
            code[n] = '\0';
            if (jg_principal_can(p, code))
                return 1;
        }
        s += n + (s[n] == '|');
    }
    return 0;
}

static jg_rc authenticate(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    jg_principal *p;
    /* Other systems sign each request with an app key instead of holding a session (appkey.c);
     * such requests carry no cookie, so there is no CSRF to guard against. */
    int app = jg_req_header(req, "X-App-Key") != NULL;
    jg_rc rc = app ? jg_appkey_authenticate(req, resp, &p)
                   : jg_session_lookup(req->app->db, cookie(req, COOKIE), &id->limits, req->arena, &p);
    if (rc == JG_UNAUTHORIZED && !app)
        return jg_resp_error(req, resp, rc, "请先登录，或登录已过期");
    if (rc != JG_OK)
        return rc;
    req->user = p->username;
    if (!app && is_write(req->method)) {
        const char *token = jg_req_header(req, "X-CSRF-Token");
        if (token == NULL || strlen(token) != JG_SESSION_CSRF_LEN ||
            jg_crypto_equal(token, p->csrf_token, JG_SESSION_CSRF_LEN) != JG_OK) {
            jg_resp_status_error(req, resp, 403, "csrf", "安全令牌无效，请刷新页面后重试", NULL);
            return JG_DENIED;
        }
    }
    if (p->must_change_password && strncmp(jg_router_pattern(req), "/api/v1/auth/", 13) != 0) {
        jg_resp_status_error(req, resp, 403, "password_change_required", "请先修改初始或已过期的密码", NULL);
        return JG_DENIED;
    }
    const char *permission = jg_router_permission(req);
    if (permission != NULL && !allowed(p, permission)) {
        jg_resp_error(req, resp, JG_DENIED, "没有权限执行此操作");
        return JG_DENIED;
    }
    req->principal = p;
    return JG_OK;
}

/* {"user":{...},"csrf_token":"..."} */
static jg_rc answer_user(jg_req *req, jg_resp *resp, const jg_principal *p)
{
    json_error_t e;
    json_t *perms = json_loads(p->permissions, 0, &e);
    json_t *user =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)p->user_id, "username",
                  p->username, "display_name", p->display_name, "role", p->role, "kind", p->kind, "org_code",
                  p->org_code, "scope", p->scope, "must_change_password", p->must_change_password,
                  "permissions", perms != NULL ? perms : json_array());
    if (p->department_id > 0)
        json_object_set_new(user, "department_id", json_integer(p->department_id));
    if (p->enterprise_id > 0)
        json_object_set_new(user, "enterprise_id", json_integer(p->enterprise_id));
    return jg_resp_json(req, resp, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", p->csrf_token));
}

static void set_cookie(jg_req *req, jg_resp *resp, const char *value, long max_age)
{
    char *c = jg_arena_printf(req->arena, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s",
                              value, max_age, req->app->cfg->cookie_secure ? "; Secure" : "");
    jg_resp_header(req, resp, "Set-Cookie", c);
}

static jg_rc login_key(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:b}", "algorithm", "SM2", "public_key",
                                  id->login_pub, "cipher_mode", "C1C3C2", "captcha", req->app->cfg->captcha,
                                  "sms_login", req->app->cfg->sms_gateway_url[0] != '\0'));
}

jg_rc jg_identity_decrypt_password(jg_identity *id, const char *cipher, char *out)
{
    size_t n = 0;
    if (cipher == NULL || strlen(cipher) > JG_MAX_CIPHER_HEX)
        return JG_INVALID;
    jg_rc rc = jg_sm2_decrypt_hex(id->login_key, cipher, out, JG_MAX_PASSWORD_BYTES, &n);
    if (rc != JG_OK || !jg_utf8_valid(out, n)) {
        memset(out, 0, JG_MAX_PASSWORD_BYTES + 1);
        return JG_INVALID;
    }
    out[n] = '\0';
    return JG_OK;
}

struct audit_ctx {
    jg_identity *id;
    jg_audit_entry e;
};

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct audit_ctx *a = ud;
    return jg_audit_append(c, a->id->audit_key, &a->e);
}

jg_rc jg_identity_audit(jg_req *req, int64_t user_id, const char *username, const char *action,
                        const char *entity, const char *record_id, const char *detail)
{
    struct audit_ctx a = {jg_identity_of(req),
                          {user_id, username, req->ip, action, entity, record_id, detail}};
    return jg_db_tx(req->app->db, audit_tx, &a);
}

jg_rc jg_audit_req(jg_conn *c, jg_req *req, const char *action, const char *entity, const char *record_id,
                   json_t *detail)
{
    const jg_principal *p = req->principal;
    char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    jg_audit_entry e = {
        p != NULL ? p->user_id : 0, p != NULL ? p->username : NULL, req->ip, action, entity, record_id, text};
    jg_rc rc = jg_audit_append(c, jg_identity_of(req)->audit_key, &e);
    free(text);
    return rc;
}

json_t *jg_audit_change(json_t *before, json_t *after)
{
    return json_pack("{s:o, s:o}", "before", before != NULL ? before : json_null(), "after",
                     after != NULL ? after : json_null());
}

const unsigned char *jg_identity_field_key(const jg_req *req)
{
    return jg_identity_of(req)->field_key;
}

struct start {
    jg_identity *id;
    int64_t user_id;
    int single;
    const char *username, *ip, *method;
    char token[JG_SESSION_TOKEN_LEN + 1], csrf[JG_SESSION_CSRF_LEN + 1];
};

static jg_rc start_tx(jg_conn *c, void *ud)
{
    struct start *s = ud;
    jg_value p[] = {JG_VINT(s->user_id)};
    jg_rc rc = JG_OK;
    if (s->single) /* one session per user: a new login ends the others */
        rc = jg_db_exec(c, "UPDATE login_session SET revoked = 1 WHERE user_id = $1 AND revoked = 0", p, 1,
                        NULL);
    if (rc == JG_OK)
        rc = jg_session_create(c, s->user_id, s->ip, &s->id->limits, s->token, s->csrf);
    char rid[24], detail[64];
    snprintf(rid, sizeof(rid), "%lld", (long long)s->user_id);
    snprintf(detail, sizeof(detail), "{\"method\":\"%s\"}", s->method);
    jg_audit_entry e = {s->user_id, s->username, s->ip, "login", "app_user", rid, detail};
    if (rc == JG_OK)
        rc = jg_audit_append(c, s->id->audit_key, &e);
    return rc;
}

jg_rc jg_identity_login_user(jg_req *req, jg_resp *resp, int64_t user_id, const char *username,
                             const char *method)
{
    jg_identity *id = jg_identity_of(req);
    struct start s = {.id = id,
                      .user_id = user_id,
                      .single = (int)req->app->cfg->single_session,
                      .username = username,
                      .ip = req->ip,
                      .method = method};
    jg_rc rc = jg_db_tx(req->app->db, start_tx, &s);
    if (rc != JG_OK)
        return rc;
    jg_principal *p;
    rc = jg_session_lookup(req->app->db, s.token, &id->limits, req->arena, &p);
    if (rc != JG_OK)
        return rc == JG_UNAUTHORIZED ? JG_ERR : rc;
    req->user = p->username;
    set_cookie(req, resp, s.token, id->limits.absolute_s);
    return answer_user(req, resp, p);
}

static jg_rc me(jg_req *req, jg_resp *resp)
{
    return answer_user(req, resp, req->principal);
}

static jg_rc logout(jg_req *req, jg_resp *resp)
{
    const jg_principal *p = req->principal;
    jg_rc rc = jg_session_revoke(req->app->db, p->session_id);
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)p->user_id);
    if (rc == JG_OK)
        rc = jg_identity_audit(req, p->user_id, p->username, "logout", "app_user", rid, NULL);
    if (rc != JG_OK)
        return rc;
    set_cookie(req, resp, "", 0);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}

static jg_rc identity_init(jg_app *app)
{
    jg_identity *id = jg_xcalloc(1, sizeof(*id));
    pthread_mutex_init(&id->rate_mu, NULL);
    id->limits.idle_s = (int)app->cfg->session_idle_s;
    id->limits.absolute_s = (int)app->cfg->session_absolute_s;
    id->limits.password_max_age_s = (int)(app->cfg->password_max_age_days * 86400);
    jg_rc rc = jg_keys_sm2(app->cfg->data_dir, "login-sm2.pem", &id->login_key);
    if (rc == JG_OK)
        rc = jg_sm2_pub_to_hex(id->login_key, id->login_pub);
    if (rc == JG_OK)
        rc = jg_keys_secret(app->cfg->data_dir, "audit.key", id->audit_key, sizeof(id->audit_key));
    if (rc == JG_OK)
        rc = jg_keys_secret(app->cfg->data_dir, "field.key", id->field_key, sizeof(id->field_key));
    if (rc == JG_OK)
        rc = jg_password_hash("jianguan-no-such-user", JG_PASSWORD_ITERATIONS, id->decoy_hash,
                              sizeof(id->decoy_hash));
    /* Every audited write extends the one chain: let writers queue for it rather than collide. */
    jg_db_serialize_writes(app->db, "audit_head");
    app->identity = id;
    app->authenticate = authenticate;
    return rc;
}

static void identity_exit(jg_app *app)
{
    jg_identity *id = app->identity;
    if (id == NULL)
        return;
    jg_sm2_key_free(id->login_key);
    pthread_mutex_destroy(&id->rate_mu);
    memset(id->field_key, 0, sizeof(id->field_key));
    free(id);
    app->identity = NULL;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/auth/login-key", login_key, 0, "登录公钥（SM2，密码加密用）", "identity", NULL},
    {"POST", "/api/v1/auth/logout", logout, JG_ROUTE_AUTH, "退出登录", "identity", NULL},
    {"GET", "/api/v1/auth/me", me, JG_ROUTE_AUTH, "当前用户", "identity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_identity = {"identity", routes, identity_init, identity_exit};
