/* Unit tests for src/base/timeutil.c: calendar dates, Asia/Shanghai business dates, ISO timestamps. */
#include "base/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void valid_dates(void **state)
{
    (void)state;
    const char *ok[] = {"2026-11-25", "1900-01-01", "2024-02-29", "2000-02-29",
                        "2026-12-31", "2026-04-30", "9999-12-31"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!jg_time_valid_date(ok[i]))
            fail_msg("%s was rejected", ok[i]);
    const char *bad[] = {"",           "2026-1-01",  "2026-01-1",  "20260101",   "2026/01/01", "2026-01-01T",
                         "2023-02-29", "1900-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
                         "2026-01-00", "1899-12-31", "2026-01-32", "2026-0a-01", "-026-01-01", " 2026-01-01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (jg_time_valid_date(bad[i]))
            fail_msg("%s was accepted", bad[i]);
}

static void business_date_is_utc_plus_8(void **state)
{
    (void)state;
    char d[11];
    jg_time_business_date(0, d, sizeof(d));
    assert_string_equal(d, "1970-01-01");
    jg_time_business_date(16 * 3600 - 1, d, sizeof(d)); /* 23:59:59 in Shanghai */
    assert_string_equal(d, "1970-01-01");
    jg_time_business_date(16 * 3600, d, sizeof(d)); /* midnight in Shanghai */
    assert_string_equal(d, "1970-01-02");
    /* 2026-11-24T16:00:00Z is 2026-11-25 00:00 in Shanghai. */
    jg_time_business_date(INT64_C(1795536000), d, sizeof(d));
    assert_string_equal(d, "2026-11-25");
    jg_time_business_date(INT64_C(1795536000) - 1, d, sizeof(d));
    assert_string_equal(d, "2026-11-24");
}

static void iso_timestamps_parse(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(jg_time_parse_iso("1970-01-01T00:00:00.000Z", &t), 1);
    assert_int_equal(t, 0);
    assert_int_equal(jg_time_parse_iso("2026-11-25T08:30:15Z", &t), 1);
    assert_int_equal(t, 1795595415);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    assert_int_equal(jg_time_parse_iso(now, &t), 1);
    assert_true(t > 1795595415);
    assert_int_equal(jg_time_parse_iso("2026-11-25", &t), 0);
    assert_int_equal(jg_time_parse_iso("yesterday", &t), 0);
    assert_int_equal(jg_time_parse_iso(NULL, &t), 0);
}

static void iso_now_shape(void **state)
{
    (void)state;
    char ts[32];
    jg_time_iso_now(ts, sizeof(ts));
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[4], '-');
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
    char date[11];
    memcpy(date, ts, 10);
    date[10] = '\0';
    assert_true(jg_time_valid_date(date));
    /* Monotonic time does not go backwards. */
    int64_t a = jg_time_mono_us(), b = jg_time_mono_us();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_dates),
        cmocka_unit_test(business_date_is_utc_plus_8),
        cmocka_unit_test(iso_now_shape),
        cmocka_unit_test(iso_timestamps_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
