/* org_code prefix scopes as index-friendly ranges. */
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

static int government(const jg_principal *p)
{
    return strcmp(p->kind, "government") == 0 || strcmp(p->kind, "admin") == 0;
}

jg_rc jg_scope_sql(const jg_principal *p, const char *column, jg_buf *sql, jg_value *params, int *n,
                   jg_arena *a)
{
    size_t len = p->org_code != NULL ? strlen(p->org_code) : 0;
    if (!government(p) || len < 2 || len > 6)
        return JG_DENIED;
    params[(*n)++] = JG_VTEXT(p->org_code);
    params[(*n)++] = JG_VTEXT(range_end(p->org_code, a));
    jg_buf_printf(sql, " AND %s >= $%d AND %s < $%d", column, *n - 1, column, *n);
    if (len < strlen(PINGTAN) && strncmp(PINGTAN, p->org_code, len) == 0 && len > 2) {
        params[(*n)++] = JG_VTEXT(PINGTAN);
        params[(*n)++] = JG_VTEXT(range_end(PINGTAN, a));
        jg_buf_printf(sql, " AND NOT (%s >= $%d AND %s < $%d)", column, *n - 1, column, *n);
    }
    return JG_OK;
}
