/* App-key request signatures (HMAC-SM3) for other systems: the canonical request, the signature,
 * and the verification the identity hook runs in place of a session (format in appkey.h).
 *
 * request_nonce: app_key | nonce | at (server time the nonce was first seen). A nonce is refused
 * again as long as a request carrying it could still pass the time check, which is up to
 * 2 * signature_window_s after it was seen (its timestamp may have been window seconds ahead). */
#include "platform/appkey.h"
#include "platform/identity_int.h"

#include "base/log.h"
#include "base/timeutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PURGE_EVERY_S 60

/* Seconds (wall clock) of the last purge of old nonces by this process. */
static _Atomic int64_t last_purge;

static int token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int token_ok(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= max || !token_char(s[n]))
            return 0;
    return n >= min;
}

int jg_appkey_key_ok(const char *s)
{
    return s != NULL && token_ok(s, 1, JG_APPKEY_MAX_KEY);
}

int jg_appkey_nonce_ok(const char *s)
{
    return s != NULL && token_ok(s, JG_APPKEY_NONCE_MIN, JG_APPKEY_NONCE_MAX);
}

jg_rc jg_appkey_parse_timestamp(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    if (s == NULL)
        return JG_INVALID;
    for (; s[n] != '\0'; n++) {
        if (n >= 12 || s[n] < '0' || s[n] > '9')
            return JG_INVALID;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0)
        return JG_INVALID;
    *out = v;
    return JG_OK;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

jg_rc jg_appkey_encode(jg_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n;) {
        /* Copy the longest run of characters that stay, then one escaped byte. */
        size_t run = i;
        while (run < n && (unreserved((unsigned char)s[run]) || (keep_slash && s[run] == '/')))
            run++;
        if (run > i && jg_buf_append(out, s + i, run - i) != JG_OK)
            return JG_TOOLARGE;
        i = run;
        if (i < n) {
            unsigned char c = (unsigned char)s[i++];
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (jg_buf_append(out, esc, 3) != JG_OK)
                return JG_TOOLARGE;
        }
    }
    return JG_OK;
}

struct pair {
    char *key, *value; /* encoded */
    int index;         /* position in the request: ties keep the order sent */
};

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

/* enc(s) as a NUL-terminated string in the arena; JG_TOOLARGE past the canonical maximum. */
static jg_rc encode_dup(jg_arena *a, const char *s, char **out)
{
    jg_buf b;
    jg_buf_init(&b, JG_APPKEY_CANONICAL_MAX);
    jg_rc rc = jg_appkey_encode(&b, s, strlen(s), 0);
    if (rc == JG_OK)
        *out = jg_arena_strndup(a, b.data != NULL ? b.data : "", b.len);
    jg_buf_free(&b);
    return rc;
}

static jg_rc canonical_query(jg_buf *out, const jg_kv *query, int nquery)
{
    if (nquery <= 0)
        return JG_OK;
    jg_arena *a = jg_arena_new();
    struct pair *pairs = jg_arena_alloc(a, sizeof(*pairs) * (size_t)nquery);
    jg_rc rc = JG_OK;
    for (int i = 0; i < nquery && rc == JG_OK; i++) {
        pairs[i].index = i;
        rc = encode_dup(a, query[i].key, &pairs[i].key);
        if (rc == JG_OK)
            rc = encode_dup(a, query[i].value != NULL ? query[i].value : "", &pairs[i].value);
    }
    if (rc == JG_OK)
        qsort(pairs, (size_t)nquery, sizeof(*pairs), pair_cmp);
    for (int i = 0; i < nquery && rc == JG_OK; i++) {
        if (i > 0)
            rc = jg_buf_puts(out, "&");
        if (rc == JG_OK)
            rc = jg_buf_puts(out, pairs[i].key);
        if (rc == JG_OK)
            rc = jg_buf_puts(out, "=");
        if (rc == JG_OK)
            rc = jg_buf_puts(out, pairs[i].value);
    }
    jg_arena_free(a);
    return rc;
}

jg_rc jg_appkey_canonical(jg_buf *out, const char *method, const char *path, const jg_kv *query, int nquery,
                          const char *timestamp, const char *nonce, const void *body, size_t body_len)
{
    unsigned char digest[JG_SM3_LEN];
    char body_hex[2 * JG_SM3_LEN + 1];
    jg_rc rc = jg_sm3(body != NULL ? body : "", body != NULL ? body_len : 0, digest);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(digest, sizeof(digest), body_hex);
    rc = jg_buf_puts(out, method);
    if (rc == JG_OK)
        rc = jg_buf_puts(out, "\n");
    if (rc == JG_OK)
        rc = jg_appkey_encode(out, path, strlen(path), 1);
    if (rc == JG_OK)
        rc = jg_buf_puts(out, "\n");
    if (rc == JG_OK)
        rc = canonical_query(out, query, nquery);
    if (rc == JG_OK)
        rc = jg_buf_printf(out, "\n%s\n%s\n%s", timestamp, nonce, body_hex);
    return rc == JG_OK ? JG_OK : JG_TOOLARGE;
}

jg_rc jg_appkey_sign(const char *secret, const char *canonical, size_t len, char out[JG_APPKEY_SIG_HEX + 1])
{
    unsigned char mac[JG_SM3_LEN];
    jg_rc rc = jg_hmac_sm3(secret, strlen(secret), canonical, len, mac);
    if (rc == JG_OK)
        jg_crypto_hex_encode(mac, sizeof(mac), out);
    return rc;
}

/* ---- verification ---- */

static jg_rc refuse(jg_req *req, jg_resp *resp, const char *code, const char *message)
{
    jg_resp_status_error(req, resp, 401, code, message, NULL);
    return JG_UNAUTHORIZED;
}

static jg_rc bad_signature(jg_req *req, jg_resp *resp)
{
    /* One answer for a malformed header, an unknown or disabled key and a wrong signature. */
    return refuse(req, resp, "signature_invalid", "请求签名无效，请检查接入密钥、签名算法和请求内容");
}

struct client {
    int64_t id, enterprise_id;
    const char *name, *role, *org_code, *scope, *permissions;
    char secret[JG_APPKEY_SECRET_HEX + 1]; /* "" when the key is unknown, disabled or does not open */
};

/* The active client with this key and its role, or c->id = 0. */
static jg_rc find_client(jg_req *req, const char *app_key, struct client *c)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(app_key)};
    jg_rc rc = jg_db_read(req->app->db,
                          "SELECT c.id, c.name, c.secret_enc, c.role, c.org_code, c.enterprise_id, r.scope,"
                          " r.permissions FROM app_client c LEFT JOIN role r ON r.code = c.role"
                          " WHERE c.app_key = $1 AND c.status = 'active'",
                          p, 1, &r);
    if (rc != JG_OK)
        return rc;
    memset(c, 0, sizeof(*c));
    if (jg_rows_count(r) == 1) {
        jg_arena *a = req->arena;
        c->id = jg_rows_int(r, 0, 0);
        c->name = jg_arena_strdup(a, jg_rows_text(r, 0, 1));
        c->role = jg_arena_strdup(a, jg_rows_text(r, 0, 3));
        c->org_code = jg_arena_strdup(a, jg_rows_text(r, 0, 4));
        c->enterprise_id = jg_rows_int(r, 0, 5);
        /* A client whose role was deleted is still itself, but may do and see nothing. */
        const char *scope = jg_rows_text(r, 0, 6), *perms = jg_rows_text(r, 0, 7);
        c->scope = jg_arena_strdup(a, scope != NULL ? scope : "none");
        c->permissions = jg_arena_strdup(a, perms != NULL ? perms : "[]");
        size_t n = 0;
        jg_identity *id = jg_identity_of(req);
        rc = jg_sm4_open(id->field_key, JG_APPKEY_SECRET_CONTEXT, jg_rows_text(r, 0, 2), c->secret,
                         JG_APPKEY_SECRET_HEX, &n);
        if (rc != JG_OK || n != JG_APPKEY_SECRET_HEX) {
            jg_error(
                "app_client %lld: the sealed secret does not open (was data_dir/keys/field.key replaced?)",
                (long long)c->id);
            c->secret[0] = '\0';
        } else {
            c->secret[n] = '\0';
        }
        rc = JG_OK;
    }
    jg_rows_free(r);
    return rc;
}

/* 1 if the signature (64 hex digits, either case) is HMAC-SM3(secret, canonical); constant time. */
static int signature_matches(const char *given, const char *secret, const jg_buf *canonical)
{
    /* An unknown key costs an HMAC too, under a secret no client has. */
    static const char decoy[] = "decoy-secret-of-no-client-decoy-secret-of-no-client-0123456789ab";
    unsigned char want[JG_SM3_LEN], got[JG_SM3_LEN];
    int known = secret[0] != '\0';
    if (jg_hmac_sm3(known ? secret : decoy, known ? strlen(secret) : strlen(decoy), canonical->data,
                    canonical->len, want) != JG_OK)
        return 0;
    if (strlen(given) != JG_APPKEY_SIG_HEX || jg_crypto_hex_decode(given, JG_APPKEY_SIG_HEX, got) != JG_OK)
        return 0;
    return jg_crypto_equal(want, got, sizeof(got)) == JG_OK && known;
}

struct nonce_ctx {
    const char *app_key, *nonce;
    char now[32], cutoff[32];
    int purge;
    int64_t inserted;
};

static jg_rc nonce_tx(jg_conn *c, void *ud)
{
    struct nonce_ctx *n = ud;
    jg_rc rc = JG_OK;
    if (n->purge) {
        jg_value old[] = {JG_VTEXT(n->cutoff)};
        rc = jg_db_exec(c, "DELETE FROM request_nonce WHERE at < $1", old, 1, NULL);
    }
    /* The primary key (app_key, nonce) decides: a second use inserts nothing. */
    jg_value p[] = {JG_VTEXT(n->app_key), JG_VTEXT(n->nonce), JG_VTEXT(n->now)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "INSERT INTO request_nonce (app_key, nonce, at) VALUES ($1, $2, $3)"
                        " ON CONFLICT (app_key, nonce) DO NOTHING",
                        p, 3, &n->inserted);
    return rc;
}

/* Record the nonce; JG_CONFLICT if this key used it within the window already. */
static jg_rc use_nonce(jg_req *req, const char *app_key, const char *nonce)
{
    long window = req->app->cfg->signature_window_s;
    struct nonce_ctx n = {.app_key = app_key, .nonce = nonce};
    jg_time_iso_now(n.now, sizeof(n.now));
    jg_time_iso_offset(-2 * (int64_t)window, n.cutoff, sizeof(n.cutoff));
    /* Old nonces go now and then, by whichever request comes first after PURGE_EVERY_S. */
    int64_t t = (int64_t)time(NULL), last = atomic_load(&last_purge);
    n.purge = t - last >= PURGE_EVERY_S && atomic_compare_exchange_strong(&last_purge, &last, t);
    jg_rc rc = jg_db_tx(req->app->db, nonce_tx, &n);
    if (rc != JG_OK)
        return rc;
    return n.inserted == 1 ? JG_OK : JG_CONFLICT;
}

static jg_principal *principal_of(jg_req *req, const char *app_key, const struct client *c)
{
    jg_principal *p = jg_arena_zalloc(req->arena, sizeof(*p));
    p->username = jg_arena_printf(req->arena, "app:%s", app_key);
    p->display_name = c->name;
    p->role = c->role;
    p->kind = "app";
    p->org_code = c->org_code;
    p->enterprise_id = c->enterprise_id;
    p->scope = c->scope;
    p->permissions = c->permissions;
    p->csrf_token = ""; /* signed requests carry no cookie, so there is nothing to forge */
    p->must_change_password = 0;
    return p;
}

jg_rc jg_appkey_authenticate(jg_req *req, jg_resp *resp, jg_principal **out)
{
    const char *app_key = jg_req_header(req, "X-App-Key");
    const char *timestamp = jg_req_header(req, "X-Timestamp");
    const char *nonce = jg_req_header(req, "X-Nonce");
    const char *signature = jg_req_header(req, "X-Signature");
    int64_t ts;
    if (!jg_appkey_key_ok(app_key) || !jg_appkey_nonce_ok(nonce) || signature == NULL ||
        jg_appkey_parse_timestamp(timestamp, &ts) != JG_OK)
        return bad_signature(req, resp);
    int64_t now = (int64_t)time(NULL), window = req->app->cfg->signature_window_s;
    if (ts < now - window || ts > now + window)
        return refuse(req, resp, "timestamp_out_of_window", "请求时间戳超出允许范围，请校准调用方系统时钟");

    jg_buf canonical;
    jg_buf_init(&canonical, JG_APPKEY_CANONICAL_MAX);
    jg_rc rc = jg_appkey_canonical(&canonical, req->method, req->path, req->query, req->nquery, timestamp,
                                   nonce, req->body, req->body_len);
    struct client c = {0};
    if (rc == JG_OK)
        rc = find_client(req, app_key, &c);
    int ok = rc == JG_OK && signature_matches(signature, c.secret, &canonical);
    jg_buf_free(&canonical);
    explicit_bzero(c.secret, sizeof(c.secret));
    if (rc == JG_TOOLARGE || (rc == JG_OK && !ok))
        return bad_signature(req, resp);
    if (rc != JG_OK)
        return rc;

    rc = use_nonce(req, app_key, nonce);
    if (rc == JG_CONFLICT)
        return refuse(req, resp, "replayed", "重复的请求：该随机数（X-Nonce）已使用过，请勿重放请求");
    if (rc != JG_OK)
        return rc;
    jg_principal *p = principal_of(req, app_key, &c);
    req->user = p->username;
    /* Logout and password change are about sessions and accounts, which a client has not. */
    const char *pattern = jg_router_pattern(req);
    if (strncmp(pattern, "/api/v1/auth/", 13) == 0 &&
        !(strcmp(req->method, "GET") == 0 && strcmp(pattern, "/api/v1/auth/me") == 0))
        return jg_resp_error(req, resp, JG_DENIED, "外部系统接入不能使用登录与会话接口");
    *out = p;
    return JG_OK;
}
