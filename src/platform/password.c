/* Password policy and changes with history. */
#include "platform/password.h"

#include "base/timeutil.h"
#include "crypto/crypto.h"

#include <string.h>

const char *jg_password_weakness(const char *password, const char *username)
{
    size_t chars = 0;
    int upper = 0, lower = 0, digit = 0, other = 0;
    for (const unsigned char *p = (const unsigned char *)password; *p != '\0'; p++) {
        if ((*p & 0xC0) != 0x80)
            chars++; /* count characters, not UTF-8 bytes */
        if (*p >= 'A' && *p <= 'Z')
            upper = 1;
        else if (*p >= 'a' && *p <= 'z')
            lower = 1;
        else if (*p >= '0' && *p <= '9')
            digit = 1;
        else
            other = 1;
    }
    if (chars < JG_PASSWORD_MIN_LEN)
        return "密码至少 8 位";
    if (chars > JG_PASSWORD_MAX_LEN)
        return "密码不能超过 64 位";
    if (upper + lower + digit + other < 3)
        return "密码须包含大写字母、小写字母、数字、特殊字符中的至少三类";
    if (username != NULL && *username != '\0' && strstr(password, username) != NULL)
        return "密码不能包含用户名";
    return NULL;
}

jg_rc jg_password_reused(jg_db *db, int64_t user_id, const char *password)
{
    jg_rows *r;
    jg_value who[] = {JG_VINT(user_id), JG_VINT(JG_PASSWORD_HISTORY - 1)};
    jg_rc rc = jg_db_read(db,
                          "SELECT password_hash FROM app_user WHERE id = $1 UNION ALL"
                          " SELECT password_hash FROM (SELECT password_hash FROM password_history"
                          " WHERE user_id = $1 ORDER BY id DESC LIMIT $2) AS recent",
                          who, 2, &r);
    if (rc != JG_OK)
        return rc;
    rc = jg_rows_count(r) == 0 ? JG_NOTFOUND : JG_OK;
    for (int i = 0; i < jg_rows_count(r) && rc == JG_OK; i++)
        if (jg_password_verify(password, jg_rows_text(r, i, 0)) == JG_OK)
            rc = JG_CONFLICT;
    jg_rows_free(r);
    return rc;
}

jg_rc jg_password_set(jg_conn *c, int64_t user_id, const char *new_hash)
{
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value h[] = {JG_VINT(user_id), JG_VTEXT(now)};
    jg_rc rc = jg_db_exec(c,
                          "INSERT INTO password_history (user_id, password_hash, created_at)"
                          " SELECT id, password_hash, $2 FROM app_user WHERE id = $1",
                          h, 2, NULL);
    if (rc != JG_OK)
        return rc;
    jg_value u[] = {JG_VTEXT(new_hash), JG_VTEXT(now), JG_VINT(user_id)};
    return jg_db_exec(
        c,
        "UPDATE app_user SET password_hash = $1, password_changed_at = $2, must_change_password = 0,"
        " updated_at = $2, version = version + 1 WHERE id = $3",
        u, 3, NULL);
}

/* A uniform index below n from the random bytes at rnd[*used...], skipping bytes past the largest
 * multiple of n (no modulo bias); -1 when they run out. */
static int uniform(const unsigned char *rnd, size_t len, size_t *used, unsigned n)
{
    while (*used < len) {
        unsigned b = rnd[(*used)++];
        if (b < 256 - 256 % n)
            return (int)(b % n);
    }
    return -1;
}

jg_rc jg_password_initial(const char *username, char out[JG_PASSWORD_INITIAL_LEN + 1])
{
    static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789",
                                          "@#%+=?!"};
    static const char all[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789@#%+=?!";
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char rnd[128];
        jg_rc rc = jg_crypto_random(rnd, sizeof(rnd));
        if (rc != JG_OK)
            return rc;
        size_t used = 0;
        int ok = 1;
        /* One character of each class, the rest from all of them, then shuffled (Fisher-Yates). */
        for (int i = 0; i < JG_PASSWORD_INITIAL_LEN && ok; i++) {
            const char *set = i < 4 ? classes[i] : all;
            int k = uniform(rnd, sizeof(rnd), &used, (unsigned)strlen(set));
            ok = k >= 0;
            out[i] = ok ? set[k] : '\0';
        }
        for (int i = JG_PASSWORD_INITIAL_LEN - 1; i > 0 && ok; i--) {
            int j = uniform(rnd, sizeof(rnd), &used, (unsigned)i + 1);
            ok = j >= 0;
            char t = out[i];
            out[i] = out[ok ? j : i];
            out[ok ? j : i] = t;
        }
        out[JG_PASSWORD_INITIAL_LEN] = '\0';
        memset(rnd, 0, sizeof(rnd));
        if (ok && jg_password_weakness(out, username) == NULL)
            return JG_OK;
    }
    return JG_ERR;
}
