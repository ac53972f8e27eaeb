/* The pool, transactions, statement cache and row sets shared by both backends. */
#include "db/db_int.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- statement cache ---- */

void *stmt_cache_get(stmt_cache *sc, const char *sql)
{
    uint64_t h = jg_fnv1a(sql);
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        struct stmt_entry *e = &sc->e[i];
        if (e->sql != NULL && e->hash == h && strcmp(e->sql, sql) == 0) {
            e->used = ++sc->clock;
            return e->handle;
        }
    }
    return NULL;
}

void stmt_cache_put(jg_conn *c, const char *sql, void *handle)
{
    stmt_cache *sc = &c->cache;
    struct stmt_entry *victim = &sc->e[0];
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        if (sc->e[i].sql == NULL) {
            victim = &sc->e[i];
            break;
        }
        if (sc->e[i].used < victim->used)
            victim = &sc->e[i];
    }
    if (victim->sql != NULL) {
        c->db->be->stmt_free(c, victim->handle, 1);
        free(victim->sql);
    }
    victim->sql = jg_xstrdup(sql);
    victim->hash = jg_fnv1a(sql);
    victim->handle = handle;
    victim->used = ++sc->clock;
}

void stmt_cache_clear(jg_conn *c)
{
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        struct stmt_entry *e = &c->cache.e[i];
        if (e->sql == NULL)
            continue;
        c->db->be->stmt_free(c, e->handle, 0);
        free(e->sql);
        e->sql = NULL;
        e->handle = NULL;
    }
}

/* ---- row sets ---- */

jg_rows *rows_new(int ncols)
{
    jg_arena *a = jg_arena_new();
    jg_rows *r = jg_arena_zalloc(a, sizeof(*r));
    r->arena = a;
    r->ncols = ncols;
    r->names = jg_arena_zalloc(a, sizeof(char *) * (size_t)(ncols ? ncols : 1));
    return r;
}

struct cell *rows_add(jg_rows *r)
{
    size_t ncols = (size_t)(r->ncols ? r->ncols : 1);
    if (r->nrows == r->cap) {
        /* Grow by doubling inside the arena; the old block stays until the arena is freed. */
        int cap = r->cap ? r->cap * 2 : 16;
        struct cell *n = jg_arena_alloc(r->arena, (size_t)cap * ncols * sizeof(struct cell));
        if (r->nrows > 0)
            memcpy(n, r->cells, (size_t)r->nrows * ncols * sizeof(struct cell));
        r->cells = n;
        r->cap = cap;
    }
    struct cell *row = r->cells + (size_t)r->nrows * ncols;
    memset(row, 0, sizeof(struct cell) * ncols);
    r->nrows++;
    return row;
}

int jg_rows_count(const jg_rows *r)
{
    return r->nrows;
}

int jg_rows_ncols(const jg_rows *r)
{
    return r->ncols;
}

const char *jg_rows_name(const jg_rows *r, int col)
{
    return r->names[col];
}

static const struct cell *cell_at(const jg_rows *r, int row, int col)
{
    return &r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

jg_vtype jg_rows_type(const jg_rows *r, int row, int col)
{
    return cell_at(r, row, col)->type;
}

const char *jg_rows_text(const jg_rows *r, int row, int col)
{
    return cell_at(r, row, col)->text;
}

int64_t jg_rows_int(const jg_rows *r, int row, int col)
{
    const char *t = cell_at(r, row, col)->text;
    return t == NULL ? 0 : strtoll(t, NULL, 10);
}

double jg_rows_real(const jg_rows *r, int row, int col)
{
    const char *t = cell_at(r, row, col)->text;
    return t == NULL ? 0 : strtod(t, NULL);
}

void jg_rows_free(jg_rows *r)
{
    if (r == NULL)
        return;
    if (r->owner_free != NULL)
        r->owner_free(r->owner);
    jg_arena_free(r->arena);
}

/* ---- the pool ---- */

jg_rc jg_db_open(const char *url, const jg_db_options *opt, jg_db **out, char *err, size_t errlen)
{
    const jg_db_backend *be;
    jg_db_kind kind;
    const char *target;
    if (strncmp(url, "sqlite:", 7) == 0) {
        be = &jg_db_sqlite_backend;
        kind = JG_DB_SQLITE;
        target = url + 7;
        if (strncmp(target, "//", 2) == 0)
            target += 2;
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        be = &jg_db_pgsql_backend;
        kind = JG_DB_PGSQL;
        target = url;
    } else {
        snprintf(err, errlen, "database URL must start with sqlite: or postgresql://");
        return JG_INVALID;
    }
    if (*target == '\0') {
        snprintf(err, errlen, "database URL has no path");
        return JG_INVALID;
    }
    jg_db *db = jg_xcalloc(1, sizeof(*db));
    db->be = be;
    db->kind = kind;
    db->target = jg_xstrdup(target);
    db->opt = *opt;
    if (db->opt.pool_size < 1)
        db->opt.pool_size = 1;
    db->nreaders = db->opt.pool_size;
    db->nconns = db->nreaders + (kind == JG_DB_SQLITE ? 1 : 0);
    db->conns = jg_xcalloc((size_t)db->nconns, sizeof(jg_conn));
    for (int i = 0; i < db->nconns; i++) {
        db->conns[i].db = db;
        db->conns[i].write = kind == JG_DB_PGSQL || i == db->nreaders;
    }
    db->stats.size = db->nconns;
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    if (kind == JG_DB_SQLITE) {
        /* The writer creates the file and switches it to WAL before any reader opens it. */
        jg_conn *w = &db->conns[db->nreaders];
        jg_rc rc = be->connect(w);
        if (rc != JG_OK) {
            snprintf(err, errlen, "cannot open SQLite database %s", target);
            jg_db_close(db);
            return rc;
        }
    }
    *out = db;
    return JG_OK;
}

void jg_db_close(jg_db *db)
{
    if (db == NULL)
        return;
    for (int i = 0; i < db->nconns; i++) {
        jg_conn *c = &db->conns[i];
        if (c->impl != NULL) {
            stmt_cache_clear(c);
            db->be->disconnect(c);
        }
    }
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->cv);
    free(db->conns);
    free(db->target);
    free(db->serial_sql);
    free(db);
}

jg_db_kind jg_db_kind_of(const jg_db *db)
{
    return db->kind;
}

const char *jg_db_kind_name(const jg_db *db)
{
    return db->kind == JG_DB_SQLITE ? "sqlite" : "postgresql";
}

void jg_db_get_stats(jg_db *db, jg_db_stats *out)
{
    pthread_mutex_lock(&db->mu);
    *out = db->stats;
    pthread_mutex_unlock(&db->mu);
}

static jg_conn *find_free(jg_db *db, int write)
{
    int lo = 0, hi = db->nreaders;
    if (db->kind == JG_DB_SQLITE && write) {
        lo = db->nreaders;
        hi = db->nconns;
    }
    jg_conn *unconnected = NULL;
    for (int i = lo; i < hi; i++) {
        jg_conn *c = &db->conns[i];
        if (c->in_use)
            continue;
        if (c->impl != NULL && !c->broken)
            return c;
        if (unconnected == NULL)
            unconnected = c;
    }
    return unconnected;
}

static void reconnect(jg_conn *c)
{
    if (c->impl != NULL) {
        stmt_cache_clear(c);
        c->db->be->disconnect(c);
        c->impl = NULL;
    }
    c->broken = 0;
}

jg_rc jg_db_acquire(jg_db *db, int write, jg_conn **out)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += db->opt.acquire_timeout_ms / 1000;
    deadline.tv_nsec += (long)(db->opt.acquire_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&db->mu);
    db->stats.acquires++;
    jg_conn *c = find_free(db, write);
    if (c == NULL)
        db->stats.waits++;
    while (c == NULL) {
        int e = pthread_cond_timedwait(&db->cv, &db->mu, &deadline);
        c = find_free(db, write);
        if (c == NULL && e == ETIMEDOUT) {
            db->stats.timeouts++;
            pthread_mutex_unlock(&db->mu);
            jg_warn("database pool: no free connection within %d ms", db->opt.acquire_timeout_ms);
            return JG_UNAVAILABLE;
        }
    }
    c->in_use = 1;
    db->stats.in_use++;
    /* A connection loads the planner's statistics when it opens: reopen it after a refresh. */
    int stale = c->impl != NULL && c->stats_gen != db->stats_gen;
    c->stats_gen = db->stats_gen;
    pthread_mutex_unlock(&db->mu);

    if (c->broken || stale)
        reconnect(c);
    if (c->impl == NULL) {
        jg_rc rc = db->be->connect(c);
        if (rc != JG_OK) {
            jg_db_release(c);
            return rc;
        }
    }
    *out = c;
    return JG_OK;
}

void jg_db_release(jg_conn *c)
{
    if (c == NULL)
        return;
    jg_db *db = c->db;
    pthread_mutex_lock(&db->mu);
    c->in_use = 0;
    db->stats.in_use--;
    /* Readers and the writer wait on one condition: wake them all, so the waiter that can use
     * this kind of connection is never left asleep. */
    pthread_cond_broadcast(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

jg_db *jg_conn_db(jg_conn *c)
{
    return c->db;
}

static jg_rc run(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **rows, int64_t *changes)
{
    if (rows != NULL)
        *rows = NULL;
    jg_rc rc = c->db->be->query(c, sql, params, n, rows, changes);
    if (rc == JG_UNAVAILABLE && !c->in_tx) {
        /* The server went away and came back (restart, failover): one fresh connection may do. */
        reconnect(c);
        rc = c->db->be->connect(c);
        if (rc == JG_OK)
            rc = c->db->be->query(c, sql, params, n, rows, changes);
    }
    if (rc == JG_UNAVAILABLE)
        c->broken = 1;
    return rc;
}

jg_rc jg_db_query(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **out)
{
    jg_rows *tmp = NULL;
    jg_rc rc = run(c, sql, params, n, &tmp, NULL);
    if (out != NULL)
        *out = tmp;
    else
        jg_rows_free(tmp);
    return rc;
}

jg_rc jg_db_read(jg_db *db, const char *sql, const jg_value *params, int n, jg_rows **out)
{
    jg_conn *c;
    *out = NULL;
    jg_rc rc = jg_db_acquire(db, 0, &c);
    if (rc != JG_OK)
        return rc;
    rc = jg_db_query(c, sql, params, n, out);
    jg_db_release(c);
    return rc;
}

jg_rc jg_db_exec(jg_conn *c, const char *sql, const jg_value *params, int n, int64_t *changes)
{
    return run(c, sql, params, n, NULL, changes);
}

jg_rc jg_db_script(jg_conn *c, const char *sql)
{
    jg_rc rc = c->db->be->script(c, sql);
    if (rc == JG_UNAVAILABLE)
        c->broken = 1;
    return rc;
}

static void backoff(int attempt)
{
    /* 5 ms, 10 ms, 20 ms ... capped at 500 ms, with jitter so retrying writers spread out. */
    long ms = 5L << (attempt < 7 ? attempt : 7);
    if (ms > 500)
        ms = 500;
    ms += rand() % (ms / 2 + 1);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

jg_rc jg_db_tx_on(jg_conn *c, jg_tx_fn fn, void *ud)
{
    jg_rc rc = JG_ERR;
    for (int attempt = 0; attempt <= c->db->opt.busy_retries; attempt++) {
        if (attempt > 0)
            backoff(attempt - 1);
        rc = jg_db_script(c, c->db->be->begin_sql);
        if (rc != JG_OK) {
            if (rc == JG_BUSY)
                continue;
            return rc;
        }
        c->in_tx = 1;
        rc = c->db->serial_sql != NULL ? jg_db_script(c, c->db->serial_sql) : JG_OK;
        if (rc == JG_OK)
            rc = fn(c, ud);
        if (rc == JG_OK)
            rc = jg_db_script(c, "COMMIT");
        c->in_tx = 0;
        if (rc == JG_OK)
            return JG_OK;
        if (jg_db_script(c, "ROLLBACK") == JG_UNAVAILABLE)
            return JG_UNAVAILABLE;
        if (rc != JG_BUSY)
            return rc;
    }
    jg_warn("transaction gave up after %d retries", c->db->opt.busy_retries);
    return rc;
}

void jg_db_serialize_writes(jg_db *db, const char *table)
{
    if (db->be->serial_prefix == NULL)
        return;
    size_t n = strlen(db->be->serial_prefix) + strlen(table) + sizeof(" IN EXCLUSIVE MODE");
    free(db->serial_sql);
    db->serial_sql = jg_xmalloc(n);
    snprintf(db->serial_sql, n, "%s%s IN EXCLUSIVE MODE", db->be->serial_prefix, table);
}

/* SQLite gathers no statistics by itself, and without them its planner took a city's list through
 * the region index, sorting all its records, instead of reading the newest first: 3 to 8 s for a
 * page of 20 of a million records (bench/web.sh), 4 ms with statistics. So the writer refreshes them
 * after a write transaction whenever the database has grown by a quarter since the last time (the
 * first transaction after start included): sampled (analysis_limit), so some milliseconds whatever
 * the size, and rare — a database growing to ten million records is analyzed some 40 times.
 * PostgreSQL's autovacuum analyzes by itself. */
static void refresh_stats(jg_conn *c)
{
    jg_db *db = c->db;
    if (db->kind != JG_DB_SQLITE || !c->write)
        return;
    jg_rows *r = NULL;
    if (jg_db_query(c, "PRAGMA page_count", NULL, 0, &r) != JG_OK)
        return;
    int64_t pages = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    if (db->analyzed_pages > 0 && pages < db->analyzed_pages + db->analyzed_pages / 4)
        return;
    db->analyzed_pages = pages > 0 ? pages : 1; /* only the writer gets here, one at a time */
    if (jg_db_script(c, "PRAGMA analysis_limit = 1000; ANALYZE") != JG_OK) {
        jg_warn("sqlite: could not refresh the planner's statistics (ANALYZE)");
        return;
    }
    pthread_mutex_lock(&db->mu);
    db->stats_gen++;
    c->stats_gen = db->stats_gen; /* ANALYZE loaded them into the writer itself */
    pthread_mutex_unlock(&db->mu);
}

jg_rc jg_db_tx(jg_db *db, jg_tx_fn fn, void *ud)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 1, &c);
    if (rc != JG_OK)
        return rc;
    rc = jg_db_tx_on(c, fn, ud);
    if (rc == JG_OK)
        refresh_stats(c);
    jg_db_release(c);
    return rc;
}

static jg_rc copy(jg_db *db, const char *path, int restore)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 1, &c);
    if (rc != JG_OK)
        return rc;
    rc = db->be->backup(c, path, restore);
    if (restore) /* the schema may have changed under the cached statements */
        stmt_cache_clear(c);
    jg_db_release(c);
    return rc;
}

jg_rc jg_db_backup(jg_db *db, const char *path)
{
    return copy(db, path, 0);
}

jg_rc jg_db_restore(jg_db *db, const char *path)
{
    return copy(db, path, 1);
}
