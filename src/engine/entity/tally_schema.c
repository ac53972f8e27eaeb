/* The tally table of an entity and the triggers that keep it exact (tally.h), made by the schema
 * sync. Triggers rather than counting in the records API: every write moves the counts in its own
 * transaction whoever makes it — the API, the workflow's state changes, an import, a bulk load in
 * SQL, a data migration — so the table cannot drift from the rows (as the FTS index on SQLite).
 *
 * What is there is compared by its SQL text: SQLite keeps the CREATE statements as written
 * (sqlite_master.sql), PostgreSQL the trigger function's body (pg_proc.prosrc). Anything different
 * is dropped and made again, and the table filled from the rows by one GROUP BY. Identifiers come
 * from loaded definitions ([a-z][a-z0-9_]*, checked again here), never from requests. */
#include "engine/entity/tally.h"

#include "base/buf.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

#define IDENT_MAX 63
#define SQL_MAX 65536

static void ident(jg_buf *b, const char *s)
{
    jg_buf_puts(b, jg_entity_ident_ok(s, IDENT_MAX) ? s : "invalid_identifier");
}

/* The stored form of counted column i of the row at prefix p ("new.", "old.", ""): NULL as '' (or -1
 * for a boolean), so that the unique key holds every group once. */
static void col_expr(jg_buf *b, const jg_tally_spec *s, int i, const char *p)
{
    int boolean = s->fields[i] != NULL && s->fields[i]->type == JG_FIELD_BOOLEAN;
    jg_buf_puts(b, "coalesce(");
    jg_buf_puts(b, p);
    ident(b, s->cols[i]);
    jg_buf_puts(b, boolean ? ", -1)" : ", '')");
}

/* The month of the row at prefix p: "YYYY-MM" of the date field, or of created_at in Beijing time
 * (UTC+8 all year); '' when there is none. */
static void month_expr(jg_buf *b, const jg_tally_spec *s, jg_db_kind kind, const char *p)
{
    if (s->month == NULL) {
        jg_buf_puts(b, "''");
    } else if (strcmp(s->month, JG_TALLY_CREATED_AT) != 0) {
        jg_buf_puts(b, "coalesce(substr(");
        jg_buf_puts(b, p);
        ident(b, s->month);
        jg_buf_puts(b, ", 1, 7), '')");
    } else if (kind == JG_DB_SQLITE) {
        jg_buf_printf(b, "coalesce(strftime('%%Y-%%m', %screated_at, '+8 hours'), '')", p);
    } else {
        jg_buf_printf(
            b, "coalesce(to_char(%screated_at::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), '')", p);
    }
}

/* "state, org_code, ..., month__": the unique key of the table. */
static void key_list(jg_buf *b, const jg_tally_spec *s)
{
    for (int i = 0; i < s->ncols; i++) {
        ident(b, s->cols[i]);
        jg_buf_puts(b, ", ");
    }
    jg_buf_puts(b, "month__");
}

/* "<expr> AS state, ..., <month> AS month__" of the row at prefix p. */
static void select_list(jg_buf *b, const jg_tally_spec *s, jg_db_kind kind, const char *p)
{
    for (int i = 0; i < s->ncols; i++) {
        col_expr(b, s, i, p);
        jg_buf_puts(b, " AS ");
        ident(b, s->cols[i]);
        jg_buf_puts(b, ", ");
    }
    month_expr(b, s, kind, p);
    jg_buf_puts(b, " AS month__");
}

/* "c1 = <expr(old.c1)> AND ... AND month__ = <month(old.)>" */
static void match_row(jg_buf *b, const jg_tally_spec *s, jg_db_kind kind, const char *p)
{
    for (int i = 0; i < s->ncols; i++) {
        ident(b, s->cols[i]);
        jg_buf_puts(b, " = ");
        col_expr(b, s, i, p);
        jg_buf_puts(b, " AND ");
    }
    jg_buf_puts(b, "month__ = ");
    month_expr(b, s, kind, p);
}

enum { TABLE, INDEX, TR_INSERT, TR_DELETE, TR_UPDATE, FUNC, NOBJ };
static const char *const suffix[NOBJ] = {"", "", "_ai", "_ad", "_au", "_fn"};

typedef struct {
    char table[IDENT_MAX + 1], index[IDENT_MAX + 4],
        names[NOBJ][IDENT_MAX + 8]; /* names fit 63 bytes: entity names are at most 40 */
    jg_buf sql[NOBJ]; /* FUNC: on PostgreSQL, the body of the function (what pg_proc.prosrc holds) */
} objects;

static void objects_free(objects *o)
{
    for (int i = 0; i < NOBJ; i++)
        jg_buf_free(&o->sql[i]);
}

static void sqlite_triggers(objects *o, const jg_entity *e, const jg_tally_spec *s)
{
    jg_buf *b = &o->sql[TR_INSERT];
    jg_buf_printf(b, "CREATE TRIGGER %s AFTER INSERT ON ", o->names[TR_INSERT]);
    ident(b, e->table);
    jg_buf_printf(b, " BEGIN INSERT INTO %s (", o->table);
    key_list(b, s);
    jg_buf_puts(b, ", n__) VALUES (");
    for (int i = 0; i < s->ncols; i++) {
        col_expr(b, s, i, "new.");
        jg_buf_puts(b, ", ");
    }
    month_expr(b, s, JG_DB_SQLITE, "new.");
    jg_buf_puts(b, ", 1) ON CONFLICT (");
    key_list(b, s);
    jg_buf_puts(b, ") DO UPDATE SET n__ = n__ + 1; END");

    b = &o->sql[TR_DELETE];
    jg_buf_printf(b, "CREATE TRIGGER %s AFTER DELETE ON ", o->names[TR_DELETE]);
    ident(b, e->table);
    jg_buf_printf(b, " BEGIN UPDATE %s SET n__ = n__ - 1 WHERE ", o->table);
    match_row(b, s, JG_DB_SQLITE, "old.");
    jg_buf_puts(b, "; END");

    /* An update that moves a record between groups: out of the old one, into the new one. */
    b = &o->sql[TR_UPDATE];
    jg_buf_printf(b, "CREATE TRIGGER %s AFTER UPDATE OF ", o->names[TR_UPDATE]);
    for (int i = 0; i < s->ncols; i++) {
        ident(b, s->cols[i]);
        jg_buf_puts(b, ", ");
    }
    ident(b, s->month != NULL ? s->month : "state");
    jg_buf_puts(b, " ON ");
    ident(b, e->table);
    jg_buf_puts(b, " WHEN ");
    for (int i = 0; i < s->ncols; i++) {
        jg_buf_puts(b, "old.");
        ident(b, s->cols[i]);
        jg_buf_puts(b, " IS NOT new.");
        ident(b, s->cols[i]);
        jg_buf_puts(b, " OR ");
    }
    month_expr(b, s, JG_DB_SQLITE, "old.");
    jg_buf_puts(b, " IS NOT ");
    month_expr(b, s, JG_DB_SQLITE, "new.");
    jg_buf_printf(b, " BEGIN UPDATE %s SET n__ = n__ - 1 WHERE ", o->table);
    match_row(b, s, JG_DB_SQLITE, "old.");
    jg_buf_printf(b, "; INSERT INTO %s (", o->table);
    key_list(b, s);
    jg_buf_puts(b, ", n__) VALUES (");
    for (int i = 0; i < s->ncols; i++) {
        col_expr(b, s, i, "new.");
        jg_buf_puts(b, ", ");
    }
    month_expr(b, s, JG_DB_SQLITE, "new.");
    jg_buf_puts(b, ", 1) ON CONFLICT (");
    key_list(b, s);
    jg_buf_puts(b, ") DO UPDATE SET n__ = n__ + 1; END");
}

/* One grouped upsert of the statement's rows: +1 for each row of nt, -1 for each of ot. */
static void pg_upsert(jg_buf *b, const objects *o, const jg_tally_spec *s, int with_new, int with_old)
{
    jg_buf_puts(b, "INSERT INTO ");
    ident(b, o->table);
    jg_buf_puts(b, " AS t (");
    key_list(b, s);
    jg_buf_puts(b, ", n__) SELECT ");
    key_list(b, s);
    jg_buf_puts(b, ", sum(d__) FROM (");
    if (with_new) {
        jg_buf_puts(b, "SELECT ");
        select_list(b, s, JG_DB_PGSQL, "");
        jg_buf_puts(b, ", 1 AS d__ FROM nt");
    }
    if (with_new && with_old)
        jg_buf_puts(b, " UNION ALL ");
    if (with_old) {
        jg_buf_puts(b, "SELECT ");
        select_list(b, s, JG_DB_PGSQL, "");
        jg_buf_puts(b, ", -1 AS d__ FROM ot");
    }
    jg_buf_puts(b, ") x GROUP BY ");
    key_list(b, s);
    /* In key order, so that two bulk writes lock the rows they share in the same order. */
    jg_buf_puts(b, " HAVING sum(d__) <> 0 ORDER BY ");
    key_list(b, s);
    jg_buf_puts(b, " ON CONFLICT (");
    key_list(b, s);
    jg_buf_puts(b, ") DO UPDATE SET n__ = t.n__ + excluded.n__;\n");
}

static void pg_triggers(objects *o, const jg_entity *e, const jg_tally_spec *s)
{
    jg_buf *b = &o->sql[FUNC];
    jg_buf_puts(b, "\nBEGIN\nIF TG_OP = 'INSERT' THEN\n");
    pg_upsert(b, o, s, 1, 0);
    jg_buf_puts(b, "ELSIF TG_OP = 'DELETE' THEN\n");
    pg_upsert(b, o, s, 0, 1);
    jg_buf_puts(b, "ELSE\n");
    pg_upsert(b, o, s, 1, 1);
    jg_buf_puts(b, "END IF;\nRETURN NULL;\nEND\n");
    static const char *const what[] = {"INSERT", "DELETE", "UPDATE"};
    static const char *const refs[] = {"NEW TABLE AS nt", "OLD TABLE AS ot",
                                       "OLD TABLE AS ot NEW TABLE AS nt"};
    for (int t = TR_INSERT; t <= TR_UPDATE; t++) {
        b = &o->sql[t];
        jg_buf_printf(b, "CREATE TRIGGER %s AFTER %s ON ", o->names[t], what[t - TR_INSERT]);
        ident(b, e->table);
        jg_buf_printf(b, " REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %s()", refs[t - TR_INSERT],
                      o->names[FUNC]);
    }
}

static void make_objects(objects *o, const jg_entity *e, const jg_tally_spec *s, jg_db_kind kind)
{
    snprintf(o->table, sizeof(o->table), "%s%s", e->table, JG_TALLY_SUFFIX);
    snprintf(o->index, sizeof(o->index), "ux_%s", o->table);
    for (int i = 0; i < NOBJ; i++) {
        snprintf(o->names[i], sizeof(o->names[i]), "%s%s", i == INDEX ? o->index : o->table, suffix[i]);
        jg_buf_init(&o->sql[i], SQL_MAX);
    }
    if (s == NULL)
        return;
    jg_buf *b = &o->sql[TABLE];
    jg_buf_printf(b, "CREATE TABLE %s (", o->table);
    for (int i = 0; i < s->ncols; i++) {
        ident(b, s->cols[i]);
        jg_buf_puts(b, s->fields[i] != NULL && s->fields[i]->type == JG_FIELD_BOOLEAN ? " BIGINT NOT NULL, "
                                                                                      : " TEXT NOT NULL, ");
    }
    jg_buf_puts(b, "month__ TEXT NOT NULL, n__ BIGINT NOT NULL)");
    b = &o->sql[INDEX];
    jg_buf_printf(b, "CREATE UNIQUE INDEX %s ON %s (", o->index, o->table);
    key_list(b, s);
    jg_buf_puts(b, ")");
    if (kind == JG_DB_SQLITE)
        sqlite_triggers(o, e, s);
    else
        pg_triggers(o, e, s);
}

static jg_rc run(jg_conn *c, jg_buf *b)
{
    if (b->overflowed)
        return JG_TOOLARGE;
    jg_rc rc = jg_db_script(c, b->data);
    if (rc != JG_OK)
        jg_error("tally: failed (%s): %s", jg_rc_name(rc), b->data);
    return rc;
}

/* Whether the objects there are exactly o's (*same), and whether any of them is there (*any). */
static jg_rc compare(jg_conn *c, const objects *o, jg_db_kind kind, int want, int *same, int *any)
{
    *same = want;
    *any = 0;
    jg_rc rc = JG_OK;
    if (kind == JG_DB_SQLITE) {
        for (int i = TABLE; rc == JG_OK && i <= TR_UPDATE; i++) {
            jg_rows *r = NULL;
            jg_value p[] = {JG_VTEXT(o->names[i])};
            rc = jg_db_query(c, "SELECT sql FROM sqlite_master WHERE name = $1", p, 1, &r);
            const char *have = rc == JG_OK && jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
            *same &= have != NULL && o->sql[i].data != NULL && strcmp(have, o->sql[i].data) == 0;
            *any |= have != NULL;
            jg_rows_free(r);
        }
        return rc;
    }
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(o->table), JG_VTEXT(o->names[FUNC])};
    rc = jg_db_query(c,
                     "SELECT to_regclass($1) IS NOT NULL,"
                     " (SELECT prosrc FROM pg_proc WHERE proname = $2 AND pronamespace = "
                     "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()))",
                     p, 2, &r);
    if (rc != JG_OK)
        return rc;
    const char *body = jg_rows_text(r, 0, 1);
    *any = jg_rows_int(r, 0, 0) != 0 || body != NULL;
    *same &= jg_rows_int(r, 0, 0) != 0 && body != NULL && o->sql[FUNC].data != NULL &&
             strcmp(body, o->sql[FUNC].data) == 0;
    jg_rows_free(r);
    if (*same) { /* the function is the same: are its three triggers on the entity's table? */
        jg_value tp[] = {JG_VTEXT(o->names[TR_INSERT]), JG_VTEXT(o->names[TR_DELETE]),
                         JG_VTEXT(o->names[TR_UPDATE])};
        rc = jg_db_query(c,
                         "SELECT count(*) FROM pg_trigger WHERE tgname IN ($1, $2, $3) AND NOT tgisinternal",
                         tp, 3, &r);
        *same = rc == JG_OK && jg_rows_int(r, 0, 0) == 3;
        jg_rows_free(r);
    }
    return rc;
}

static jg_rc drop_all(jg_conn *c, const objects *o, const jg_entity *e, jg_db_kind kind)
{
    jg_buf b;
    jg_buf_init(&b, SQL_MAX);
    for (int t = TR_INSERT; t <= TR_UPDATE; t++) {
        jg_buf_printf(&b, "DROP TRIGGER IF EXISTS %s", o->names[t]);
        if (kind == JG_DB_PGSQL) {
            jg_buf_puts(&b, " ON ");
            ident(&b, e->table);
        }
        jg_buf_puts(&b, ";\n");
    }
    if (kind == JG_DB_PGSQL)
        jg_buf_printf(&b, "DROP FUNCTION IF EXISTS %s();\n", o->names[FUNC]);
    jg_buf_printf(&b, "DROP TABLE IF EXISTS %s", o->table);
    jg_rc rc = run(c, &b);
    jg_buf_free(&b);
    return rc;
}

static jg_rc build(jg_conn *c, objects *o, const jg_entity *e, const jg_tally_spec *s, jg_db_kind kind)
{
    jg_rc rc = run(c, &o->sql[TABLE]);
    if (rc == JG_OK)
        rc = run(c, &o->sql[INDEX]);
    if (rc == JG_OK) { /* the records there now, in one pass */
        jg_buf b;
        jg_buf_init(&b, SQL_MAX);
        jg_buf_puts(&b, "INSERT INTO ");
        ident(&b, o->table);
        jg_buf_puts(&b, " (");
        key_list(&b, s);
        jg_buf_puts(&b, ", n__) SELECT ");
        select_list(&b, s, kind, "");
        jg_buf_puts(&b, ", count(*) FROM ");
        ident(&b, e->table);
        jg_buf_puts(&b, " GROUP BY ");
        for (int i = 0; i <= s->ncols; i++)
            jg_buf_printf(&b, i > 0 ? ", %d" : "%d", i + 1);
        rc = run(c, &b);
        jg_buf_free(&b);
    }
    if (rc == JG_OK && kind == JG_DB_PGSQL) {
        jg_buf f;
        jg_buf_init(&f, SQL_MAX);
        jg_buf_printf(&f, "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $tally$", o->names[FUNC]);
        jg_buf_puts(&f, o->sql[FUNC].data != NULL ? o->sql[FUNC].data : "");
        jg_buf_puts(&f, "$tally$");
        rc = run(c, &f);
        jg_buf_free(&f);
    }
    for (int t = TR_INSERT; rc == JG_OK && t <= TR_UPDATE; t++)
        rc = run(c, &o->sql[t]);
    return rc;
}

jg_rc jg_tally_schema_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen)
{
    jg_tally_spec spec;
    int want = jg_tally_spec_of(e, &spec) == JG_OK;
    jg_db_kind kind = jg_db_kind_of(jg_conn_db(c));
    objects o;
    make_objects(&o, e, want ? &spec : NULL, kind);
    int same = 0, any = 0;
    jg_rc rc = compare(c, &o, kind, want, &same, &any);
    if (rc == JG_OK && !same && (want || any)) {
        rc = drop_all(c, &o, e, kind);
        if (rc == JG_OK && want)
            rc = build(c, &o, e, &spec, kind);
        if (rc == JG_OK)
            jg_info("tally: %s %s", o.table, want ? "built from the records" : "dropped");
    }
    objects_free(&o);
    if (rc != JG_OK)
        return jg_rc_say(err, errlen, rc, "%s: cannot make its tally table %s%s", e->name, e->table,
                         JG_TALLY_SUFFIX);
    return JG_OK;
}
