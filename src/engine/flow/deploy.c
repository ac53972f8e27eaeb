/* Deployed processes (deploy.h). */
#include "engine/flow/deploy.h"

#include "base/embed.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jg_rc jg_flow_deploy(jg_conn *c, const jg_flow_model *m, const char *xml, size_t n, const char *source,
                     int64_t user_id, jg_flow_deployed *out)
{
    unsigned char digest[JG_SM3_LEN];
    char hex[2 * JG_SM3_LEN + 1];
    jg_rc rc = jg_sm3(xml, n, digest);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(digest, sizeof(digest), hex);
    *out = (jg_flow_deployed){m->key, m->name, 0, 0};
    jg_rows *r;
    jg_value k[] = {JG_VTEXT(m->key)};
    rc = jg_db_query(
        c, "SELECT version, sm3 FROM flow_definition WHERE key = $1 ORDER BY version DESC LIMIT 1", k, 1, &r);
    if (rc != JG_OK)
        return rc;
    int latest = jg_rows_count(r) == 1 ? (int)jg_rows_int(r, 0, 0) : 0;
    int same = latest > 0 && strcmp(jg_rows_text(r, 0, 1), hex) == 0;
    jg_rows_free(r);
    if (same) {
        out->version = latest;
        return JG_OK;
    }
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    char *text = jg_xmalloc(n + 1); /* the document as a C string for a bound text value */
    memcpy(text, xml, n);
    text[n] = '\0';
    jg_value p[] = {
        JG_VTEXT(m->key), JG_VINT(latest + 1), JG_VTEXT(m->name != NULL ? m->name : m->key), JG_VTEXT(text),
        JG_VTEXT(hex),    JG_VTEXT(source),    user_id > 0 ? JG_VINT(user_id) : JG_VNULL,    JG_VTEXT(now)};
    rc = jg_db_exec(
        c,
        "INSERT INTO flow_definition (key, version, name, xml, sm3, source, deployed_by, deployed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        p, 8, NULL);
    free(text);
    if (rc == JG_OK) {
        out->version = latest + 1;
        out->created = 1;
    }
    return rc;
}

struct sync {
    char *err;
    size_t errlen;
};

static int process_file(const char *name)
{
    size_t n = strlen(name);
    return strchr(name, '/') != NULL && n > 5 && strcmp(name + n - 5, ".bpmn") == 0;
}

static jg_rc sync_tx(jg_conn *c, void *ud)
{
    struct sync *s = ud;
    for (const jg_embedded_file *f = jg_embedded_defs; f->name != NULL; f++) {
        if (!process_file(f->name))
            continue;
        jg_flow_model m;
        char msg[512];
        if (jg_bpmn_load((const char *)f->data, f->len, &m, msg, sizeof(msg)) != JG_OK) {
            snprintf(s->err, s->errlen, "%s: %s", f->name, msg);
            return JG_INVALID;
        }
        jg_flow_deployed d;
        jg_rc rc = jg_flow_deploy(c, &m, (const char *)f->data, f->len, "shipped", 0, &d);
        if (rc == JG_OK && d.created)
            jg_info("flow: deployed %s version %d from %s", d.key, d.version, f->name);
        jg_flow_model_free(&m);
        if (rc != JG_OK) {
            snprintf(s->err, s->errlen, "%s: cannot deploy (%s)", f->name, jg_rc_name(rc));
            return rc;
        }
    }
    return JG_OK;
}

jg_rc jg_flow_sync_shipped(jg_db *db, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    struct sync s = {err, errlen};
    return jg_db_tx(db, sync_tx, &s);
}
