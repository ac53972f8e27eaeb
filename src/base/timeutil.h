/* Time: UTC timestamps for storage, Asia/Shanghai (UTC+8, no DST) business dates, monotonic clocks. */
#ifndef JG_TIMEUTIL_H
#define JG_TIMEUTIL_H
#include <stddef.h>
#include <stdint.h>

/* Microseconds from a monotonic clock, for durations. Cannot fail. */
int64_t jg_time_mono_us(void);
/* Write the current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (needs 25 bytes). Cannot fail. */
void jg_time_iso_now(char *out, size_t outlen);
/* As jg_time_iso_now, for the moment offset_s seconds from now (negative: in the past). */
void jg_time_iso_offset(int64_t offset_s, char *out, size_t outlen);
/* Write the business date (Asia/Shanghai) of unix time t as "YYYY-MM-DD" (needs 11 bytes). */
void jg_time_business_date(int64_t t, char *out, size_t outlen);
/* The unix time of an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (the platform's stored
 * form; the fraction is dropped): 1 with *out, or 0 when s is not one. */
int jg_time_parse_iso(const char *s, int64_t *out);
/* Return 1 if s is a valid "YYYY-MM-DD" calendar date, else 0. */
int jg_time_valid_date(const char *s);

#endif
