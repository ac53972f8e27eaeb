/* Dictionaries: code checks, the built-in definitions and their sync, and the look-ups the entity
 * engine makes for enum fields. The HTTP routes are in dict_api.c. */
#include "platform/dict.h"

#include "base/embed.h"
#include "base/log.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>

int jg_dict_code_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > JG_DICT_CODE_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int jg_dict_item_code_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > JG_DICT_CODE_MAX)
        return 0;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int jg_dict_text_ok(const char *s, size_t max_chars)
{
    if (s == NULL)
        return 0;
    size_t chars = 0;
    int blank = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (*p != ' ')
            blank = 0;
        chars += (*p & 0xC0) != 0x80;
    }
    return !blank && chars <= max_chars;
}

/* ---- definitions ---- */

static int check_items(const char *dict, const json_t *items, char *err, size_t errlen)
{
    if (!json_is_array(items) || json_array_size(items) == 0 || json_array_size(items) > JG_DICT_MAX_ITEMS) {
        snprintf(err, errlen, "dictionary %s: items must be a non-empty array of at most %d", dict,
                 JG_DICT_MAX_ITEMS);
        return 0;
    }
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *code = json_string_value(json_object_get(it, "code"));
        if (!jg_dict_item_code_ok(code)) {
            snprintf(err, errlen, "dictionary %s: item %zu has a bad code", dict, i);
            return 0;
        }
        if (!jg_dict_text_ok(json_string_value(json_object_get(it, "label")), JG_DICT_LABEL_MAX)) {
            snprintf(err, errlen, "dictionary %s: item %s has a bad label", dict, code);
            return 0;
        }
        json_t *parent = json_object_get(it, "parent");
        int parent_seen = parent == NULL;
        for (size_t k = 0; k < i; k++) {
            const char *other = json_string_value(json_object_get(json_array_get(items, k), "code"));
            if (strcmp(other, code) == 0) {
                snprintf(err, errlen, "dictionary %s: item %s is repeated", dict, code);
                return 0;
            }
            if (json_is_string(parent) && strcmp(other, json_string_value(parent)) == 0)
                parent_seen = 1;
        }
        if (!parent_seen) {
            snprintf(err, errlen, "dictionary %s: the parent of item %s must be an item written before it",
                     dict, code);
            return 0;
        }
        const char *key;
        json_t *v;
        json_object_foreach(it, key, v)
        {
            if (strcmp(key, "code") != 0 && strcmp(key, "label") != 0 && strcmp(key, "parent") != 0) {
                snprintf(err, errlen, "dictionary %s: item %s has an unknown key %s", dict, code, key);
                return 0;
            }
        }
    }
    return 1;
}

int jg_dict_defs_check(const json_t *doc, char *err, size_t errlen)
{
    const json_t *dicts = json_object_get(doc, "dictionaries");
    if (!json_is_object(dicts)) {
        snprintf(err, errlen, "\"dictionaries\" must be an object");
        return 0;
    }
    const char *code;
    json_t *d;
    json_object_foreach((json_t *)dicts, code, d)
    {
        if (!jg_dict_code_ok(code)) {
            snprintf(err, errlen, "bad dictionary code \"%.60s\"", code);
            return 0;
        }
        if (!jg_dict_text_ok(json_string_value(json_object_get(d, "name")), JG_DICT_NAME_MAX)) {
            snprintf(err, errlen, "dictionary %s: bad name", code);
            return 0;
        }
        json_t *desc = json_object_get(d, "description");
        if (desc != NULL &&
            (!json_is_string(desc) || (json_string_length(desc) > 0 &&
                                       !jg_dict_text_ok(json_string_value(desc), JG_DICT_DESCRIPTION_MAX)))) {
            snprintf(err, errlen, "dictionary %s: bad description", code);
            return 0;
        }
        if (!check_items(code, json_object_get(d, "items"), err, errlen))
            return 0;
    }
    return 1;
}

json_t *jg_dict_defs(void)
{
    const jg_embedded_file *f = jg_embedded_find(jg_embedded_defs, "dictionaries.json");
    if (f == NULL) {
        jg_error("dictionaries.json is not compiled in");
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &e);
    if (doc == NULL) {
        jg_error("dictionaries.json: %s (line %d)", e.text, e.line);
        return NULL;
    }
    char err[200];
    if (!jg_dict_defs_check(doc, err, sizeof(err))) {
        jg_error("dictionaries.json: %s", err);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

struct sync {
    json_t *dicts;
    char now[32];
};

static jg_rc sync_items(jg_conn *c, const char *dict, json_t *items, const char *now)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *parent = json_string_value(json_object_get(it, "parent"));
        jg_value p[] = {JG_VTEXT(dict),
                        JG_VTEXT(json_string_value(json_object_get(it, "code"))),
                        JG_VTEXT(json_string_value(json_object_get(it, "label"))),
                        parent != NULL ? JG_VTEXT(parent) : JG_VNULL,
                        JG_VINT((int64_t)(i + 1) * 10),
                        JG_VTEXT(now)};
        /* The WHERE keeps SQLite from reading ON CONFLICT as a join constraint. */
        jg_rc rc =
            jg_db_exec(c,
                       "INSERT INTO dictionary_item (dictionary_id, code, label, parent_code, sort_order,"
                       " enabled, builtin, created_at, updated_at)"
                       " SELECT id, $2, $3, $4, $5, 1, 1, $6, $6 FROM dictionary WHERE code = $1"
                       " ON CONFLICT (dictionary_id, code) DO NOTHING",
                       p, 6, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static jg_rc sync_tx(jg_conn *c, void *ud)
{
    struct sync *s = ud;
    const char *code;
    json_t *d;
    json_object_foreach(s->dicts, code, d)
    {
        const char *desc = json_string_value(json_object_get(d, "description"));
        jg_value p[] = {JG_VTEXT(code), JG_VTEXT(json_string_value(json_object_get(d, "name"))),
                        JG_VTEXT(desc != NULL ? desc : ""), JG_VTEXT(s->now)};
        jg_rc rc =
            jg_db_exec(c,
                       "INSERT INTO dictionary (code, name, description, builtin, created_at, updated_at)"
                       " VALUES ($1, $2, $3, 1, $4, $4) ON CONFLICT (code) DO NOTHING",
                       p, 4, NULL);
        if (rc == JG_OK)
            rc = sync_items(c, code, json_object_get(d, "items"), s->now);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_rc jg_dict_sync(jg_db *db)
{
    json_t *doc = jg_dict_defs();
    if (doc == NULL)
        return JG_ERR;
    struct sync s = {json_object_get(doc, "dictionaries"), ""};
    jg_time_iso_now(s.now, sizeof(s.now));
    jg_rc rc = jg_db_tx(db, sync_tx, &s);
    json_decref(doc);
    return rc;
}

/* ---- look-ups for the entity engine ---- */

jg_rc jg_dict_exists(jg_conn *c, const char *dict, int *exists)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(dict)};
    jg_rc rc = jg_db_query(c, "SELECT 1 FROM dictionary WHERE code = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *exists = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return JG_OK;
}

/* The item's enabled flag and label: one row, or none. */
static jg_rc find_item(jg_conn *c, const char *dict, const char *code, jg_rows **out)
{
    jg_value p[] = {JG_VTEXT(dict), JG_VTEXT(code)};
    return jg_db_query(
        c,
        "SELECT i.enabled, i.label FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id"
        " WHERE d.code = $1 AND i.code = $2",
        p, 2, out);
}

jg_rc jg_dict_item_exists(jg_conn *c, const char *dict, const char *code, int *exists, int *enabled)
{
    jg_rows *r;
    jg_rc rc = find_item(c, dict, code, &r);
    if (rc != JG_OK)
        return rc;
    *exists = jg_rows_count(r) > 0;
    if (enabled != NULL)
        *enabled = *exists && jg_rows_int(r, 0, 0) != 0;
    jg_rows_free(r);
    return JG_OK;
}

jg_rc jg_dict_label(jg_conn *c, const char *dict, const char *code, jg_arena *a, const char **label)
{
    *label = NULL;
    jg_rows *r;
    jg_rc rc = find_item(c, dict, code, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0)
        rc = JG_NOTFOUND;
    else
        *label = jg_arena_strdup(a, jg_rows_text(r, 0, 1));
    jg_rows_free(r);
    return rc;
}
