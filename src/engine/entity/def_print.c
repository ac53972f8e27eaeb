/* Print templates of an entity definition ("print": [...], docs/entities.md): their shape is checked
 * here at load time, and the print engine (records_print.c) reads them from e->doc.
 *
 *   {"name": "receipt", "label": "项目报监回执", "title": "建设工程质量安全监督报监回执",
 *    "states": ["submitted", "registered"], "subject": "project_name",
 *    "body": [{"heading": "工程概况", "columns": 2, "fields": ["project_name", "cost"]},
 *             {"heading": "单体", "child": "units", "fields": ["unit_name", "area"]},
 *             {"text": "经审查，……"},
 *             {"signature": ["监督机构（盖章）", "日期"]}]} */
#include "engine/entity/def_int.h"
#include "engine/entity/print.h"

#include <string.h>

#define MAX_PRINTS 20
#define MAX_BLOCKS 50
#define MAX_SIGNATURE 4
#define TITLE_MAX 60
#define HEADING_MAX 50
#define TEXT_MAX 2000
#define SIGN_MAX 30

int jg_print_printable(const jg_entity *e, const char *name)
{
    if (name == NULL)
        return 0;
    if (e->parent == NULL &&
        (strcmp(name, "id") == 0 || strcmp(name, "state") == 0 || strcmp(name, "created_at") == 0))
        return 1;
    const jg_field *f = jg_entity_field(e, name);
    return f != NULL && f->data_class != JG_CLASS_SECRET && f->type != JG_FIELD_JSON &&
           f->type != JG_FIELD_FILES;
}

/* A non-empty array of at most max names, each printable of e and not repeated. */
static jg_rc names(jg_defctx *c, const char *path, json_t *obj, const char *key, const jg_entity *e,
                   size_t max)
{
    json_t *a = json_object_get(obj, key);
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max)
        return jg_def_fail(c, path, key, "must be an array of 1-%zu field names", max);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *n = json_string_value(json_array_get(a, i));
        if (!jg_print_printable(e, n))
            return jg_def_fail(c, path, key,
                               "item %zu: not a field of %s that can be printed (secret, json and "
                               "files fields cannot)",
                               i, e->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(a, j)), n) == 0)
                return jg_def_fail(c, path, key, "item %zu: \"%s\" is named twice", i, n);
    }
    return JG_OK;
}

static const char *const grid_keys[] = {"heading", "fields", "columns", NULL};
static const char *const table_keys[] = {"heading", "child", "fields", NULL};
static const char *const text_keys[] = {"heading", "text", NULL};
static const char *const sign_keys[] = {"signature", NULL};

static jg_rc block(jg_defctx *c, const char *path, json_t *b, const jg_entity *e)
{
    if (!json_is_object(b))
        return jg_def_fail(c, path, "", "a block must be an object, not %s", jg_def_kind(b));
    const char *s;
    jg_rc rc = jg_def_text(c, path, b, "heading", HEADING_MAX, 0, &s);
    if (rc != JG_OK)
        return rc;
    if (json_object_get(b, "signature") != NULL) {
        rc = jg_def_keys(c, path, b, sign_keys);
        json_t *a = json_object_get(b, "signature");
        if (rc == JG_OK &&
            (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > MAX_SIGNATURE))
            rc = jg_def_fail(c, path, "signature", "must be an array of 1-%d texts", MAX_SIGNATURE);
        for (size_t i = 0; rc == JG_OK && i < json_array_size(a); i++) {
            char ip[96];
            jg_def_path(ip, sizeof(ip), path, "signature", (int)i);
            json_t *wrap = json_pack("{s:O}", "text", json_array_get(a, i));
            rc = jg_def_text(c, ip, wrap, "text", SIGN_MAX, 1, &s);
            json_decref(wrap);
        }
        return rc;
    }
    if (json_object_get(b, "text") != NULL) {
        rc = jg_def_keys(c, path, b, text_keys);
        return rc == JG_OK ? jg_def_text(c, path, b, "text", TEXT_MAX, 1, &s) : rc;
    }
    if (json_object_get(b, "child") != NULL) {
        rc = jg_def_keys(c, path, b, table_keys);
        const char *child = json_string_value(json_object_get(b, "child"));
        const jg_entity *ch = NULL;
        for (int i = 0; child != NULL && i < e->nchildren; i++)
            if (strcmp(e->children[i].name, child) == 0)
                ch = &e->children[i];
        if (rc == JG_OK && ch == NULL)
            rc = jg_def_fail(c, path, "child", "not a child table of %s", e->name);
        return rc == JG_OK ? names(c, path, b, "fields", ch, 12) : rc;
    }
    if (json_object_get(b, "fields") == NULL)
        return jg_def_fail(c, path, "", "a block has \"fields\", \"child\", \"text\" or \"signature\"");
    rc = jg_def_keys(c, path, b, grid_keys);
    int present;
    int64_t cols;
    if (rc == JG_OK)
        rc = jg_def_opt_int(c, path, b, "columns", 1, 3, &present, &cols);
    return rc == JG_OK ? names(c, path, b, "fields", e, JG_DEF_MAX_FIELDS) : rc;
}

static const char *const template_keys[] = {"name", "label", "title", "states", "subject", "body", NULL};

static jg_rc one(jg_defctx *c, const char *pp, json_t *t, const jg_entity *e)
{
    if (!json_is_object(t))
        return jg_def_fail(c, pp, "", "a print template must be an object, not %s", jg_def_kind(t));
    const char *name, *label, *title, *subject;
    jg_rc rc = jg_def_keys(c, pp, t, template_keys);
    if (rc == JG_OK)
        rc = jg_def_req_string(c, pp, t, "name", &name);
    if (rc == JG_OK && !jg_def_name_ok(name))
        rc = jg_def_fail(c, pp, "name", "\"%.60s\" must be 1-40 of a-z, 0-9 and _", name);
    if (rc == JG_OK)
        rc = jg_def_label(c, pp, t, &label);
    if (rc == JG_OK)
        rc = jg_def_text(c, pp, t, "title", TITLE_MAX, 1, &title);
    if (rc == JG_OK)
        rc = jg_def_opt_string(c, pp, t, "subject", &subject);
    if (rc == JG_OK && subject != NULL &&
        (!jg_print_printable(e, subject) || jg_entity_field(e, subject) == NULL))
        rc = jg_def_fail(c, pp, "subject", "\"%.60s\" is not a field of %s that can be printed", subject,
                         e->name);
    json_t *states = json_object_get(t, "states");
    if (rc == JG_OK && states != NULL && (!json_is_array(states) || json_array_size(states) == 0))
        rc = jg_def_fail(c, pp, "states", "must be a non-empty array of state names");
    for (size_t i = 0; rc == JG_OK && i < json_array_size(states); i++) {
        const char *s = json_string_value(json_array_get(states, i));
        int found = 0;
        for (int k = 0; s != NULL && k < e->nstates; k++)
            found |= strcmp(e->states[k].name, s) == 0;
        if (!found)
            rc = jg_def_fail(c, pp, "states", "item %zu: not a state of %s", i, e->name);
    }
    json_t *body = json_object_get(t, "body");
    if (rc == JG_OK &&
        (!json_is_array(body) || json_array_size(body) == 0 || json_array_size(body) > MAX_BLOCKS))
        rc = jg_def_fail(c, pp, "body", "must be an array of 1-%d blocks", MAX_BLOCKS);
    for (size_t i = 0; rc == JG_OK && i < json_array_size(body); i++) {
        char bp[96];
        jg_def_path(bp, sizeof(bp), pp, "body", (int)i);
        rc = block(c, bp, json_array_get(body, i), e);
    }
    return rc;
}

jg_rc jg_def_print(jg_defctx *c, json_t *doc, const jg_entity *e)
{
    json_t *pj = json_object_get(doc, "print");
    if (pj == NULL)
        return JG_OK;
    if (!json_is_array(pj) || json_array_size(pj) > MAX_PRINTS)
        return jg_def_fail(c, "", "print", "must be an array of at most %d print templates", MAX_PRINTS);
    char pp[64];
    for (size_t i = 0; i < json_array_size(pj); i++) {
        jg_def_path(pp, sizeof(pp), "", "print", (int)i);
        jg_rc rc = one(c, pp, json_array_get(pj, i), e);
        if (rc != JG_OK)
            return rc;
        const char *name = json_string_value(json_object_get(json_array_get(pj, i), "name"));
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(pj, j), "name")), name) == 0)
                return jg_def_fail(c, pp, "name", "\"%s\" is already the name of print[%zu]", name, j);
    }
    return JG_OK;
}
