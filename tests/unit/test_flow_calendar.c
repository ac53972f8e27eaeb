/* Unit tests for the working-day calendar of src/engine/flow (calendar.c): civil dates, weekends,
 * the 2026 holidays and 调休 workdays, adding working days across 春节 and 国庆 (in Beijing time),
 * and counting them. The table and its API are covered by tests/api/flow_core.test.mjs. */
#include "engine/flow/calendar.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#define DAY(y, m, d) jg_cal_days(y, m, d)
/* An instant: y-m-d hh:mm in Beijing, as seconds since the epoch (UTC). */
static int64_t bj(int y, int m, int d, int hh, int mm)
{
    return (int64_t)DAY(y, m, d) * 86400 + hh * 3600 + mm * 60 - JG_CAL_TZ_S;
}

/* Part of 2026 as seeded by migration 0011 (unsorted on purpose: jg_cal_load sorts; so do we). */
static const struct {
    int m, d;
    char kind;
} seeded[] = {
    {10, 1, 'h'}, {10, 2, 'h'}, {10, 3, 'h'},  {10, 4, 'h'}, {10, 5, 'h'}, {10, 6, 'h'},
    {10, 7, 'h'}, {9, 20, 'w'}, {10, 10, 'w'}, {1, 1, 'h'},  {1, 2, 'h'},  {1, 3, 'h'},
    {1, 4, 'w'},  {2, 14, 'w'}, {2, 15, 'h'},  {2, 16, 'h'}, {2, 17, 'h'}, {2, 18, 'h'},
    {2, 19, 'h'}, {2, 20, 'h'}, {2, 21, 'h'},  {2, 22, 'h'}, {2, 23, 'h'}, {2, 28, 'w'},
};
#define NSEEDED ((int)(sizeof(seeded) / sizeof(seeded[0])))
static jg_cal_day days2026[NSEEDED];

static int cmp(const void *a, const void *b)
{
    int32_t x = ((const jg_cal_day *)a)->day, y = ((const jg_cal_day *)b)->day;
    return x < y ? -1 : x > y;
}

static jg_cal cal2026(void)
{
    for (int k = 0; k < NSEEDED; k++) {
        days2026[k].day = DAY(2026, seeded[k].m, seeded[k].d);
        days2026[k].kind = seeded[k].kind;
    }
    qsort(days2026, (size_t)NSEEDED, sizeof(days2026[0]), cmp);
    jg_cal c = {days2026, NSEEDED};
    return c;
}

static void civil_dates(void **state)
{
    (void)state;
    assert_int_equal(jg_cal_days(1970, 1, 1), 0);
    assert_int_equal(jg_cal_days(2000, 3, 1), 11017);
    int y, m, d;
    jg_cal_civil(jg_cal_days(2028, 2, 29), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20280229);
    int32_t x;
    assert_int_equal(jg_cal_parse_day("2026-10-01", &x), JG_OK);
    assert_int_equal(x, jg_cal_days(2026, 10, 1));
    assert_int_equal(jg_cal_parse_day("2026-02-29", &x), JG_INVALID);
    assert_int_equal(jg_cal_parse_day("2026-13-01", &x), JG_INVALID);
    assert_int_equal(jg_cal_parse_day("2026-1-01", &x), JG_INVALID);
    assert_int_equal(jg_cal_parse_day("2026-01-01x", &x), JG_INVALID);
    assert_int_equal(jg_cal_parse_day(NULL, &x), JG_INVALID);
}

static void weekends_holidays_and_swaps(void **state)
{
    (void)state;
    jg_cal c = cal2026();
    assert_true(jg_cal_workday(NULL, DAY(2026, 11, 25)));  /* a Wednesday */
    assert_false(jg_cal_workday(NULL, DAY(2026, 11, 28))); /* Saturday */
    assert_false(jg_cal_workday(NULL, DAY(2026, 11, 29))); /* Sunday */
    assert_false(jg_cal_workday(&c, DAY(2026, 10, 1)));    /* 国庆, a Thursday */
    assert_false(jg_cal_workday(&c, DAY(2026, 2, 16)));    /* 春节, a Monday */
    assert_true(jg_cal_workday(&c, DAY(2026, 2, 14)));     /* a Saturday worked */
    assert_true(jg_cal_workday(&c, DAY(2026, 9, 20)));     /* a Sunday worked */
    assert_true(jg_cal_workday(&c, DAY(2026, 10, 9)));     /* a Friday like any other */
    assert_false(jg_cal_workday(&c, DAY(2026, 10, 11)));   /* a Sunday like any other */
}

static void adding_working_days(void **state)
{
    (void)state;
    jg_cal c = cal2026();
    /* Friday 16:00 + 1 → Monday 16:00; weekends only. */
    assert_int_equal(jg_cal_add_workdays(NULL, bj(2026, 11, 27, 16, 0), 1), bj(2026, 11, 30, 16, 0));
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 11, 27, 16, 0), 0), bj(2026, 11, 27, 16, 0));
    /* Days begin in Beijing: Friday 07:30 Beijing is still Thursday in UTC. */
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 11, 27, 7, 30), 1), bj(2026, 11, 30, 7, 30));
    /* Across 春节: Friday 2026-02-13 + 1 is the Saturday worked (02-14); + 2 is 02-24. */
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 2, 13, 9, 0), 1), bj(2026, 2, 14, 9, 0));
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 2, 13, 9, 0), 2), bj(2026, 2, 24, 9, 0));
    /* Across 国庆: 09-30 + 3 → 10-08, 10-09, 10-10 (a Saturday worked). */
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 9, 30, 10, 0), 3), bj(2026, 10, 10, 10, 0));
    /* From inside a holiday: 10-03 + 1 → 10-08. */
    assert_int_equal(jg_cal_add_workdays(&c, bj(2026, 10, 3, 10, 0), 1), bj(2026, 10, 8, 10, 0));
    /* Across a year end with 元旦: 2025-12-31 + 1 → 2026-01-04 (the Sunday worked). */
    assert_int_equal(jg_cal_add_workdays(&c, bj(2025, 12, 31, 10, 0), 1), bj(2026, 1, 4, 10, 0));
}

static void counting_working_days(void **state)
{
    (void)state;
    jg_cal c = cal2026();
    assert_int_equal(jg_cal_workdays_between(&c, bj(2026, 9, 30, 10, 0), bj(2026, 10, 10, 9, 0)), 3);
    assert_int_equal(jg_cal_workdays_between(&c, bj(2026, 10, 10, 9, 0), bj(2026, 9, 30, 10, 0)), 0);
    assert_int_equal(jg_cal_workdays_between(NULL, bj(2026, 11, 23, 10, 0), bj(2026, 11, 30, 10, 0)), 5);
    /* add and count agree. */
    for (int n = 0; n < 40; n++) {
        int64_t t = bj(2026, 1, 1, 8, 0) + (int64_t)n * 86400 * 7;
        assert_int_equal(jg_cal_workdays_between(&c, t, jg_cal_add_workdays(&c, t, n)), n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_dates),
        cmocka_unit_test(weekends_holidays_and_swaps),
        cmocka_unit_test(adding_working_days),
        cmocka_unit_test(counting_working_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
