/* Password login and password change.
 *
 * Failures are counted per name tried (login_attempt, keyed by the SM3 of the lower-cased name),
 * whether or not an account has that name: lockout (423) and the captcha then behave the same for
 * unknown names, and a wrong user and a wrong password get the same answer after the same work. */
#include "platform/login.h"
#include "platform/captcha.h"
#include "platform/identity_int.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "platform/password.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

jg_rc jg_login_name_key(const char *name, char out[2 * JG_SM3_LEN + 1])
{
    char lower[JG_MAX_USERNAME + 1];
    size_t n = 0;
    for (; name[n] != '\0' && n < JG_MAX_USERNAME; n++)
        lower[n] = (char)tolower((unsigned char)name[n]);
    unsigned char d[JG_SM3_LEN];
    jg_rc rc = jg_sm3(lower, n, d);
    if (rc == JG_OK)
        jg_crypto_hex_encode(d, sizeof(d), out);
    return rc;
}

jg_rc jg_login_attempts(jg_db *db, const char *name_key, int *failures, int *locked)
{
    jg_rows *r;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(name_key)};
    jg_rc rc =
        jg_db_read(db, "SELECT failures, locked_until FROM login_attempt WHERE name_key = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *failures = 0;
    *locked = 0;
    if (jg_rows_count(r) == 1) {
        *failures = (int)jg_rows_int(r, 0, 0);
        const char *until = jg_rows_text(r, 0, 1);
        *locked = until != NULL && strcmp(until, now) > 0;
    }
    jg_rows_free(r);
    return JG_OK;
}

struct failure {
    jg_identity *id;
    const jg_config *cfg;
    const char *name_key, *username, *ip;
    int64_t user_id;
};

/* Count a failed login for the name and lock it at the limit, atomically, and audit it. */
static jg_rc failure_tx(jg_conn *c, void *ud)
{
    struct failure *f = ud;
    char now[32], until[32];
    jg_time_iso_now(now, sizeof(now));
    jg_time_iso_offset(f->cfg->login_lock_s, until, sizeof(until));
    /* A lock that has run out starts the count again. */
    jg_value p[] = {JG_VTEXT(f->name_key), JG_VTEXT(now), JG_VINT(f->cfg->login_max_failures),
                    JG_VTEXT(until)};
    jg_rc rc =
        jg_db_exec(c,
                   "INSERT INTO login_attempt (name_key, failures, last_at, locked_until)"
                   " VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $4 END)"
                   " ON CONFLICT (name_key) DO UPDATE SET"
                   " failures = CASE WHEN login_attempt.locked_until IS NOT NULL"
                   "   AND login_attempt.locked_until <= $2 THEN 1 ELSE login_attempt.failures + 1 END,"
                   " last_at = $2,"
                   " locked_until = CASE WHEN login_attempt.locked_until IS NOT NULL"
                   "   AND login_attempt.locked_until <= $2 THEN NULL"
                   "   WHEN login_attempt.failures + 1 >= $3 THEN $4 ELSE login_attempt.locked_until END",
                   p, 4, NULL);
    if (rc != JG_OK)
        return rc;
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)f->user_id);
    jg_audit_entry e = {f->user_id, f->username, f->ip, "login_failed", "app_user", f->user_id ? rid : NULL,
                        NULL};
    return jg_audit_append(c, f->id->audit_key, &e);
}

jg_rc jg_login_failed(jg_req *req, const char *name_key, const char *username, int64_t user_id)
{
    struct failure f = {jg_identity_of(req), req->app->cfg, name_key, username, req->ip, user_id};
    return jg_db_tx(req->app->db, failure_tx, &f);
}

jg_rc jg_login_forget_failures(jg_db *db, const char *name_key)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 1, &c);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VTEXT(name_key)};
    rc = jg_db_exec(c, "DELETE FROM login_attempt WHERE name_key = $1", p, 1, NULL);
    jg_db_release(c);
    return rc;
}

struct account {
    int64_t id;
    const char *hash;
};

/* The active account called username, or *out = NULL. */
static jg_rc find_account(jg_req *req, const char *username, struct account **out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(username)};
    jg_rc rc = jg_db_read(req->app->db,
                          "SELECT id, password_hash FROM app_user WHERE username = $1 AND status = 'active'",
                          p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = NULL;
    if (jg_rows_count(r) == 1) {
        struct account *acc = jg_arena_zalloc(req->arena, sizeof(*acc));
        acc->id = jg_rows_int(r, 0, 0);
        acc->hash = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 1));
        *out = acc;
    }
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc login(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    if (!jg_identity_rate_ok(req, resp))
        return JG_DENIED;
    const char *username = json_string_value(json_object_get(req->json, "username"));
    const char *cipher = json_string_value(json_object_get(req->json, "password"));
    json_t *fields = json_object();
    if (username == NULL || *username == '\0' || strlen(username) > JG_MAX_USERNAME)
        json_object_set_new(fields, "username", json_string("请输入用户名"));
    if (cipher == NULL || *cipher == '\0' || strlen(cipher) > JG_MAX_CIPHER_HEX)
        json_object_set_new(fields, "password", json_string("请输入密码"));
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请输入用户名和密码", fields);
    json_decref(fields);

    char key[2 * JG_SM3_LEN + 1];
    int failures, locked;
    jg_rc rc = jg_login_name_key(username, key);
    if (rc == JG_OK)
        rc = jg_login_attempts(req->app->db, key, &failures, &locked);
    if (rc != JG_OK)
        return rc;
    if (locked) {
        jg_identity_audit(req, 0, username, "login_locked", "app_user", NULL, NULL);
        jg_resp_status_error(req, resp, 423, "account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试",
                             NULL);
        return JG_DENIED;
    }
    /* The captcha goes before the password, so an answer never tells whether the password was
     * right; a wrong captcha is not a password failure (the password was not tried). */
    if (jg_captcha_needed(req->app->cfg, failures)) {
        const char *cid = json_string_value(json_object_get(req->json, "captcha_id"));
        const char *answer = json_string_value(json_object_get(req->json, "captcha"));
        if (cid == NULL || *cid == '\0' || answer == NULL || *answer == '\0') {
            jg_resp_status_error(req, resp, 400, "captcha_required", "请输入图形验证码", NULL);
            return JG_INVALID;
        }
        rc = jg_captcha_check(req, cid, answer);
        if (rc == JG_DENIED) {
            jg_identity_audit(req, 0, username, "captcha_failed", "app_user", NULL, NULL);
            jg_resp_status_error(req, resp, 400, "captcha_invalid", "图形验证码错误或已过期，请刷新后重试",
                                 NULL);
            return JG_INVALID;
        }
        if (rc != JG_OK)
            return rc;
    }

    char plain[JG_MAX_PASSWORD_BYTES + 1];
    if (jg_identity_decrypt_password(id, cipher, plain) != JG_OK)
        return jg_resp_error(req, resp, JG_INVALID, "密码密文无效，请刷新登录页面后重试");
    struct account *acc = NULL;
    rc = find_account(req, username, &acc);
    if (rc == JG_OK) {
        /* Unknown users cost a verification too, so timing does not tell them apart. */
        rc = jg_password_verify(plain, acc != NULL ? acc->hash : id->decoy_hash);
        if (acc == NULL && rc == JG_OK)
            rc = JG_DENIED;
    }
    memset(plain, 0, sizeof(plain));
    if (rc == JG_DENIED || rc == JG_INVALID) {
        rc = jg_login_failed(req, key, username, acc != NULL ? acc->id : 0);
        if (rc != JG_OK)
            return rc;
        return jg_resp_error(req, resp, JG_UNAUTHORIZED, "用户名或密码错误");
    }
    if (rc == JG_OK && failures > 0)
        rc = jg_login_forget_failures(req->app->db, key);
    if (rc != JG_OK)
        return rc;
    return jg_identity_login_user(req, resp, acc->id, username, "password");
}

struct change {
    jg_identity *id;
    const jg_principal *p;
    const char *ip;
    char hash[JG_PASSWORD_HASH_MAX];
};

static jg_rc change_tx(jg_conn *c, void *ud)
{
    struct change *ch = ud;
    jg_rc rc = jg_password_set(c, ch->p->user_id, ch->hash);
    /* Whoever else holds a session of this user, perhaps with the old password, is logged out. */
    jg_value p[] = {JG_VINT(ch->p->user_id), JG_VINT(ch->p->session_id)};
    if (rc == JG_OK)
        rc = jg_db_exec(
            c, "UPDATE login_session SET revoked = 1 WHERE user_id = $1 AND id <> $2 AND revoked = 0", p, 2,
            NULL);
    jg_audit_entry e = {ch->p->user_id, ch->p->username, ch->ip, "password_change", "app_user", NULL, NULL};
    if (rc == JG_OK)
        rc = jg_audit_append(c, ch->id->audit_key, &e);
    return rc;
}

/* POST {"old_password","new_password"}, both SM2-encrypted like the login password. */
static jg_rc change_password(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    const jg_principal *p = req->principal;
    char old[JG_MAX_PASSWORD_BYTES + 1], fresh[JG_MAX_PASSWORD_BYTES + 1];
    if (jg_identity_decrypt_password(id, json_string_value(json_object_get(req->json, "old_password")),
                                     old) != JG_OK ||
        jg_identity_decrypt_password(id, json_string_value(json_object_get(req->json, "new_password")),
                                     fresh) != JG_OK)
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

static const jg_route routes[] = {
    {"POST", "/api/v1/auth/login", login, JG_ROUTE_JSON, "登录（密码为 SM2 C1C3C2 密文）", "identity", NULL},
    {"POST", "/api/v1/auth/password", change_password, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改密码（新旧密码均为 SM2 密文）", "identity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_login = {"login", routes, NULL, NULL};
