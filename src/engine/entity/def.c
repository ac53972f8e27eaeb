/* Entity definitions: parse and check defs/<subsystem>/<entity>.json (format: docs/entities.md),
 * and sets of them. Fields are def_field.c; the checking of keys and names def_check.c.
 *
 * Everything a definition names becomes SQL identifiers (tables e_<entity>, e_<entity>__<child>,
 * one column per field), so names are checked here once and strictly; nothing else in the engine
 * takes a table or column name from anywhere but a loaded definition. */
#include "engine/entity/def_int.h"

#include "base/mem.h"
#include "engine/entity/tally.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHILDREN 20
#define MAX_STATES 30
#define MAX_SECTIONS 50
#define MAX_LIST_COLUMNS 50
#define MAX_INDEXES 10
#define MAX_IDENT 63 /* PostgreSQL's identifier limit: longer names would be cut silently */

/* ---- the rest of an entity ---- */

static jg_rc load_table_start(jg_defctx *c, const char *path, json_t *obj, jg_entity *e)
{
    jg_rc rc = jg_def_req_string(c, path, obj, "name", &e->name);
    if (rc == JG_OK)
        rc = jg_def_name(c, path, "name", e->name, e->parent != NULL ? "child name" : "entity name");
    if (rc == JG_OK)
        rc = jg_def_label(c, path, obj, &e->label);
    if (rc == JG_OK)
        rc = jg_def_help(c, path, obj, &e->help);
    if (rc != JG_OK)
        return rc;
    if (e->parent == NULL)
        e->table = jg_arena_printf(c->a, "e_%s", e->name);
    else
        e->table = jg_arena_printf(c->a, "e_%s__%s", e->parent->name, e->name);
    if (strlen(e->table) > MAX_IDENT)
        return jg_def_fail(c, path, "name", "table name %s is longer than %d bytes: shorten the names",
                           e->table, MAX_IDENT);
    return jg_def_fields(c, path, obj, e);
}

static const char *const child_keys[] = {"name", "label", "help", "fields", NULL};

static jg_rc load_children(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *ca = json_object_get(doc, "children");
    if (ca == NULL)
        return JG_OK;
    if (!json_is_array(ca) || json_array_size(ca) > MAX_CHILDREN)
        return jg_def_fail(c, "", "children", "must be an array of at most %d child tables", MAX_CHILDREN);
    e->nchildren = (int)json_array_size(ca);
    e->children = jg_arena_zalloc(c->a, sizeof(jg_entity) * (size_t)(e->nchildren ? e->nchildren : 1));
    char cp[64];
    for (int i = 0; i < e->nchildren; i++) {
        json_t *cj = json_array_get(ca, (size_t)i);
        jg_entity *ch = &e->children[i];
        ch->parent = e;
        ch->version = e->version;
        jg_def_path(cp, sizeof(cp), "", "children", i);
        if (!json_is_object(cj))
            return jg_def_fail(c, cp, "", "a child table must be an object, not %s", jg_def_kind(cj));
        ch->doc = json_incref(cj);
        if (json_object_get(cj, "children") != NULL)
            return jg_def_fail(c, cp, "children", "child tables have no children of their own");
        jg_rc rc = jg_def_keys(c, cp, cj, child_keys);
        if (rc == JG_OK)
            rc = load_table_start(c, cp, cj, ch);
        if (rc != JG_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(e->children[j].name, ch->name) == 0)
                return jg_def_fail(c, cp, "name", "\"%s\" is already the name of children[%d]", ch->name, j);
        /* Records carry their child rows under the child's name, beside the fields. */
        if (jg_entity_field(e, ch->name) != NULL)
            return jg_def_fail(c, cp, "name", "\"%s\" is already the name of a field", ch->name);
    }
    return JG_OK;
}

static const char *const state_keys[] = {"name", "label", "readonly", NULL};

static jg_rc load_states(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *sa = json_object_get(doc, "states");
    if (sa != NULL && (!json_is_array(sa) || json_array_size(sa) == 0 || json_array_size(sa) > MAX_STATES))
        return jg_def_fail(c, "", "states", "must be an array of 1-%d states", MAX_STATES);
    int n = sa != NULL ? (int)json_array_size(sa) : 1;
    e->states = jg_arena_zalloc(c->a, sizeof(jg_state) * (size_t)(n + 1));
    if (sa == NULL) {
        e->states[0] = (jg_state){"active", "有效", 0};
    }
    char sp[64];
    for (int i = 0; sa != NULL && i < n; i++) {
        json_t *sj = json_array_get(sa, (size_t)i);
        jg_state *s = &e->states[i];
        jg_def_path(sp, sizeof(sp), "", "states", i);
        if (!json_is_object(sj))
            return jg_def_fail(c, sp, "", "a state must be an object, not %s", jg_def_kind(sj));
        jg_rc rc = jg_def_keys(c, sp, sj, state_keys);
        if (rc == JG_OK)
            rc = jg_def_req_string(c, sp, sj, "name", &s->name);
        if (rc == JG_OK && !jg_def_name_ok(s->name))
            rc = jg_def_fail(c, sp, "name",
                             "state \"%.60s\" must be 1-40 of a-z, 0-9 and _, starting with a letter",
                             s->name);
        if (rc == JG_OK && strcmp(s->name, "deleted") == 0)
            rc = jg_def_fail(c, sp, "name", "\"deleted\" is reserved: every entity has it, added last");
        if (rc == JG_OK)
            rc = jg_def_label(c, sp, sj, &s->label);
        if (rc == JG_OK)
            rc = jg_def_opt_bool(c, sp, sj, "readonly", &s->readonly);
        if (rc != JG_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(e->states[j].name, s->name) == 0)
                return jg_def_fail(c, sp, "name", "\"%s\" is already the name of states[%d]", s->name, j);
    }
    e->states[n] = (jg_state){"deleted", "已删除", 1};
    e->nstates = n + 1;
    return JG_OK;
}

static const char *const scope_keys[] = {"org", "enterprise", "project", NULL};

/* The optional object doc.key with its keys checked: *out is NULL when it is absent. */
static jg_rc opt_object(jg_defctx *c, json_t *doc, const char *key, const char *const *keys, json_t **out)
{
    *out = json_object_get(doc, key);
    if (*out == NULL)
        return JG_OK;
    if (!json_is_object(*out))
        return jg_def_fail(c, "", key, "must be an object, not %s", jg_def_kind(*out));
    return jg_def_keys(c, key, *out, keys);
}

static jg_rc load_scope(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *sj;
    jg_rc rc = opt_object(c, doc, "scope", scope_keys, &sj);
    if (sj == NULL)
        return rc;
    const char **outs[3] = {&e->scope_org, &e->scope_enterprise, &e->scope_project};
    for (int i = 0; rc == JG_OK && i < 3; i++) {
        rc = jg_def_opt_string(c, "scope", sj, scope_keys[i], outs[i]);
        if (rc != JG_OK || *outs[i] == NULL)
            continue;
        const jg_field *f = jg_entity_field(e, *outs[i]);
        if (f == NULL)
            return jg_def_fail(c, "scope", scope_keys[i], "no field \"%.60s\"", *outs[i]);
        int ok = i == 0   ? f->type == JG_FIELD_REGION
                 : i == 1 ? f->type == JG_FIELD_ENTERPRISE
                          : f->type == JG_FIELD_REF || f->type == JG_FIELD_INTEGER;
        if (!ok)
            return jg_def_fail(c, "scope", scope_keys[i], "field \"%s\" is of type %s; %s", f->name,
                               jg_field_type_name(f->type),
                               i == 0   ? "the org scope needs a region field"
                               : i == 1 ? "the enterprise scope needs an enterprise field"
                                        : "the project scope needs a ref or integer field");
    }
    return rc;
}

static const char *const perm_keys[] = {"read", "create", "update", "delete", "reveal", NULL};

/* <area>.<action>[.<more>]: lower-case words joined by dots, as in defs/platform/roles.json. */
static int perm_code_ok(const char *s)
{
    size_t n = strlen(s);
    int dots = 0;
    if (n == 0 || n > 80 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (s[i + 1] < 'a' || s[i + 1] > 'z')
                return 0;
            dots++;
        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) {
            return 0;
        }
    }
    return dots >= 1;
}

static jg_rc load_permissions(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *pj;
    jg_rc rc = opt_object(c, doc, "permissions", perm_keys, &pj);
    if (rc != JG_OK)
        return rc;
    const char **outs[5] = {&e->perm_read, &e->perm_create, &e->perm_update, &e->perm_delete,
                            &e->perm_reveal};
    for (int i = 0; i < 5; i++) {
        rc = jg_def_opt_string(c, "permissions", pj, perm_keys[i], outs[i]);
        if (rc != JG_OK)
            return rc;
        if (*outs[i] == NULL)
            *outs[i] = jg_arena_printf(c->a, "%s.%s", e->name, perm_keys[i]);
        else if (!perm_code_ok(*outs[i]))
            return jg_def_fail(c, "permissions", perm_keys[i],
                               "\"%.60s\" is not a permission code (<area>.<action>: a-z, 0-9, _ and dots)",
                               *outs[i]);
    }
    return JG_OK;
}

/* Names a list may show or sort by: fields (not secret) and some system columns. */
static int list_name_ok(const jg_entity *e, const char *name)
{
    static const char *const sys[] = {"id",         "state",      "created_at", "updated_at",
                                      "created_by", "updated_by", "version"};
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
        if (strcmp(name, sys[i]) == 0)
            return 1;
    const jg_field *f = jg_entity_field(e, name);
    return f != NULL && f->data_class != JG_CLASS_SECRET;
}

static const char *const list_keys[] = {"columns", "sort", "size", "filter", NULL};

static jg_rc load_list(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *lj;
    jg_rc rc = opt_object(c, doc, "list", list_keys, &lj);
    if (rc != JG_OK || lj == NULL)
        return rc;
    json_t *cols = json_object_get(lj, "columns");
    if (cols != NULL) {
        if (!json_is_array(cols) || json_array_size(cols) == 0 || json_array_size(cols) > MAX_LIST_COLUMNS)
            return jg_def_fail(c, "list", "columns", "must be an array of 1-%d names", MAX_LIST_COLUMNS);
        size_t i;
        json_t *v;
        json_array_foreach(cols, i, v)
        {
            const char *s = json_string_value(v);
            if (s == NULL || !list_name_ok(e, s))
                return jg_def_fail(c, "list", "columns",
                                   "item %zu: not a field (or system column) that lists can show", i);
            for (size_t j = 0; j < i; j++)
                if (strcmp(json_string_value(json_array_get(cols, j)), s) == 0)
                    return jg_def_fail(c, "list", "columns", "item %zu: \"%s\" is listed twice", i, s);
            const jg_field *f = jg_entity_field(e, s);
            if (f != NULL)
                e->fields[f - e->fields].in_list = 1;
        }
    }
    const char *sort;
    rc = jg_def_opt_string(c, "list", lj, "sort", &sort);
    if (rc != JG_OK)
        return rc;
    if (sort != NULL) {
        /* "-registered_on,project_name": comma-separated names, each optionally after '-'. */
        char *copy = jg_arena_strdup(c->a, sort);
        int n = 0;
        for (char *item = copy, *next; item != NULL; item = next) {
            next = strchr(item, ',');
            if (next != NULL)
                *next++ = '\0';
            if (*item == '-')
                item++;
            if (++n > 5 || !list_name_ok(e, item))
                return jg_def_fail(c, "list", "sort",
                                   "\"%.60s\" is not 1-5 names of fields or system columns, each "
                                   "optionally after '-', separated by commas",
                                   sort);
        }
    }
    int present;
    int64_t size;
    rc = jg_def_opt_int(c, "list", lj, "size", 1, 500, &present, &size);
    if (rc != JG_OK)
        return rc;
    json_t *filter = json_object_get(lj, "filter");
    if (filter != NULL && !json_is_object(filter))
        return jg_def_fail(c, "list", "filter",
                           "must be a filter object (the filter language of record lists)");
    return JG_OK;
}

/* The state column in a composite index (["state", "org_code"]: lists by state inside a scope). */
static const jg_field state_column = {.name = "state", .label = "状态", .type = JG_FIELD_ENUM};

/* "indexes": [["project_kind", "planned_start_on"], ...]: composite indexes of the entity's own
 * fields and its state, for the filters and sorts its lists use most (single fields take
 * "indexed"). */

static jg_rc load_indexes(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *ij = json_object_get(doc, "indexes");
    if (ij == NULL)
        return JG_OK;
    if (!json_is_array(ij) || json_array_size(ij) > MAX_INDEXES)
        return jg_def_fail(c, "", "indexes", "must be an array of at most %d indexes", MAX_INDEXES);
    e->nindexes = (int)json_array_size(ij);
    e->indexes = jg_arena_alloc(c->a, sizeof(jg_index) * ((size_t)e->nindexes + 1));
    char ip[64];
    for (int i = 0; i < e->nindexes; i++) {
        json_t *x = json_array_get(ij, (size_t)i);
        jg_index *ix = &e->indexes[i];
        memset(ix, 0, sizeof(*ix));
        jg_def_path(ip, sizeof(ip), "", "indexes", i);
        if (!json_is_array(x) || json_array_size(x) < 2 || json_array_size(x) > JG_INDEX_MAX_FIELDS)
            return jg_def_fail(c, ip, "", "an index is an array of 2-%d field names", JG_INDEX_MAX_FIELDS);
        for (size_t j = 0; j < json_array_size(x); j++) {
            const char *name = json_string_value(json_array_get(x, j));
            const jg_field *f = name == NULL                 ? NULL
                                : strcmp(name, "state") == 0 ? &state_column
                                                             : jg_entity_field(e, name);
            if (f == NULL)
                return jg_def_fail(c, ip, "", "item %zu: no field \"%.60s\"", j, name != NULL ? name : "");
            if (!jg_def_indexable(f))
                return jg_def_fail(c, ip, "", "item %zu: %s fields cannot take part in an index", j,
                                   jg_field_type_name(f->type));
            for (int k = 0; k < ix->nfields; k++)
                if (ix->fields[k] == f)
                    return jg_def_fail(c, ip, "", "item %zu: \"%s\" is named twice", j, name);
            ix->fields[ix->nfields++] = f;
        }
        for (int k = 0; k < i; k++) {
            int same = e->indexes[k].nfields == ix->nfields;
            for (int j = 0; same && j < ix->nfields; j++)
                same = e->indexes[k].fields[j] == ix->fields[j];
            if (same)
                return jg_def_fail(c, ip, "", "the same as indexes[%d]", k);
        }
    }
    return JG_OK;
}

static const char *const form_keys[] = {"sections", NULL};
static const char *const section_keys[] = {"label", "help", "columns", "fields", "child", NULL};

static jg_rc load_form(jg_defctx *c, json_t *doc, jg_entity *e)
{
    json_t *fj;
    jg_rc rc = opt_object(c, doc, "form", form_keys, &fj);
    if (rc != JG_OK || fj == NULL)
        return rc;
    json_t *secs = json_object_get(fj, "sections");
    if (secs == NULL)
        return jg_def_fail(c, "form", "sections", "required");
    if (!json_is_array(secs) || json_array_size(secs) == 0 || json_array_size(secs) > MAX_SECTIONS)
        return jg_def_fail(c, "form", "sections", "must be an array of 1-%d sections", MAX_SECTIONS);
    /* Where each field and child was placed, to refuse placing one twice. */
    int *placed = jg_arena_zalloc(c->a, sizeof(int) * (size_t)(e->nfields + e->nchildren));
    char sp[64];
    for (size_t i = 0; i < json_array_size(secs); i++) {
        json_t *s = json_array_get(secs, i);
        jg_def_path(sp, sizeof(sp), "form", "sections", (int)i);
        if (!json_is_object(s))
            return jg_def_fail(c, sp, "", "a section must be an object, not %s", jg_def_kind(s));
        const char *label, *help, *child;
        int present;
        int64_t columns;
        rc = jg_def_keys(c, sp, s, section_keys);
        if (rc == JG_OK)
            rc = jg_def_label(c, sp, s, &label);
        if (rc == JG_OK)
            rc = jg_def_help(c, sp, s, &help);
        if (rc == JG_OK)
            rc = jg_def_opt_int(c, sp, s, "columns", 1, 4, &present, &columns);
        if (rc == JG_OK)
            rc = jg_def_opt_string(c, sp, s, "child", &child);
        if (rc != JG_OK)
            return rc;
        json_t *fields = json_object_get(s, "fields");
        if ((fields == NULL) == (child == NULL))
            return jg_def_fail(c, sp, "", "a section has either \"fields\" or \"child\"");
        if (child != NULL) {
            int k;
            for (k = 0; k < e->nchildren; k++)
                if (strcmp(e->children[k].name, child) == 0)
                    break;
            if (k == e->nchildren)
                return jg_def_fail(c, sp, "child", "no child table \"%.60s\"", child);
            if (placed[e->nfields + k]++)
                return jg_def_fail(c, sp, "child", "child table \"%s\" is placed twice", child);
            continue;
        }
        if (!json_is_array(fields) || json_array_size(fields) == 0 ||
            json_array_size(fields) > JG_DEF_MAX_FIELDS)
            return jg_def_fail(c, sp, "fields", "must be an array of field names");
        size_t j;
        json_t *v;
        json_array_foreach(fields, j, v)
        {
            const char *name = json_string_value(v);
            const jg_field *f = name != NULL ? jg_entity_field(e, name) : NULL;
            if (f == NULL)
                return jg_def_fail(c, sp, "fields", "item %zu: not a field name", j);
            if (placed[f - e->fields]++)
                return jg_def_fail(c, sp, "fields", "item %zu: field \"%s\" is placed twice", j, name);
        }
    }
    return JG_OK;
}

static const char *const entity_keys[] = {"name",   "label",    "help",    "version",     "scope",
                                          "fields", "children", "states",  "permissions", "list",
                                          "form",   "print",    "indexes", "tally",       NULL};

jg_rc jg_entity_load(json_t *doc, jg_entity *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (errlen > 0)
        err[0] = '\0';
    jg_defctx c = {err, errlen, jg_arena_new()};
    out->arena = c.a;
    out->doc = json_incref(doc);
    jg_rc rc;
    if (!json_is_object(doc)) {
        rc = jg_def_fail(&c, "", "", "a definition must be a JSON object");
        goto done;
    }
    rc = jg_def_keys(&c, "", doc, entity_keys);
    if (rc != JG_OK)
        goto done;
    int present;
    int64_t version = 1;
    rc = jg_def_opt_int(&c, "", doc, "version", 1, 1000000, &present, &version);
    if (rc != JG_OK)
        goto done;
    out->version = (int)version;
    rc = load_table_start(&c, "", doc, out);
    if (rc == JG_OK)
        rc = load_children(&c, doc, out);
    if (rc == JG_OK)
        rc = load_states(&c, doc, out);
    if (rc == JG_OK)
        rc = load_scope(&c, doc, out);
    if (rc == JG_OK)
        rc = load_permissions(&c, doc, out);
    if (rc == JG_OK)
        rc = load_indexes(&c, doc, out);
    if (rc == JG_OK)
        rc = load_list(&c, doc, out);
    if (rc == JG_OK)
        rc = load_form(&c, doc, out);
    if (rc == JG_OK)
        rc = jg_def_print(&c, doc, out);
    if (rc == JG_OK)
        rc = jg_tally_check(doc, out, c.err, c.errlen);
done:
    if (rc != JG_OK)
        jg_entity_free(out);
    return rc;
}

static void free_table(jg_entity *e)
{
    for (int i = 0; e->fields != NULL && i < e->nfields; i++) {
        jg_field *f = &e->fields[i];
        if (f->pattern != NULL)
            regfree(&f->pattern_re);
        json_decref(f->default_value);
    }
    json_decref(e->doc);
}

void jg_entity_free(jg_entity *e)
{
    if (e == NULL)
        return;
    for (int i = 0; e->children != NULL && i < e->nchildren; i++)
        free_table(&e->children[i]);
    free_table(e);
    jg_arena_free(e->arena);
    memset(e, 0, sizeof(*e));
}

/* ---- sets ---- */

static jg_rc check_refs(const jg_entity_set *set, const jg_entity *e, const char *where, char *err,
                        size_t errlen)
{
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        if (f->type == JG_FIELD_REF && jg_entity_find(set, f->ref) == NULL)
            return jg_rc_say(err, errlen, JG_INVALID, "%s: %sfields[%d].ref: no entity called \"%s\"",
                             e->parent ? e->parent->name : e->name, where, i, f->ref);
    }
    return JG_OK;
}

jg_rc jg_entity_set_check(const jg_entity_set *set, char *err, size_t errlen)
{
    for (int i = 0; i < set->nentities; i++) {
        const jg_entity *e = &set->entities[i];
        for (int j = 0; j < i; j++)
            if (strcmp(set->entities[j].name, e->name) == 0)
                return jg_rc_say(err, errlen, JG_INVALID, "%s: two entities have this name", e->name);
        jg_rc rc = check_refs(set, e, "", err, errlen);
        for (int k = 0; rc == JG_OK && k < e->nchildren; k++) {
            char where[32];
            snprintf(where, sizeof(where), "children[%d].", k);
            rc = check_refs(set, &e->children[k], where, err, errlen);
        }
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

const jg_entity *jg_entity_find(const jg_entity_set *set, const char *name)
{
    for (int i = 0; set != NULL && i < set->nentities; i++)
        if (strcmp(set->entities[i].name, name) == 0)
            return &set->entities[i];
    return NULL;
}

const jg_field *jg_entity_field(const jg_entity *e, const char *name)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].name != NULL && strcmp(e->fields[i].name, name) == 0)
            return &e->fields[i];
    return NULL;
}

void jg_entity_set_free(jg_entity_set *set)
{
    if (set == NULL)
        return;
    for (int i = 0; i < set->nentities; i++)
        jg_entity_free(&set->entities[i]);
    free(set->entities);
    set->entities = NULL;
    set->nentities = 0;
}

/* "registration/registration.json" is an entity file: one directory level, ".json". */
static int entity_file(const char *name)
{
    const char *slash = strchr(name, '/');
    size_t n = strlen(name);
    return slash != NULL && strchr(slash + 1, '/') == NULL && n > 5 && strcmp(name + n - 5, ".json") == 0 &&
           slash[1] != '.';
}

jg_rc jg_entity_set_load_files(const jg_embedded_file *files, jg_entity_set *out, char *err, size_t errlen)
{
    out->entities = NULL;
    out->nentities = 0;
    int n = 0;
    for (const jg_embedded_file *f = files; f->name != NULL; f++)
        n += entity_file(f->name);
    /* Allocated once: the children of a loaded entity point back to it. */
    out->entities = jg_xcalloc((size_t)(n > 0 ? n : 1), sizeof(jg_entity));
    char msg[512];
    for (const jg_embedded_file *f = files; f->name != NULL; f++) {
        if (!entity_file(f->name))
            continue;
        json_error_t jerr;
        json_t *doc = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL) {
            jg_entity_set_free(out);
            return jg_rc_say(err, errlen, JG_INVALID, "%s:%d:%d: %s", f->name, jerr.line, jerr.column,
                             jerr.text);
        }
        jg_entity *e = &out->entities[out->nentities];
        jg_rc rc = jg_entity_load(doc, e, msg, sizeof(msg));
        json_decref(doc);
        if (rc != JG_OK) {
            jg_entity_set_free(out);
            return jg_rc_say(err, errlen, JG_INVALID, "%s: %s", f->name, msg);
        }
        out->nentities++;
        const char *base = strchr(f->name, '/') + 1;
        size_t len = strlen(base) - 5;
        if (strlen(e->name) != len || strncmp(e->name, base, len) != 0) {
            jg_rc bad = jg_rc_say(err, errlen, JG_INVALID, "%s: name \"%s\" differs from the file's", f->name,
                                  e->name);
            jg_entity_set_free(out);
            return bad;
        }
    }
    jg_rc rc = jg_entity_set_check(out, err, errlen);
    if (rc != JG_OK)
        jg_entity_set_free(out);
    return rc;
}

jg_rc jg_entity_set_load_embedded(jg_entity_set *out, char *err, size_t errlen)
{
    return jg_entity_set_load_files(jg_embedded_defs, out, err, errlen);
}
