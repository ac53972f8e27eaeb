/* One database interface over SQLite and PostgreSQL: pool, prepared statements, transactions.
 *
 * SQL is written once with $1..$N placeholders; every value is bound, never spliced.
 * Timestamps are stored as ISO-8601 UTC text and dates as YYYY-MM-DD text on both backends,
 * so the same SQL sorts and compares the same way (docs/decisions.md). */
#ifndef JG_DB_H
#define JG_DB_H
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { JG_DB_SQLITE, JG_DB_PGSQL } jg_db_kind;

typedef enum { JG_V_NULL, JG_V_INT, JG_V_REAL, JG_V_TEXT } jg_vtype;

/* A bound parameter. Text is borrowed and must outlive the call. */
typedef struct {
    jg_vtype type;
    int64_t i;
    double r;
    const char *s;
} jg_value;

#define JG_VNULL ((jg_value){.type = JG_V_NULL})
#define JG_VINT(x) ((jg_value){.type = JG_V_INT, .i = (x)})
#define JG_VREAL(x) ((jg_value){.type = JG_V_REAL, .r = (x)})
#define JG_VTEXT(x) ((jg_value){.type = JG_V_TEXT, .s = (x)})

typedef struct jg_db jg_db;
typedef struct jg_conn jg_conn;
typedef struct jg_rows jg_rows;

typedef struct {
    int pool_size;          /* connections; on SQLite the number of readers (one writer besides) */
    int acquire_timeout_ms; /* wait for a free connection before JG_UNAVAILABLE */
    int busy_retries;       /* transaction retries on JG_BUSY */
    int statement_timeout_ms; /* PostgreSQL cancels statements running longer (0: no limit) */
} jg_db_options;

typedef struct {
    int size;           /* connections in the pool */
    int in_use;         /* borrowed now */
    uint64_t acquires;  /* borrows since start */
    uint64_t waits;     /* borrows that had to wait */
    uint64_t timeouts;  /* borrows that gave up */
} jg_db_stats;

/* Open a pool for url ("sqlite:PATH" or "postgresql://..."). Connections are made lazily, so a
 * PostgreSQL server that is down does not fail here. JG_INVALID for a bad URL, JG_UNAVAILABLE if a
 * SQLite file cannot be opened; a message goes to err. Free with jg_db_close(). */
jg_rc jg_db_open(const char *url, const jg_db_options *opt, jg_db **out, char *err, size_t errlen);
/* Close every connection (waiting for none: call when no request runs) and free db. NULL is a no-op. */
void jg_db_close(jg_db *db);
/* The backend of db. Cannot fail. */
jg_db_kind jg_db_kind_of(const jg_db *db);
/* "sqlite" or "postgresql". Cannot fail. */
const char *jg_db_kind_name(const jg_db *db);
/* Copy the pool counters. Cannot fail. */
void jg_db_get_stats(jg_db *db, jg_db_stats *out);

/* Borrow a connection; write != 0 asks for one that may write (the single writer on SQLite).
 * JG_UNAVAILABLE when none frees up in time or the server cannot be reached. Return it with
 * jg_db_release(). */
jg_rc jg_db_acquire(jg_db *db, int write, jg_conn **out);
/* Return a borrowed connection to its pool. NULL is a no-op. */
void jg_db_release(jg_conn *c);

/* Run one statement with n bound parameters and collect all result rows into *out (may be NULL
 * when rows are not wanted). Errors: JG_BUSY (retry), JG_CONFLICT (unique/foreign key),
 * JG_UNAVAILABLE (connection lost), JG_INVALID (bad parameter), JG_ERR (logged). Free rows with
 * jg_rows_free(). */
jg_rc jg_db_query(jg_conn *c, const char *sql, const jg_value *params, int n, jg_rows **out);
/* Borrow a read connection, run one query, return the connection: the common read path.
 * Fails as jg_db_acquire or jg_db_query. */
jg_rc jg_db_read(jg_db *db, const char *sql, const jg_value *params, int n, jg_rows **out);
/* Run one statement without rows; *changes (if not NULL) gets the number of rows affected. */
jg_rc jg_db_exec(jg_conn *c, const char *sql, const jg_value *params, int n, int64_t *changes);
/* Run a script of several statements without parameters (migrations). */
jg_rc jg_db_script(jg_conn *c, const char *sql);

typedef jg_rc (*jg_tx_fn)(jg_conn *c, void *ud);
/* Run fn in a transaction on a write connection: commit on JG_OK, roll back otherwise, and run
 * it again (up to busy_retries times, with backoff) when it fails with JG_BUSY. fn must therefore
 * have no effects outside the database. Returns fn's result or the commit's. */
jg_rc jg_db_tx(jg_db *db, jg_tx_fn fn, void *ud);
/* Same on a connection the caller already holds for writing. */
jg_rc jg_db_tx_on(jg_conn *c, jg_tx_fn fn, void *ud);
/* Make every later write transaction on db wait for the one before it from its start, on table
 * (a constant naming a table every write touches, such as the audit chain's head): on PostgreSQL
 * `LOCK TABLE table IN EXCLUSIVE MODE` before anything is read, so writers queue instead of
 * failing to serialize and retrying; SQLite's single writer already queues. Call before serving. */
void jg_db_serialize_writes(jg_db *db, const char *table);
/* The db that c belongs to. Cannot fail. */
jg_db *jg_conn_db(jg_conn *c);

/* Write a consistent copy of the whole database to path (SQLite: online backup to a database
 * file; PostgreSQL: pg_dump custom format). */
jg_rc jg_db_backup(jg_db *db, const char *path);
/* Replace the database's contents with the copy at path (made by jg_db_backup on the same
 * backend). Run it while no server uses the database. */
jg_rc jg_db_restore(jg_db *db, const char *path);

/* Result rows, materialised. Column and row indexes start at 0. */
int jg_rows_count(const jg_rows *r);
int jg_rows_ncols(const jg_rows *r);
/* Column name; owned by r. */
const char *jg_rows_name(const jg_rows *r, int col);
/* Type of one value: JG_V_NULL, JG_V_INT, JG_V_REAL or JG_V_TEXT. */
jg_vtype jg_rows_type(const jg_rows *r, int row, int col);
/* Text of a value (numbers as their text), NULL for SQL NULL; owned by r. */
const char *jg_rows_text(const jg_rows *r, int row, int col);
/* Integer value (0 for NULL or non-numbers). */
int64_t jg_rows_int(const jg_rows *r, int row, int col);
/* Real value (0 for NULL). */
double jg_rows_real(const jg_rows *r, int row, int col);
/* Free rows. NULL is a no-op. */
void jg_rows_free(jg_rows *r);

#endif
