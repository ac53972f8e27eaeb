/* Checking the JSON of entity definitions: names that become SQL identifiers, Chinese labels,
 * typed keys, and messages that name the place of a mistake. */
#include "engine/entity/def_int.h"

#include "base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LABEL_MAX 50 /* characters */
#define HELP_MAX 500 /* characters */

/* ---- names ---- */

/* Words that cannot be an unquoted column name on SQLite or PostgreSQL (PostgreSQL's reserved
 * keywords and SQLite's keywords without identifier fallback), each between spaces. */
static const char reserved[] =
    " add all alter analyse analyze and any array as asc asymmetric authorization autoincrement "
    "between binary both case cast check collate collation column commit concurrently constraint "
    "create cross current_catalog current_date current_role current_schema current_time "
    "current_timestamp current_user default deferrable delete desc distinct do drop else end escape "
    "except exists false fetch filter for foreign freeze from full grant group having ilike in index "
    "indexed initially inner insert intersect into is isnull join lateral leading left like limit "
    "localtime localtimestamp natural not nothing notnull null offset on only or order outer over "
    "overlaps placing primary references returning right select session_user set similar some "
    "symmetric system_user table tablesample then to trailing transaction true union unique update "
    "user using values variadic verbose when where window with ";

/* Columns every table has (or the databases add), which no field may take. */
static const char *const system_names[] = {
    "id",    "state", "parent_id", "seq",  "created_by", "created_at", "updated_by", "updated_at", "version",
    "rowid", "oid",   "ctid",      "xmin", "xmax",       "cmin",       "cmax",       "tableoid",
};

static int is_reserved(const char *s)
{
    char word[JG_ENTITY_NAME_MAX + 3];
    if (strlen(s) > JG_ENTITY_NAME_MAX)
        return 0;
    snprintf(word, sizeof(word), " %s ", s);
    return strstr(reserved, word) != NULL;
}

static int is_system(const char *s)
{
    for (size_t i = 0; i < sizeof(system_names) / sizeof(system_names[0]); i++)
        if (strcmp(s, system_names[i]) == 0)
            return 1;
    return 0;
}

int jg_entity_ident_ok(const char *s, size_t max)
{
    if (s == NULL || *s < 'a' || *s > 'z')
        return 0;
    size_t i = 0;
    for (; s[i] != '\0'; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return i <= max;
}

/* [a-z][a-z0-9_]{0,39} without "__" (the separator of child tables and sealed columns). */
int jg_def_name_ok(const char *s)
{
    return jg_entity_ident_ok(s, JG_ENTITY_NAME_MAX) && strstr(s, "__") == NULL;
}

/* ---- text ---- */

/* Next code point of valid UTF-8 at *p (jansson strings are valid), advancing *p. */
static unsigned next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    unsigned c = s[0];
    int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    if (n > 0)
        c &= 0x3Fu >> n;
    (*p)++;
    for (int i = 0; i < n && (**p & 0xC0) == 0x80; i++, (*p)++)
        c = (c << 6) | ((unsigned char)**p & 0x3F);
    return c;
}

/* 1..max characters, no control characters, not only spaces. */
static int text_ok(const char *s, size_t max)
{
    size_t n = jg_utf8_chars(s);
    int visible = 0;
    if (n == 0 || n > max)
        return 0;
    for (const char *p = s; *p != '\0';) {
        unsigned c = next_cp(&p);
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0))
            return 0;
        if (c != ' ' && c != 0x3000)
            visible = 1;
    }
    return visible;
}

/* At least one Chinese character (CJK ideographs, their extensions and compatibility forms). */
static int has_cjk(const char *s)
{
    for (const char *p = s; *p != '\0';) {
        unsigned c = next_cp(&p);
        if ((c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F))
            return 1;
    }
    return 0;
}

/* ---- messages and keys ---- */

/* Write "path.key: message" (path or key may be empty) and return JG_INVALID. */
jg_rc jg_def_fail(jg_defctx *c, const char *path, const char *key, const char *fmt, ...)
{
    if (c->errlen == 0)
        return JG_INVALID;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *dot = path[0] != '\0' && key[0] != '\0' ? "." : "";
    const char *colon = path[0] != '\0' || key[0] != '\0' ? ": " : "";
    snprintf(c->err, c->errlen, "%s%s%s%s%s", path, dot, key, colon, msg);
    return JG_INVALID;
}

const char *jg_def_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Refuse keys of obj that are not in allowed (NULL-terminated); "comment" is always allowed. */
jg_rc jg_def_keys(jg_defctx *c, const char *path, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = strcmp(key, "comment") == 0;
        for (const char *const *k = allowed; !ok && *k != NULL; k++)
            ok = strcmp(key, *k) == 0;
        if (!ok)
            return jg_def_fail(c, path, "", "unknown key \"%.60s\"", key);
        if (strcmp(key, "comment") == 0 && !json_is_string(v))
            return jg_def_fail(c, path, key, "must be a string");
    }
    return JG_OK;
}

/* Optional string key: *out is an arena copy, or NULL when absent. */
jg_rc jg_def_opt_string(jg_defctx *c, const char *path, json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL)
        return JG_OK;
    if (!json_is_string(v))
        return jg_def_fail(c, path, key, "must be a string, not %s", jg_def_kind(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return jg_def_fail(c, path, key, "must not contain NUL");
    *out = jg_arena_strdup(c->a, json_string_value(v));
    return JG_OK;
}

jg_rc jg_def_req_string(jg_defctx *c, const char *path, json_t *obj, const char *key, const char **out)
{
    jg_rc rc = jg_def_opt_string(c, path, obj, key, out);
    if (rc == JG_OK && *out == NULL)
        return jg_def_fail(c, path, key, "required");
    return rc;
}

jg_rc jg_def_opt_bool(jg_defctx *c, const char *path, json_t *obj, const char *key, int *out)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL)
        return JG_OK;
    if (!json_is_boolean(v))
        return jg_def_fail(c, path, key, "must be true or false, not %s", jg_def_kind(v));
    *out = json_is_true(v);
    return JG_OK;
}

/* Optional integer key in [lo, hi]; *present says whether it was given. */
jg_rc jg_def_opt_int(jg_defctx *c, const char *path, json_t *obj, const char *key, int64_t lo, int64_t hi,
                     int *present, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (v == NULL)
        return JG_OK;
    if (!json_is_integer(v))
        return jg_def_fail(c, path, key, "must be an integer, not %s", jg_def_kind(v));
    int64_t x = (int64_t)json_integer_value(v);
    if (x < lo || x > hi)
        return jg_def_fail(c, path, key, "must be between %lld and %lld", (long long)lo, (long long)hi);
    *out = x;
    return JG_OK;
}

jg_rc jg_def_name(jg_defctx *c, const char *path, const char *key, const char *name, const char *what)
{
    if (!jg_def_name_ok(name))
        return jg_def_fail(
            c, path, key,
            "%s \"%.60s\" must be 1-40 of a-z, 0-9 and _, start with a letter and not contain \"__\"", what,
            name);
    if (is_reserved(name))
        return jg_def_fail(c, path, key, "%s \"%s\" is an SQL reserved word", what, name);
    if (is_system(name))
        return jg_def_fail(c, path, key, "%s \"%s\" is the name of a system column", what, name);
    return JG_OK;
}

jg_rc jg_def_label(jg_defctx *c, const char *path, json_t *obj, const char **out)
{
    jg_rc rc = jg_def_req_string(c, path, obj, "label", out);
    if (rc != JG_OK)
        return rc;
    if (!text_ok(*out, LABEL_MAX))
        return jg_def_fail(c, path, "label", "must be 1-%d characters without control characters", LABEL_MAX);
    if (!has_cjk(*out))
        return jg_def_fail(c, path, "label", "must be Chinese text (users see it), not \"%.60s\"", *out);
    return JG_OK;
}

jg_rc jg_def_help(jg_defctx *c, const char *path, json_t *obj, const char **out)
{
    jg_rc rc = jg_def_opt_string(c, path, obj, "help", out);
    if (rc == JG_OK && *out != NULL && !text_ok(*out, HELP_MAX))
        return jg_def_fail(c, path, "help", "must be 1-%d characters without control characters", HELP_MAX);
    return rc;
}

jg_rc jg_def_text(jg_defctx *c, const char *path, json_t *obj, const char *key, size_t max, int required,
                  const char **out)
{
    jg_rc rc =
        required ? jg_def_req_string(c, path, obj, key, out) : jg_def_opt_string(c, path, obj, key, out);
    if (rc == JG_OK && *out != NULL && !text_ok(*out, max))
        return jg_def_fail(c, path, key, "must be 1-%zu characters without control characters", max);
    return rc;
}

void jg_def_path(char *out, size_t len, const char *path, const char *key, int index)
{
    const char *dot = path[0] != '\0' ? "." : "";
    if (index >= 0)
        snprintf(out, len, "%s%s%s[%d]", path, dot, key, index);
    else
        snprintf(out, len, "%s%s%s", path, dot, key);
}
