/* Number series (编号): registration numbers, 记分告知单 and 责令改正通知单 numbers, each a series of
 * consecutive numbers kept in one row of a counter table (migration 0017, `registration_counter`,
 * despite its name the platform's one counter table):
 *
 *   series TEXT PRIMARY KEY   "350102-2026-" (registrations), "JF-350102-2026-", "ZG-350102-2026-"
 *   last_no BIGINT            the last number given in the series
 *
 * A number is taken with one upsert in the caller's transaction: the row stays locked until that
 * transaction ends (PostgreSQL; SQLite writes one at a time), so two transactions at once never get
 * the same number, and a transaction rolled back gives its numbers back. */
#ifndef JG_COUNTER_H
#define JG_COUNTER_H
#include "db/db.h"

#include <stdint.h>

#define JG_COUNTER_SERIES_MAX 64 /* bytes of a series name */

/* Take count (>= 1) numbers of series on c inside the caller's transaction: *last is the last of
 * them (the first is *last - count + 1). A series not seen before starts after start (0, or the
 * highest number given before the counter kept the series). JG_INVALID for an empty or too long
 * series or a count below 1; other rc: the database's (the transaction must be abandoned). */
jg_rc jg_counter_take(jg_conn *c, const char *series, int64_t count, int64_t start, int64_t *last);
/* jg_counter_take of one number. */
jg_rc jg_counter_next(jg_conn *c, const char *series, int64_t start, int64_t *n);

#endif
