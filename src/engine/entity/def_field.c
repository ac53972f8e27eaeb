/* The fields of entity definitions: types, their options, patterns and defaults (docs/entities.md). */
#include "engine/entity/def_int.h"

#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 200          /* bytes */
#define PATTERN_REPEAT_MAX 10000 /* product of {n,m} bounds, so regcomp stays small */
#define STRING_MAX_DEFAULT 200
#define STRING_MAX_LIMIT 4000
#define TEXT_MAX_DEFAULT 10000
#define TEXT_MAX_LIMIT 1000000
#define JSON_MAX_DEFAULT 65536
#define JSON_MAX_LIMIT 1048576
#define FILES_DEFAULT 20
#define FILES_LIMIT 100
#define FILE_SIZE_DEFAULT (20 * 1024 * 1024)
#define FILE_SIZE_LIMIT (200 * 1024 * 1024)
#define SCALE_MAX 6
#define DECIMAL_ABS_MAX 999999999999999LL /* 15 digits: every value has its own double in the UI */

/* ---- field types ---- */

static const struct {
    const char *name;
    jg_field_type type;
} types[] = {
    {"string", JG_FIELD_STRING},     {"text", JG_FIELD_TEXT},       {"integer", JG_FIELD_INTEGER},
    {"decimal", JG_FIELD_DECIMAL},   {"money", JG_FIELD_MONEY},     {"date", JG_FIELD_DATE},
    {"datetime", JG_FIELD_DATETIME}, {"boolean", JG_FIELD_BOOLEAN}, {"enum", JG_FIELD_ENUM},
    {"ref", JG_FIELD_REF},           {"region", JG_FIELD_REGION},   {"enterprise", JG_FIELD_ENTERPRISE},
    {"person", JG_FIELD_PERSON},     {"files", JG_FIELD_FILES},     {"geo", JG_FIELD_GEO},
    {"json", JG_FIELD_JSON},
};

const char *jg_field_type_name(jg_field_type t)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == t)
            return types[i].name;
    return "?";
}

static const char *const classes[] = {"public", "internal", "sensitive", "secret"};

/* Kinds of attachment the upload checks by content. */
static const char *const file_kinds[] = {"pdf", "ofd", "jpg", "png", "docx", "xlsx", "zip", "mp4"};
static const char *const default_kinds[] = {"pdf", "ofd", "jpg", "png"};

/* Bits of the options, and which types take them. */
enum {
    O_MIN_LENGTH = 1 << 0,
    O_MAX_LENGTH = 1 << 1,
    O_PATTERN = 1 << 2,
    O_MIN_MAX = 1 << 3,
    O_SCALE = 1 << 4,
    O_DICT = 1 << 5,
    O_REF = 1 << 6,
    O_FILES = 1 << 7,
    O_DEFAULT = 1 << 8,
    O_UNIQUE = 1 << 9,
    O_INDEXED = 1 << 10,
    O_SEARCHABLE = 1 << 11,
    O_SEALED = 1 << 12, /* class sensitive or secret */
};

static unsigned options_of(jg_field_type t)
{
    const unsigned keyed = O_UNIQUE | O_INDEXED;
    switch (t) {
    case JG_FIELD_STRING:
        return O_MIN_LENGTH | O_MAX_LENGTH | O_PATTERN | O_DEFAULT | keyed | O_SEARCHABLE | O_SEALED;
    case JG_FIELD_TEXT:
        return O_MIN_LENGTH | O_MAX_LENGTH | O_PATTERN | O_DEFAULT | O_SEARCHABLE | O_SEALED;
    case JG_FIELD_INTEGER:
        return O_MIN_MAX | O_DEFAULT | keyed;
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY:
        return O_MIN_MAX | O_SCALE | O_DEFAULT | keyed;
    case JG_FIELD_DATE:
        return O_DEFAULT | keyed;
    case JG_FIELD_DATETIME:
        return keyed;
    case JG_FIELD_BOOLEAN:
        return O_DEFAULT | O_INDEXED;
    case JG_FIELD_ENUM:
        return O_DICT | O_DEFAULT | keyed;
    case JG_FIELD_REF:
        return O_REF | keyed;
    case JG_FIELD_REGION:
        return O_DEFAULT | keyed;
    case JG_FIELD_ENTERPRISE:
    case JG_FIELD_PERSON:
        return keyed;
    case JG_FIELD_FILES:
        return O_FILES;
    case JG_FIELD_GEO:
        return 0;
    case JG_FIELD_JSON:
        return O_MAX_LENGTH | O_DEFAULT;
    }
    return 0;
}

/* ---- numbers ---- */

static const int64_t pow10s[SCALE_MAX + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* Exact decimal text ("-12.5", "3") with at most scale places into *out scaled by 10^scale. */
static int decimal_text(const char *s, int scale, int64_t *out)
{
    const char *p = s;
    int neg = *p == '-';
    if (neg)
        p++;
    if (*p < '0' || *p > '9')
        return 0;
    int64_t v = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 15)
            return 0;
        v = v * 10 + (*p - '0');
    }
    int places = 0;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++places > scale)
                return 0;
            v = v * 10 + (*p - '0');
        }
    }
    if (*p != '\0')
        return 0;
    for (; places < scale; places++)
        v *= 10; /* at most 15 + 6 digits: fits */
    *out = neg ? -v : v;
    return 1;
}

/* A decimal of a definition: "12.34", 12 or 12.34 (a real only when it is exactly that decimal's
 * double), at most 15 integer digits, at most scale places. */
static int decimal_json(json_t *v, int scale, int64_t *out)
{
    if (json_is_string(v))
        return decimal_text(json_string_value(v), scale, out);
    if (json_is_integer(v)) {
        int64_t x = (int64_t)json_integer_value(v);
        if (x > DECIMAL_ABS_MAX || x < -DECIMAL_ABS_MAX)
            return 0;
        *out = x * pow10s[scale];
        return 1;
    }
    if (json_is_real(v)) {
        double r = json_real_value(v);
        if (!isfinite(r) || fabs(r) > (double)DECIMAL_ABS_MAX)
            return 0;
        char buf[64];
        snprintf(buf, sizeof(buf), "%.*f", scale, r);
        return strtod(buf, NULL) == r && decimal_text(buf, scale, out);
    }
    return 0;
}

/* ---- patterns ---- */

/* Refuse what would make regcomp slow or huge, or wrapping as ^(...)$ change the meaning:
 * back-references, unbalanced parentheses, large repetition counts, and quantifiers stacked on
 * quantifiers ("(a{100}){100}++++": glibc copies the tree for each, past any memory). */
static const char *pattern_problem(const char *p)
{
    if (strlen(p) > PATTERN_MAX)
        return "longer than 200 bytes";
    int depth = 0, quantified = 0; /* the previous item was a quantifier */
    int64_t repeat = 1;
    for (const char *s = p; *s != '\0'; s++) {
        int quantifier = *s == '*' || *s == '+' || *s == '?' || *s == '{';
        if (quantifier && quantified)
            return "stacks one repetition on another";
        quantified = quantifier;
        if (*s == '\\') {
            s++;
            if (*s == '\0')
                return "ends with a backslash";
            if (*s >= '1' && *s <= '9')
                return "back-references are not allowed";
            continue;
        }
        if (*s == '[') {
            /* A bracket expression: "]" right after "[" or "[^" is a member; [:class:] inside. */
            s++;
            if (*s == '^')
                s++;
            if (*s == ']')
                s++;
            while (*s != '\0' && *s != ']') {
                if (*s == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
                    char close = s[1];
                    s += 2;
                    while (*s != '\0' && !(*s == close && s[1] == ']'))
                        s++;
                    if (*s == '\0')
                        return "has an unterminated bracket expression";
                    s++;
                }
                s++;
            }
            if (*s == '\0')
                return "has an unterminated bracket expression";
            continue;
        }
        if (*s == '(')
            depth++;
        else if (*s == ')' && --depth < 0)
            return "has unbalanced parentheses";
        else if (*s == '{') {
            char *end;
            long lo = strtol(s + 1, &end, 10), hi = lo;
            if (end == s + 1 || lo < 0)
                return "has a bad repetition {n,m}";
            if (*end == ',') {
                const char *q = end + 1;
                hi = strtol(q, &end, 10);
                if (end == q)
                    return "has an open repetition {n,}: write an upper bound";
            }
            if (*end != '}' || hi < lo || hi > 100)
                return "has a bad repetition {n,m} (0 <= n <= m <= 100)";
            repeat *= hi > 0 ? hi : 1;
            if (repeat > PATTERN_REPEAT_MAX)
                return "repeats too much ({n,m} bounds multiply past 10000)";
            s = end;
        }
    }
    if (depth != 0)
        return "has unbalanced parentheses";
    return NULL;
}

/* ---- defaults ---- */

static int region_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 2 && n != 4 && n != 6)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* 1-40 of [A-Za-z0-9_.-]: a dictionary item code (src/platform/dict.h). */
static int item_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* Check v as the default of f (its other options already loaded); *why gets the reason. The
 * same conversion gives the stored form (jg_field_default_stored). */
static int default_to_stored(const jg_field *f, json_t *v, jg_value *out, char *buf, size_t buflen,
                             const char **why)
{
    *why = "is not valid for the field's type";
    switch (f->type) {
    case JG_FIELD_STRING:
    case JG_FIELD_TEXT: {
        if (!json_is_string(v)) {
            *why = "must be a string";
            return 0;
        }
        const char *s = json_string_value(v);
        size_t chars = jg_utf8_chars(s);
        if (strlen(s) != json_string_length(v) || chars > (size_t)f->max_length ||
            chars < (size_t)f->min_length) {
            *why = "is longer or shorter than the field allows";
            return 0;
        }
        if (f->pattern != NULL && regexec(&f->pattern_re, s, 0, NULL, 0) != 0) {
            *why = "does not match the pattern";
            return 0;
        }
        if (jg_strlcpy(buf, s, buflen) != JG_OK) {
            *why = "is too long";
            return 0;
        }
        *out = JG_VTEXT(buf);
        return 1;
    }
    case JG_FIELD_INTEGER:
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY: {
        int64_t x;
        if (f->type == JG_FIELD_INTEGER) {
            if (!json_is_integer(v)) {
                *why = "must be an integer";
                return 0;
            }
            x = (int64_t)json_integer_value(v);
        } else if (!decimal_json(v, f->scale, &x)) {
            *why = "must be a decimal (\"12.34\") with at most scale places";
            return 0;
        }
        if ((f->has_min && x < f->min) || (f->has_max && x > f->max)) {
            *why = "is outside min..max";
            return 0;
        }
        *out = JG_VINT(x);
        return 1;
    }
    case JG_FIELD_BOOLEAN:
        if (!json_is_boolean(v)) {
            *why = "must be true or false";
            return 0;
        }
        *out = JG_VINT(json_is_true(v));
        return 1;
    case JG_FIELD_DATE:
    case JG_FIELD_ENUM:
    case JG_FIELD_REGION: {
        const char *s = json_string_value(v);
        int ok = s != NULL && (f->type == JG_FIELD_DATE   ? jg_time_valid_date(s)
                               : f->type == JG_FIELD_ENUM ? item_code_ok(s)
                                                          : region_code_ok(s));
        if (!ok) {
            *why = f->type == JG_FIELD_DATE   ? "must be a date \"YYYY-MM-DD\""
                   : f->type == JG_FIELD_ENUM ? "must be a dictionary item code (1-40 of A-Z a-z 0-9 _ . -)"
                                              : "must be a region code of 2, 4 or 6 digits";
            return 0;
        }
        if (jg_strlcpy(buf, s, buflen) != JG_OK) {
            *why = "is too long";
            return 0;
        }
        *out = JG_VTEXT(buf);
        return 1;
    }
    case JG_FIELD_JSON: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s == NULL)
            return 0;
        size_t n = strlen(s);
        int ok = n <= (size_t)f->max_length && jg_strlcpy(buf, s, buflen) == JG_OK;
        free(s);
        if (!ok) {
            *why = "is longer than max_length";
            return 0;
        }
        *out = JG_VTEXT(buf);
        return 1;
    }
    default:
        *why = "is not allowed for this type";
        return 0;
    }
}

jg_rc jg_field_default_stored(const jg_field *f, jg_value *out, char *buf, size_t buflen)
{
    const char *why;
    if (f->default_value == NULL)
        return JG_NOTFOUND;
    return default_to_stored(f, f->default_value, out, buf, buflen, &why) ? JG_OK : JG_TOOLARGE;
}

/* ---- fields ---- */

static const char *const field_keys[] = {
    "name",       "label", "type",  "help",       "required",   "unique", "unique_within", "indexed",
    "searchable", "list",  "class", "min_length", "max_length", "min",    "max",           "scale",
    "pattern",    "dict",  "ref",   "max_files",  "max_size",   "accept", "default",       NULL,
};

/* Which option keys need which bit, to name the first one a type does not take. */
static const struct {
    const char *key;
    unsigned bit;
} option_keys[] = {
    {"min_length", O_MIN_LENGTH},
    {"max_length", O_MAX_LENGTH},
    {"pattern", O_PATTERN},
    {"min", O_MIN_MAX},
    {"max", O_MIN_MAX},
    {"scale", O_SCALE},
    {"dict", O_DICT},
    {"ref", O_REF},
    {"max_files", O_FILES},
    {"max_size", O_FILES},
    {"accept", O_FILES},
    {"default", O_DEFAULT},
    {"searchable", O_SEARCHABLE},
};

static jg_rc load_field_type(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    const char *t;
    jg_rc rc = jg_def_req_string(c, path, fj, "type", &t);
    if (rc != JG_OK)
        return rc;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(t, types[i].name) == 0) {
            f->type = types[i].type;
            return JG_OK;
        }
    }
    return jg_def_fail(c, path, "type", "unknown type \"%.40s\"", t);
}

static jg_rc load_lengths(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    int64_t def = f->type == JG_FIELD_STRING ? STRING_MAX_DEFAULT
                  : f->type == JG_FIELD_TEXT ? TEXT_MAX_DEFAULT
                                             : JSON_MAX_DEFAULT;
    int64_t limit = f->type == JG_FIELD_STRING ? STRING_MAX_LIMIT
                    : f->type == JG_FIELD_TEXT ? TEXT_MAX_LIMIT
                                               : JSON_MAX_LIMIT;
    int has_min = 0, has_max = 0;
    f->max_length = def;
    f->min_length = 0;
    jg_rc rc = jg_def_opt_int(c, path, fj, "max_length", 1, limit, &has_max, &f->max_length);
    if (rc == JG_OK)
        rc = jg_def_opt_int(c, path, fj, "min_length", 0, limit, &has_min, &f->min_length);
    if (rc == JG_OK && f->min_length > f->max_length)
        return jg_def_fail(c, path, "min_length", "is larger than max_length (%lld)",
                           (long long)f->max_length);
    return rc;
}

static jg_rc load_range(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    if (f->type != JG_FIELD_INTEGER) {
        int present = 0;
        int64_t scale = 2;
        jg_rc rc = jg_def_opt_int(c, path, fj, "scale", 0, SCALE_MAX, &present, &scale);
        if (rc != JG_OK)
            return rc;
        if (f->type == JG_FIELD_MONEY && scale != 2)
            return jg_def_fail(c, path, "scale", "money always has scale 2 (fen)");
        f->scale = (int)scale;
    }
    const char *keys[2] = {"min", "max"};
    int64_t *vals[2] = {&f->min, &f->max};
    int *has[2] = {&f->has_min, &f->has_max};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(fj, keys[i]);
        if (v == NULL)
            continue;
        if (f->type == JG_FIELD_INTEGER) {
            if (!json_is_integer(v))
                return jg_def_fail(c, path, keys[i], "must be an integer, not %s", jg_def_kind(v));
            *vals[i] = (int64_t)json_integer_value(v);
        } else if (!decimal_json(v, f->scale, vals[i])) {
            return jg_def_fail(c, path, keys[i],
                               "must be a decimal (\"12.34\") with at most %d places and 15 digits",
                               f->scale);
        }
        *has[i] = 1;
    }
    if (f->has_min && f->has_max && f->min > f->max)
        return jg_def_fail(c, path, "min", "is larger than max");
    return JG_OK;
}

static jg_rc load_pattern(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    const char *p;
    jg_rc rc = jg_def_opt_string(c, path, fj, "pattern", &p);
    if (rc != JG_OK || p == NULL)
        return rc;
    const char *problem = pattern_problem(p);
    if (problem != NULL)
        return jg_def_fail(c, path, "pattern", "%s", problem);
    regex_t check;
    int r = regcomp(&check, p, REG_EXTENDED | REG_NOSUB);
    if (r != 0) {
        char why[128];
        regerror(r, &check, why, sizeof(why));
        return jg_def_fail(c, path, "pattern", "does not compile: %s", why);
    }
    regfree(&check);
    /* Anchored, so regexec() answers for the whole value; without REG_NOSUB, so callers that
     * ask for the match span (value.c) get it. */
    char *whole = jg_arena_printf(c->a, "^(%s)$", p);
    if (regcomp(&f->pattern_re, whole, REG_EXTENDED) != 0)
        return jg_def_fail(c, path, "pattern", "does not compile when anchored");
    f->pattern = p;
    return JG_OK;
}

static jg_rc load_files(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    int present;
    int64_t n = FILES_DEFAULT;
    jg_rc rc = jg_def_opt_int(c, path, fj, "max_files", 1, FILES_LIMIT, &present, &n);
    if (rc != JG_OK)
        return rc;
    f->max_files = (int)n;
    f->max_size = FILE_SIZE_DEFAULT;
    rc = jg_def_opt_int(c, path, fj, "max_size", 1, FILE_SIZE_LIMIT, &present, &f->max_size);
    if (rc != JG_OK)
        return rc;
    json_t *acc = json_object_get(fj, "accept");
    if (acc == NULL) {
        f->accept = default_kinds;
        f->naccept = (int)(sizeof(default_kinds) / sizeof(default_kinds[0]));
        return JG_OK;
    }
    size_t nkinds = sizeof(file_kinds) / sizeof(file_kinds[0]);
    if (!json_is_array(acc) || json_array_size(acc) == 0 || json_array_size(acc) > nkinds)
        return jg_def_fail(c, path, "accept", "must be an array of 1-%zu kinds of file", nkinds);
    const char **kinds = jg_arena_zalloc(c->a, sizeof(char *) * json_array_size(acc));
    size_t i;
    json_t *k;
    json_array_foreach(acc, i, k)
    {
        const char *s = json_string_value(k);
        size_t j;
        for (j = 0; s != NULL && j < nkinds; j++)
            if (strcmp(s, file_kinds[j]) == 0)
                break;
        if (s == NULL || j == nkinds)
            return jg_def_fail(
                c, path, "accept",
                "item %zu: kinds are pdf, ofd, jpg, png, docx, xlsx, zip and mp4 (checked by content)", i);
        for (size_t m = 0; m < i; m++)
            if (strcmp(kinds[m], s) == 0)
                return jg_def_fail(c, path, "accept", "item %zu: \"%s\" is listed twice", i, s);
        kinds[i] = file_kinds[j];
    }
    f->accept = kinds;
    f->naccept = (int)json_array_size(acc);
    return JG_OK;
}

static int sealed(const jg_field *f)
{
    return f->data_class == JG_CLASS_SENSITIVE || f->data_class == JG_CLASS_SECRET;
}

static jg_rc load_field(jg_defctx *c, const char *path, json_t *fj, jg_field *f)
{
    if (!json_is_object(fj))
        return jg_def_fail(c, path, "", "a field must be an object, not %s", jg_def_kind(fj));
    jg_rc rc = jg_def_keys(c, path, fj, field_keys);
    if (rc == JG_OK)
        rc = jg_def_req_string(c, path, fj, "name", &f->name);
    if (rc == JG_OK)
        rc = jg_def_name(c, path, "name", f->name, "field name");
    if (rc == JG_OK)
        rc = jg_def_label(c, path, fj, &f->label);
    if (rc == JG_OK)
        rc = jg_def_help(c, path, fj, &f->help);
    if (rc == JG_OK)
        rc = load_field_type(c, path, fj, f);
    if (rc != JG_OK)
        return rc;
    unsigned opts = options_of(f->type);
    for (size_t i = 0; i < sizeof(option_keys) / sizeof(option_keys[0]); i++)
        if (json_object_get(fj, option_keys[i].key) != NULL && !(opts & option_keys[i].bit))
            return jg_def_fail(c, path, option_keys[i].key, "not an option of %s fields",
                               jg_field_type_name(f->type));

    const char *cls;
    rc = jg_def_opt_string(c, path, fj, "class", &cls);
    if (rc != JG_OK)
        return rc;
    f->data_class = JG_CLASS_INTERNAL;
    if (cls != NULL) {
        size_t i;
        for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
            if (strcmp(cls, classes[i]) == 0)
                break;
        if (i == sizeof(classes) / sizeof(classes[0]))
            return jg_def_fail(c, path, "class",
                               "must be public, internal, sensitive or secret, not \"%.40s\"", cls);
        f->data_class = (jg_data_class)i;
    }
    if (sealed(f) && !(opts & O_SEALED))
        return jg_def_fail(c, path, "class",
                           "%s values are stored sealed, which only string and text fields can be", cls);

    int unique, indexed, searchable, in_list;
    rc = jg_def_opt_bool(c, path, fj, "required", &f->required);
    if (rc == JG_OK)
        rc = jg_def_opt_bool(c, path, fj, "unique", &unique);
    if (rc == JG_OK)
        rc = jg_def_opt_bool(c, path, fj, "indexed", &indexed);
    if (rc == JG_OK)
        rc = jg_def_opt_bool(c, path, fj, "searchable", &searchable);
    if (rc == JG_OK)
        rc = jg_def_opt_bool(c, path, fj, "list", &in_list);
    if (rc != JG_OK)
        return rc;
    if (unique && !(opts & O_UNIQUE))
        return jg_def_fail(c, path, "unique", "%s fields cannot be unique", jg_field_type_name(f->type));
    if (indexed && !(opts & O_INDEXED))
        return jg_def_fail(c, path, "indexed", "%s fields cannot be indexed", jg_field_type_name(f->type));
    if (searchable && sealed(f))
        return jg_def_fail(c, path, "searchable",
                           "a %s field cannot be searchable (its text would leak into the index)", cls);
    if (in_list && f->data_class == JG_CLASS_SECRET)
        return jg_def_fail(c, path, "list", "a secret field is never shown in lists");
    f->unique = unique;
    f->indexed = indexed;
    f->searchable = searchable;
    f->in_list = in_list;
    rc = jg_def_opt_string(c, path, fj, "unique_within", &f->unique_within);
    if (rc != JG_OK)
        return rc;
    if (f->unique_within != NULL && !f->unique)
        return jg_def_fail(c, path, "unique_within", "needs \"unique\": true");

    switch (f->type) {
    case JG_FIELD_STRING:
    case JG_FIELD_TEXT:
        rc = load_lengths(c, path, fj, f);
        if (rc == JG_OK)
            rc = load_pattern(c, path, fj, f);
        break;
    case JG_FIELD_JSON:
        rc = load_lengths(c, path, fj, f);
        break;
    case JG_FIELD_INTEGER:
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY:
        rc = load_range(c, path, fj, f);
        break;
    case JG_FIELD_ENUM:
        rc = jg_def_req_string(c, path, fj, "dict", &f->dict);
        if (rc == JG_OK && !jg_def_name_ok(f->dict))
            rc = jg_def_fail(c, path, "dict", "dictionary code \"%.60s\" must be 1-40 of a-z, 0-9 and _",
                             f->dict);
        break;
    case JG_FIELD_REF:
        rc = jg_def_req_string(c, path, fj, "ref", &f->ref);
        if (rc == JG_OK && !jg_def_name_ok(f->ref))
            rc = jg_def_fail(c, path, "ref", "\"%.60s\" is not an entity name", f->ref);
        break;
    case JG_FIELD_FILES:
        rc = load_files(c, path, fj, f);
        break;
    default:
        break;
    }
    if (rc != JG_OK)
        return rc;

    json_t *def = json_object_get(fj, "default");
    if (def != NULL) {
        if (sealed(f))
            return jg_def_fail(c, path, "default", "a %s field has no default (its value is stored sealed)",
                               cls);
        if (json_is_null(def))
            return jg_def_fail(c, path, "default", "leave it out instead of null");
        char buf[256];
        size_t need = 256;
        if (json_is_string(def))
            need += json_string_length(def);
        else if (f->type == JG_FIELD_JSON)
            need += (size_t)f->max_length;
        char *b = need > sizeof(buf) ? jg_xmalloc(need) : buf;
        jg_value stored;
        const char *why;
        int ok = default_to_stored(f, def, &stored, b, need, &why);
        if (b != buf)
            free(b);
        if (!ok)
            return jg_def_fail(c, path, "default", "%s", why);
        f->default_value = json_deep_copy(def);
    }
    return JG_OK;
}

/* Fields of a table, then the checks between them (unique_within). */
jg_rc jg_def_fields(jg_defctx *c, const char *path, json_t *obj, jg_entity *e)
{
    json_t *fa = json_object_get(obj, "fields");
    if (fa == NULL)
        return jg_def_fail(c, path, "fields", "required");
    if (!json_is_array(fa) || json_array_size(fa) == 0 || json_array_size(fa) > JG_DEF_MAX_FIELDS)
        return jg_def_fail(c, path, "fields", "must be an array of 1-%d fields", JG_DEF_MAX_FIELDS);
    e->nfields = (int)json_array_size(fa);
    e->fields = jg_arena_zalloc(c->a, sizeof(jg_field) * (size_t)e->nfields);
    char fp[160];
    for (int i = 0; i < e->nfields; i++) {
        jg_def_path(fp, sizeof(fp), path, "fields", i);
        jg_rc rc = load_field(c, fp, json_array_get(fa, (size_t)i), &e->fields[i]);
        if (rc != JG_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(e->fields[j].name, e->fields[i].name) == 0)
                return jg_def_fail(c, fp, "name", "\"%s\" is already the name of fields[%d]",
                                   e->fields[i].name, j);
    }
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        if (f->unique_within == NULL)
            continue;
        jg_def_path(fp, sizeof(fp), path, "fields", i);
        const jg_field *w = jg_entity_field(e, f->unique_within);
        if (w == NULL)
            return jg_def_fail(c, fp, "unique_within", "no field \"%.60s\"", f->unique_within);
        if (w == f)
            return jg_def_fail(c, fp, "unique_within", "names the field itself");
        if (!jg_def_indexable(w))
            return jg_def_fail(c, fp, "unique_within", "%s fields cannot take part in an index",
                               jg_field_type_name(w->type));
    }
    return JG_OK;
}

int jg_def_indexable(const jg_field *f)
{
    return (options_of(f->type) & O_INDEXED) != 0;
}
