/* PostgreSQL backend over libpq: named prepared statements per connection, text results. */
#include "base/log.h"
#include "base/mem.h"
#include "db/db_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Type OIDs from pg_type.h (stable across versions). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

static void notice_quiet(void *arg, const char *message)
{
    (void)arg;
    jg_debug("postgresql: %s", message);
}

static jg_rc pg_connect(jg_conn *c)
{
    char options[64];
    snprintf(options, sizeof(options), "-c statement_timeout=%d", c->db->opt.statement_timeout_ms);
    const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", NULL};
    const char *vals[] = {c->db->target, "jianguan", "5", options, NULL};
    PGconn *h = PQconnectdbParams(keys, vals, 1);
    if (h == NULL || PQstatus(h) != CONNECTION_OK) {
        /* libpq's message names host and port but never the password. */
        jg_error("postgresql: cannot connect: %s", h ? PQerrorMessage(h) : "no memory");
        PQfinish(h);
        return JG_UNAVAILABLE;
    }
    PQsetNoticeProcessor(h, notice_quiet, NULL);
    c->impl = h;
    return JG_OK;
}

static void pg_stmt_free(jg_conn *c, void *handle, int on_server)
{
    if (on_server && c->impl != NULL && PQstatus(c->impl) == CONNECTION_OK) {
        char sql[80];
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", (char *)handle);
        PQclear(PQexec(c->impl, sql));
    }
    free(handle);
}

static void pg_disconnect(jg_conn *c)
{
    PQfinish(c->impl);
    c->impl = NULL;
}

static jg_rc map_result(jg_conn *c, PGresult *res)
{
    if (PQstatus(c->impl) != CONNECTION_OK) {
        jg_error("postgresql: connection lost: %s", PQerrorMessage(c->impl));
        return JG_UNAVAILABLE;
    }
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL) {
        jg_error("postgresql: %s", PQerrorMessage(c->impl));
        return JG_ERR;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return JG_BUSY;
    if (strcmp(state, "57014") == 0) { /* statement_timeout */
        jg_warn("postgresql: statement cancelled after the time limit");
        return JG_TIMEOUT;
    }
    if (strcmp(state, "23505") == 0 || strcmp(state, "23503") == 0)
        return JG_CONFLICT;
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
        return JG_INVALID;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || strcmp(state, "53300") == 0) {
        jg_error("postgresql: %s", PQresultErrorMessage(res));
        return JG_UNAVAILABLE;
    }
    jg_error("postgresql: %s %s", state, PQresultErrorMessage(res));
    return JG_ERR;
}

static jg_vtype type_of(Oid oid)
{
    switch (oid) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8: return JG_V_INT;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC: return JG_V_REAL;
    default: return JG_V_TEXT;
    }
}

static void clear_result(void *res)
{
    PQclear(res);
}

/* Wrap a PGresult as a row set without copying the values. */
static jg_rows *wrap(PGresult *res)
{
    int ncols = PQnfields(res), nrows = PQntuples(res);
    jg_rows *r = rows_new(ncols);
    r->owner = res;
    r->owner_free = clear_result;
    jg_vtype *types = jg_arena_alloc(r->arena, sizeof(jg_vtype) * (size_t)(ncols ? ncols : 1));
    for (int i = 0; i < ncols; i++) {
        r->names[i] = PQfname(res, i);
        types[i] = type_of(PQftype(res, i));
    }
    for (int row = 0; row < nrows; row++) {
        struct cell *cells = rows_add(r);
        for (int i = 0; i < ncols; i++) {
            if (PQgetisnull(res, row, i)) {
                cells[i].type = JG_V_NULL;
                continue;
            }
            const char *t = PQgetvalue(res, row, i);
            cells[i].type = types[i];
            if (PQftype(res, i) == OID_BOOL)
                t = t[0] == 't' ? "1" : "0";
            cells[i].text = t;
        }
    }
    return r;
}

static jg_rc prepare(jg_conn *c, const char *sql, int n, const char **name)
{
    char *cached = stmt_cache_get(&c->cache, sql);
    if (cached != NULL) {
        *name = cached;
        return JG_OK;
    }
    char *fresh = jg_xmalloc(32);
    snprintf(fresh, 32, "jg_%lu", ++c->serial);
    PGresult *res = PQprepare(c->impl, fresh, sql, n, NULL);
    jg_rc rc = PQresultStatus(res) == PGRES_COMMAND_OK ? JG_OK : map_result(c, res);
    PQclear(res);
    if (rc != JG_OK) {
        free(fresh);
        return rc;
    }
    stmt_cache_put(c, sql, fresh);
    *name = fresh;
    return JG_OK;
}

static jg_rc pg_query(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **rows,
                      int64_t *changes)
{
    const char *name;
    jg_rc rc = prepare(c, sql, n, &name);
    if (rc != JG_OK)
        return rc;
    enum { MAXP = 64 };
    char numbuf[MAXP][32];
    const char *vals[MAXP];
    const char **v = vals;
    char(*nb)[32] = numbuf;
    if (n > MAXP) {
        v = jg_xcalloc((size_t)n, sizeof(char *));
        nb = jg_xcalloc((size_t)n, sizeof(*nb));
    }
    for (int i = 0; i < n; i++) {
        switch (params[i].type) {
        case JG_V_INT:
            snprintf(nb[i], sizeof(nb[i]), "%lld", (long long)params[i].i);
            v[i] = nb[i];
            break;
        case JG_V_REAL:
            snprintf(nb[i], sizeof(nb[i]), "%.17g", params[i].r);
            v[i] = nb[i];
            break;
        case JG_V_TEXT: v[i] = params[i].s; break;
        default: v[i] = NULL; break;
        }
    }
    PGresult *res = PQexecPrepared(c->impl, name, n, v, NULL, NULL, 0);
    if (v != vals) {
        free(v);
        free(nb);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = map_result(c, res);
        PQclear(res);
        return rc;
    }
    if (changes != NULL) {
        const char *t = PQcmdTuples(res);
        *changes = *t ? strtoll(t, NULL, 10) : 0;
    }
    if (rows != NULL)
        *rows = wrap(res);
    else
        PQclear(res);
    return JG_OK;
}

static jg_rc pg_script(jg_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->impl, sql);
    ExecStatusType st = PQresultStatus(res);
    jg_rc rc = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? JG_OK : map_result(c, res);
    if (rc == JG_OK && strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        /* A statement failed inside the transaction and the caller carried on: PostgreSQL has
         * rolled everything back, so this is no success (SQLite would have kept the rest). */
        jg_error("postgresql: COMMIT rolled back an aborted transaction");
        rc = JG_ERR;
    }
    PQclear(res);
    return rc;
}

/* pg_dump and pg_restore do this better than we could; run them without a shell. */
static jg_rc pg_backup(jg_conn *c, const char *path, int restore)
{
    const char *dump[] = {"pg_dump", "--format=custom", "--no-owner", "--file", path, "--dbname", c->db->target, NULL};
    const char *load[] = {"pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          "--dbname", c->db->target, path, NULL};
    const char *const *argv = restore ? load : dump;
    pid_t pid = fork();
    if (pid < 0)
        return JG_ERR;
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        jg_error("%s failed (status %d)", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return JG_ERR;
    }
    return JG_OK;
}

const jg_db_backend jg_db_pgsql_backend = {
    .backup = pg_backup,
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .query = pg_query,
    .script = pg_script,
    .stmt_free = pg_stmt_free,
    .begin_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ",
    /* LOCK takes no snapshot: the transaction's snapshot comes after the lock, so it sees what the
     * previous writer committed instead of failing to serialize against it. */
    .serial_prefix = "LOCK TABLE ",
};
