/* The "tally" of a definition (tally.h): checking it when a definition loads, the columns of its
 * table, and the by= / month= parameters of the tally API. Pure: no database. */
#include "engine/entity/tally.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static jg_rc fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static jg_rc fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return JG_INVALID;
}

static int groupable(const jg_field *f)
{
    return f->type == JG_FIELD_ENUM || f->type == JG_FIELD_REGION || f->type == JG_FIELD_BOOLEAN;
}

jg_rc jg_tally_check(json_t *doc, const jg_entity *e, char *err, size_t errlen)
{
    json_t *t = json_object_get(doc, "tally");
    if (t == NULL)
        return JG_OK;
    if (!json_is_object(t))
        return fail(err, errlen, "tally: must be an object {\"by\": [...], \"month\": \"...\"}");
    const char *key;
    json_t *v;
    json_object_foreach(t, key, v)
    {
        if (strcmp(key, "by") != 0 && strcmp(key, "month") != 0 &&
            !(strcmp(key, "comment") == 0 && json_is_string(v)))
            return fail(err, errlen, "tally.%s: unknown key (by, month)", key);
    }
    json_t *by = json_object_get(t, "by");
    if (!json_is_array(by) || json_array_size(by) == 0 || json_array_size(by) > JG_TALLY_MAX_DECLARED)
        return fail(err, errlen, "tally.by: must be an array of 1..%d field names", JG_TALLY_MAX_DECLARED);
    size_t i;
    json_array_foreach(by, i, v)
    {
        const char *name = json_string_value(v);
        if (name == NULL)
            return fail(err, errlen, "tally.by[%zu]: must be a field name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(by, j)), name) == 0)
                return fail(err, errlen, "tally.by[%zu]: \"%s\" is named twice", i, name);
        if (strcmp(name, "state") == 0)
            continue;
        const jg_field *f = jg_entity_field(e, name);
        if (f == NULL)
            return fail(err, errlen, "tally.by[%zu]: \"%s\" is not a field of %s", i, name, e->name);
        if (!groupable(f))
            return fail(err, errlen,
                        "tally.by[%zu]: \"%s\" is a %s field: only enum, region and boolean fields "
                        "(and state) are counted",
                        i, name, jg_field_type_name(f->type));
        if (f->data_class >= JG_CLASS_SENSITIVE)
            return fail(err, errlen, "tally.by[%zu]: \"%s\" is sealed (sensitive or secret)", i, name);
    }
    json_t *month = json_object_get(t, "month");
    if (month != NULL) {
        const char *m = json_string_value(month);
        const jg_field *f = m != NULL ? jg_entity_field(e, m) : NULL;
        if (m == NULL || (strcmp(m, JG_TALLY_CREATED_AT) != 0 && (f == NULL || f->type != JG_FIELD_DATE)))
            return fail(err, errlen, "tally.month: must name a date field or \"created_at\"");
    }
    for (int c = 0; c < e->nchildren; c++)
        if (strcmp(e->children[c].name, "tally") == 0)
            return fail(err, errlen, "tally: a child table called \"tally\" would clash with the table %s%s",
                        e->table, JG_TALLY_SUFFIX);
    return JG_OK;
}

static void add_col(jg_tally_spec *s, const char *name, const jg_field *f)
{
    for (int i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i], name) == 0)
            return;
    if (s->ncols < JG_TALLY_MAX_COLS) {
        s->cols[s->ncols] = name;
        s->fields[s->ncols++] = f;
    }
}

jg_rc jg_tally_spec_of(const jg_entity *e, jg_tally_spec *out)
{
    memset(out, 0, sizeof(*out));
    json_t *t = e->parent == NULL ? json_object_get(e->doc, "tally") : NULL;
    if (!json_is_object(t))
        return JG_NOTFOUND;
    /* The scope's region field leads the unique key, so that a region's scope (a range of codes, or one)
     * reads only its own rows of the table. */
    if (e->scope_org != NULL)
        add_col(out, e->scope_org, jg_entity_field(e, e->scope_org));
    add_col(out, "state", NULL);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, "by"), i, v)
    {
        const jg_field *f = jg_entity_field(e, json_string_value(v));
        if (f != NULL)
            add_col(out, f->name, f);
    }
    const char *m = json_string_value(json_object_get(t, "month"));
    const jg_field *mf = m != NULL ? jg_entity_field(e, m) : NULL;
    out->month = mf != NULL ? mf->name : m != NULL ? JG_TALLY_CREATED_AT : NULL;
    return JG_OK;
}

int jg_tally_col(const jg_tally_spec *spec, const char *name)
{
    for (int i = 0; spec != NULL && name != NULL && i < spec->ncols; i++)
        if (strcmp(spec->cols[i], name) == 0)
            return i;
    return -1;
}

/* ---- request parameters ---- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "YYYY-MM" of n bytes at s into out (8 bytes): 1 when it is a month of the years 1900..2999. */
static int month_of(const char *s, size_t n, char out[8])
{
    if (n != 7 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2))
        return 0;
    int mm = (s[5] - '0') * 10 + (s[6] - '0');
    if (mm < 1 || mm > 12 || s[0] < '1' || s[0] > '2')
        return 0;
    memcpy(out, s, 7);
    out[7] = '\0';
    return 1;
}

static jg_rc parse_month(const char *month, jg_tally_query *q)
{
    q->from[0] = q->to[0] = '\0';
    if (month == NULL || month[0] == '\0')
        return JG_OK;
    const char *dots = strstr(month, "..");
    if (dots == NULL) {
        if (!month_of(month, strlen(month), q->from))
            return JG_INVALID;
        memcpy(q->to, q->from, sizeof(q->to));
        return JG_OK;
    }
    size_t nfrom = (size_t)(dots - month), nto = strlen(dots + 2);
    if (nfrom == 0 && nto == 0)
        return JG_INVALID;
    if (nfrom > 0 && !month_of(month, nfrom, q->from))
        return JG_INVALID;
    if (nto > 0 && !month_of(dots + 2, nto, q->to))
        return JG_INVALID;
    if (q->from[0] != '\0' && q->to[0] != '\0' && strcmp(q->from, q->to) > 0)
        return JG_INVALID;
    return JG_OK;
}

/* One item of by= (n bytes at s) into d. */
static jg_rc parse_dim(const jg_entity *e, const jg_tally_spec *spec, const char *s, size_t n,
                       jg_tally_dim *d, char *msg, size_t msglen)
{
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon != NULL ? (size_t)(colon - s) : n;
    char name[JG_ENTITY_NAME_MAX + 1];
    if (name_len == 0 || name_len > JG_ENTITY_NAME_MAX)
        return fail(msg, msglen, "统计维度不正确");
    memcpy(name, s, name_len);
    name[name_len] = '\0';
    memset(d, 0, sizeof(*d));
    if (strcmp(name, "state") == 0) {
        d->name = "state";
    } else if (strcmp(name, "month") == 0) {
        if (spec == NULL || spec->month == NULL)
            return fail(msg, msglen, "此类记录没有设置统计月份，不能按月统计");
        d->name = "month";
    } else {
        const jg_field *f = jg_entity_field(e, name);
        if (f == NULL || !groupable(f) || f->data_class >= JG_CLASS_SENSITIVE)
            return fail(msg, msglen, "不能按“%s”统计：只能按状态、月份或字典、地区、是否类字段统计",
                        jg_entity_ident_ok(name, JG_ENTITY_NAME_MAX) ? name : "?");
        d->name = f->name;
        d->field = f;
    }
    if (colon == NULL)
        return JG_OK;
    const char *lv = colon + 1;
    size_t lvn = n - name_len - 1;
    if (d->field == NULL || d->field->type != JG_FIELD_REGION)
        return fail(msg, msglen, "只有地区字段可以指定统计级别（如 org_code:city）");
    if (lvn == 6 && memcmp(lv, "county", 6) == 0)
        d->level = JG_TALLY_COUNTY;
    else if (lvn == 4 && memcmp(lv, "city", 4) == 0)
        d->level = JG_TALLY_CITY;
    else if (lvn == 8 && memcmp(lv, "province", 8) == 0)
        d->level = JG_TALLY_PROVINCE;
    else
        return fail(msg, msglen, "地区统计级别只能是 county、city 或 province");
    return JG_OK;
}

jg_rc jg_tally_parse(const jg_entity *e, const jg_tally_spec *spec, const char *by, const char *month,
                     jg_tally_query *q, const char **param, char *msg, size_t msglen)
{
    memset(q, 0, sizeof(*q));
    *param = "by";
    if (by == NULL || by[0] == '\0')
        return fail(msg, msglen, "请指定统计维度（by）");
    const char *s = by;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);
        if (q->nby == JG_TALLY_MAX_BY)
            return fail(msg, msglen, "统计维度最多 %d 个", JG_TALLY_MAX_BY);
        jg_rc rc = parse_dim(e, spec, s, n, &q->by[q->nby], msg, msglen);
        if (rc != JG_OK)
            return rc;
        for (int i = 0; i < q->nby; i++)
            if (strcmp(q->by[i].name, q->by[q->nby].name) == 0)
                return fail(msg, msglen, "统计维度“%s”重复", q->by[i].name);
        q->nby++;
        if (comma == NULL)
            break;
        s = comma + 1;
    }
    *param = "month";
    if (month != NULL && month[0] != '\0' && (spec == NULL || spec->month == NULL))
        return fail(msg, msglen, "此类记录没有设置统计月份，不能按月份筛选");
    if (parse_month(month, q) != JG_OK)
        return fail(msg, msglen, "月份范围应为 2026-01..2026-12 或 2026-03 的形式");
    *param = "";
    return JG_OK;
}

/* ---- which filters the table serves ---- */

static int served(const jg_tally_spec *spec, json_t *f, int depth)
{
    if (!json_is_object(f) || depth > 8)
        return 0;
    json_t *list = json_object_get(f, "and");
    if (list == NULL)
        list = json_object_get(f, "or");
    if (list != NULL) {
        if (!json_is_array(list) || json_object_size(f) != 1)
            return 0;
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            if (!served(spec, v, depth + 1))
                return 0;
        }
        return 1;
    }
    const char *field = json_string_value(json_object_get(f, "field"));
    const char *op = json_string_value(json_object_get(f, "op"));
    if (field == NULL || op == NULL || jg_tally_col(spec, field) < 0)
        return 0;
    return strcmp(op, "eq") == 0 || strcmp(op, "in") == 0;
}

int jg_tally_filter_served(const jg_tally_spec *spec, json_t *filter)
{
    return filter == NULL || json_is_null(filter) || served(spec, filter, 0);
}
