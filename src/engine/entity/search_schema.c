/* The search indexes of entities (search.h): an FTS5 trigram table with triggers and its vocabulary
 * on SQLite, a GIN index on character bigrams on PostgreSQL, created and rebuilt by the schema sync.
 *
 * The index is compared by its SQL text: SQLite keeps the CREATE statements of the table and the
 * triggers as written (sqlite_master.sql), PostgreSQL gets the hash of the CREATE INDEX statement
 * in the index's name. Whatever differs is dropped and made again from the rows of the table, so a
 * field made searchable (or no longer) is indexed on the next start. Identifiers come from loaded
 * definitions ([a-z][a-z0-9_]*, checked again here), never from requests. */
#include "engine/entity/search.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IDENT_MAX 63
#define SQL_MAX 65536

/* The SQL function behind the PostgreSQL index: the distinct bigrams of t ('{}' for less than two
 * characters). Never change its body: indexes are built with it (give a new one another name). */
static const char BIGRAMS_FN[] = "CREATE OR REPLACE FUNCTION jg_search_bigrams(t text) RETURNS text[]\n"
                                 "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$\n"
                                 "  SELECT coalesce(array_agg(DISTINCT b), '{}') FROM (\n"
                                 "    SELECT c || lead(c) OVER (ORDER BY i) AS b\n"
                                 "    FROM unnest(string_to_array(t, NULL)) WITH ORDINALITY AS u(c, i)) s\n"
                                 "  WHERE b IS NOT NULL\n"
                                 "$fn$";

static void ident(jg_buf *b, const char *s)
{
    jg_buf_puts(b, jg_entity_ident_ok(s, IDENT_MAX) ? s : "invalid_identifier");
}

/* Append "<prefix>f1<sep><prefix>f2..." over the searchable fields of e. */
static void field_list(jg_buf *b, const jg_entity *e, const char *prefix, const char *sep)
{
    int first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!e->fields[i].searchable)
            continue;
        if (!first)
            jg_buf_puts(b, sep);
        first = 0;
        jg_buf_puts(b, prefix);
        ident(b, e->fields[i].name);
    }
}

static int searchable_count(const jg_entity *e)
{
    int n = 0;
    for (int i = 0; i < e->nfields; i++)
        n += e->fields[i].searchable != 0;
    return n;
}

static jg_rc script(jg_conn *c, jg_buf *b)
{
    if (b->overflowed)
        return JG_TOOLARGE;
    jg_rc rc = jg_db_script(c, b->data);
    if (rc != JG_OK)
        jg_error("search index: failed (%s): %s", jg_rc_name(rc), b->data);
    return rc;
}

/* ---- SQLite ---- */

enum { VT, VOCAB, TR_INSERT, TR_DELETE, TR_UPDATE, NOBJ };
static const char *const suffix[NOBJ] = {"__fts", "__fts_v", "__fts_ai", "__fts_ad", "__fts_au"};

/* "<prefix>f1 || char(1), <prefix>f2 || char(1), ...": what the index holds of each field, the value
 * and the end mark (search.h). */
static void indexed_values(jg_buf *b, const jg_entity *e, const char *prefix)
{
    int first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!e->fields[i].searchable)
            continue;
        if (!first)
            jg_buf_puts(b, ", ");
        first = 0;
        jg_buf_puts(b, prefix);
        ident(b, e->fields[i].name);
        jg_buf_puts(b, " || " JG_SEARCH_END_SQL);
    }
}

/* INSERT INTO fts (rowid, f...) VALUES (<row>.id, <row>.f || char(1)...), or its 'delete' form. */
static void fts_write(jg_buf *b, const char *fts, const jg_entity *e, int del)
{
    jg_buf_puts(b, "INSERT INTO ");
    jg_buf_puts(b, fts);
    jg_buf_puts(b, del ? " (" : " (rowid, ");
    if (del) {
        jg_buf_puts(b, fts);
        jg_buf_puts(b, ", rowid, ");
    }
    field_list(b, e, "", ", ");
    jg_buf_puts(b, del ? ") VALUES ('delete', old.id, " : ") VALUES (new.id, ");
    indexed_values(b, e, del ? "old." : "new.");
    jg_buf_puts(b, ");");
}

/* The CREATE statements of the FTS table, its vocabulary and its triggers, as sqlite_master keeps
 * them. The FTS table is contentless: it holds what indexed_values gives, not the columns as they
 * are, so FTS5 must never read them from the entity's table. */
static void sqlite_objects(const jg_entity *e, char names[NOBJ][IDENT_MAX + 1], jg_buf sql[NOBJ])
{
    for (int i = 0; i < NOBJ; i++) {
        snprintf(names[i], IDENT_MAX + 1, "%s%s", e->table, suffix[i]);
        jg_buf_init(&sql[i], SQL_MAX);
    }
    const char *fts = names[VT];
    jg_buf_puts(&sql[VT], "CREATE VIRTUAL TABLE ");
    jg_buf_puts(&sql[VT], fts);
    jg_buf_puts(&sql[VT], " USING fts5(");
    field_list(&sql[VT], e, "", ", ");
    jg_buf_puts(&sql[VT], ", content='', tokenize='trigram')");
    jg_buf_puts(&sql[VOCAB], "CREATE VIRTUAL TABLE ");
    jg_buf_puts(&sql[VOCAB], names[VOCAB]);
    jg_buf_puts(&sql[VOCAB], " USING fts5vocab(");
    jg_buf_puts(&sql[VOCAB], fts);
    jg_buf_puts(&sql[VOCAB], ", 'row')");

    static const char *const when[NOBJ] = {NULL, NULL, " AFTER INSERT ON ", " AFTER DELETE ON ",
                                           " AFTER UPDATE OF "};
    for (int t = TR_INSERT; t < NOBJ; t++) {
        jg_buf *b = &sql[t];
        jg_buf_puts(b, "CREATE TRIGGER ");
        jg_buf_puts(b, names[t]);
        jg_buf_puts(b, when[t]);
        if (t == TR_UPDATE) {
            field_list(b, e, "", ", ");
            jg_buf_puts(b, " ON ");
        }
        ident(b, e->table);
        jg_buf_puts(b, " BEGIN ");
        if (t != TR_INSERT)
            fts_write(b, fts, e, 1);
        if (t == TR_UPDATE)
            jg_buf_puts(b, " ");
        if (t != TR_DELETE)
            fts_write(b, fts, e, 0);
        jg_buf_puts(b, " END");
    }
}

static jg_rc sqlite_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen)
{
    char names[NOBJ][IDENT_MAX + 1];
    jg_buf sql[NOBJ];
    sqlite_objects(e, names, sql);
    int want = searchable_count(e) > 0, same = want, any = 0;
    jg_rc rc = JG_OK;
    for (int i = 0; rc == JG_OK && i < NOBJ; i++) {
        jg_rows *r = NULL;
        jg_value p[] = {JG_VTEXT(names[i])};
        rc = jg_db_query(c, "SELECT sql FROM sqlite_master WHERE name = $1", p, 1, &r);
        const char *have = rc == JG_OK && jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
        same &= have != NULL && !sql[i].overflowed && strcmp(have, sql[i].data) == 0;
        any |= have != NULL;
        jg_rows_free(r);
    }
    if (rc == JG_OK && !same && (want || any)) {
        jg_buf drop;
        jg_buf_init(&drop, SQL_MAX);
        for (int t = TR_INSERT; t < NOBJ; t++) {
            jg_buf_puts(&drop, "DROP TRIGGER IF EXISTS ");
            jg_buf_puts(&drop, names[t]);
            jg_buf_puts(&drop, ";\n");
        }
        jg_buf_puts(&drop, "DROP TABLE IF EXISTS ");
        jg_buf_puts(&drop, names[VOCAB]);
        jg_buf_puts(&drop, ";\nDROP TABLE IF EXISTS ");
        jg_buf_puts(&drop, names[VT]);
        rc = script(c, &drop);
        jg_buf_free(&drop);
        for (int i = 0; want && rc == JG_OK && i < NOBJ; i++)
            rc = script(c, &sql[i]);
        if (want && rc == JG_OK) {
            jg_buf fill;
            jg_buf_init(&fill, SQL_MAX);
            jg_buf_puts(&fill, "INSERT INTO ");
            jg_buf_puts(&fill, names[VT]);
            jg_buf_puts(&fill, " (rowid, ");
            field_list(&fill, e, "", ", ");
            jg_buf_puts(&fill, ") SELECT id, ");
            indexed_values(&fill, e, "");
            jg_buf_puts(&fill, " FROM ");
            ident(&fill, e->table);
            rc = script(c, &fill);
            jg_buf_free(&fill);
        }
        if (rc == JG_OK)
            jg_info("search index: %s %s", names[VT], want ? "built" : "dropped");
    }
    for (int i = 0; i < NOBJ; i++)
        jg_buf_free(&sql[i]);
    if (rc != JG_OK)
        return jg_rc_say(err, errlen, rc, "%s: cannot make its search index %s", e->name, names[VT]);
    return JG_OK;
}

/* ---- PostgreSQL ---- */

/* The generated column's expression: jg_search_bigrams(lower(coalesce(f1, '') || ' ' || ...)). */
static void pg_expr(jg_buf *b, const jg_entity *e)
{
    jg_buf_puts(b, "jg_search_bigrams(lower(");
    int first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!e->fields[i].searchable)
            continue;
        if (!first)
            jg_buf_puts(b, " || ' ' || ");
        first = 0;
        jg_buf_puts(b, "coalesce(");
        ident(b, e->fields[i].name);
        jg_buf_puts(b, ", '')");
    }
    jg_buf_puts(b, "))");
}

/* Whether the column JG_SEARCH_PG_COLUMN of e's table is computed from exactly the searchable
 * fields' columns (a field whose column was renamed aside leaves it computed from the old one). */
static int pg_column_current(jg_conn *c, const jg_entity *e, jg_rc *rc)
{
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(e->table), JG_VTEXT(JG_SEARCH_PG_COLUMN)};
    *rc = jg_db_query(c,
                      "SELECT column_name FROM information_schema.column_column_usage"
                      " WHERE table_schema = current_schema() AND table_name = $1 AND dependent_column = $2",
                      p, 2, &r);
    int ok = *rc == JG_OK && jg_rows_count(r) == searchable_count(e);
    for (int i = 0; ok && i < jg_rows_count(r); i++) {
        const jg_field *f = jg_entity_field(e, jg_rows_text(r, i, 0));
        ok = f != NULL && f->searchable;
    }
    jg_rows_free(r);
    return ok;
}

static jg_rc pg_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen)
{
    int want = searchable_count(e) > 0;
    jg_buf expr;
    jg_buf_init(&expr, SQL_MAX);
    char name[IDENT_MAX + 1] = "";
    if (want) {
        pg_expr(&expr, e);
        snprintf(name, sizeof(name), "sx_%.42s_%016llx", e->table,
                 (unsigned long long)jg_fnv1a(expr.data != NULL ? expr.data : ""));
    }
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(e->table)};
    jg_rc rc = jg_db_query(c,
                           "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                           " AND tablename = $1 AND indexname LIKE 'sx\\_%' ORDER BY indexname",
                           p, 1, &r);
    int have = 0, n = rc == JG_OK ? jg_rows_count(r) : 0;
    for (int i = 0; i < n; i++)
        have |= want && strcmp(jg_rows_text(r, i, 0), name) == 0;
    int done = rc == JG_OK && have && n == 1 && pg_column_current(c, e, &rc);
    if (rc == JG_OK && !want && n == 0) { /* nothing wanted: done unless the column is left */
        jg_rows *col = NULL;
        jg_value cp[] = {JG_VTEXT(e->table), JG_VTEXT(JG_SEARCH_PG_COLUMN)};
        rc = jg_db_query(c,
                         "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                         " AND table_name = $1 AND column_name = $2",
                         cp, 2, &col);
        done = rc == JG_OK && jg_rows_count(col) == 0;
        jg_rows_free(col);
    }
    if (done || rc != JG_OK) {
        jg_rows_free(r);
        jg_buf_free(&expr);
        return rc == JG_OK ? JG_OK : jg_rc_say(err, errlen, rc, "%s: cannot read the catalogue", e->name);
    }
    /* Anything else: drop what there is (the column is derived, no data is lost) and make it anew. */
    jg_buf sql;
    jg_buf_init(&sql, SQL_MAX);
    for (int i = 0; rc == JG_OK && i < n; i++) {
        jg_buf_puts(&sql, "DROP INDEX ");
        ident(&sql, jg_rows_text(r, i, 0));
        jg_buf_puts(&sql, ";\n");
    }
    jg_rows_free(r);
    jg_buf_puts(&sql, "ALTER TABLE ");
    ident(&sql, e->table);
    jg_buf_puts(&sql, " DROP COLUMN IF EXISTS " JG_SEARCH_PG_COLUMN);
    if (rc == JG_OK)
        rc = script(c, &sql);
    if (rc == JG_OK && want) {
        jg_rows *f = NULL;
        rc = jg_db_query(c, "SELECT 1 WHERE to_regprocedure('jg_search_bigrams(text)') IS NOT NULL", NULL, 0,
                         &f);
        int exists = rc == JG_OK && jg_rows_count(f) == 1;
        jg_rows_free(f);
        if (rc == JG_OK && !exists)
            rc = jg_db_script(c, BIGRAMS_FN);
        jg_buf_free(&sql);
        jg_buf_init(&sql, SQL_MAX);
        jg_buf_puts(&sql, "ALTER TABLE ");
        ident(&sql, e->table);
        jg_buf_puts(&sql, " ADD COLUMN " JG_SEARCH_PG_COLUMN " text[] GENERATED ALWAYS AS (");
        jg_buf_puts(&sql, expr.data != NULL ? expr.data : "");
        jg_buf_puts(&sql, ") STORED;\nCREATE INDEX ");
        jg_buf_puts(&sql, name);
        jg_buf_puts(&sql, " ON ");
        ident(&sql, e->table);
        jg_buf_puts(&sql, " USING gin (" JG_SEARCH_PG_COLUMN ")");
        if (rc == JG_OK)
            rc = script(c, &sql);
    }
    if (rc == JG_OK)
        jg_info("search index: %s %s", e->table, want ? name : "dropped");
    jg_buf_free(&sql);
    jg_buf_free(&expr);
    if (rc != JG_OK)
        return jg_rc_say(err, errlen, rc, "%s: cannot make its search index", e->name);
    return JG_OK;
}

jg_rc jg_search_schema_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen)
{
    for (int i = 0; i < e->nchildren; i++) {
        const jg_entity *ch = &e->children[i];
        if (strncmp(ch->name, "fts", 3) == 0 && searchable_count(e) > 0)
            return jg_rc_say(
                err, errlen, JG_CONFLICT,
                "%s.%s: child tables named fts... clash with the search index of %s (e_%s__fts*): "
                "rename the child",
                e->name, ch->name, e->name, e->name);
        if (searchable_count(ch) > 0)
            jg_warn("search index: %s.%s has searchable fields, but child tables are not searched", e->name,
                    ch->name);
    }
    if (jg_db_kind_of(jg_conn_db(c)) == JG_DB_SQLITE)
        return sqlite_sync(c, e, err, errlen);
    return pg_sync(c, e, err, errlen);
}
