/* Hash-chained audit rows: append inside a transaction, verify the whole chain. */
#include "platform/audit.h"

#include "base/buf.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <string.h>

/* Field separators of the hashed text; NULL and "" differ. */
#define SEP "\x1f"
#define NUL_MARK "\x1e"

static void put(jg_buf *b, const char *s)
{
    jg_buf_puts(b, SEP);
    jg_buf_puts(b, s != NULL ? s : NUL_MARK);
}

static jg_rc chain_hash(const unsigned char *key, const char *prev, const char *at, int64_t user_id,
                        const char *username, const char *ip, const char *action, const char *entity,
                        const char *record_id, const char *detail, char out[2 * JG_SM3_LEN + 1])
{
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    jg_buf_puts(&b, prev);
    put(&b, at);
    jg_buf_printf(&b, SEP "%lld", (long long)user_id);
    put(&b, username);
    put(&b, ip);
    put(&b, action);
    put(&b, entity);
    put(&b, record_id);
    put(&b, detail);
    unsigned char mac[JG_SM3_LEN];
    jg_rc rc = b.overflowed ? JG_TOOLARGE : jg_hmac_sm3(key, JG_AUDIT_KEY_LEN, b.data, b.len, mac);
    jg_buf_free(&b);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(mac, sizeof(mac), out);
    return JG_OK;
}

jg_rc jg_audit_append(jg_conn *c, const unsigned char key[JG_AUDIT_KEY_LEN], const jg_audit_entry *e)
{
    /* Touch the head first: on PostgreSQL this takes the row lock (or fails with a serialization
     * error that retries the transaction), so two writers never extend the same hash. */
    jg_rc rc = jg_db_exec(c, "UPDATE audit_head SET hash = hash WHERE id = 1", NULL, 0, NULL);
    jg_rows *r = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT hash FROM audit_head WHERE id = 1", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    char prev[2 * JG_SM3_LEN + 1] = "";
    if (jg_rows_count(r) == 1)
        snprintf(prev, sizeof(prev), "%s", jg_rows_text(r, 0, 0));
    jg_rows_free(r);
    char at[32], hash[2 * JG_SM3_LEN + 1];
    jg_time_iso_now(at, sizeof(at));
    rc = chain_hash(key, prev, at, e->user_id, e->username, e->ip, e->action, e->entity, e->record_id,
                    e->detail, hash);
    if (rc != JG_OK)
        return rc;
    jg_value p[] = {JG_VTEXT(at),
                    e->user_id ? JG_VINT(e->user_id) : JG_VNULL,
                    e->username ? JG_VTEXT(e->username) : JG_VNULL,
                    JG_VTEXT(e->ip ? e->ip : ""),
                    JG_VTEXT(e->action),
                    e->entity ? JG_VTEXT(e->entity) : JG_VNULL,
                    e->record_id ? JG_VTEXT(e->record_id) : JG_VNULL,
                    e->detail ? JG_VTEXT(e->detail) : JG_VNULL,
                    JG_VTEXT(prev),
                    JG_VTEXT(hash)};
    rc = jg_db_exec(c,
                    "INSERT INTO audit_log (at, user_id, username, ip, action, entity, record_id, detail,"
                    " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    p, 10, NULL);
    if (rc != JG_OK)
        return rc;
    jg_value h[] = {JG_VTEXT(hash)};
    return jg_db_exec(c, "UPDATE audit_head SET hash = $1 WHERE id = 1", h, 1, NULL);
}

#define VERIFY_BATCH 1000

jg_rc jg_audit_verify(jg_db *db, const unsigned char key[JG_AUDIT_KEY_LEN], int64_t *rows, int64_t *first_bad)
{
    *rows = 0;
    *first_bad = 0;
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 0, &c);
    if (rc != JG_OK)
        return rc;
    char prev[2 * JG_SM3_LEN + 1] = "";
    int64_t after = 0;
    for (;;) {
        jg_rows *r;
        jg_value p[] = {JG_VINT(after), JG_VINT(VERIFY_BATCH)};
        rc = jg_db_query(c,
                         "SELECT id, at, user_id, username, ip, action, entity, record_id, detail, prev_hash,"
                         " hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
                         p, 2, &r);
        if (rc != JG_OK)
            break;
        int n = jg_rows_count(r);
        for (int i = 0; i < n && *first_bad == 0; i++) {
            char want[2 * JG_SM3_LEN + 1];
            rc = chain_hash(key, prev, jg_rows_text(r, i, 1), jg_rows_int(r, i, 2), jg_rows_text(r, i, 3),
                            jg_rows_text(r, i, 4), jg_rows_text(r, i, 5), jg_rows_text(r, i, 6),
                            jg_rows_text(r, i, 7), jg_rows_text(r, i, 8), want);
            if (rc != JG_OK)
                break;
            if (strcmp(prev, jg_rows_text(r, i, 9)) != 0 || strcmp(want, jg_rows_text(r, i, 10)) != 0)
                *first_bad = jg_rows_int(r, i, 0);
            snprintf(prev, sizeof(prev), "%s", want);
            after = jg_rows_int(r, i, 0);
            (*rows)++;
        }
        jg_rows_free(r);
        if (rc != JG_OK || *first_bad != 0 || n < VERIFY_BATCH)
            break;
    }
    if (rc == JG_OK && *first_bad == 0) {
        /* Rows cut from the end leave a chain that is intact but shorter than the head says. */
        jg_rows *h = NULL;
        rc = jg_db_query(c, "SELECT hash FROM audit_head WHERE id = 1", NULL, 0, &h);
        if (rc == JG_OK && (jg_rows_count(h) != 1 || strcmp(jg_rows_text(h, 0, 0), prev) != 0))
            *first_bad = -1;
        jg_rows_free(h);
    }
    jg_db_release(c);
    if (rc != JG_OK)
        return rc;
    return *first_bad != 0 ? JG_CONFLICT : JG_OK;
}
