/* Tables from entity definitions: create them, and bring them to a new version of their
 * definition by comparing it with the version kept in entity_def (schema.h).
 *
 * Identifiers in DDL: table, column and index names cannot be bound as parameters, so they are
 * written into the SQL text. They come only from loaded definitions, whose names def.c limits to
 * [a-z][a-z0-9_]{0,39} (no SQL keyword, no "__"), joined with the fixed prefixes and suffixes of
 * this file — never from a request — and put_ident() checks that charset once more. The text is
 * assembled with jg_buf_puts, never a format string (tools/checksrc.sh refuses "%s" in SQL).
 * Values (the default that fills existing rows, names looked up in the catalogue) are bound. */
#include "engine/entity/schema.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "db/migrate.h"
#include "engine/entity/search.h"
#include "engine/entity/tally.h"
#include "engine/entity/value.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDENT_MAX 63 /* PostgreSQL cuts longer identifiers: make them fit instead */
#define SQL_MAX (1 << 20)

typedef struct {
    jg_conn *c;
    jg_db_kind kind;
    int allow;
    char *err;
    size_t errlen;
    jg_buf *plan; /* or NULL: the statements run are appended, one a line (jg_schema_sync_on) */
} sync_ctx;

static jg_rc say(sync_ctx *s, jg_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static jg_rc say(sync_ctx *s, jg_rc rc, const char *fmt, ...)
{
    if (s->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* A destructive change: refused (JG_CONFLICT with the message) unless allowed, then only logged. */
static jg_rc destructive(sync_ctx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static jg_rc destructive(sync_ctx *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!s->allow)
        return say(s, JG_CONFLICT, "%s (a destructive change: it needs an explicit migration)", msg);
    jg_warn("entity schema: applying a destructive change: %s", msg);
    return JG_OK;
}

/* ---- SQL text ---- */

static void put_ident(jg_buf *b, const char *s)
{
    assert(jg_entity_ident_ok(s, IDENT_MAX));
    jg_buf_puts(b, s);
}

static int sealed(const jg_field *f)
{
    return f->data_class == JG_CLASS_SENSITIVE || f->data_class == JG_CLASS_SECRET;
}

/* The column type of a field, with the dialect macros of migrations ({{bigint}}). Sealed values
 * are SM4 tokens, so text whatever the field's type. */
static const char *column_type(const jg_field *f)
{
    return sealed(f) ? "TEXT" : jg_value_sql_type(f);
}

/* The columns of a field: its name, and for a sealed one also <name>__bidx and <name>__mask. */
static int field_columns(const jg_field *f, char cols[3][IDENT_MAX + 1])
{
    snprintf(cols[0], IDENT_MAX + 1, "%s", f->name);
    if (!sealed(f))
        return 1;
    snprintf(cols[1], IDENT_MAX + 1, "%s%s", f->name, JG_SEALED_BIDX_SUFFIX);
    snprintf(cols[2], IDENT_MAX + 1, "%s%s", f->name, JG_SEALED_MASK_SUFFIX);
    return 3;
}

/* The column an index on f uses: the blind index for a sealed field. */
static void key_column(const jg_field *f, char out[IDENT_MAX + 1])
{
    snprintf(out, IDENT_MAX + 1, "%s%s", f->name, sealed(f) ? JG_SEALED_BIDX_SUFFIX : "");
}

/* name, or when longer than PostgreSQL keeps, its first 46 bytes and a hash of the whole. */
static void fit_ident(const char *name, char out[IDENT_MAX + 1])
{
    if (strlen(name) <= IDENT_MAX) {
        snprintf(out, IDENT_MAX + 1, "%s", name);
        return;
    }
    snprintf(out, IDENT_MAX + 1, "%.46s_%016llx", name, (unsigned long long)jg_fnv1a(name));
}

static jg_rc run(sync_ctx *s, jg_buf *sql)
{
    if (sql->overflowed)
        return say(s, JG_ERR, "entity schema: statement too long");
    char *text = jg_migrate_expand(jg_conn_db(s->c), sql->data != NULL ? sql->data : "");
    jg_rc rc = jg_db_script(s->c, text);
    if (rc != JG_OK)
        jg_error("entity schema: failed (%s): %s", jg_rc_name(rc), text);
    else if (s->plan != NULL)
        jg_buf_printf(s->plan, "%s\n", text);
    free(text);
    return rc;
}

/* ALTER TABLE table RENAME [COLUMN column] TO to (column NULL: the table itself). */
static jg_rc rename_to(sync_ctx *s, const char *table, const char *column, const char *to)
{
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    jg_buf_puts(&sql, "ALTER TABLE ");
    put_ident(&sql, table);
    if (column != NULL) {
        jg_buf_puts(&sql, " RENAME COLUMN ");
        put_ident(&sql, column);
    } else {
        jg_buf_puts(&sql, " RENAME");
    }
    jg_buf_puts(&sql, " TO ");
    put_ident(&sql, to);
    jg_rc rc = run(s, &sql);
    jg_buf_free(&sql);
    return rc;
}

static jg_rc drop_index(sync_ctx *s, const char *name)
{
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    jg_buf_puts(&sql, "DROP INDEX IF EXISTS ");
    put_ident(&sql, name);
    jg_rc rc = run(s, &sql);
    jg_buf_free(&sql);
    return rc;
}

/* Whether the catalogue query (sqlite or pgsql, by the backend) finds a row. */
static int query_exists(sync_ctx *s, const char *sqlite, const char *pgsql, const jg_value *p, int n,
                        jg_rc *rc)
{
    jg_rows *r = NULL;
    *rc = jg_db_query(s->c, s->kind == JG_DB_SQLITE ? sqlite : pgsql, p, n, &r);
    int found = *rc == JG_OK && jg_rows_count(r) > 0;
    jg_rows_free(r);
    return found;
}

static int table_exists(sync_ctx *s, const char *table, jg_rc *rc)
{
    jg_value p[] = {JG_VTEXT(table)};
    return query_exists(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
                        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()"
                        " AND table_name = $1",
                        p, 1, rc);
}

static int column_exists(sync_ctx *s, const char *table, const char *column, jg_rc *rc)
{
    jg_value p[] = {JG_VTEXT(table), JG_VTEXT(column)};
    return query_exists(s, "SELECT 1 FROM pragma_table_info($1) WHERE name = $2",
                        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                        " AND table_name = $1 AND column_name = $2",
                        p, 2, rc);
}

/* Count rows of table (where column IS NULL when column is not NULL). */
static jg_rc count_rows(sync_ctx *s, const char *table, const char *column, int64_t *n)
{
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    jg_buf_puts(&sql, "SELECT COUNT(*) FROM ");
    put_ident(&sql, table);
    if (column != NULL) {
        jg_buf_puts(&sql, " WHERE ");
        put_ident(&sql, column);
        jg_buf_puts(&sql, " IS NULL");
    }
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(s->c, sql.data, NULL, 0, &r);
    if (rc == JG_OK)
        *n = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    jg_buf_free(&sql);
    return rc;
}

/* ---- indexes ---- */

typedef struct {
    char name[IDENT_MAX + 1];
    char *sql;                               /* CREATE [UNIQUE] INDEX ... */
    const char *fields[JG_INDEX_MAX_FIELDS]; /* the fields it covers (for a field whose column moves) */
    int keep;                                /* the same index exists already */
} ixspec;

typedef struct {
    ixspec *v;
    int n, cap;
} ixlist;

static void ix_free(ixlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i].sql);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* One index of table e: prefix "ix"/"ux", the name part, its columns, the fields they hold. */
static void ix_add(ixlist *l, const jg_entity *e, int unique, const char *part, const char *const *cols,
                   int ncols, const jg_field *const *covered, int ncovered)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = jg_xrealloc(l->v, sizeof(ixspec) * (size_t)l->cap);
    }
    ixspec *x = &l->v[l->n++];
    memset(x, 0, sizeof(*x));
    char full[320];
    snprintf(full, sizeof(full), "%s_%s__%s", unique ? "ux" : "ix", e->table, part);
    fit_ident(full, x->name);
    for (int i = 0; i < ncovered && i < JG_INDEX_MAX_FIELDS; i++)
        x->fields[i] = covered[i]->name;
    jg_buf b;
    jg_buf_init(&b, SQL_MAX);
    jg_buf_puts(&b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    put_ident(&b, x->name);
    jg_buf_puts(&b, " ON ");
    put_ident(&b, e->table);
    jg_buf_puts(&b, " (");
    for (int i = 0; i < ncols; i++) {
        if (i > 0)
            jg_buf_puts(&b, ", ");
        put_ident(&b, cols[i]);
    }
    /* Lists sort by id last (filter.c): ties then come in index order on PostgreSQL too, and an
     * equality on the field serves the default sort (-id) without sorting. */
    if (!unique && e->parent == NULL)
        jg_buf_puts(&b, ", id");
    jg_buf_puts(&b, ")");
    /* A deleted record no longer holds its unique values (deletion is a state). */
    if (unique && e->parent == NULL)
        jg_buf_puts(&b, " WHERE state <> 'deleted'");
    x->sql = jg_buf_steal(&b);
}

static int is_scope(const jg_entity *e, const jg_field *f)
{
    const char *cols[] = {e->scope_org, e->scope_enterprise, e->scope_project};
    for (int i = 0; i < 3; i++)
        if (cols[i] != NULL && strcmp(cols[i], f->name) == 0)
            return 1;
    return 0;
}

/* The indexes a table of e should have (schema.h). */
static void table_indexes(const jg_entity *e, ixlist *out)
{
    memset(out, 0, sizeof(*out));
    if (e->parent != NULL) {
        const char *cols[] = {"parent_id", "seq"};
        ix_add(out, e, 0, "parent_id", cols, 2, NULL, 0);
    }
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        char key[IDENT_MAX + 1], wkey[IDENT_MAX + 1];
        key_column(f, key);
        const jg_field *within = f->unique_within != NULL ? jg_entity_field(e, f->unique_within) : NULL;
        if (f->unique) {
            const char *cols[3];
            int n = 0;
            if (e->parent != NULL)
                cols[n++] = "parent_id";
            if (within != NULL) {
                key_column(within, wkey);
                cols[n++] = wkey;
            }
            cols[n++] = key;
            const jg_field *covered[] = {f, within};
            ix_add(out, e, 1, f->name, cols, n, covered, within != NULL ? 2 : 1);
        }
        /* A unique index led by the field itself serves its lookups already. */
        int served = f->unique && within == NULL && e->parent == NULL;
        if ((f->indexed || is_scope(e, f)) && !served) {
            const char *cols[] = {key};
            ix_add(out, e, 0, f->name, cols, 1, &f, 1);
        }
    }
    for (int i = 0; i < e->nindexes; i++) { /* ix_<table>__<field>__<field>… */
        const jg_index *x = &e->indexes[i];
        char keys[JG_INDEX_MAX_FIELDS][IDENT_MAX + 1], part[JG_INDEX_MAX_FIELDS * (IDENT_MAX + 2)];
        const char *cols[JG_INDEX_MAX_FIELDS];
        size_t len = 0;
        for (int k = 0; k < x->nfields; k++) {
            key_column(x->fields[k], keys[k]);
            cols[k] = keys[k];
            len += (size_t)snprintf(part + len, sizeof(part) - len, "%s%s", k > 0 ? "__" : "",
                                    x->fields[k]->name);
        }
        ix_add(out, e, 0, part, cols, x->nfields, x->fields, x->nfields);
    }
}

/* ---- creating ---- */

static void put_field_columns(jg_buf *b, const jg_field *f)
{
    char cols[3][IDENT_MAX + 1];
    int n = field_columns(f, cols);
    for (int i = 0; i < n; i++) {
        jg_buf_puts(b, ",\n    ");
        put_ident(b, cols[i]);
        jg_buf_puts(b, " ");
        jg_buf_puts(b, i == 0 ? column_type(f) : "TEXT");
    }
}

static jg_rc create_indexes(sync_ctx *s, const jg_entity *e, ixlist *ix, const char *who)
{
    for (int i = 0; i < ix->n; i++) {
        if (ix->v[i].keep)
            continue;
        jg_buf sql;
        jg_buf_init(&sql, SQL_MAX);
        jg_buf_puts(&sql, ix->v[i].sql);
        jg_rc rc = run(s, &sql);
        jg_buf_free(&sql);
        if (rc == JG_CONFLICT && ix->v[i].fields[0] != NULL)
            return say(s, JG_CONFLICT,
                       "%s.%s: records already hold the same value twice, so it cannot be unique", who,
                       ix->v[i].fields[0]);
        if (rc != JG_OK)
            return say(s, rc, "%s: cannot create index %s on %s", who, ix->v[i].name, e->table);
    }
    return JG_OK;
}

static jg_rc create_table(sync_ctx *s, const jg_entity *e, const char *who)
{
    jg_rc rc;
    if (table_exists(s, e->table, &rc))
        return say(s, JG_CONFLICT, "%s: table %s exists already, but entity_def does not describe it", who,
                   e->table);
    if (rc != JG_OK)
        return rc;
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    jg_buf_puts(&sql, "CREATE TABLE ");
    put_ident(&sql, e->table);
    if (e->parent == NULL) {
        jg_buf_puts(&sql, " (\n    id {{id}},\n    state TEXT NOT NULL,\n    created_by {{bigint}},\n"
                          "    created_at TEXT NOT NULL,\n    updated_by {{bigint}},\n"
                          "    updated_at TEXT NOT NULL,\n    version INTEGER NOT NULL DEFAULT 1");
    } else {
        jg_buf_puts(&sql, " (\n    id {{id}},\n    parent_id {{bigint}} NOT NULL REFERENCES ");
        put_ident(&sql, e->parent->table);
        jg_buf_puts(&sql, " (id) ON DELETE CASCADE,\n    seq INTEGER NOT NULL");
    }
    for (int i = 0; i < e->nfields; i++)
        put_field_columns(&sql, &e->fields[i]);
    jg_buf_puts(&sql, "\n)");
    rc = run(s, &sql);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return say(s, rc, "%s: cannot create table %s", who, e->table);
    ixlist ix;
    table_indexes(e, &ix);
    rc = create_indexes(s, e, &ix, who);
    ix_free(&ix);
    return rc;
}

/* ---- changing ---- */

/* A free name for a column or table moved aside: <name>__v<version>[_<n>]. */
static jg_rc aside_name(sync_ctx *s, const char *table, const char *name, int version,
                        char out[IDENT_MAX + 1])
{
    for (int n = 1; n < 100; n++) {
        char want[256], fitted[IDENT_MAX + 1];
        if (n == 1)
            snprintf(want, sizeof(want), "%s__v%d", name, version);
        else
            snprintf(want, sizeof(want), "%s__v%d_%d", name, version, n);
        fit_ident(want, fitted);
        jg_rc rc;
        int taken = table != NULL ? column_exists(s, table, fitted, &rc) : table_exists(s, fitted, &rc);
        if (rc != JG_OK)
            return rc;
        if (!taken) {
            memcpy(out, fitted, IDENT_MAX + 1);
            return JG_OK;
        }
    }
    return say(s, JG_CONFLICT, "%s: no free name to move %s aside", table != NULL ? table : name, name);
}

/* Keep the data of a field that goes away or changes storage: rename its columns aside. */
static jg_rc move_aside(sync_ctx *s, const jg_entity *old, const jg_field *f)
{
    char cols[3][IDENT_MAX + 1];
    int n = field_columns(f, cols);
    for (int i = 0; i < n; i++) {
        char to[IDENT_MAX + 1];
        jg_rc rc;
        if (!column_exists(s, old->table, cols[i], &rc))
            continue; /* e.g. a mask column of a definition from before it had one */
        if (rc == JG_OK)
            rc = aside_name(s, old->table, cols[i], old->version, to);
        if (rc != JG_OK)
            return rc;
        rc = rename_to(s, old->table, cols[i], to);
        if (rc != JG_OK)
            return say(s, rc, "%s: cannot rename column %s", old->table, cols[i]);
        jg_info("entity schema: kept column %s.%s as %s", old->table, cols[i], to);
    }
    return JG_OK;
}

static jg_rc add_columns(sync_ctx *s, const jg_entity *e, const jg_field *f, const char *who)
{
    char cols[3][IDENT_MAX + 1];
    int n = field_columns(f, cols);
    for (int i = 0; i < n; i++) {
        jg_rc rc;
        if (column_exists(s, e->table, cols[i], &rc))
            return say(s, JG_CONFLICT,
                       "%s.%s: table %s has a column %s already, which entity_def does not describe", who,
                       f->name, e->table, cols[i]);
        if (rc != JG_OK)
            return rc;
        jg_buf sql;
        jg_buf_init(&sql, SQL_MAX);
        jg_buf_puts(&sql, "ALTER TABLE ");
        put_ident(&sql, e->table);
        jg_buf_puts(&sql, " ADD COLUMN ");
        put_ident(&sql, cols[i]);
        jg_buf_puts(&sql, " ");
        jg_buf_puts(&sql, i == 0 ? column_type(f) : "TEXT");
        rc = run(s, &sql);
        jg_buf_free(&sql);
        if (rc != JG_OK)
            return say(s, rc, "%s.%s: cannot add column %s", who, f->name, cols[i]);
    }
    return JG_OK;
}

/* A required field whose column has NULLs: fill them with the default, or it is destructive. */
static jg_rc fill_required(sync_ctx *s, const jg_entity *e, const jg_field *f, const char *who, int added)
{
    int64_t nulls = 0;
    jg_rc rc = count_rows(s, e->table, f->name, &nulls);
    if (rc != JG_OK || nulls == 0)
        return rc;
    char buf[4096];
    jg_value v;
    rc = jg_field_default_stored(f, &v, buf, sizeof(buf));
    if (rc == JG_NOTFOUND) {
        if (added)
            return destructive(
                s, "%s.%s: a required field without a default is added, and %lld records have no value", who,
                f->name, (long long)nulls);
        return destructive(s, "%s.%s: made required without a default, and %lld records have no value", who,
                           f->name, (long long)nulls);
    }
    if (rc != JG_OK)
        return say(s, JG_ERR, "%s.%s: the default is too long to fill existing records", who, f->name);
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    jg_buf_puts(&sql, "UPDATE ");
    put_ident(&sql, e->table);
    jg_buf_puts(&sql, " SET ");
    put_ident(&sql, f->name);
    jg_buf_puts(&sql, " = $1 WHERE ");
    put_ident(&sql, f->name);
    jg_buf_puts(&sql, " IS NULL");
    rc = jg_db_exec(s->c, sql.data, &v, 1, NULL);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return say(s, rc, "%s.%s: cannot fill existing records with the default", who, f->name);
    jg_info("entity schema: %s.%s: %lld records given the default", who, f->name, (long long)nulls);
    return JG_OK;
}

/* Whether the stored values of o mean something else under n: then its column moves aside. */
static const char *storage_change(const jg_field *o, const jg_field *n, char *why, size_t len)
{
    if (o->type != n->type)
        snprintf(why, len, "type changed from %s to %s", jg_field_type_name(o->type),
                 jg_field_type_name(n->type));
    else if (sealed(o) != sealed(n))
        snprintf(why, len, "%s sealed storage (class changed)", sealed(n) ? "moved to" : "moved out of");
    else if ((n->type == JG_FIELD_DECIMAL || n->type == JG_FIELD_MONEY) && o->scale != n->scale)
        snprintf(why, len, "scale changed from %d to %d", o->scale, n->scale);
    else
        return NULL;
    return why;
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Rules that existing values may no longer satisfy (narrowing), for a field kept as it is. */
static const char *narrowing(const jg_field *o, const jg_field *n, char *why, size_t len)
{
    if (n->max_length < o->max_length)
        snprintf(why, len, "max_length shrunk from %lld to %lld", (long long)o->max_length,
                 (long long)n->max_length);
    else if (n->min_length > o->min_length)
        snprintf(why, len, "min_length raised from %lld to %lld", (long long)o->min_length,
                 (long long)n->min_length);
    else if (n->has_min && (!o->has_min || n->min > o->min))
        snprintf(why, len, "min raised");
    else if (n->has_max && (!o->has_max || n->max < o->max))
        snprintf(why, len, "max lowered");
    else if (n->pattern != NULL && !same_string(o->pattern, n->pattern))
        snprintf(why, len, "pattern added or changed");
    else if (n->type == JG_FIELD_FILES && n->max_files < o->max_files)
        snprintf(why, len, "max_files lowered from %d to %d", o->max_files, n->max_files);
    else if (!same_string(o->dict, n->dict))
        snprintf(why, len, "dictionary changed from %s to %s", o->dict, n->dict);
    else if (!same_string(o->ref, n->ref))
        snprintf(why, len, "reference changed from %s to %s", o->ref, n->ref);
    else
        return NULL;
    return why;
}

static int covers(const ixspec *x, const char *field)
{
    for (int i = 0; i < JG_INDEX_MAX_FIELDS; i++)
        if (x->fields[i] != NULL && strcmp(x->fields[i], field) == 0)
            return 1;
    return 0;
}

/* Bring the table of old to new (same table). */
static jg_rc change_table(sync_ctx *s, const jg_entity *old, const jg_entity *e, const char *who)
{
    /* What moves: fields removed, and fields whose storage changes. */
    int *moved = jg_xcalloc((size_t)e->nfields + 1, sizeof(int));
    int *gone = jg_xcalloc((size_t)old->nfields + 1, sizeof(int));
    ixlist oldix = {0}, newix = {0};
    jg_rc rc = JG_OK;
    char why[256];
    for (int i = 0; rc == JG_OK && i < old->nfields; i++) {
        if (jg_entity_field(e, old->fields[i].name) == NULL) {
            gone[i] = 1;
            rc = destructive(s, "%s.%s: field removed", who, old->fields[i].name);
        }
    }
    for (int i = 0; rc == JG_OK && i < e->nfields; i++) {
        const jg_field *n = &e->fields[i], *o = jg_entity_field(old, n->name);
        if (o == NULL)
            continue;
        if (storage_change(o, n, why, sizeof(why)) != NULL) {
            moved[i] = 1;
            rc = destructive(s, "%s.%s: %s", who, n->name, why);
        } else if (narrowing(o, n, why, sizeof(why)) != NULL) {
            rc = destructive(s, "%s.%s: %s", who, n->name, why);
        }
    }
    if (rc != JG_OK)
        goto done;

    /* Indexes: drop those that change or cover a moving field, before the columns move. */
    table_indexes(old, &oldix);
    table_indexes(e, &newix);
    for (int i = 0; i < oldix.n; i++) {
        ixspec *x = &oldix.v[i];
        int stale = 0;
        for (int k = 0; k < old->nfields; k++)
            stale |= gone[k] && covers(x, old->fields[k].name);
        for (int k = 0; k < e->nfields; k++)
            stale |= moved[k] && covers(x, e->fields[k].name);
        int same = 0;
        for (int j = 0; !stale && j < newix.n; j++) {
            if (strcmp(newix.v[j].name, x->name) == 0 && strcmp(newix.v[j].sql, x->sql) == 0) {
                newix.v[j].keep = 1;
                same = 1;
            }
        }
        if (same)
            continue;
        rc = drop_index(s, x->name);
        if (rc != JG_OK)
            goto done;
    }

    /* Columns: move aside, add. */
    for (int i = 0; rc == JG_OK && i < old->nfields; i++)
        if (gone[i])
            rc = move_aside(s, old, &old->fields[i]);
    for (int i = 0; rc == JG_OK && i < e->nfields; i++) {
        const jg_field *n = &e->fields[i], *o = jg_entity_field(old, n->name);
        if (o != NULL && moved[i])
            rc = move_aside(s, old, o);
        if (rc == JG_OK && (o == NULL || moved[i]))
            rc = add_columns(s, e, n, who);
        if (rc == JG_OK && n->required && (o == NULL || moved[i] || !o->required))
            rc = fill_required(s, e, n, who, o == NULL || moved[i]);
    }
    if (rc == JG_OK)
        rc = create_indexes(s, e, &newix, who);
done:
    ix_free(&oldix);
    ix_free(&newix);
    free(moved);
    free(gone);
    return rc;
}

static jg_rc retire_child(sync_ctx *s, const jg_entity *old, const char *who)
{
    jg_rc rc = destructive(s, "%s: child table removed", who);
    if (rc != JG_OK)
        return rc;
    /* Keep the rows under another name; its indexes go, so a later child of the same name can have them. */
    ixlist ix;
    table_indexes(old, &ix);
    for (int i = 0; rc == JG_OK && i < ix.n; i++)
        rc = drop_index(s, ix.v[i].name);
    ix_free(&ix);
    char to[IDENT_MAX + 1];
    if (rc == JG_OK)
        rc = aside_name(s, NULL, old->table, old->version, to);
    if (rc != JG_OK)
        return rc;
    rc = rename_to(s, old->table, NULL, to);
    if (rc == JG_OK)
        jg_info("entity schema: kept table %s as %s", old->table, to);
    return rc;
}

static const jg_entity *child_of(const jg_entity *e, const char *name)
{
    for (int i = 0; i < e->nchildren; i++)
        if (strcmp(e->children[i].name, name) == 0)
            return &e->children[i];
    return NULL;
}

static jg_rc change_entity(sync_ctx *s, const jg_entity *old, const jg_entity *e)
{
    char who[128];
    jg_rc rc = change_table(s, old, e, e->name);
    for (int i = 0; rc == JG_OK && i < old->nstates; i++) {
        int found = 0;
        for (int j = 0; j < e->nstates; j++)
            found |= strcmp(old->states[i].name, e->states[j].name) == 0;
        if (!found)
            rc = destructive(s, "%s: state %s removed (records may be in it)", e->name, old->states[i].name);
    }
    for (int i = 0; rc == JG_OK && i < old->nchildren; i++) {
        snprintf(who, sizeof(who), "%s.%s", e->name, old->children[i].name);
        if (child_of(e, old->children[i].name) == NULL)
            rc = retire_child(s, &old->children[i], who);
    }
    for (int i = 0; rc == JG_OK && i < e->nchildren; i++) {
        const jg_entity *ch = &e->children[i], *och = child_of(old, ch->name);
        snprintf(who, sizeof(who), "%s.%s", e->name, ch->name);
        rc = och != NULL ? change_table(s, och, ch, who) : create_table(s, ch, who);
    }
    return rc;
}

/* ---- the whole set ---- */

static jg_rc record(sync_ctx *s, const jg_entity *e, int update)
{
    char *doc = json_dumps(e->doc, JSON_COMPACT);
    if (doc == NULL)
        return say(s, JG_ERR, "%s: cannot serialise the definition", e->name);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(e->name), JG_VINT(e->version), JG_VTEXT(doc), JG_VTEXT(now)};
    jg_rc rc =
        jg_db_exec(s->c,
                   update ? "UPDATE entity_def SET version = $2, doc = $3, applied_at = $4 WHERE name = $1"
                          : "INSERT INTO entity_def (name, version, doc, applied_at) VALUES ($1, $2, $3, $4)",
                   p, 4, NULL);
    free(doc);
    return rc;
}

static jg_rc sync_entity(sync_ctx *s, const jg_entity *e)
{
    jg_value p[] = {JG_VTEXT(e->name)};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(s->c, "SELECT version, doc FROM entity_def WHERE name = $1", p, 1, &r);
    if (rc != JG_OK)
        return say(s, rc, "%s: cannot read entity_def", e->name);
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        rc = create_table(s, e, e->name);
        for (int i = 0; rc == JG_OK && i < e->nchildren; i++) {
            char who[128];
            snprintf(who, sizeof(who), "%s.%s", e->name, e->children[i].name);
            rc = create_table(s, &e->children[i], who);
        }
        if (rc == JG_OK)
            rc = record(s, e, 0);
        if (rc == JG_OK)
            jg_info("entity schema: created %s (version %d)", e->name, e->version);
        return rc;
    }
    int64_t have = jg_rows_int(r, 0, 0);
    json_error_t jerr;
    json_t *stored = json_loads(jg_rows_text(r, 0, 1) != NULL ? jg_rows_text(r, 0, 1) : "", 0, &jerr);
    jg_rows_free(r);
    if (stored == NULL)
        return say(s, JG_ERR, "%s: entity_def holds a definition that is not JSON: %s", e->name, jerr.text);
    if (json_equal(stored, e->doc)) {
        json_decref(stored);
        return JG_OK;
    }
    if (e->version <= have) {
        json_decref(stored);
        if (e->version < have)
            return say(s, JG_CONFLICT,
                       "%s: the database has version %lld of the definition, newer than this one (%d)",
                       e->name, (long long)have, e->version);
        return say(s, JG_CONFLICT, "%s: the definition changed but its version is still %d: raise it",
                   e->name, e->version);
    }
    jg_entity old;
    char msg[512];
    rc = jg_entity_load(stored, &old, msg, sizeof(msg));
    json_decref(stored);
    if (rc != JG_OK)
        return say(s, JG_ERR, "%s: the stored version %lld of the definition no longer loads: %s", e->name,
                   (long long)have, msg);
    rc = change_entity(s, &old, e);
    jg_entity_free(&old);
    if (rc == JG_OK)
        rc = record(s, e, 1);
    if (rc == JG_OK)
        jg_info("entity schema: %s from version %lld to %d", e->name, (long long)have, e->version);
    return rc;
}

typedef struct {
    const jg_entity_set *set;
    sync_ctx *s;
} sync_args;

static jg_rc sync_all(jg_conn *c, void *ud)
{
    sync_args *a = ud;
    a->s->c = c;
    if (a->s->kind == JG_DB_PGSQL) {
        /* Two servers starting together: the second waits for the first's tables, then sees them. */
        jg_rc rc = jg_db_exec(c, "LOCK TABLE entity_def IN SHARE ROW EXCLUSIVE MODE", NULL, 0, NULL);
        if (rc != JG_OK)
            return say(a->s, rc, "cannot lock entity_def");
    }
    for (int i = 0; i < a->set->nentities; i++) {
        jg_rc rc = sync_entity(a->s, &a->set->entities[i]);
        if (rc == JG_OK) /* the search index (search_schema.c) follows the table */
            rc = jg_search_schema_sync(c, &a->set->entities[i], a->s->err, a->s->errlen);
        if (rc == JG_OK) /* and so does the tally (tally_schema.c) */
            rc = jg_tally_schema_sync(c, &a->set->entities[i], a->s->err, a->s->errlen);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_rc jg_schema_sync(jg_db *db, const jg_entity_set *set, int allow_destructive, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    sync_ctx s = {NULL, jg_db_kind_of(db), allow_destructive, err, errlen, NULL};
    sync_args a = {set, &s};
    jg_rc rc = jg_db_tx(db, sync_all, &a);
    if (rc != JG_OK && errlen > 0 && err[0] == '\0')
        snprintf(err, errlen, "entity schema: %s", jg_rc_name(rc));
    return rc;
}

jg_rc jg_schema_sync_on(jg_conn *c, const jg_entity_set *set, int allow_destructive, jg_buf *plan, char *err,
                        size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    sync_ctx s = {c, jg_db_kind_of(jg_conn_db(c)), allow_destructive, err, errlen, plan};
    sync_args a = {set, &s};
    jg_rc rc = sync_all(c, &a);
    if (rc != JG_OK && errlen > 0 && err[0] == '\0')
        snprintf(err, errlen, "entity schema: %s", jg_rc_name(rc));
    return rc;
}
