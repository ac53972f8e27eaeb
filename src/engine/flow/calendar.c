/* The working-day calendar (calendar.h). */
#include "engine/flow/calendar.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t jg_cal_days(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void jg_cal_civil(int32_t days, int *y, int *m, int *d)
{
    int32_t z = days + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

jg_rc jg_cal_parse_day(const char *s, int32_t *out)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return JG_INVALID;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return JG_INVALID;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0'), cy, cm, cd;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return JG_INVALID;
    int32_t days = jg_cal_days(y, m, d);
    jg_cal_civil(days, &cy, &cm, &cd);
    if (cy != y || cm != m || cd != d)
        return JG_INVALID;
    *out = days;
    return JG_OK;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = ((const jg_cal_day *)a)->day, y = ((const jg_cal_day *)b)->day;
    return x < y ? -1 : x > y;
}

int jg_cal_workday(const jg_cal *cal, int32_t day)
{
    if (cal != NULL && cal->n > 0) {
        jg_cal_day key = {day, 0};
        const jg_cal_day *hit = bsearch(&key, cal->days, (size_t)cal->n, sizeof(key), cmp_day);
        if (hit != NULL)
            return hit->kind == 'w';
    }
    int wday = (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    return wday != 0 && wday != 6;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t jg_cal_add_workdays(const jg_cal *cal, int64_t t, int n)
{
    int64_t local = t + JG_CAL_TZ_S, day = floor_div(local, 86400), sec = local - day * 86400;
    for (int left = n; left > 0;)
        if (jg_cal_workday(cal, (int32_t)++day))
            left--;
    return day * 86400 + sec - JG_CAL_TZ_S;
}

int jg_cal_workdays_between(const jg_cal *cal, int64_t t, int64_t u)
{
    int64_t a = floor_div(t + JG_CAL_TZ_S, 86400), b = floor_div(u + JG_CAL_TZ_S, 86400);
    int n = 0;
    for (int64_t d = a + 1; d <= b; d++)
        n += jg_cal_workday(cal, (int32_t)d);
    return n;
}

jg_rc jg_cal_load(jg_conn *c, jg_cal *out)
{
    memset(out, 0, sizeof(*out));
    jg_rows *r;
    jg_rc rc = jg_db_query(c, "SELECT day, kind FROM flow_calendar ORDER BY day", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    int n = jg_rows_count(r);
    out->days = jg_xcalloc((size_t)n + 1, sizeof(*out->days));
    for (int i = 0; i < n; i++) {
        int32_t d;
        if (jg_cal_parse_day(jg_rows_text(r, i, 0), &d) != JG_OK)
            continue;
        out->days[out->n].day = d;
        out->days[out->n++].kind = strcmp(jg_rows_text(r, i, 1), "workday") == 0 ? 'w' : 'h';
    }
    jg_rows_free(r);
    qsort(out->days, (size_t)out->n, sizeof(*out->days), cmp_day);
    return JG_OK;
}

void jg_cal_free(jg_cal *cal)
{
    free(cal->days);
    memset(cal, 0, sizeof(*cal));
}
