/* Internals shared by the pool (db.c) and the backends (db_sqlite.c, db_pgsql.c). */
#ifndef JG_DB_INT_H
#define JG_DB_INT_H
#include "base/arena.h"
#include "db/db.h"

#include <pthread.h>
#include <stdint.h>

#define STMT_CACHE_SIZE 64

/* Prepared statements of one connection, keyed by SQL text. */
typedef struct {
    struct stmt_entry {
        char *sql; /* owned; NULL when the slot is empty */
        uint64_t hash;
        void *handle; /* backend statement (sqlite3_stmt*, or the name for PostgreSQL) */
        uint64_t used;
    } e[STMT_CACHE_SIZE];
    uint64_t clock;
} stmt_cache;

struct jg_conn {
    jg_db *db;
    void *impl; /* backend handle; NULL until connected */
    int write;  /* may write (SQLite: the writer connection) */
    int in_use; /* borrowed */
    int in_tx;  /* inside jg_db_tx */
    int broken; /* the backend lost it: reconnect before next use */
    stmt_cache cache;
    unsigned long serial; /* per-connection counter for statement names */
    unsigned stats_gen;   /* SQLite: the planner's statistics it loaded (db->stats_gen then) */
};

/* One materialised value. Text points into the row set's arena or the backend's result. */
struct cell {
    jg_vtype type;
    const char *text;
};

struct jg_rows {
    int nrows, ncols;
    int cap; /* rows the cells array has room for */
    const char **names;
    struct cell *cells; /* nrows * ncols */
    jg_arena *arena;
    void *owner; /* backend result kept alive (PGresult), or NULL */
    void (*owner_free)(void *);
};

typedef struct {
    const char *name;
    /* Connect c (c->write says which kind); JG_UNAVAILABLE with a logged reason on failure. */
    jg_rc (*connect)(jg_conn *c);
    /* Close c->impl and finalize its statements. */
    void (*disconnect)(jg_conn *c);
    /* Run one statement; rows may be NULL. */
    jg_rc (*query)(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **rows,
                   int64_t *changes);
    /* Run several statements without parameters. */
    jg_rc (*script)(jg_conn *c, const char *sql);
    /* Free a cached statement handle; on_server also releases it in the server (eviction). */
    void (*stmt_free)(jg_conn *c, void *handle, int on_server);
    /* Copy the whole database to path (restore: from path into the database). */
    jg_rc (*backup)(jg_conn *c, const char *path, int restore);
    const char *begin_sql; /* how a write transaction starts */
    /* Statement prefix that makes a write transaction wait for the others on a table before it
     * reads anything (the table name follows), or NULL when begin_sql already serialises writers. */
    const char *serial_prefix;
} jg_db_backend;

struct jg_db {
    const jg_db_backend *be;
    jg_db_kind kind;
    char *target; /* file path (SQLite) or connection URL (PostgreSQL) */
    jg_db_options opt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    jg_conn *conns; /* readers first, then (SQLite) the writer */
    int nconns;
    int nreaders; /* SQLite: conns[0..nreaders) read, conns[nreaders] writes; PostgreSQL: all */
    jg_db_stats stats;
    char *serial_sql;       /* run after begin_sql in every write transaction, or NULL */
    int64_t analyzed_pages; /* SQLite: the database's size when the writer last refreshed the statistics */
    unsigned stats_gen;     /* SQLite: raised by each refresh; older connections reopen to load them */
};

extern const jg_db_backend jg_db_sqlite_backend;
extern const jg_db_backend jg_db_pgsql_backend;

/* Find a cached statement for sql or NULL; marks it used. */
void *stmt_cache_get(stmt_cache *sc, const char *sql);
/* Remember handle for sql, evicting the least recently used entry through c's backend. */
void stmt_cache_put(jg_conn *c, const char *sql, void *handle);
/* Forget every statement, freeing the handles locally (the connection is about to close). */
void stmt_cache_clear(jg_conn *c);

/* New empty row set with ncols columns; cells grow with rows_add(). */
jg_rows *rows_new(int ncols);
/* Append a row of ncols cells (zeroed) and return it. */
struct cell *rows_add(jg_rows *r);

#endif
