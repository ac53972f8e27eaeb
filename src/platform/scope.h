/* Data scope (数据权限): which records a logged-in user may see, as SQL with bound values.
 *
 * The role decides the kind of scope (jg_principal.scope):
 *   province   — all of Fujian;
 *   region     — the user's region and below by org_code prefix: a city (3501) its districts and
 *                counties, a county (350102) its own. 平潭 (350128) is a city-level unit of its own,
 *                so a 福州 (3501) scope leaves it out;
 *   department — only records of the user's own department's region (org_code equal);
 *   enterprise — records of the user's enterprise and the projects it takes part in
 *                (project_party);
 *   none       — nothing.
 * Outside the scope a record is absent from lists and counts and 404 by id. */
#ifndef JG_SCOPE_H
#define JG_SCOPE_H
#include "base/arena.h"
#include "base/buf.h"
#include "db/db.h"
#include "platform/session.h"

/* Where a kind of record keeps what the scope looks at. Columns are constants of the caller,
 * never input; NULL where the record has no such column. A record without an org column (the
 * enterprise and person registries, which serve the whole province) is visible to every
 * government scope. */
typedef struct {
    const char *org;        /* region code of the record */
    const char *enterprise; /* id of the enterprise that owns the record */
    const char *project;    /* id of the project the record belongs to */
    /* 1 on SQLite: a city's code range carries likelihood() hints. Without STAT4 histograms
     * SQLite's planner takes any two-sided range for a narrow one and would walk a city's
     * hundreds of thousands of records through the org index and sort them, instead of an index
     * that serves the list's filter and sort (bench/records.sh). */
    int sqlite_hints;
} jg_scope_cols;

/* Append " AND <condition>" for p's scope to sql, adding its bound values at params[*n...] (room
 * for 4 more needed) and advancing *n. JG_DENIED when p may see no record at all (the caller
 * answers with nothing). */
jg_rc jg_scope_sql(const jg_principal *p, const jg_scope_cols *cols, jg_buf *sql, jg_value *params, int *n,
                   jg_arena *a);

#endif
