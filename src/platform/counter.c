/* Number series kept in the counter table (counter.h). */
#include "platform/counter.h"

#include "base/log.h"

#include <string.h>

jg_rc jg_counter_take(jg_conn *c, const char *series, int64_t count, int64_t start, int64_t *last)
{
    size_t len = series != NULL ? strlen(series) : 0;
    if (len == 0 || len > JG_COUNTER_SERIES_MAX || count < 1 || start < 0 || start > INT64_MAX - count)
        return JG_INVALID;
    /* start + count is computed here: PostgreSQL cannot type "$2 + $3" of two untyped parameters. */
    jg_value p[] = {JG_VTEXT(series), JG_VINT(start + count), JG_VINT(count)};
    jg_rows *r;
    jg_rc rc = jg_db_query(c,
                           "INSERT INTO registration_counter (series, last_no) VALUES ($1, $2)"
                           " ON CONFLICT (series) DO UPDATE SET last_no = registration_counter.last_no + $3"
                           " RETURNING last_no",
                           p, 3, &r);
    if (rc != JG_OK)
        return rc;
    int64_t n = jg_rows_count(r) == 1 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    if (n < count) {
        jg_error("counter: series %s gave no number", series);
        return JG_ERR;
    }
    *last = n;
    return JG_OK;
}

jg_rc jg_counter_next(jg_conn *c, const char *series, int64_t start, int64_t *n)
{
    return jg_counter_take(c, series, 1, start, n);
}
