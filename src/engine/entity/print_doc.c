/* A record through a print template (print.h): the values a print signs, and the document blocks
 * with every value written as people read it on paper. */
#include "engine/entity/print.h"

#include "base/buf.h"
#include "platform/dict.h"

#include <stdio.h>
#include <string.h>

json_t *jg_print_template(const jg_entity *e, const char *name)
{
    json_t *all = json_object_get(e->doc, "print");
    for (size_t i = 0; name != NULL && i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);
        if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0)
            return t;
    }
    return NULL;
}

int jg_print_state_ok(json_t *t, const char *state)
{
    json_t *states = json_object_get(t, "states");
    if (states == NULL)
        return 1;
    for (size_t i = 0; state != NULL && i < json_array_size(states); i++)
        if (strcmp(json_string_value(json_array_get(states, i)), state) == 0)
            return 1;
    return 0;
}

static const jg_entity *child_named(const jg_entity *e, const char *name)
{
    for (int i = 0; name != NULL && i < e->nchildren; i++)
        if (strcmp(e->children[i].name, name) == 0)
            return &e->children[i];
    return NULL;
}

json_t *jg_print_values(json_t *t, json_t *rec)
{
    json_t *out = json_object(), *body = json_object_get(t, "body");
    size_t i, j;
    json_t *b, *name;
    json_array_foreach(body, i, b)
    {
        json_t *fields = json_object_get(b, "fields");
        const char *child = json_string_value(json_object_get(b, "child"));
        if (child == NULL) {
            json_array_foreach(fields, j, name)
            {
                json_t *v = json_object_get(rec, json_string_value(name));
                json_object_set(out, json_string_value(name), v != NULL ? v : json_null());
            }
            continue;
        }
        json_t *rows = json_object_get(out, child);
        json_t *src = json_object_get(rec, child);
        if (rows == NULL) {
            rows = json_array();
            for (size_t r = 0; r < json_array_size(src); r++)
                json_array_append_new(rows, json_object());
            json_object_set_new(out, child, rows);
        }
        for (size_t r = 0; r < json_array_size(src); r++) /* the union of the columns printed */
            json_array_foreach(fields, j, name)
            {
                json_t *v = json_object_get(json_array_get(src, r), json_string_value(name));
                json_object_set(json_array_get(rows, r), json_string_value(name),
                                v != NULL ? v : json_null());
            }
    }
    return out;
}

/* The name of the row with key in table (org by code, enterprise or person by id), or NULL. */
static const char *name_of(jg_conn *c, const char *sql, jg_value key, jg_arena *a)
{
    jg_rows *r;
    if (jg_db_query(c, sql, &key, 1, &r) != JG_OK)
        return NULL;
    const char *s = jg_rows_count(r) == 1 && jg_rows_text(r, 0, 0) != NULL
                        ? jg_arena_strdup(a, jg_rows_text(r, 0, 0))
                        : NULL;
    jg_rows_free(r);
    return s;
}

static const char *state_label(const jg_entity *e, const char *state)
{
    for (int i = 0; state != NULL && i < e->nstates; i++)
        if (strcmp(e->states[i].name, state) == 0)
            return e->states[i].label;
    return state != NULL ? state : "";
}

/* Field (or system column) name of e as people read it: its label. */
static const char *label_of(const jg_entity *e, const char *name)
{
    const jg_field *f = jg_entity_field(e, name);
    if (f != NULL)
        return f->label;
    return strcmp(name, "id") == 0 ? "编号" : strcmp(name, "state") == 0 ? "状态" : "创建时间";
}

/* Value v of name of e as people read it on paper. */
static const char *shown(jg_conn *c, const jg_entity *e, const char *name, json_t *v, jg_arena *a)
{
    char buf[256];
    const jg_field *f = jg_entity_field(e, name);
    const char *s = json_string_value(v), *got = NULL;
    if (v == NULL || json_is_null(v))
        return "";
    if (f == NULL) { /* system columns */
        if (strcmp(name, "state") == 0)
            return state_label(e, s);
        if (strcmp(name, "id") == 0)
            return jg_arena_printf(a, "%lld", (long long)json_integer_value(v));
        jg_print_datetime(s != NULL ? s : "", buf, sizeof(buf));
        return jg_arena_strdup(a, buf);
    }
    if (f->data_class >= JG_CLASS_SENSITIVE) /* masked already */
        return s != NULL ? s : "";
    switch (f->type) {
    case JG_FIELD_MONEY:
        jg_print_money(s != NULL ? s : "", buf, sizeof(buf));
        return jg_arena_strdup(a, buf);
    case JG_FIELD_DECIMAL:
        jg_print_grouped(s != NULL ? s : "", buf, sizeof(buf));
        return jg_arena_strdup(a, buf);
    case JG_FIELD_INTEGER:
        return jg_arena_printf(a, "%lld", (long long)json_integer_value(v));
    case JG_FIELD_BOOLEAN:
        return json_is_true(v) ? "是" : "否";
    case JG_FIELD_DATE:
        jg_print_date(s != NULL ? s : "", buf, sizeof(buf));
        return jg_arena_strdup(a, buf);
    case JG_FIELD_DATETIME:
        jg_print_datetime(s != NULL ? s : "", buf, sizeof(buf));
        return jg_arena_strdup(a, buf);
    case JG_FIELD_ENUM:
        if (s != NULL && jg_dict_label(c, f->dict, s, a, &got) == JG_OK)
            return got;
        return s != NULL ? s : "";
    case JG_FIELD_REGION:
        got = s != NULL ? name_of(c, "SELECT name FROM org WHERE code = $1", JG_VTEXT(s), a) : NULL;
        return got != NULL ? got : s != NULL ? s : "";
    case JG_FIELD_ENTERPRISE:
    case JG_FIELD_PERSON:
        got = name_of(c,
                      f->type == JG_FIELD_ENTERPRISE ? "SELECT name FROM enterprise WHERE id = $1"
                                                     : "SELECT name FROM person WHERE id = $1",
                      JG_VINT(json_integer_value(v)), a);
        return got != NULL ? got : jg_arena_printf(a, "%lld", (long long)json_integer_value(v));
    case JG_FIELD_REF:
        return jg_arena_printf(a, "编号 %lld", (long long)json_integer_value(v));
    case JG_FIELD_GEO:
        return jg_arena_printf(a, "经度 %.6f，纬度 %.6f", json_number_value(json_object_get(v, "lng")),
                               json_number_value(json_object_get(v, "lat")));
    default:
        return s != NULL ? s : "";
    }
}

static void table_block(jg_conn *c, const jg_entity *ch, json_t *b, json_t *rows, jg_arena *a,
                        jg_pdf_block *out)
{
    json_t *fields = json_object_get(b, "fields");
    int cols = (int)json_array_size(fields), n = (int)json_array_size(rows);
    const char **labels = jg_arena_alloc(a, sizeof(char *) * (size_t)cols);
    const char **cells = jg_arena_alloc(a, sizeof(char *) * (size_t)(cols * (n > 0 ? n : 1)));
    for (int k = 0; k < cols; k++)
        labels[k] = label_of(ch, json_string_value(json_array_get(fields, (size_t)k)));
    for (int r = 0; r < n; r++)
        for (int k = 0; k < cols; k++) {
            const char *name = json_string_value(json_array_get(fields, (size_t)k));
            cells[r * cols + k] =
                shown(c, ch, name, json_object_get(json_array_get(rows, (size_t)r), name), a);
        }
    out->kind = JG_PDF_TABLE;
    out->columns = cols;
    out->labels = labels;
    out->values = cells;
    out->nitems = n;
}

jg_rc jg_print_blocks(jg_conn *c, const jg_entity *e, json_t *t, json_t *rec, jg_arena *a,
                      jg_pdf_block **blocks, int *n)
{
    json_t *body = json_object_get(t, "body");
    *n = (int)json_array_size(body);
    *blocks = jg_arena_zalloc(a, sizeof(jg_pdf_block) * (size_t)(*n > 0 ? *n : 1));
    for (int i = 0; i < *n; i++) {
        json_t *b = json_array_get(body, (size_t)i), *fields = json_object_get(b, "fields");
        jg_pdf_block *out = &(*blocks)[i];
        out->heading = json_string_value(json_object_get(b, "heading"));
        if (json_object_get(b, "signature") != NULL) {
            json_t *sig = json_object_get(b, "signature");
            const char **labels = jg_arena_alloc(a, sizeof(char *) * json_array_size(sig));
            for (size_t k = 0; k < json_array_size(sig); k++)
                labels[k] = json_string_value(json_array_get(sig, k));
            *out = (jg_pdf_block){
                .kind = JG_PDF_SIGNATURE, .labels = labels, .nitems = (int)json_array_size(sig)};
        } else if (json_object_get(b, "text") != NULL) {
            out->kind = JG_PDF_TEXT;
            out->text = json_string_value(json_object_get(b, "text"));
        } else if (json_object_get(b, "child") != NULL) {
            const char *child = json_string_value(json_object_get(b, "child"));
            table_block(c, child_named(e, child), b, json_object_get(rec, child), a, out);
        } else {
            int m = (int)json_array_size(fields);
            const char **labels = jg_arena_alloc(a, sizeof(char *) * (size_t)m);
            const char **values = jg_arena_alloc(a, sizeof(char *) * (size_t)m);
            for (int k = 0; k < m; k++) {
                const char *name = json_string_value(json_array_get(fields, (size_t)k));
                labels[k] = label_of(e, name);
                values[k] = shown(c, e, name, json_object_get(rec, name), a);
            }
            json_t *cols = json_object_get(b, "columns");
            out->kind = JG_PDF_GRID;
            out->columns = cols != NULL ? (int)json_integer_value(cols) : 2;
            out->labels = labels;
            out->values = values;
            out->nitems = m;
        }
    }
    return JG_OK;
}

const char *jg_print_subject(jg_conn *c, const jg_entity *e, json_t *t, json_t *rec, jg_arena *a)
{
    const char *subject = json_string_value(json_object_get(t, "subject"));
    if (subject != NULL)
        return jg_arena_strdup(a, shown(c, e, subject, json_object_get(rec, subject), a)); /* outlives rec */
    return jg_arena_printf(a, "%s %lld", e->label, (long long)json_integer_value(json_object_get(rec, "id")));
}
