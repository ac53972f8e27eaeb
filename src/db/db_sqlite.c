/* SQLite backend: one writer connection and read-only readers over a WAL database. */
#include "base/log.h"
#include "base/mem.h"
#include "db/db_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000

static jg_rc sqlite_connect(jg_conn *c)
{
    sqlite3 *h = NULL;
    int flags =
        SQLITE_OPEN_NOMUTEX | (c->write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    int e = sqlite3_open_v2(c->db->target, &h, flags, NULL);
    if (e != SQLITE_OK) {
        jg_error("sqlite: cannot open %s: %s", c->db->target, h ? sqlite3_errmsg(h) : "no memory");
        sqlite3_close(h);
        return JG_UNAVAILABLE;
    }
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(h, 1);
    /* Reads through a memory map: a page outside a connection's 2 MB cache costs no pread and copy
     * (a list's count reads up to 1,001 rows: 4x faster per request at province scale). */
    const char *setup = c->write ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                   " PRAGMA foreign_keys=ON; PRAGMA mmap_size=1073741824;"
                                 : "PRAGMA foreign_keys=ON; PRAGMA mmap_size=1073741824;";
    char *msg = NULL;
    if (sqlite3_exec(h, setup, NULL, NULL, &msg) != SQLITE_OK) {
        jg_error("sqlite: setting up %s: %s", c->db->target, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(h);
        return JG_UNAVAILABLE;
    }
    c->impl = h;
    return JG_OK;
}

static void sqlite_stmt_free(jg_conn *c, void *handle, int on_server)
{
    (void)c;
    (void)on_server;
    sqlite3_finalize(handle);
}

static void sqlite_disconnect(jg_conn *c)
{
    sqlite3_close_v2(c->impl);
    c->impl = NULL;
}

static jg_rc map_error(sqlite3 *h, int e)
{
    switch (e & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return JG_BUSY;
    case SQLITE_CONSTRAINT:
        if (e == SQLITE_CONSTRAINT_UNIQUE || e == SQLITE_CONSTRAINT_PRIMARYKEY ||
            e == SQLITE_CONSTRAINT_FOREIGNKEY)
            return JG_CONFLICT;
        return JG_INVALID;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
        return JG_INVALID;
    case SQLITE_NOMEM:
        return JG_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
        jg_error("sqlite: %s", sqlite3_errmsg(h));
        return JG_UNAVAILABLE;
    default:
        jg_error("sqlite: %s", sqlite3_errmsg(h));
        return JG_ERR;
    }
}

/* Rewrite $N placeholders as ?N so SQL is written once for both backends. Quoted text and
 * comments are copied as they are: a $1 or an apostrophe there is not SQL. */
static char *translate(const char *sql)
{
    char *out = jg_xstrdup(sql);
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '\'' || *p == '"') {
            char *close = strchr(p + 1, *p);
            if (close == NULL)
                break;
            p = close;
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            if (*p == '\0')
                break;
        } else if (p[0] == '/' && p[1] == '*') {
            char *close = strstr(p + 2, "*/");
            if (close == NULL)
                break;
            p = close + 1;
        } else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            *p = '?';
        }
    }
    return out;
}

static jg_rc prepare(jg_conn *c, const char *sql, sqlite3_stmt **out)
{
    sqlite3_stmt *st = stmt_cache_get(&c->cache, sql);
    if (st != NULL) {
        *out = st;
        return JG_OK;
    }
    char *native = translate(sql);
    int e = sqlite3_prepare_v3(c->impl, native, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    free(native);
    if (e != SQLITE_OK) {
        jg_error("sqlite: prepare failed: %s", sqlite3_errmsg(c->impl));
        return map_error(c->impl, e);
    }
    stmt_cache_put(c, sql, st);
    *out = st;
    return JG_OK;
}

static jg_rc bind(sqlite3_stmt *st, const jg_value *params, int n)
{
    if (n != sqlite3_bind_parameter_count(st)) {
        jg_error("sqlite: statement wants %d parameters, got %d", sqlite3_bind_parameter_count(st), n);
        return JG_ERR;
    }
    for (int i = 0; i < n; i++) {
        int e;
        switch (params[i].type) {
        case JG_V_INT:
            e = sqlite3_bind_int64(st, i + 1, params[i].i);
            break;
        case JG_V_REAL:
            e = sqlite3_bind_double(st, i + 1, params[i].r);
            break;
        case JG_V_TEXT:
            e = sqlite3_bind_text(st, i + 1, params[i].s, -1, SQLITE_STATIC);
            break;
        default:
            e = sqlite3_bind_null(st, i + 1);
            break;
        }
        if (e != SQLITE_OK)
            return JG_INVALID;
    }
    return JG_OK;
}

static void copy_row(jg_rows *r, sqlite3_stmt *st)
{
    struct cell *row = rows_add(r);
    for (int i = 0; i < r->ncols; i++) {
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_NULL:
            row[i].type = JG_V_NULL;
            continue;
        case SQLITE_INTEGER:
            row[i].type = JG_V_INT;
            break;
        case SQLITE_FLOAT:
            row[i].type = JG_V_REAL;
            break;
        default:
            row[i].type = JG_V_TEXT;
            break;
        }
        if (row[i].type == JG_V_REAL) {
            /* The shortest of 15 or 17 digits that reads back as the same double, as PostgreSQL
             * prints float8: 145337.54 rather than 145337.53999999999. */
            double v = sqlite3_column_double(st, i);
            char *t = jg_arena_printf(r->arena, "%.15g", v);
            row[i].text = strtod(t, NULL) == v ? t : jg_arena_printf(r->arena, "%.17g", v);
        } else {
            const char *t = (const char *)sqlite3_column_text(st, i);
            row[i].text = jg_arena_strndup(r->arena, t ? t : "", (size_t)sqlite3_column_bytes(st, i));
        }
    }
}

static jg_rc sqlite_query(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **rows,
                          int64_t *changes)
{
    sqlite3_stmt *st = NULL;
    jg_rc rc = prepare(c, sql, &st);
    if (rc != JG_OK)
        return rc;
    rc = bind(st, params, n);
    jg_rows *r = NULL;
    if (rc == JG_OK && rows != NULL) {
        r = rows_new(sqlite3_column_count(st));
        for (int i = 0; i < r->ncols; i++)
            r->names[i] = jg_arena_strdup(r->arena, sqlite3_column_name(st, i));
    }
    while (rc == JG_OK) {
        int e = sqlite3_step(st);
        if (e == SQLITE_DONE)
            break;
        if (e != SQLITE_ROW) {
            rc = map_error(c->impl, sqlite3_extended_errcode(c->impl));
            break;
        }
        if (r != NULL)
            copy_row(r, st);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != JG_OK) {
        jg_rows_free(r);
        return rc;
    }
    if (changes != NULL)
        *changes = sqlite3_changes64(c->impl);
    if (rows != NULL)
        *rows = r;
    return JG_OK;
}

static jg_rc sqlite_script(jg_conn *c, const char *sql)
{
    char *msg = NULL;
    int e = sqlite3_exec(c->impl, sql, NULL, NULL, &msg);
    if (e == SQLITE_OK)
        return JG_OK;
    jg_rc rc = map_error(c->impl, sqlite3_extended_errcode(c->impl));
    if (rc != JG_BUSY)
        jg_error("sqlite: script failed: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return rc;
}

static jg_rc sqlite_backup(jg_conn *c, const char *path, int restore)
{
    sqlite3 *file = NULL;
    int flags = restore ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &file, flags, NULL) != SQLITE_OK) {
        jg_error("sqlite: cannot open %s", path);
        sqlite3_close(file);
        return JG_INVALID;
    }
    sqlite3 *from = restore ? file : c->impl, *to = restore ? c->impl : file;
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int e = SQLITE_ERROR;
    if (b != NULL) {
        e = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);
    }
    if (e != SQLITE_DONE)
        jg_error("sqlite: backup failed: %s", sqlite3_errmsg(to));
    sqlite3_close(file);
    return e == SQLITE_DONE ? JG_OK : JG_ERR;
}

const jg_db_backend jg_db_sqlite_backend = {
    .backup = sqlite_backup,
    .name = "sqlite",
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .query = sqlite_query,
    .script = sqlite_script,
    .stmt_free = sqlite_stmt_free,
    .begin_sql = "BEGIN IMMEDIATE",
};
