/* Data scopes as index-friendly conditions. */
#include "platform/scope.h"

#include <stdio.h>
#include <string.h>

/* 平潭综合实验区: a county code under 福州 that Fujian runs as a city-level unit (DOMAIN.md). */
#define PINGTAN "350128"

/* The exclusive end of the range of codes starting with prefix: "3501" -> "3502". */
static char *range_end(const char *prefix, jg_arena *a)
{
    char *end = jg_arena_strdup(a, prefix);
    end[strlen(end) - 1]++;
    return end;
}

/* The user's region and below. A county (6 digits) has no codes below it: that is equality. */
static jg_rc region(const jg_principal *p, const jg_scope_cols *cols, jg_buf *sql, jg_value *params, int *n,
                    jg_arena *a)
{
    const char *col = cols->org;
    size_t len = strlen(p->org_code);
    params[(*n)++] = JG_VTEXT(p->org_code);
    if (len == 6) {
        jg_buf_printf(sql, " AND %s = $%d", col, *n);
        return JG_OK;
    }
    params[(*n)++] = JG_VTEXT(range_end(p->org_code, a));
    if (cols->sqlite_hints) /* a city holds about a tenth of the province; the province all of it */
        jg_buf_printf(sql, " AND likelihood(%s >= $%d, %s) AND likelihood(%s < $%d, %s)", col, *n - 1,
                      len == 4 ? "0.3" : "0.99", col, *n, len == 4 ? "0.3" : "0.99");
    else
        jg_buf_printf(sql, " AND %s >= $%d AND %s < $%d", col, *n - 1, col, *n);
    if (len < strlen(PINGTAN) && strncmp(PINGTAN, p->org_code, len) == 0 && len > 2) {
        params[(*n)++] = JG_VTEXT(PINGTAN);
        params[(*n)++] = JG_VTEXT(range_end(PINGTAN, a));
        jg_buf_printf(sql, " AND NOT (%s >= $%d AND %s < $%d)", col, *n - 1, col, *n);
    }
    return JG_OK;
}

/* The user's enterprise and the projects it takes part in. */
static jg_rc enterprise(const jg_principal *p, const jg_scope_cols *cols, jg_buf *sql, jg_value *params,
                        int *n)
{
    if (p->enterprise_id <= 0 || (cols->enterprise == NULL && cols->project == NULL))
        return JG_DENIED;
    params[(*n)++] = JG_VINT(p->enterprise_id);
    if (cols->enterprise != NULL && cols->project != NULL)
        jg_buf_printf(
            sql, " AND (%s = $%d OR %s IN (SELECT project_id FROM project_party WHERE enterprise_id = $%d))",
            cols->enterprise, *n, cols->project, *n);
    else if (cols->enterprise != NULL)
        jg_buf_printf(sql, " AND %s = $%d", cols->enterprise, *n);
    else
        jg_buf_printf(sql, " AND %s IN (SELECT project_id FROM project_party WHERE enterprise_id = $%d)",
                      cols->project, *n);
    return JG_OK;
}

jg_rc jg_scope_sql(const jg_principal *p, const jg_scope_cols *cols, jg_buf *sql, jg_value *params, int *n,
                   jg_arena *a)
{
    const char *scope = p->scope != NULL ? p->scope : "none";
    if (strcmp(scope, "enterprise") == 0)
        return enterprise(p, cols, sql, params, n);
    size_t len = p->org_code != NULL ? strlen(p->org_code) : 0;
    int government =
        strcmp(scope, "province") == 0 || strcmp(scope, "region") == 0 || strcmp(scope, "department") == 0;
    if (!government || len < 2 || len > 6)
        return JG_DENIED;
    if (cols->org == NULL || strcmp(scope, "province") == 0)
        return JG_OK;
    if (strcmp(scope, "department") == 0) {
        params[(*n)++] = JG_VTEXT(p->org_code);
        jg_buf_printf(sql, " AND %s = $%d", cols->org, *n);
        return JG_OK;
    }
    return region(p, cols, sql, params, n, a);
}
