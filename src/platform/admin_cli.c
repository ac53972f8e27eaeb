/* `jianguan admin-password ROLE`: create or reset a 三员 account. */
#include "platform/admin_cli.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "platform/audit.h"
#include "platform/keys.h"
#include "platform/login.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *role, *username, *display_name;
} reserved[] = {
    {"platform_admin", "admin", "系统管理员"},
    {"security_admin", "secadmin", "安全管理员"},
    {"auditor", "auditor", "审计员"},
};

struct job {
    const char *role, *default_name, *display_name;
    char hash[JG_PASSWORD_HASH_MAX];
    unsigned char audit_key[JG_AUDIT_KEY_LEN];
    char username[JG_ADMIN_USERNAME_MAX + 1];
    int created;
};

static jg_rc job_tx(jg_conn *c, void *ud)
{
    struct job *j = ud;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_rows *r;
    jg_value who[] = {JG_VTEXT(j->role)};
    jg_rc rc = jg_db_query(
        c, "SELECT id, username FROM app_user WHERE role = $1 AND status = 'active' ORDER BY id", who, 1, &r);
    if (rc != JG_OK)
        return rc;
    int64_t id = jg_rows_count(r) > 0 ? jg_rows_int(r, 0, 0) : 0;
    jg_strlcpy(j->username, id ? jg_rows_text(r, 0, 1) : j->default_name, sizeof(j->username));
    jg_rows_free(r);
    j->created = id == 0;
    if (j->created) {
        jg_value p[] = {JG_VTEXT(j->username), JG_VTEXT(j->hash), JG_VTEXT(j->display_name),
                        JG_VTEXT(j->role), JG_VTEXT(now)};
        rc = jg_db_query(c,
                         "INSERT INTO app_user (username, password_hash, display_name, role, org_code, kind,"
                         " must_change_password, password_changed_at, created_at, updated_at)"
                         " VALUES ($1, $2, $3, $4, '35', 'admin', 1, $5, $5, $5) RETURNING id",
                         p, 5, &r);
        if (rc == JG_CONFLICT)
            return rc; /* the name is taken by an account of another role */
        if (rc != JG_OK)
            return rc;
        id = jg_rows_int(r, 0, 0);
        jg_rows_free(r);
    } else {
        jg_value p[] = {JG_VINT(id), JG_VTEXT(now), JG_VTEXT(j->hash)};
        rc = jg_db_exec(c,
                        "INSERT INTO password_history (user_id, password_hash, created_at)"
                        " SELECT id, password_hash, $2 FROM app_user WHERE id = $1",
                        p, 2, NULL);
        if (rc == JG_OK)
            rc = jg_db_exec(c,
                            "UPDATE app_user SET password_hash = $3, must_change_password = 1,"
                            " password_changed_at = $2, updated_at = $2, version = version + 1 WHERE id = $1",
                            p, 3, NULL);
        if (rc == JG_OK)
            rc = jg_db_exec(c, "UPDATE login_session SET revoked = 1 WHERE user_id = $1 AND revoked = 0", p,
                            1, NULL);
    }
    char key[2 * JG_SM3_LEN + 1];
    if (rc == JG_OK)
        rc = jg_login_name_key(j->username, key);
    jg_value k[] = {JG_VTEXT(key)};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "DELETE FROM login_attempt WHERE name_key = $1", k, 1, NULL);
    char rid[24], detail[96];
    snprintf(rid, sizeof(rid), "%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"role\":\"%s\",\"created\":%s}", j->role,
             j->created ? "true" : "false");
    jg_audit_entry e = {0, "(命令行)", "", "admin_password", "app_user", rid, detail};
    if (rc == JG_OK)
        rc = jg_audit_append(c, j->audit_key, &e);
    return rc;
}

jg_rc jg_admin_password(jg_db *db, const char *data_dir, const char *role,
                        char username[JG_ADMIN_USERNAME_MAX + 1], char password[JG_PASSWORD_INITIAL_LEN + 1])
{
    struct job j = {.role = NULL};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcmp(role, reserved[i].role) == 0) {
            j.role = reserved[i].role;
            j.default_name = reserved[i].username;
            j.display_name = reserved[i].display_name;
        }
    }
    if (j.role == NULL)
        return JG_INVALID;
    /* The policy forbids the account's name inside its password: find the name first. */
    jg_rows *r;
    jg_value who[] = {JG_VTEXT(j.role)};
    jg_rc rc = jg_db_read(
        db, "SELECT username FROM app_user WHERE role = $1 AND status = 'active' ORDER BY id", who, 1, &r);
    if (rc != JG_OK)
        return rc;
    jg_strlcpy(j.username, jg_rows_count(r) > 0 ? jg_rows_text(r, 0, 0) : j.default_name, sizeof(j.username));
    jg_rows_free(r);
    rc = jg_password_initial(j.username, password);
    if (rc == JG_OK)
        rc = jg_password_hash(password, JG_PASSWORD_ITERATIONS, j.hash, sizeof(j.hash));
    if (rc == JG_OK)
        rc = jg_keys_secret(data_dir, "audit.key", j.audit_key, sizeof(j.audit_key));
    if (rc == JG_OK)
        rc = jg_db_tx(db, job_tx, &j);
    OPENSSL_cleanse(j.audit_key, sizeof(j.audit_key));
    if (rc == JG_OK)
        jg_strlcpy(username, j.username, JG_ADMIN_USERNAME_MAX + 1);
    else
        memset(password, 0, JG_PASSWORD_INITIAL_LEN + 1);
    return rc;
}
