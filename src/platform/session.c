/* Database-backed sessions: create, look up (with idle and absolute limits), revoke.
 *
 * login_session: id | token_hash (SM3 hex of the cookie value) | user_id | csrf_token | created_at |
 *          last_seen_at | expires_at | ip | revoked
 */
#include "platform/session.h"

#include "base/timeutil.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>

/* SM3 of the cookie value, as stored. */
static jg_rc token_hash(const char *token, char out[65])
{
    unsigned char digest[JG_SM3_LEN];
    jg_rc rc = jg_sm3(token, strlen(token), digest);
    if (rc == JG_OK)
        jg_crypto_hex_encode(digest, sizeof(digest), out);
    return rc;
}

jg_rc jg_session_create(jg_conn *c, int64_t user_id, const char *ip, const jg_session_limits *limits,
                        char *token, char *csrf)
{
    unsigned char raw[32], raw_csrf[32];
    jg_rc rc = jg_crypto_random(raw, sizeof(raw));
    if (rc == JG_OK)
        rc = jg_crypto_random(raw_csrf, sizeof(raw_csrf));
    if (rc != JG_OK)
        return rc;
    jg_crypto_b64url_encode(raw, sizeof(raw), token);
    jg_crypto_hex_encode(raw_csrf, sizeof(raw_csrf), csrf);
    char hash[65], now[32], expires[32];
    rc = token_hash(token, hash);
    if (rc != JG_OK)
        return rc;
    jg_time_iso_now(now, sizeof(now));
    jg_time_iso_offset(limits->absolute_s, expires, sizeof(expires));
    jg_value p[] = {JG_VTEXT(hash), JG_VINT(user_id),  JG_VTEXT(csrf),
                    JG_VTEXT(now),  JG_VTEXT(expires), JG_VTEXT(ip ? ip : "")};
    return jg_db_exec(c,
                      "INSERT INTO login_session (token_hash, user_id, csrf_token, created_at, last_seen_at,"
                      " expires_at, ip) VALUES ($1, $2, $3, $4, $4, $5, $6)",
                      p, 6, NULL);
}

static int plausible(const char *token)
{
    if (strlen(token) != JG_SESSION_TOKEN_LEN)
        return 0;
    for (const char *p = token; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return 0;
    return 1;
}

jg_rc jg_session_lookup(jg_db *db, const char *token, const jg_session_limits *limits, jg_arena *a,
                        jg_principal **out)
{
    if (token == NULL || !plausible(token))
        return JG_UNAUTHORIZED;
    char hash[65], now[32], idle_since[32], refresh_before[32], oldest[32];
    jg_rc rc = token_hash(token, hash);
    if (rc != JG_OK)
        return rc;
    jg_time_iso_now(now, sizeof(now));
    jg_time_iso_offset(-limits->idle_s, idle_since, sizeof(idle_since));
    jg_time_iso_offset(-60, refresh_before, sizeof(refresh_before));
    jg_time_iso_offset(-limits->password_max_age_s, oldest, sizeof(oldest));
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(hash), JG_VTEXT(now), JG_VTEXT(idle_since)};
    rc = jg_db_read(db,
                    "SELECT s.id, s.user_id, s.csrf_token, s.last_seen_at, u.username, u.display_name,"
                    " u.role, u.kind, u.org_code, u.must_change_password, u.department_id, u.enterprise_id,"
                    " u.person_id, r.scope, r.permissions, u.password_changed_at FROM login_session s"
                    " JOIN app_user u ON u.id = s.user_id LEFT JOIN role r ON r.code = u.role"
                    " WHERE s.token_hash = $1 AND s.revoked = 0 AND s.expires_at > $2"
                    " AND s.last_seen_at > $3 AND u.status = 'active'",
                    p, 3, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return JG_UNAUTHORIZED;
    }
    jg_principal *pr = jg_arena_zalloc(a, sizeof(*pr));
    pr->session_id = jg_rows_int(r, 0, 0);
    pr->user_id = jg_rows_int(r, 0, 1);
    pr->csrf_token = jg_arena_strdup(a, jg_rows_text(r, 0, 2));
    int stale = strcmp(jg_rows_text(r, 0, 3), refresh_before) < 0;
    pr->username = jg_arena_strdup(a, jg_rows_text(r, 0, 4));
    pr->display_name = jg_arena_strdup(a, jg_rows_text(r, 0, 5));
    pr->role = jg_arena_strdup(a, jg_rows_text(r, 0, 6));
    pr->kind = jg_arena_strdup(a, jg_rows_text(r, 0, 7));
    pr->org_code = jg_arena_strdup(a, jg_rows_text(r, 0, 8));
    pr->must_change_password = (int)jg_rows_int(r, 0, 9);
    pr->department_id = jg_rows_int(r, 0, 10);
    pr->enterprise_id = jg_rows_int(r, 0, 11);
    pr->person_id = jg_rows_int(r, 0, 12);
    /* A user whose role was deleted keeps logging in but may do and see nothing. */
    const char *scope = jg_rows_text(r, 0, 13), *perms = jg_rows_text(r, 0, 14);
    pr->scope = jg_arena_strdup(a, scope != NULL ? scope : "none");
    pr->permissions = jg_arena_strdup(a, perms != NULL ? perms : "[]");
    const char *changed = jg_rows_text(r, 0, 15);
    if (changed == NULL || strcmp(changed, oldest) < 0)
        pr->must_change_password = 1; /* expired like an initial one */
    jg_rows_free(r);
    if (stale) {
        /* Sliding idle window, written at most once a minute per session rather than per request. */
        jg_value u[] = {JG_VTEXT(now), JG_VINT(pr->session_id)};
        jg_conn *c;
        if (jg_db_acquire(db, 1, &c) == JG_OK) {
            jg_db_exec(c, "UPDATE login_session SET last_seen_at = $1 WHERE id = $2", u, 2, NULL);
            jg_db_release(c);
        }
    }
    *out = pr;
    return JG_OK;
}

jg_rc jg_session_revoke(jg_db *db, int64_t session_id)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 1, &c);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VINT(session_id)};
    rc = jg_db_exec(c, "UPDATE login_session SET revoked = 1 WHERE id = $1", p, 1, NULL);
    jg_db_release(c);
    return rc;
}

int jg_principal_can(const jg_principal *p, const char *permission)
{
    /* Permission codes are [a-z._] only, so the quoted code appears in the array exactly when held. */
    size_t n = strlen(permission);
    for (const char *s = p->permissions ? strstr(p->permissions, permission) : NULL; s != NULL;
         s = strstr(s + 1, permission)) {
        if (s > p->permissions && s[-1] == '"' && s[n] == '"')
            return 1;
    }
    return 0;
}
