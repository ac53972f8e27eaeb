/* Identity: login with an SM2-encrypted password, sessions, CSRF, lockout, rate limits, audit.
 *
 * Routes: GET /api/v1/auth/login-key, POST /api/v1/auth/login, POST /api/v1/auth/logout,
 * GET /api/v1/auth/me. Installs the app's authenticate hook for JG_ROUTE_AUTH routes. */
#include "base/embed.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/audit.h"
#include "platform/keys.h"
#include "platform/password.h"
#include "platform/session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE "jg_session"
#define MAX_USERNAME 64
#define MAX_PASSWORD_BYTES 128
#define MAX_CIPHER_HEX (2 * (64 + 32 + MAX_PASSWORD_BYTES) + 2)
#define RATE_SLOTS 1024

/* Per-IP counts of auth requests in the current minute (per server node). */
struct rate_slot {
    char ip[48];
    int64_t minute;
    int count;
};

struct identity {
    jg_sm2_key *login_key;
    char login_pub[JG_SM2_PUB_HEX_LEN + 1];
    unsigned char audit_key[JG_AUDIT_KEY_LEN];
    jg_session_limits limits;
    pthread_mutex_t rate_mu;
    struct rate_slot rate[RATE_SLOTS];
    char decoy_hash[JG_PASSWORD_HASH_MAX]; /* verified against for unknown users: same timing */
    json_t *roles;                         /* defs/platform/roles.json "roles" */
};

/* 1 when role holds permission, per defs/platform/roles.json. */
static int role_has(const struct identity *id, const char *role, const char *permission)
{
    json_t *perms = json_object_get(json_object_get(id->roles, role), "permissions");
    size_t i;
    json_t *p;
    json_array_foreach(perms, i, p)
    {
        if (json_is_string(p) && strcmp(json_string_value(p), permission) == 0)
            return 1;
    }
    return 0;
}

static struct identity *identity_of(jg_req *req)
{
    return req->app->identity;
}

/* 1 when ip may make another auth request this minute. */
static int rate_ok(struct identity *id, const char *ip, long per_minute)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = ip; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    int64_t minute = jg_time_mono_us() / 60000000;
    pthread_mutex_lock(&id->rate_mu);
    struct rate_slot *s = &id->rate[h % RATE_SLOTS];
    if (s->minute != minute || strcmp(s->ip, ip) != 0) {
        snprintf(s->ip, sizeof(s->ip), "%s", ip);
        s->minute = minute;
        s->count = 0;
    }
    int ok = ++s->count <= per_minute;
    pthread_mutex_unlock(&id->rate_mu);
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

static jg_rc authenticate(jg_req *req, jg_resp *resp)
{
    struct identity *id = identity_of(req);
    jg_principal *p;
    jg_rc rc = jg_session_lookup(req->app->db, cookie(req, COOKIE), &id->limits, req->arena, &p);
    if (rc == JG_UNAUTHORIZED)
        return jg_resp_error(req, resp, rc, "请先登录，或登录已过期");
    if (rc != JG_OK)
        return rc;
    req->user = p->username;
    if (is_write(req->method)) {
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
    if (permission != NULL && !role_has(id, p->role, permission)) {
        jg_resp_error(req, resp, JG_DENIED, "没有权限执行此操作");
        return JG_DENIED;
    }
    req->principal = p;
    return JG_OK;
}

/* {"user":{...},"csrf_token":"..."} */
static jg_rc answer_user(jg_req *req, jg_resp *resp, const jg_principal *p)
{
    json_t *user = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)p->user_id, "username",
                             p->username, "display_name", p->display_name, "role", p->role, "kind", p->kind,
                             "org_code", p->org_code, "must_change_password", p->must_change_password);
    return jg_resp_json(req, resp, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", p->csrf_token));
}

static void set_cookie(jg_req *req, jg_resp *resp, const char *value, long max_age)
{
    char *c = jg_arena_printf(req->arena, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", value,
                              max_age, req->app->cfg->cookie_secure ? "; Secure" : "");
    jg_resp_header(req, resp, "Set-Cookie", c);
}

static jg_rc login_key(jg_req *req, jg_resp *resp)
{
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:s}", "algorithm", "SM2", "public_key", identity_of(req)->login_pub,
                                  "cipher_mode", "C1C3C2"));
}

/* Decrypt an SM2 (C1C3C2 hex) password into out (MAX_PASSWORD_BYTES + 1): UTF-8 text, no NUL. */
static jg_rc decrypt_password(struct identity *id, const char *cipher, char *out)
{
    size_t n = 0;
    if (cipher == NULL || strlen(cipher) > MAX_CIPHER_HEX)
        return JG_INVALID;
    jg_rc rc = jg_sm2_decrypt_hex(id->login_key, cipher, out, MAX_PASSWORD_BYTES, &n);
    if (rc != JG_OK || !jg_utf8_valid(out, n)) {
        memset(out, 0, MAX_PASSWORD_BYTES + 1);
        return JG_INVALID;
    }
    out[n] = '\0';
    return JG_OK;
}

struct audit_ctx {
    struct identity *id;
    jg_audit_entry e;
};

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct audit_ctx *a = ud;
    return jg_audit_append(c, a->id->audit_key, &a->e);
}

static jg_rc audit(jg_req *req, int64_t user_id, const char *username, const char *action, const char *detail)
{
    struct audit_ctx a = {identity_of(req), {user_id, username, req->ip, action, "app_user", NULL, detail}};
    char rid[24];
    if (user_id) {
        snprintf(rid, sizeof(rid), "%lld", (long long)user_id);
        a.e.record_id = rid;
    }
    return jg_db_tx(req->app->db, audit_tx, &a);
}

struct account {
    int64_t id;
    const char *hash, *locked_until;
    jg_principal p;
};

static jg_rc find_account(jg_req *req, const char *username, struct account **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(username)};
    jg_rc rc = jg_db_read(req->app->db,
                     "SELECT id, password_hash, locked_until, display_name, role, kind, org_code,"
                     " must_change_password, password_changed_at FROM app_user"
                     " WHERE username = $1 AND status = 'active'",
                     p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = NULL;
    if (jg_rows_count(r) == 1) {
        jg_arena *a = req->arena;
        struct account *acc = jg_arena_zalloc(a, sizeof(*acc));
        acc->id = jg_rows_int(r, 0, 0);
        acc->hash = jg_arena_strdup(a, jg_rows_text(r, 0, 1));
        acc->locked_until = jg_arena_strdup(a, jg_rows_text(r, 0, 2));
        acc->p.user_id = acc->id;
        acc->p.username = jg_arena_strdup(a, username);
        acc->p.display_name = jg_arena_strdup(a, jg_rows_text(r, 0, 3));
        acc->p.role = jg_arena_strdup(a, jg_rows_text(r, 0, 4));
        acc->p.kind = jg_arena_strdup(a, jg_rows_text(r, 0, 5));
        acc->p.org_code = jg_arena_strdup(a, jg_rows_text(r, 0, 6));
        acc->p.must_change_password = (int)jg_rows_int(r, 0, 7);
        /* A password older than the policy allows must be changed now, like an initial one. */
        char oldest[32];
        jg_time_iso_offset(-req->app->cfg->password_max_age_days * 86400, oldest, sizeof(oldest));
        const char *changed = jg_rows_text(r, 0, 8);
        if (changed == NULL || strcmp(changed, oldest) < 0)
            acc->p.must_change_password = 1;
        *out = acc;
    }
    jg_rows_free(r);
    return JG_OK;
}

struct failure {
    struct identity *id;
    struct account *acc;
    const jg_config *cfg;
    const char *username, *ip;
};

/* Count a failed login and lock the account at the limit, atomically, and audit it. */
static jg_rc failure_tx(jg_conn *c, void *ud)
{
    struct failure *f = ud;
    char until[32];
    jg_time_iso_offset(f->cfg->login_lock_s, until, sizeof(until));
    if (f->acc != NULL) {
        jg_value p[] = {JG_VINT(f->cfg->login_max_failures), JG_VTEXT(until), JG_VINT(f->acc->id)};
        jg_rc rc = jg_db_exec(c,
                              "UPDATE app_user SET failed_logins = failed_logins + 1, locked_until = CASE"
                              " WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3",
                              p, 3, NULL);
        if (rc != JG_OK)
            return rc;
    }
    jg_audit_entry e = {f->acc ? f->acc->id : 0, f->username, f->ip, "login_failed", "app_user", NULL, NULL};
    return jg_audit_append(c, f->id->audit_key, &e);
}

struct success {
    struct identity *id;
    struct account *acc;
    const char *ip;
    char token[JG_SESSION_TOKEN_LEN + 1], csrf[JG_SESSION_CSRF_LEN + 1];
};

static jg_rc success_tx(jg_conn *c, void *ud)
{
    struct success *s = ud;
    jg_value p[] = {JG_VINT(s->acc->id)};
    jg_rc rc = jg_db_exec(c, "UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1", p, 1, NULL);
    if (rc == JG_OK)
        rc = jg_session_create(c, s->acc->id, s->ip, &s->id->limits, s->token, s->csrf);
    jg_audit_entry e = {s->acc->id, s->acc->p.username, s->ip, "login", "app_user", NULL, NULL};
    if (rc == JG_OK)
        rc = jg_audit_append(c, s->id->audit_key, &e);
    return rc;
}

static jg_rc login(jg_req *req, jg_resp *resp)
{
    struct identity *id = identity_of(req);
    const jg_config *cfg = req->app->cfg;
    if (!rate_ok(id, req->ip, cfg->auth_rate_per_minute)) {
        jg_resp_status_error(req, resp, 429, "rate_limited", "请求过于频繁，请稍后再试", NULL);
        return JG_DENIED;
    }
    const char *username = json_string_value(json_object_get(req->json, "username"));
    const char *cipher = json_string_value(json_object_get(req->json, "password"));
    json_t *fields = json_object();
    if (username == NULL || *username == '\0' || strlen(username) > MAX_USERNAME)
        json_object_set_new(fields, "username", json_string("请输入用户名"));
    if (cipher == NULL || *cipher == '\0' || strlen(cipher) > MAX_CIPHER_HEX)
        json_object_set_new(fields, "password", json_string("请输入密码"));
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请输入用户名和密码", fields);
    json_decref(fields);

    char plain[MAX_PASSWORD_BYTES + 1];
    if (decrypt_password(id, cipher, plain) != JG_OK)
        return jg_resp_error(req, resp, JG_INVALID, "密码密文无效，请刷新登录页面后重试");

    struct account *acc = NULL;
    jg_rc rc = find_account(req, username, &acc);
    if (rc == JG_OK) {
        char now[32];
        jg_time_iso_now(now, sizeof(now));
        if (acc != NULL && acc->locked_until != NULL && strcmp(acc->locked_until, now) > 0) {
            memset(plain, 0, sizeof(plain));
            audit(req, acc->id, username, "login_locked", NULL);
            jg_resp_status_error(req, resp, 423, "account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试",
                                 NULL);
            return JG_DENIED;
        }
        /* Unknown users cost a verification too, so timing does not tell them apart. */
        rc = jg_password_verify(plain, acc != NULL ? acc->hash : id->decoy_hash);
        if (acc == NULL && rc == JG_OK)
            rc = JG_DENIED;
    }
    memset(plain, 0, sizeof(plain));
    if (rc == JG_DENIED || rc == JG_INVALID) {
        struct failure f = {id, acc, cfg, username, req->ip};
        rc = jg_db_tx(req->app->db, failure_tx, &f);
        if (rc != JG_OK)
            return rc;
        return jg_resp_error(req, resp, JG_UNAUTHORIZED, "用户名或密码错误");
    }
    if (rc != JG_OK)
        return rc;
    struct success s = {.id = id, .acc = acc, .ip = req->ip};
    rc = jg_db_tx(req->app->db, success_tx, &s);
    if (rc != JG_OK)
        return rc;
    set_cookie(req, resp, s.token, id->limits.absolute_s);
    acc->p.csrf_token = jg_arena_strdup(req->arena, s.csrf);
    return answer_user(req, resp, &acc->p);
}

struct change {
    struct identity *id;
    const jg_principal *p;
    const char *ip;
    char hash[JG_PASSWORD_HASH_MAX];
};

static jg_rc change_tx(jg_conn *c, void *ud)
{
    struct change *ch = ud;
    jg_rc rc = jg_password_set(c, ch->p->user_id, ch->hash);
    jg_audit_entry e = {ch->p->user_id, ch->p->username, ch->ip, "password_change", "app_user", NULL, NULL};
    if (rc == JG_OK)
        rc = jg_audit_append(c, ch->id->audit_key, &e);
    return rc;
}

/* POST {"old_password","new_password"}, both SM2-encrypted like the login password. */
static jg_rc change_password(jg_req *req, jg_resp *resp)
{
    struct identity *id = identity_of(req);
    const jg_principal *p = req->principal;
    char old[MAX_PASSWORD_BYTES + 1], fresh[MAX_PASSWORD_BYTES + 1];
    if (decrypt_password(id, json_string_value(json_object_get(req->json, "old_password")), old) != JG_OK ||
        decrypt_password(id, json_string_value(json_object_get(req->json, "new_password")), fresh) != JG_OK)
        return jg_resp_error(req, resp, JG_INVALID, "密码密文无效，请刷新页面后重试");
    struct account *acc = NULL;
    jg_rc rc = find_account(req, p->username, &acc);
    if (rc == JG_OK && acc == NULL)
        rc = JG_UNAUTHORIZED;
    if (rc == JG_OK && jg_password_verify(old, acc->hash) != JG_OK) {
        rc = jg_resp_error_fields(req, resp, JG_INVALID, "原密码不正确",
                                  json_pack("{s:s}", "old_password", "原密码不正确"));
    }
    const char *weak = rc == JG_OK ? jg_password_weakness(fresh, p->username) : NULL;
    if (weak != NULL)
        rc = jg_resp_error_fields(req, resp, JG_INVALID, weak, json_pack("{s:s}", "new_password", weak));
    if (rc == JG_OK) {
        rc = jg_password_reused(req->app->db, p->user_id, fresh);
        if (rc == JG_CONFLICT)
            jg_resp_error_fields(req, resp, JG_INVALID, "新密码不能与最近 5 次使用过的密码相同",
                                 json_pack("{s:s}", "new_password", "不能与最近使用过的密码相同"));
    }
    struct change ch = {.id = id, .p = p, .ip = req->ip};
    if (rc == JG_OK)
        rc = jg_password_hash(fresh, JG_PASSWORD_ITERATIONS, ch.hash, sizeof(ch.hash));
    memset(old, 0, sizeof(old));
    memset(fresh, 0, sizeof(fresh));
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, change_tx, &ch);
    if (rc != JG_OK)
        return rc == JG_CONFLICT ? JG_INVALID : rc;
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}

/* GET /api/v1/audit?page=&size=&action= — the audit log, newest first (auditors only). */
static jg_rc audit_list(jg_req *req, jg_resp *resp)
{
    int64_t page = 1, size = 50;
    const char *pg = jg_req_query(req, "page"), *sz = jg_req_query(req, "size");
    const char *action = jg_req_query(req, "action");
    if ((pg != NULL && jg_parse_int64(pg, 1, 100000, &page) != JG_OK) ||
        (sz != NULL && jg_parse_int64(sz, 1, req->app->cfg->max_page_size, &size) != JG_OK))
        return jg_resp_error(req, resp, JG_INVALID, "分页参数不正确");
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(action ? action : ""), JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rc rc = jg_db_read(req->app->db,
                     "SELECT id, at, user_id, username, ip, action, entity, record_id, detail, hash FROM audit_log"
                     " WHERE ($1 = '' OR action = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
                     p, 3, &r);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, r, page, size);
}

static jg_rc me(jg_req *req, jg_resp *resp)
{
    return answer_user(req, resp, req->principal);
}

static jg_rc logout(jg_req *req, jg_resp *resp)
{
    const jg_principal *p = req->principal;
    jg_rc rc = jg_session_revoke(req->app->db, p->session_id);
    if (rc == JG_OK)
        rc = audit(req, p->user_id, p->username, "logout", NULL);
    if (rc != JG_OK)
        return rc;
    set_cookie(req, resp, "", 0);
    return jg_resp_json(req, resp, 200, json_pack("{s:b}", "ok", 1));
}

/* The roles table compiled in from defs/platform/roles.json. */
static json_t *load_roles(void)
{
    const jg_embedded_file *f = jg_embedded_find(jg_embedded_defs, "roles.json");
    json_error_t e;
    json_t *doc = f != NULL ? json_loadb((const char *)f->data, f->len, 0, &e) : NULL;
    json_t *roles = json_incref(json_object_get(doc, "roles"));
    json_decref(doc);
    return roles;
}

static jg_rc identity_init(jg_app *app)
{
    struct identity *id = jg_xcalloc(1, sizeof(*id));
    id->roles = load_roles();
    pthread_mutex_init(&id->rate_mu, NULL);
    id->limits.idle_s = (int)app->cfg->session_idle_s;
    id->limits.absolute_s = (int)app->cfg->session_absolute_s;
    jg_rc rc = jg_keys_sm2(app->cfg->data_dir, "login-sm2.pem", &id->login_key);
    if (rc == JG_OK)
        rc = jg_sm2_pub_to_hex(id->login_key, id->login_pub);
    if (rc == JG_OK)
        rc = jg_keys_secret(app->cfg->data_dir, "audit.key", id->audit_key, sizeof(id->audit_key));
    if (rc == JG_OK && !json_is_object(id->roles))
        rc = JG_ERR; /* the build embedded a broken roles.json */
    if (rc == JG_OK)
        rc = jg_password_hash("jianguan-no-such-user", JG_PASSWORD_ITERATIONS, id->decoy_hash,
                              sizeof(id->decoy_hash));
    app->identity = id;
    app->authenticate = authenticate;
    return rc;
}

static void identity_exit(jg_app *app)
{
    struct identity *id = app->identity;
    if (id == NULL)
        return;
    jg_sm2_key_free(id->login_key);
    json_decref(id->roles);
    pthread_mutex_destroy(&id->rate_mu);
    free(id);
    app->identity = NULL;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/auth/login-key", login_key, 0, "登录公钥（SM2，密码加密用）", "identity", NULL},
    {"POST", "/api/v1/auth/login", login, JG_ROUTE_JSON, "登录（密码为 SM2 C1C3C2 密文）", "identity", NULL},
    {"POST", "/api/v1/auth/logout", logout, JG_ROUTE_AUTH, "退出登录", "identity", NULL},
    {"GET", "/api/v1/auth/me", me, JG_ROUTE_AUTH, "当前用户", "identity", NULL},
    {"POST", "/api/v1/auth/password", change_password, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改密码（新旧密码均为 SM2 密文）", "identity", NULL},
    {"GET", "/api/v1/audit", audit_list, JG_ROUTE_AUTH, "审计日志查询（审计员）", "identity", "audit.read"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_identity = {"identity", routes, identity_init, identity_exit};
