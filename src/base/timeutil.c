/* Clocks and date formatting. China has used UTC+8 without daylight saving since 1991. */
#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SHANGHAI_OFFSET_S (8 * 3600)

int64_t jg_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void jg_time_iso_now(char *out, size_t outlen)
{
    jg_time_iso_offset(0, out, outlen);
}

void jg_time_iso_offset(int64_t offset_s, char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)offset_s;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

int jg_time_parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return 0;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    *out = (int64_t)timegm(&tm);
    return 1;
}

void jg_time_business_date(int64_t t, char *out, size_t outlen)
{
    time_t local = (time_t)(t + SHANGHAI_OFFSET_S);
    struct tm tm;
    gmtime_r(&local, &tm);
    snprintf(out, outlen, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int jg_time_valid_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return 0;
    int max = days[m - 1] + (m == 2 && leap(y));
    return d <= max;
}
