/* Runtime editing of entity definitions, the store: active definitions, versions, and the policy
 * between shipped and custom ones at start and at `migrate` (definitions.h). */
#include "engine/entity/definitions.h"

#include "base/embed.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "engine/entity/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jg_rc jg_definitions_set_from_docs(json_t *const *docs, int n, jg_entity_set *out, char *err, size_t errlen)
{
    /* Allocated once: the children of a loaded entity point back to it. */
    out->entities = jg_xcalloc((size_t)(n > 0 ? n : 1), sizeof(jg_entity));
    out->nentities = 0;
    char msg[512];
    for (int i = 0; i < n; i++) {
        /* A copy of its own: documents are shared by snapshots that other threads read. */
        json_t *copy = json_deep_copy(docs[i]);
        jg_rc rc = jg_entity_load(copy, &out->entities[i], msg, sizeof(msg));
        json_decref(copy);
        if (rc != JG_OK) {
            const char *name = json_string_value(json_object_get(docs[i], "name"));
            jg_entity_set_free(out);
            return jg_rc_say(err, errlen, JG_INVALID, "%s: %s", name != NULL ? name : "?", msg);
        }
        out->nentities++;
    }
    jg_rc rc = jg_entity_set_check(out, err, errlen);
    if (rc != JG_OK)
        jg_entity_set_free(out);
    return rc;
}

/* ---- what the database holds ---- */

typedef struct {
    char *name;
    int64_t version;
    json_t *doc;
    int custom; /* the active version was activated through the API */
    int used;
} active_def;

typedef struct {
    active_def *v;
    int n;
} active_list;

static void active_free(active_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].name);
        json_decref(l->v[i].doc);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static jg_rc active_read(jg_db *db, active_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    jg_rows *r;
    jg_rc rc = jg_db_read(db,
                          "SELECT d.name, d.version, d.doc, v.source FROM entity_def d"
                          " LEFT JOIN entity_def_version v ON v.name = d.name AND v.version = d.version"
                          " ORDER BY d.name",
                          NULL, 0, &r);
    if (rc != JG_OK)
        return jg_rc_say(err, errlen, rc, "cannot read entity_def (%s)", jg_rc_name(rc));
    out->v = jg_xcalloc((size_t)jg_rows_count(r) + 1, sizeof(active_def));
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_error_t je;
        const char *text = jg_rows_text(r, i, 2);
        json_t *doc = json_loads(text != NULL ? text : "", JSON_REJECT_DUPLICATES, &je);
        if (doc == NULL) {
            rc = jg_rc_say(err, errlen, JG_INVALID, "%s: entity_def holds a definition that is not JSON: %s",
                           jg_rows_text(r, i, 0), je.text);
            break;
        }
        active_def *d = &out->v[out->n++];
        d->name = jg_xstrdup(jg_rows_text(r, i, 0));
        d->version = jg_rows_int(r, i, 1);
        d->doc = doc;
        const char *source = jg_rows_text(r, i, 3);
        d->custom = source != NULL && strcmp(source, "custom") == 0;
    }
    jg_rows_free(r);
    if (rc != JG_OK)
        active_free(out);
    return rc;
}

static active_def *active_find(active_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

/* The documents to run: for each shipped entity, in the binary's order, the one pick() chooses;
 * then the entities only the database has, by name. */
typedef jg_rc (*pick_fn)(const jg_entity *shipped, active_def *have, json_t **doc, char *err, size_t errlen);

static jg_rc choose(const jg_entity_set *shipped, active_list *have, pick_fn pick, jg_entity_set *out,
                    char *err, size_t errlen)
{
    json_t **docs = jg_xcalloc((size_t)(shipped->nentities + have->n) + 1, sizeof(json_t *));
    int n = 0;
    jg_rc rc = JG_OK;
    for (int i = 0; rc == JG_OK && i < shipped->nentities; i++) {
        const jg_entity *e = &shipped->entities[i];
        active_def *d = active_find(have, e->name);
        if (d != NULL)
            d->used = 1;
        rc = pick(e, d, &docs[n], err, errlen);
        n += rc == JG_OK;
    }
    for (int i = 0; rc == JG_OK && i < have->n; i++)
        if (!have->v[i].used)
            docs[n++] = have->v[i].doc;
    if (rc == JG_OK)
        rc = jg_definitions_set_from_docs(docs, n, out, err, errlen);
    free(docs);
    return rc;
}

/* At start: the active one, once the policy agrees that migrate has nothing to do. */
static jg_rc pick_active(const jg_entity *e, active_def *d, json_t **doc, char *err, size_t errlen)
{
    if (d == NULL)
        return jg_rc_say(err, errlen, JG_CONFLICT,
                         "the tables of entity %s do not exist: run `jianguan migrate`", e->name);
    if (d->custom && e->version > d->version)
        return jg_rc_say(err, errlen, JG_CONFLICT,
                         "entity %s: the shipped version %d is newer than the active custom version %lld:"
                         " run `jianguan migrate`",
                         e->name, e->version, (long long)d->version);
    if (!d->custom && e->version != d->version)
        return jg_rc_say(
            err, errlen, JG_CONFLICT,
            "the tables of entity %s are at version %lld, its definition at %d: run `jianguan migrate`",
            e->name, (long long)d->version, e->version);
    if (d->custom)
        jg_info("entity %s: custom version %lld is active (shipped version %d)", e->name,
                (long long)d->version, e->version);
    *doc = d->doc;
    return JG_OK;
}

/* At migrate: shipped, unless a custom version at least as high is active. */
static jg_rc pick_migrate(const jg_entity *e, active_def *d, json_t **doc, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (d != NULL && d->custom && d->version >= e->version) {
        jg_info("entity %s: custom version %lld stays active (shipped version %d)", e->name,
                (long long)d->version, e->version);
        *doc = d->doc;
        return JG_OK;
    }
    if (d != NULL && d->custom)
        jg_warn("entity %s: shipped version %d replaces the active custom version %lld", e->name, e->version,
                (long long)d->version);
    *doc = e->doc;
    return JG_OK;
}

jg_rc jg_definitions_load_active_from(jg_db *db, const jg_entity_set *shipped, jg_entity_set *out, char *err,
                                      size_t errlen)
{
    memset(out, 0, sizeof(*out));
    active_list have;
    jg_rc rc = active_read(db, &have, err, errlen);
    if (rc == JG_OK) {
        rc = choose(shipped, &have, pick_active, out, err, errlen);
        active_free(&have);
    }
    return rc;
}

jg_rc jg_definitions_load_active(jg_db *db, jg_entity_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    jg_entity_set shipped;
    jg_rc rc = jg_entity_set_load_embedded(&shipped, err, errlen);
    if (rc != JG_OK)
        return rc;
    rc = jg_definitions_load_active_from(db, &shipped, out, err, errlen);
    jg_entity_set_free(&shipped);
    return rc;
}

static jg_rc reconcile_tx(jg_conn *c, void *ud)
{
    (void)ud;
    return jg_definitions_reconcile(c);
}

jg_rc jg_definitions_migrate_from(jg_db *db, const jg_entity_set *shipped, char *err, size_t errlen)
{
    jg_entity_set set;
    active_list have;
    jg_rc rc = active_read(db, &have, err, errlen);
    if (rc != JG_OK)
        return rc;
    rc = choose(shipped, &have, pick_migrate, &set, err, errlen);
    active_free(&have);
    if (rc != JG_OK)
        return rc;
    rc = jg_schema_sync(db, &set, 0, err, errlen);
    jg_entity_set_free(&set);
    if (rc == JG_OK) {
        rc = jg_db_tx(db, reconcile_tx, NULL);
        if (rc != JG_OK)
            jg_rc_say(err, errlen, rc, "cannot record the definitions' versions (%s)", jg_rc_name(rc));
    }
    return rc;
}

jg_rc jg_definitions_migrate(jg_db *db, char *err, size_t errlen)
{
    jg_entity_set shipped;
    jg_rc rc = jg_entity_set_load_embedded(&shipped, err, errlen);
    if (rc != JG_OK)
        return rc;
    rc = jg_definitions_migrate_from(db, &shipped, err, errlen);
    jg_entity_set_free(&shipped);
    return rc;
}

/* ---- versions ---- */

static jg_rc max_version(jg_conn *c, const char *name, int64_t *out)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(name)};
    jg_rc rc = jg_db_query(c,
                           "SELECT COALESCE(MAX(version), 0) FROM entity_def_version"
                           " WHERE name = $1 AND status <> 'draft'",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    jg_value q[] = {JG_VTEXT(name)};
    rc = jg_db_query(c, "SELECT version FROM entity_def WHERE name = $1", q, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1 && jg_rows_int(r, 0, 0) > *out)
        *out = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return JG_OK;
}

jg_rc jg_definitions_next_version(jg_conn *c, const char *name, int *out)
{
    int64_t have = 0;
    jg_rc rc = max_version(c, name, &have);
    if (rc != JG_OK)
        return rc;
    int shipped = jg_definitions_shipped_version(name);
    if (shipped > have)
        have = shipped;
    if (have >= 1000000) /* the loader's limit on "version" */
        return JG_CONFLICT;
    *out = (int)have + 1;
    return JG_OK;
}

static jg_rc reconcile_one(jg_conn *c, const char *name, int64_t version, const char *doc, const char *now)
{
    /* A draft is always numbered above the active version. */
    int next = 0;
    jg_rc rc = jg_definitions_next_version(c, name, &next);
    jg_value pd[] = {JG_VTEXT(name), JG_VINT(version), JG_VINT(next)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "UPDATE entity_def_version SET version = $3 WHERE name = $1 AND status = 'draft'"
                        " AND version <= $2",
                        pd, 3, NULL);
    jg_value ps[] = {JG_VTEXT(name), JG_VINT(version)};
    if (rc == JG_OK)
        rc = jg_db_exec(
            c,
            "UPDATE entity_def_version SET status = 'superseded' WHERE name = $1 AND status = 'active'"
            " AND version <> $2",
            ps, 2, NULL);
    jg_rows *r = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(c, "SELECT status FROM entity_def_version WHERE name = $1 AND version = $2", ps, 2,
                         &r);
    if (rc != JG_OK)
        return rc;
    const char *status = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
    int have = status != NULL, active = status != NULL && strcmp(status, "active") == 0;
    jg_rows_free(r);
    if (active)
        return JG_OK;
    jg_value p[] = {JG_VTEXT(name), JG_VINT(version), JG_VTEXT(doc), JG_VTEXT(now)};
    if (have)
        return jg_db_exec(c,
                          "UPDATE entity_def_version SET status = 'active', doc = $3, activated_at = $4"
                          " WHERE name = $1 AND version = $2",
                          p, 4, NULL);
    jg_info("entity %s: shipped version %lld recorded as active", name, (long long)version);
    return jg_db_exec(
        c,
        "INSERT INTO entity_def_version (name, version, doc, status, source, created_at, activated_at)"
        " VALUES ($1, $2, $3, 'active', 'shipped', $4, $4)",
        p, 4, NULL);
}

jg_rc jg_definitions_reconcile(jg_conn *c)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(c, "SELECT name, version, doc FROM entity_def ORDER BY name", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++)
        rc = reconcile_one(c, jg_rows_text(r, i, 0), jg_rows_int(r, i, 1), jg_rows_text(r, i, 2), now);
    jg_rows_free(r);
    return rc;
}

int jg_definitions_shipped_version(const char *name)
{
    size_t n = strlen(name);
    for (const jg_embedded_file *f = jg_embedded_defs; f->name != NULL; f++) {
        const char *slash = strchr(f->name, '/');
        if (slash == NULL || strchr(slash + 1, '/') != NULL || strlen(slash + 1) != n + 5 ||
            strncmp(slash + 1, name, n) != 0 || strcmp(slash + 1 + n, ".json") != 0)
            continue;
        json_error_t je;
        json_t *doc = json_loadb((const char *)f->data, f->len, 0, &je);
        json_t *v = json_object_get(doc, "version");
        int version = v == NULL ? 1 : json_is_integer(v) ? (int)json_integer_value(v) : 0;
        json_decref(doc);
        return doc != NULL ? version : 0;
    }
    return 0;
}
