/* The working-day calendar of time limits: Monday to Friday, except the public holidays, plus the
 * weekend days worked instead (调休), as the State Council publishes them each year. The days come
 * from table flow_calendar (migration 0011, seeded with 2026; edited through the API); the
 * arithmetic here is pure, in China Standard Time (UTC+8), and has unit tests. */
#ifndef JG_FLOW_CALENDAR_H
#define JG_FLOW_CALENDAR_H
#include "base/rc.h"
#include "db/db.h"

#include <stdint.h>

#define JG_CAL_TZ_S (8 * 3600) /* days begin at midnight in Beijing */

typedef struct {
    int32_t day; /* days since 1970-01-01 */
    char kind;   /* 'h' a holiday, 'w' a weekend day worked */
} jg_cal_day;

typedef struct {
    jg_cal_day *days; /* sorted by day */
    int n;
} jg_cal;

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
int32_t jg_cal_days(int y, int m, int d);
void jg_cal_civil(int32_t days, int *y, int *m, int *d);
/* "2026-10-01" → days; JG_INVALID unless a real date in that exact form. */
jg_rc jg_cal_parse_day(const char *s, int32_t *out);
/* Whether day is a working day of cal (NULL: weekdays only). */
int jg_cal_workday(const jg_cal *cal, int32_t day);
/* The instant n working days after t (seconds since the epoch, UTC): the same time of day on the
 * n-th working day after t's day (in Beijing). n = 0: t. */
int64_t jg_cal_add_workdays(const jg_cal *cal, int64_t t, int n);
/* Working days from t's day (exclusive) to u's day (inclusive); 0 when u is not after t. */
int jg_cal_workdays_between(const jg_cal *cal, int64_t t, int64_t u);
/* The calendar in flow_calendar, on c (free with jg_cal_free). */
jg_rc jg_cal_load(jg_conn *c, jg_cal *out);
void jg_cal_free(jg_cal *cal);

#endif
