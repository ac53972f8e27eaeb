/* Data scope (数据权限): which records a logged-in user may see, as SQL over org_code.
 *
 * Government users see their region and below by org_code prefix: the province (35) all of
 * Fujian, a city (3501) its districts and counties, a county (350102) its own. 平潭 (350128)
 * is a city-level unit of its own, so a 福州 (3501) scope leaves it out. Enterprise users and
 * experts see no region's records through this filter (enterprise ownership comes with the
 * enterprise registry). Outside the scope a record is absent from lists and 404 by id. */
#ifndef JG_SCOPE_H
#define JG_SCOPE_H
#include "base/arena.h"
#include "base/buf.h"
#include "db/db.h"
#include "platform/session.h"

/* Append " AND <condition on column>" for p's scope to sql, adding its bound values at
 * params[*n...] (room for 4 more needed) and advancing *n. column is a constant of the caller,
 * never input. JG_DENIED when p may see no record at all (the caller answers with nothing). */
jg_rc jg_scope_sql(const jg_principal *p, const char *column, jg_buf *sql, jg_value *params, int *n,
                   jg_arena *a);

#endif
