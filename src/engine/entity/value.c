/* Field values between the API (JSON) and storage (bound SQL values), by field type: the table
 * and the rules are in value.h; the choices that table leaves open are written where they are
 * made below. */
#include "engine/entity/value.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "platform/dict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STRING_MAX 200
#define DEFAULT_TEXT_MAX 10000
#define DEFAULT_JSON_MAX 65536
#define DEFAULT_MAX_FILES 20
#define MAX_SCALE 6
#define MAX_NUMBER_BYTES 64                 /* a decimal written as text */
#define DATETIME_LEN 24                     /* YYYY-MM-DDTHH:MM:SS.mmmZ */
#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53: every integer below is a double */

static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

static const char *label_of(const jg_field *f)
{
    return f->label != NULL ? f->label : f->name;
}

static jg_rc refuse(jg_arena *a, const char **message, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static jg_rc refuse(jg_arena *a, const char **message, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    *message = jg_arena_strdup(a, buf);
    return JG_INVALID;
}

/* Money always has two places; a decimal its own scale, kept to 0..6 so 10^scale is exact. */
static int scale_of(const jg_field *f)
{
    if (f->type == JG_FIELD_MONEY)
        return 2;
    return f->scale < 0 ? 0 : f->scale > MAX_SCALE ? MAX_SCALE : f->scale;
}

/* Write scaled v with scale places ("-12.34" for -1234, scale 2) to out. */
static void format_scaled(int64_t v, int scale, char *out, size_t outlen)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t p = (uint64_t)pow10[scale];
    if (scale == 0)
        snprintf(out, outlen, "%s%llu", v < 0 ? "-" : "", (unsigned long long)u);
    else
        snprintf(out, outlen, "%s%llu.%0*llu", v < 0 ? "-" : "", (unsigned long long)(u / p), scale,
                 (unsigned long long)(u % p));
}

enum { NUM_OK, NUM_FORMAT, NUM_RANGE };

/* Parse the whole of s as an exact decimal ("-12.5", "+3", "12.500") into *out scaled by
 * 10^scale. Places beyond scale are allowed only when they are zeros. No exponents, spaces,
 * thousands separators or bare points (".5", "5."). */
static int parse_decimal(const char *s, int scale, int64_t *out)
{
    if (strlen(s) > MAX_NUMBER_BYTES)
        return NUM_FORMAT;
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return NUM_FORMAT;
    int64_t v = 0;
    int range = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
            range = 1;
    int places = 0;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return NUM_FORMAT;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (places == scale) {
                if (*p != '0')
                    return NUM_FORMAT;
                continue;
            }
            if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
                range = 1;
            places++;
        }
    }
    if (*p != '\0')
        return NUM_FORMAT;
    for (; places < scale; places++)
        if (__builtin_mul_overflow(v, 10, &v))
            range = 1;
    if (range)
        return NUM_RANGE;
    *out = neg ? -v : v;
    return NUM_OK;
}

/* A JSON real is taken only when it is the double nearest to a decimal with at most scale places
 * (what a client writing 12.34 as a number sends), and small enough that every such decimal has
 * its own double. 0.1 + 0.2 computed in a browser (0.30000000000000004) is refused. */
static int real_to_scaled(double r, int scale, int64_t *out)
{
    if (!isfinite(r) || fabs(r) >= MAX_EXACT_DOUBLE / (double)pow10[scale])
        return NUM_RANGE;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", scale, r);
    if (strtod(buf, NULL) != r)
        return NUM_FORMAT;
    return parse_decimal(buf, scale, out);
}

/* The text of a JSON string without NULs inside, with its length in bytes; NULL otherwise. */
static const char *json_text(json_t *v, size_t *len)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    *len = json_string_length(v);
    return strlen(s) == *len ? s : NULL;
}

static int blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* string (one line) and text (many lines). */
static jg_rc text_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    const char *label = label_of(f);
    size_t len;
    const char *s = json_text(v, &len);
    if (s == NULL && json_is_string(v))
        return refuse(a, message, "%s含有无效字符", label);
    if (s == NULL)
        return refuse(a, message, "%s应为文本", label);
    if (!jg_utf8_valid(s, len))
        return refuse(a, message, "%s含有无效字符", label);
    int multiline = f->type == JG_FIELD_TEXT;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x7F || (c < 0x20 && !(multiline && (c == '\t' || c == '\n' || c == '\r'))))
            return refuse(a, message,
                          multiline ? "%s不能包含控制字符" : "%s应为单行文本，不能包含换行或控制字符", label);
    }
    if (f->required && blank(s))
        return refuse(a, message, "%s不能为空", label);
    int64_t chars = (int64_t)jg_utf8_chars(s);
    int64_t max = f->max_length > 0 ? f->max_length : multiline ? DEFAULT_TEXT_MAX : DEFAULT_STRING_MAX;
    if (chars > max)
        return refuse(a, message, "%s不能超过 %lld 个字", label, (long long)max);
    if (f->min_length > 0 && chars < f->min_length)
        return refuse(a, message, "%s不能少于 %lld 个字", label, (long long)f->min_length);
    if (f->pattern != NULL) {
        /* The whole value must match, anchored in the pattern or not: POSIX takes the leftmost
         * longest match, which is the whole value whenever the whole value can match. */
        regmatch_t m[1];
        if (regexec(&f->pattern_re, s, 1, m, 0) != 0 || m[0].rm_so != 0 || (size_t)m[0].rm_eo != len)
            return refuse(a, message, "%s格式不正确", label);
    }
    *out = JG_VTEXT(jg_arena_strndup(a, s, len));
    return JG_OK;
}

static jg_rc check_range(const jg_field *f, int64_t x, jg_arena *a, const char **message)
{
    int scale = f->type == JG_FIELD_INTEGER ? 0 : scale_of(f);
    char bound[48]; /* "-", 19 digits, ".", 19 digits */
    if (f->has_min && x < f->min) {
        format_scaled(f->min, scale, bound, sizeof(bound));
        return refuse(a, message, "%s不能小于 %s", label_of(f), bound);
    }
    if (f->has_max && x > f->max) {
        format_scaled(f->max, scale, bound, sizeof(bound));
        return refuse(a, message, "%s不能大于 %s", label_of(f), bound);
    }
    return JG_OK;
}

static jg_rc integer_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    if (!json_is_integer(v))
        return refuse(a, message, "%s应为整数", label_of(f));
    int64_t x = (int64_t)json_integer_value(v);
    jg_rc rc = check_range(f, x, a, message);
    if (rc != JG_OK)
        return rc;
    *out = JG_VINT(x);
    return JG_OK;
}

/* decimal and money: "12.34", 12 or 12.34 (see real_to_scaled) -> scaled int64. */
static jg_rc decimal_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    int scale = scale_of(f);
    int64_t x = 0;
    int r = NUM_FORMAT;
    size_t len;
    const char *s;
    if (json_is_integer(v))
        r = __builtin_mul_overflow((int64_t)json_integer_value(v), pow10[scale], &x) ? NUM_RANGE : NUM_OK;
    else if (json_is_real(v))
        r = real_to_scaled(json_real_value(v), scale, &x);
    else if ((s = json_text(v, &len)) != NULL)
        r = parse_decimal(s, scale, &x);
    if (r == NUM_RANGE)
        return refuse(a, message, "%s超出范围", label_of(f));
    if (r != NUM_OK) {
        if (f->type == JG_FIELD_MONEY)
            return refuse(a, message, "%s应为金额（元），最多两位小数", label_of(f));
        if (scale == 0)
            return refuse(a, message, "%s应为整数", label_of(f));
        return refuse(a, message, "%s应为数字，最多 %d 位小数", label_of(f), scale);
    }
    jg_rc rc = check_range(f, x, a, message);
    if (rc != JG_OK)
        return rc;
    *out = JG_VINT(x);
    return JG_OK;
}

/* Text kept as it is when ok() accepts it, else refused as "<label><what>". */
static jg_rc checked_text(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message,
                          int (*ok)(const char *s), const char *what)
{
    size_t len;
    const char *s = json_text(v, &len);
    if (s == NULL || !ok(s))
        return refuse(a, message, "%s%s", label_of(f), what);
    *out = JG_VTEXT(jg_arena_strndup(a, s, len));
    return JG_OK;
}

static jg_rc date_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    return checked_text(f, v, a, out, message, jg_time_valid_date, "应为日期（如 2026-11-25）");
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at *p into *out, advancing *p; 0 if they are not all digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

/* Parse an ISO-8601 / RFC 3339 date-time with a zone and write it in UTC as
 * YYYY-MM-DDTHH:MM:SS.mmmZ (the form of jg_time_iso_now). Accepted:
 *   2026-11-25T08:00Z  2026-11-25T08:00:00Z  2026-11-25 08:00:00.123456+08:00  ...+0800  ...+08
 * A zone is required (a time without one is ambiguous); fractions past milliseconds are cut,
 * not rounded; leap seconds are refused; the UTC result must lie in years 1900..9999. */
static int parse_datetime(const char *s, char out[DATETIME_LEN + 1])
{
    if (strlen(s) < 17 || strlen(s) > 40)
        return 0;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!jg_time_valid_date(date) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return 0;
    const char *p = s + 11;
    int hh, mi, ss = 0, ms = 0;
    if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mi))
        return 0;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &ss))
            return 0;
        if (*p == '.' || *p == ',') {
            p++;
            int nd = 0;
            for (; *p >= '0' && *p <= '9'; p++, nd++)
                if (nd < 3)
                    ms = ms * 10 + (*p - '0');
            if (nd == 0 || nd > 9)
                return 0;
            for (; nd < 3; nd++)
                ms *= 10;
        }
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!digits(&p, 2, &oh))
            return 0;
        int colon = *p == ':';
        if (colon)
            p++;
        if ((colon || *p != '\0') && !digits(&p, 2, &om))
            return 0;
        if (oh > 23 || om > 59)
            return 0;
        off = sign * (oh * 60 + om);
    } else {
        return 0;
    }
    if (*p != '\0' || hh > 23 || mi > 59 || ss > 59)
        return 0;
    int y0 = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    int m0 = (date[5] - '0') * 10 + (date[6] - '0'), d0 = (date[8] - '0') * 10 + (date[9] - '0');
    int64_t t = days_from_civil(y0, m0, d0) * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)off * 60;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1900 || y > 9999)
        return 0;
    char buf[80]; /* room for what the compiler cannot tell is out of range */
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), ms);
    return jg_strlcpy(out, buf, DATETIME_LEN + 1) == JG_OK;
}

static jg_rc datetime_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    size_t len;
    const char *s = json_text(v, &len);
    char iso[DATETIME_LEN + 1];
    if (s == NULL || !parse_datetime(s, iso))
        return refuse(a, message, "%s应为日期时间（如 2026-11-25T08:00:00Z）", label_of(f));
    *out = JG_VTEXT(jg_arena_strdup(a, iso));
    return JG_OK;
}

/* A dictionary item code (jg_dict_item_code_ok: 1-40 of [A-Za-z0-9_.-]); whether the dictionary
 * has it is the caller's check. */
static jg_rc enum_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    return checked_text(f, v, a, out, message, jg_dict_item_code_ok, "取值无效");
}

/* GB/T 2260 codes as the org table has them: 35, 3501, 350102. */
static int region_code_ok(const char *s)
{
    size_t len = strlen(s);
    int ok = len == 2 || len == 4 || len == 6;
    for (size_t i = 0; ok && i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            ok = 0;
    return ok;
}

static jg_rc region_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    return checked_text(f, v, a, out, message, region_code_ok, "应为行政区划代码（2、4 或 6 位数字）");
}

/* ref, enterprise, person: the id of a record, a positive JSON integer. */
static jg_rc id_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        const char *what = f->type == JG_FIELD_ENTERPRISE ? "应选择一家企业"
                           : f->type == JG_FIELD_PERSON   ? "应选择一名人员"
                                                          : "应选择一条记录";
        return refuse(a, message, "%s%s", label_of(f), what);
    }
    *out = JG_VINT((int64_t)json_integer_value(v));
    return JG_OK;
}

static jg_rc boolean_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    if (!json_is_boolean(v))
        return refuse(a, message, "%s应为是或否", label_of(f));
    *out = JG_VINT(json_is_true(v) ? 1 : 0);
    return JG_OK;
}

/* files: [12, 13] -> "[12,13]"; ids positive, distinct, at most max_files of them. */
static jg_rc files_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    const char *label = label_of(f);
    if (!json_is_array(v))
        return refuse(a, message, "%s应为文件编号列表", label);
    size_t n = json_array_size(v);
    int max = f->max_files > 0 ? f->max_files : DEFAULT_MAX_FILES;
    if (n > (size_t)max)
        return refuse(a, message, "%s最多 %d 个文件", label, max);
    char *text = jg_arena_alloc(a, n * 21 + 3), *o = text;
    *o++ = '[';
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_integer(x) || json_integer_value(x) <= 0)
            return refuse(a, message, "%s应为文件编号列表", label);
        for (size_t k = 0; k < i; k++)
            if (json_integer_value(json_array_get(v, k)) == json_integer_value(x))
                return refuse(a, message, "%s包含重复的文件", label);
        o += snprintf(o, 22, "%s%lld", i > 0 ? "," : "", (long long)json_integer_value(x));
    }
    *o++ = ']';
    *o = '\0';
    *out = JG_VTEXT(text);
    return JG_OK;
}

/* The shortest fixed-point text that reads back as d (119.3, not 119.29999999999999), or %.17g
 * for the rare tiny value that would need more than 30 places. */
static void shortest(double d, char *out, size_t outlen)
{
    for (int p = 0; p <= 30; p++) {
        snprintf(out, outlen, "%.*f", p, d);
        if (strtod(out, NULL) == d)
            return;
    }
    snprintf(out, outlen, "%.17g", d);
}

/* geo: {"lng": 119.3, "lat": 26.08} -> "119.3,26.08". Exactly those two keys. */
static jg_rc geo_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    json_t *lng = json_object_get(v, "lng"), *lat = json_object_get(v, "lat");
    if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_number(lng) || !json_is_number(lat))
        return refuse(a, message, "%s应为经纬度坐标，如 {\"lng\": 119.3, \"lat\": 26.08}", label_of(f));
    double x = json_number_value(lng) + 0.0, y = json_number_value(lat) + 0.0; /* + 0.0: no -0 */
    if (!isfinite(x) || !isfinite(y) || x < -180 || x > 180 || y < -90 || y > 90)
        return refuse(a, message, "%s超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间",
                      label_of(f));
    char sx[48], sy[48];
    shortest(x, sx, sizeof(sx));
    shortest(y, sy, sizeof(sy));
    *out = JG_VTEXT(jg_arena_printf(a, "%s,%s", sx, sy));
    return JG_OK;
}

static jg_rc json_value(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    size_t max = f->max_length > 0 ? (size_t)f->max_length : DEFAULT_JSON_MAX;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        return refuse(a, message, "%s格式不正确", label_of(f));
    size_t len = strlen(text);
    if (len > max) {
        free(text);
        return refuse(a, message, "%s内容过大（不能超过 %zu 字节）", label_of(f), max);
    }
    *out = JG_VTEXT(jg_arena_strndup(a, text, len));
    free(text);
    return JG_OK;
}

/* "" means "no value" for every type but json (where "" is a JSON string like any other), and an
 * empty files array means no files: both are stored as NULL, so "is null" finds them. */
static int empty(const jg_field *f, json_t *v)
{
    if (v == NULL || json_is_null(v))
        return 1;
    if (f->type == JG_FIELD_JSON)
        return 0;
    if (json_is_string(v) && json_string_length(v) == 0)
        return 1;
    return f->type == JG_FIELD_FILES && json_is_array(v) && json_array_size(v) == 0;
}

/* The check and conversion of each field type (the value is not empty). */
typedef jg_rc (*converter)(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message);
static const converter converters[] = {
    [JG_FIELD_STRING] = text_value,       [JG_FIELD_TEXT] = text_value,
    [JG_FIELD_INTEGER] = integer_value,   [JG_FIELD_DECIMAL] = decimal_value,
    [JG_FIELD_MONEY] = decimal_value,     [JG_FIELD_DATE] = date_value,
    [JG_FIELD_DATETIME] = datetime_value, [JG_FIELD_BOOLEAN] = boolean_value,
    [JG_FIELD_ENUM] = enum_value,         [JG_FIELD_REF] = id_value,
    [JG_FIELD_ENTERPRISE] = id_value,     [JG_FIELD_PERSON] = id_value,
    [JG_FIELD_REGION] = region_value,     [JG_FIELD_FILES] = files_value,
    [JG_FIELD_GEO] = geo_value,           [JG_FIELD_JSON] = json_value,
};

jg_rc jg_value_from_json(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message)
{
    *message = NULL;
    if (empty(f, v)) {
        if (f->required)
            return refuse(a, message, "%s不能为空", label_of(f));
        *out = JG_VNULL;
        return JG_OK;
    }
    if ((size_t)f->type < sizeof(converters) / sizeof(converters[0]) && converters[f->type] != NULL)
        return converters[f->type](f, v, a, out, message);
    return refuse(a, message, "%s的类型无效", label_of(f));
}

/* Stored text that is not what jg_value_from_json writes (a column edited by hand) comes back as
 * JSON null rather than as a guess. */
static json_t *or_null(json_t *j)
{
    return j != NULL ? j : json_null();
}

static json_t *geo_json(const char *s)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end != ',')
        return NULL;
    const char *p = end + 1;
    double y = strtod(p, &end);
    if (end == p || *end != '\0')
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "lng", json_real(x));
    json_object_set_new(o, "lat", json_real(y));
    return o;
}

json_t *jg_value_to_json(const jg_field *f, const jg_rows *rows, int row, int col)
{
    if (jg_rows_type(rows, row, col) == JG_V_NULL)
        return json_null();
    const char *s = jg_rows_text(rows, row, col);
    switch (f->type) {
    case JG_FIELD_INTEGER:
    case JG_FIELD_REF:
    case JG_FIELD_ENTERPRISE:
    case JG_FIELD_PERSON:
        return json_integer(jg_rows_int(rows, row, col));
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY: {
        char buf[48];
        format_scaled(jg_rows_int(rows, row, col), scale_of(f), buf, sizeof(buf));
        return json_string(buf);
    }
    case JG_FIELD_BOOLEAN:
        return json_boolean(jg_rows_int(rows, row, col) != 0);
    case JG_FIELD_FILES: {
        json_t *j = json_loads(s, 0, NULL);
        if (j != NULL && !json_is_array(j)) {
            json_decref(j);
            j = NULL;
        }
        return or_null(j);
    }
    case JG_FIELD_GEO:
        return or_null(geo_json(s));
    case JG_FIELD_JSON:
        return or_null(json_loads(s, JSON_DECODE_ANY, NULL));
    default:
        return or_null(json_string(s));
    }
}

const char *jg_value_sql_type(const jg_field *f)
{
    switch (f->type) {
    case JG_FIELD_INTEGER:
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY:
    case JG_FIELD_REF:
    case JG_FIELD_ENTERPRISE:
    case JG_FIELD_PERSON:
        return "{{bigint}}";
    case JG_FIELD_BOOLEAN:
        return "INTEGER";
    default:
        return "TEXT";
    }
}
