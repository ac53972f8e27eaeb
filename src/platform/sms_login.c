/* SMS verification-code login for the mobile app: a 6-digit code sent to the phone of an account
 * through the SMS gateway (sms_gateway.h), then exchanged for a session like a password.
 *
 * Routes: POST /api/v1/auth/sms/send {phone}, POST /api/v1/auth/sms/login {phone, code}.
 * With sms_gateway_url empty both answer 404 `sms_login_disabled`.
 *
 * One sms_code row per accepted send, also for phones that no account has, so that the answer,
 * the resend interval and the lockout are the same for both and reveal no account:
 *
 *     phone_bidx  jg_sm4_blind_index(field_key, "phone", phone), as app_user.phone_bidx
 *     code_hash   hex HMAC-SM3(K, phone_bidx "|" code), K = HMAC-SM3(field_key, CODE_KEY_LABEL)
 *     created_at  when it was asked for; the resend interval counts from here
 *     expires_at  created_at + sms_code_ttl_s
 *     attempts    login tries with it; MAX_TRIES of them kill it
 *     used        0 only while the code is live
 *
 *     insert (used 1) --gateway 2xx--> live (used 0) --right code--------------> used 1
 *        |                               |--MAX_TRIES tries, expiry-----------> dead
 *        |                               '--a newer code is sent------------> used 1
 *        '--unknown phone: never sent, stays used 1;  gateway fails: deleted
 *
 * Failed logins count in login_attempt under jg_login_name_key(phone_bidx): the same lockout as
 * passwords (423), per phone tried, without a reversible hash of the phone in that table. */
#include "platform/idcheck.h"
#include "platform/identity_int.h"
#include "platform/login.h"
#include "platform/sms_gateway.h"

#include "base/log.h"
#include "base/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PHONE_LEN 11
#define CODE_LEN 6
#define MAX_TRIES 5
#define HASH_HEX (2 * JG_SM3_LEN)
#define CODE_KEY_LABEL "jianguan sms login code v1"
#define WRONG_CODE "验证码错误或已过期"
#define PURGE_AFTER_S 86400 /* a phone's codes expired this long ago go at its next send */

/* 1 if s is CODE_LEN digits. */
static int code_valid(const char *s)
{
    if (s == NULL || strlen(s) != CODE_LEN)
        return 0;
    for (int i = 0; i < CODE_LEN; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* A fresh code of CODE_LEN random digits, uniform: draws at or above the largest multiple of
 * 10^6 below 2^32 are drawn again, so no value is likelier than another. */
static jg_rc code_new(char out[CODE_LEN + 1])
{
    const uint32_t limit = UINT32_MAX - UINT32_MAX % 1000000u; /* 4294000000 */
    uint32_t v;
    do {
        jg_rc rc = jg_crypto_random(&v, sizeof(v));
        if (rc != JG_OK)
            return rc;
    } while (v >= limit);
    snprintf(out, CODE_LEN + 1, "%06u", (unsigned)(v % 1000000u));
    return JG_OK;
}

/* The stored form of code for the phone with blind index bidx (see the top of the file). */
static jg_rc code_hash(const unsigned char field_key[JG_SM4_KEY_LEN], const char *bidx, const char *code,
                       char out[HASH_HEX + 1])
{
    unsigned char k[JG_SM3_LEN], d[JG_SM3_LEN];
    char msg[JG_SM4_INDEX_LEN + 1 + CODE_LEN + 1];
    int n = snprintf(msg, sizeof(msg), "%s|%s", bidx, code);
    jg_rc rc = n > 0 && (size_t)n < sizeof(msg) ? JG_OK : JG_INVALID;
    if (rc == JG_OK)
        rc = jg_hmac_sm3(field_key, JG_SM4_KEY_LEN, CODE_KEY_LABEL, strlen(CODE_KEY_LABEL), k);
    if (rc == JG_OK)
        rc = jg_hmac_sm3(k, sizeof(k), msg, (size_t)n, d);
    if (rc == JG_OK)
        jg_crypto_hex_encode(d, sizeof(d), out);
    memset(k, 0, sizeof(k));
    memset(msg, 0, sizeof(msg));
    return rc;
}

/* Milliseconds since the epoch of a stored "YYYY-MM-DDTHH:MM:SS.mmmZ"; 0 if it is not one. */
static int64_t iso_ms(const char *iso)
{
    struct tm tm = {0};
    int ms = 0;
    if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int sms_on(const jg_config *cfg)
{
    return cfg->sms_gateway_url != NULL && *cfg->sms_gateway_url != '\0';
}

static jg_rc sms_off(jg_req *req, jg_resp *resp)
{
    jg_resp_status_error(req, resp, 404, "sms_login_disabled", "未开通短信验证码登录，请使用账号密码登录",
                         NULL);
    return JG_NOTFOUND;
}

static jg_rc locked_answer(jg_req *req, jg_resp *resp, const char *who)
{
    jg_identity_audit(req, 0, who, "login_locked", "app_user", NULL, NULL);
    jg_resp_status_error(req, resp, 423, "account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试",
                         NULL);
    return JG_DENIED;
}

/* What the two routes know about the phone in the request. */
struct phone {
    const char *number;
    char mask[PHONE_LEN + 1];
    char bidx[JG_SM4_INDEX_LEN + 1];
    char name_key[2 * JG_SM3_LEN + 1]; /* its login_attempt key */
    int failures, locked;
    int64_t user_id; /* the one active account with this phone, or 0 */
    char username[JG_MAX_USERNAME + 1];
};

/* Fill ph for number (valid): indexes, lock state and the account. One account only: a phone
 * shared by several active accounts cannot say whom to log in, and logs in no one. */
static jg_rc phone_lookup(jg_req *req, const char *number, struct phone *ph)
{
    memset(ph, 0, sizeof(*ph));
    ph->number = number;
    jg_idcheck_mask_phone(number, ph->mask);
    jg_rc rc = jg_sm4_blind_index(jg_identity_of(req)->field_key, "phone", number, PHONE_LEN, ph->bidx);
    if (rc == JG_OK)
        rc = jg_login_name_key(ph->bidx, ph->name_key);
    if (rc == JG_OK)
        rc = jg_login_attempts(req->app->db, ph->name_key, &ph->failures, &ph->locked);
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(ph->bidx)};
    if (rc == JG_OK)
        rc = jg_db_read(req->app->db,
                        "SELECT id, username FROM app_user WHERE phone_bidx = $1 AND status = 'active'"
                        " ORDER BY id LIMIT 2",
                        p, 1, &r);
    if (rc == JG_OK && jg_rows_count(r) == 1) {
        ph->user_id = jg_rows_int(r, 0, 0);
        snprintf(ph->username, sizeof(ph->username), "%s", jg_rows_text(r, 0, 1));
    }
    jg_rows_free(r);
    return rc;
}

/* ---- POST /api/v1/auth/sms/send ---- */

struct issue {
    const struct phone *ph;
    const jg_config *cfg;
    char hash[HASH_HEX + 1];
    int64_t id; /* the new row */
    int wait_s; /* > 0: too soon, nothing inserted */
};

/* Check the resend interval and insert the code not yet usable, as one step per phone: the
 * login_attempt row of the phone is locked first, so two sends for one phone take turns (on
 * PostgreSQL the second fails to serialize and is retried; SQLite has one writer anyway). */
static jg_rc issue_tx(jg_conn *c, void *ud)
{
    struct issue *is = ud;
    char now[32], expires[32], purge[32];
    jg_time_iso_now(now, sizeof(now));
    jg_time_iso_offset(is->cfg->sms_code_ttl_s, expires, sizeof(expires));
    jg_time_iso_offset(-PURGE_AFTER_S, purge, sizeof(purge));
    is->id = 0;
    is->wait_s = 0;
    jg_value lock[] = {JG_VTEXT(is->ph->name_key), JG_VTEXT(now)};
    jg_rc rc = jg_db_exec(c,
                          "INSERT INTO login_attempt (name_key, failures, last_at) VALUES ($1, 0, $2)"
                          " ON CONFLICT (name_key) DO UPDATE SET last_at = login_attempt.last_at",
                          lock, 2, NULL);
    jg_rows *r = NULL;
    jg_value who[] = {JG_VTEXT(is->ph->bidx)};
    if (rc == JG_OK)
        rc = jg_db_query(
            c, "SELECT created_at FROM sms_code WHERE phone_bidx = $1 ORDER BY created_at DESC LIMIT 1", who,
            1, &r);
    if (rc == JG_OK && jg_rows_count(r) == 1) {
        int64_t left = iso_ms(jg_rows_text(r, 0, 0)) + is->cfg->sms_resend_s * 1000 - iso_ms(now);
        if (left > 0)
            is->wait_s = (int)((left + 999) / 1000);
    }
    jg_rows_free(r);
    if (rc != JG_OK || is->wait_s > 0)
        return rc;
    jg_value old[] = {JG_VTEXT(is->ph->bidx), JG_VTEXT(purge)};
    rc = jg_db_exec(c, "DELETE FROM sms_code WHERE phone_bidx = $1 AND expires_at < $2", old, 2, NULL);
    jg_value p[] = {JG_VTEXT(is->ph->bidx), JG_VTEXT(is->hash), JG_VTEXT(now), JG_VTEXT(expires)};
    if (rc == JG_OK)
        rc =
            jg_db_query(c,
                        "INSERT INTO sms_code (phone_bidx, code_hash, created_at, expires_at, attempts, used)"
                        " VALUES ($1, $2, $3, $4, 0, 1) RETURNING id",
                        p, 4, &r);
    if (rc == JG_OK) {
        is->id = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
        jg_rows_free(r);
        if (is->id == 0)
            rc = JG_ERR;
    }
    return rc;
}

struct activate {
    jg_identity *id;
    const struct phone *ph;
    const char *ip;
    int64_t code_id;
};

/* The code reached the gateway: make it the phone's only live code, and audit the send. */
static jg_rc activate_tx(jg_conn *c, void *ud)
{
    struct activate *a = ud;
    jg_value p[] = {JG_VTEXT(a->ph->bidx), JG_VINT(a->code_id)};
    jg_rc rc = jg_db_exec(c, "UPDATE sms_code SET used = 1 WHERE phone_bidx = $1 AND used = 0 AND id <> $2",
                          p, 2, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c, "UPDATE sms_code SET used = 0 WHERE id = $2 AND phone_bidx = $1", p, 2, NULL);
    char rid[24], detail[64];
    snprintf(rid, sizeof(rid), "%lld", (long long)a->ph->user_id);
    snprintf(detail, sizeof(detail), "{\"phone\":\"%s\"}", a->ph->mask);
    jg_audit_entry e = {a->ph->user_id, a->ph->username, a->ip, "sms_code_sent", "app_user", rid, detail};
    if (rc == JG_OK)
        rc = jg_audit_append(c, a->id->audit_key, &e);
    return rc;
}

static jg_rc drop_tx(jg_conn *c, void *ud)
{
    const int64_t *code_id = ud;
    jg_value p[] = {JG_VINT(*code_id)};
    return jg_db_exec(c, "DELETE FROM sms_code WHERE id = $1", p, 1, NULL);
}

static jg_rc too_soon(jg_req *req, jg_resp *resp, int wait_s)
{
    char secs[16];
    snprintf(secs, sizeof(secs), "%d", wait_s);
    jg_resp_header(req, resp, "Retry-After", secs);
    jg_resp_status_error(req, resp, 429, "sms_too_frequent",
                         jg_arena_printf(req->arena, "验证码发送过于频繁，请 %d 秒后再试", wait_s), NULL);
    return JG_DENIED;
}

static jg_rc send_code(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    const jg_config *cfg = req->app->cfg;
    if (!sms_on(cfg))
        return sms_off(req, resp);
    if (!jg_identity_rate_ok(req, resp))
        return JG_DENIED;
    const char *number = json_string_value(json_object_get(req->json, "phone"));
    if (!jg_idcheck_phone(number))
        return jg_resp_error_fields(req, resp, JG_INVALID, "手机号码格式不正确",
                                    json_pack("{s:s}", "phone", "请输入 11 位手机号码"));
    struct phone ph;
    jg_rc rc = phone_lookup(req, number, &ph);
    if (rc != JG_OK)
        return rc;
    if (ph.locked)
        return locked_answer(req, resp, ph.user_id ? ph.username : ph.mask);

    /* Unknown phones get a row and a code too, which is never sent and never live. */
    char code[CODE_LEN + 1];
    struct issue is = {.ph = &ph, .cfg = cfg};
    rc = code_new(code);
    if (rc == JG_OK)
        rc = code_hash(id->field_key, ph.bidx, code, is.hash);
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, issue_tx, &is);
    if (rc == JG_OK && is.wait_s > 0)
        rc = too_soon(req, resp, is.wait_s);
    if (rc == JG_OK && ph.user_id != 0) {
        rc = jg_sms_send(cfg, number, code, (int)((cfg->sms_code_ttl_s + 59) / 60));
        if (rc == JG_OK) {
            struct activate a = {id, &ph, req->ip, is.id};
            rc = jg_db_tx(req->app->db, activate_tx, &a); /* failing, the code stays unusable */
        } else {
            /* Gone, so it neither works nor delays the next try; kept unusable if this fails. */
            if (jg_db_tx(req->app->db, drop_tx, &is.id) != JG_OK)
                jg_warn("sms: code row %lld left (unusable) after a failed send", (long long)is.id);
            jg_resp_status_error(req, resp, 503, "sms_unavailable",
                                 "短信服务暂不可用，请稍后再试或使用密码登录", NULL);
        }
    }
    memset(code, 0, sizeof(code));
    if (rc != JG_OK)
        return rc;
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:b, s:I}", "sent", 1, "resend_after", (json_int_t)cfg->sms_resend_s));
}

/* ---- POST /api/v1/auth/sms/login ---- */

struct spend {
    const char *bidx, *hash;
    int right; /* the live code matched and is now used */
};

/* Try the phone's live code: one more attempt, and used if it matched. Of two concurrent tries
 * one sees the other's update (SQLite: one writer; PostgreSQL: serialization failure, retry). */
static jg_rc spend_tx(jg_conn *c, void *ud)
{
    struct spend *s = ud;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    s->right = 0;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(s->bidx), JG_VTEXT(now), JG_VINT(MAX_TRIES)};
    jg_rc rc = jg_db_query(c,
                           "SELECT id, code_hash FROM sms_code WHERE phone_bidx = $1 AND used = 0"
                           " AND attempts < $3 AND expires_at > $2 ORDER BY id DESC LIMIT 1",
                           p, 3, &r);
    if (rc != JG_OK)
        return rc;
    int64_t code_id = 0;
    int right = 0;
    if (jg_rows_count(r) == 1) {
        const char *stored = jg_rows_text(r, 0, 1);
        code_id = jg_rows_int(r, 0, 0);
        right = stored != NULL && strlen(stored) == HASH_HEX &&
                jg_crypto_equal(stored, s->hash, HASH_HEX) == JG_OK;
    }
    jg_rows_free(r);
    if (code_id == 0)
        return JG_OK;
    int64_t changes = 0;
    jg_value u[] = {JG_VINT(code_id), JG_VINT(right), JG_VINT(MAX_TRIES)};
    rc = jg_db_exec(c,
                    "UPDATE sms_code SET attempts = attempts + 1, used = $2"
                    " WHERE id = $1 AND used = 0 AND attempts < $3",
                    u, 3, &changes);
    s->right = rc == JG_OK && changes == 1 && right;
    return rc;
}

static jg_rc login_sms(jg_req *req, jg_resp *resp)
{
    jg_identity *id = jg_identity_of(req);
    if (!sms_on(req->app->cfg))
        return sms_off(req, resp);
    if (!jg_identity_rate_ok(req, resp))
        return JG_DENIED;
    const char *number = json_string_value(json_object_get(req->json, "phone"));
    const char *code = json_string_value(json_object_get(req->json, "code"));
    json_t *fields = json_object();
    if (!jg_idcheck_phone(number))
        json_object_set_new(fields, "phone", json_string("请输入 11 位手机号码"));
    if (!code_valid(code))
        json_object_set_new(fields, "code", json_string("请输入 6 位数字验证码"));
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请输入手机号码和验证码", fields);
    json_decref(fields);

    struct phone ph;
    jg_rc rc = phone_lookup(req, number, &ph);
    if (rc != JG_OK)
        return rc;
    const char *who = ph.user_id ? ph.username : ph.mask;
    if (ph.locked)
        return locked_answer(req, resp, who);
    char hash[HASH_HEX + 1];
    struct spend s = {ph.bidx, hash, 0};
    rc = code_hash(id->field_key, ph.bidx, code, hash);
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, spend_tx, &s);
    if (rc != JG_OK)
        return rc;
    if (!s.right || ph.user_id == 0) {
        rc = jg_login_failed(req, ph.name_key, who, ph.user_id);
        if (rc != JG_OK)
            return rc;
        return jg_resp_error(req, resp, JG_UNAUTHORIZED, WRONG_CODE);
    }
    if (ph.failures > 0)
        rc = jg_login_forget_failures(req->app->db, ph.name_key);
    if (rc != JG_OK)
        return rc;
    return jg_identity_login_user(req, resp, ph.user_id, ph.username, "sms");
}

static int plain_remote(const char *url)
{
    static const char *const local[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    if (strncmp(url, "http://", 7) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        size_t n = strlen(local[i]);
        if (strncmp(url, local[i], n) == 0 && (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
            return 0;
    }
    return 1;
}

static jg_rc sms_init(jg_app *app)
{
    const jg_config *cfg = app->cfg;
    if (sms_on(cfg) && plain_remote(cfg->sms_gateway_url))
        jg_warn("sms: sms_gateway_url is plain HTTP: the token and the codes cross the network unencrypted");
    return jg_sms_init();
}

static void sms_exit(jg_app *app)
{
    (void)app;
    jg_sms_cleanup();
}

static const jg_route routes[] = {
    {"POST", "/api/v1/auth/sms/send", send_code, JG_ROUTE_JSON, "发送短信登录验证码", "identity", NULL},
    {"POST", "/api/v1/auth/sms/login", login_sms, JG_ROUTE_JSON, "短信验证码登录", "identity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_sms = {"sms", routes, sms_init, sms_exit};
