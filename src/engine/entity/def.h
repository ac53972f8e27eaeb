/* Entity definitions: the compiled form of defs/<subsystem>/<entity>.json.
 *
 * A definition declares a kind of business record — its fields, child tables (repeating
 * sections), states, permissions, data scope, list view and form layout — and the entity engine
 * gives it a table, an API, validation, history, export, import, printing and search. The JSON
 * shape (documented in docs/entities.md) is also what the 业务定制 screens edit at run time.
 *
 *   {"name": "registration", "label": "项目报监", "version": 1,
 *    "scope": {"org": "org_code", "enterprise": "applicant_id"},
 *    "fields": [{"name": "project_name", "label": "项目名称", "type": "string", "required": true,
 *                "max_length": 100, "searchable": true, "list": true}, ...],
 *    "children": [{"name": "units", "label": "单体", "fields": [...]}],
 *    "states": [{"name": "draft", "label": "草稿"}, ...],
 *    "permissions": {"read": "registration.read", "create": "registration.create", ...},
 *    "list": {...}, "form": {...}}
 *
 * Names (entities, fields, children, states) are lower-case ASCII [a-z][a-z0-9_]{0,39}; they
 * become table and column names, so they are checked here and never taken from requests. */
#ifndef JG_ENTITY_DEF_H
#define JG_ENTITY_DEF_H
#include "base/arena.h"
#include "base/embed.h"
#include "base/rc.h"
#include "db/db.h"

#include <jansson.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define JG_ENTITY_NAME_MAX 40

typedef enum {
    JG_FIELD_STRING,     /* one line of text; max_length in characters (default 200) */
    JG_FIELD_TEXT,       /* many lines; max_length (default 10000) */
    JG_FIELD_INTEGER,    /* int64; min/max */
    JG_FIELD_DECIMAL,    /* exact, "scale" digits after the point (default 2), stored scaled as int64 */
    JG_FIELD_MONEY,      /* yuan with 2 decimals in the API ("12.34"), fen (int64) in storage */
    JG_FIELD_DATE,       /* YYYY-MM-DD (business date, Asia/Shanghai) */
    JG_FIELD_DATETIME,   /* ISO-8601 UTC, as the rest of the platform */
    JG_FIELD_BOOLEAN,    /* true/false, stored 0/1 */
    JG_FIELD_ENUM,       /* a code of the dictionary named by "dict" */
    JG_FIELD_REF,        /* id of a record of the entity named by "ref" */
    JG_FIELD_REGION,     /* GB/T 2260 code of a region in table org (35, 3501, 350102) */
    JG_FIELD_ENTERPRISE, /* id of an enterprise of the registry */
    JG_FIELD_PERSON,     /* id of a person of the registry */
    JG_FIELD_FILES,      /* attachments: a JSON array of file ids, max "max_files" (default 20) */
    JG_FIELD_GEO,        /* a point {"lng": 119.3, "lat": 26.08}, WGS-84 or GCJ-02 as the UI sends */
    JG_FIELD_JSON,       /* any JSON value, at most max_length bytes serialised (default 65536) */
} jg_field_type;

/* Who may see a field's value (docs/security.md): sensitive values are masked unless the role
 * holds the entity's "reveal" permission; secret ones never leave the server in lists. */
typedef enum {
    JG_CLASS_PUBLIC,    /* may appear in 公示 */
    JG_CLASS_INTERNAL,  /* the default: whoever may read the record */
    JG_CLASS_SENSITIVE, /* masked unless revealed (ID numbers, phones): stored SM4-sealed */
    JG_CLASS_SECRET,    /* stored SM4-sealed, never listed, revealed only one by one */
} jg_data_class;

typedef struct {
    const char *name;  /* column name */
    const char *label; /* Chinese label, used in messages: "项目名称不能为空" */
    const char *help;  /* or NULL */
    jg_field_type type;
    jg_data_class data_class;
    int required, unique, indexed, searchable, in_list;
    const char *unique_within;      /* unique among records with the same value of this field, or NULL */
    int64_t min_length, max_length; /* characters for string/text; bytes for json (the loader fills in
                                     * the type's default max: 200, 10000, 65536) */
    int has_min, has_max;
    int64_t min, max;    /* integer: as is; decimal/money: scaled like storage */
    int scale;           /* decimal places (decimal 0..6; money 2) */
    const char *pattern; /* POSIX extended regex the whole value must match, or NULL */
    regex_t pattern_re;  /* compiled when pattern != NULL, as "^(pattern)$": regexec() on the whole value */
    const char *dict;    /* enum: dictionary code */
    const char *ref;     /* ref: entity name */
    int max_files;       /* files (the loader fills in the default 20) */
    int64_t max_size;    /* files: bytes of one file (default 20 MiB) */
    const char *const *accept; /* files: kinds accepted, checked by content ("pdf", "jpg" …) */
    int naccept;
    json_t *default_value; /* or NULL; owned */
} jg_field;

typedef struct {
    const char *name, *label;
    int readonly; /* records in this state cannot be updated through the records API ("deleted" is) */
} jg_state;

/* A composite index a definition asks for (its "indexes"): the fields in order. */
#define JG_INDEX_MAX_FIELDS 4
typedef struct {
    const jg_field *fields[JG_INDEX_MAX_FIELDS];
    int nfields;
} jg_index;

typedef struct jg_entity jg_entity;

struct jg_entity {
    const char *name;  /* registration */
    const char *label; /* 项目报监 */
    const char *help;  /* or NULL */
    const char *table; /* e_registration; a child: e_registration__units */
    int version;       /* of the definition */
    jg_field *fields;
    int nfields;
    jg_entity *children; /* repeating sections, each a table with parent_id; no grandchildren */
    int nchildren;
    const jg_entity *parent; /* for a child, else NULL */
    jg_index *indexes;       /* composite indexes for the lists' usual filters and sorts */
    int nindexes;
    jg_state *states; /* the first is the initial state; "deleted" is always added last */
    int nstates;
    /* Data scope columns (jg_scope_cols): field names, or NULL. */
    const char *scope_org, *scope_enterprise, *scope_project;
    /* Permission codes: read, create, update, delete, reveal (defaults "<name>.read" …). */
    const char *perm_read, *perm_create, *perm_update, *perm_delete, *perm_reveal;
    json_t *doc;     /* the whole definition as loaded (list view, form layout, print templates) */
    jg_arena *arena; /* private: what the loader allocated (NULL in a child: the parent's) */
};

/* A set of loaded definitions. */
typedef struct {
    jg_entity *entities;
    int nentities;
} jg_entity_set;

/* Parse and check one definition document (docs/entities.md). On JG_INVALID writes a message for
 * developers naming the place ("fields[3].type: unknown type \"strng\"") to err and leaves *out
 * empty. doc's reference is not stolen (out->doc holds one of its own). The children of *out point
 * back to it, so a loaded entity must not be copied elsewhere (a set's loaders fix that up).
 * Free with jg_entity_free(). */
jg_rc jg_entity_load(json_t *doc, jg_entity *out, char *err, size_t errlen);
/* Release what jg_entity_load allocated and empty *e (not e itself). An empty entity is a no-op. */
void jg_entity_free(jg_entity *e);
/* Check references across a set: ref fields name entities of the set, no two entities share a
 * name. JG_INVALID with a message in err. */
jg_rc jg_entity_set_check(const jg_entity_set *set, char *err, size_t errlen);
/* The entity called name in set, or NULL. */
const jg_entity *jg_entity_find(const jg_entity_set *set, const char *name);
/* The field called name of e (system columns are not fields), or NULL. */
const jg_field *jg_entity_field(const jg_entity *e, const char *name);
/* "string", "money" …: the name of a field type in definitions. Cannot fail ("?" if unknown). */
const char *jg_field_type_name(jg_field_type t);
/* 1 when s is [a-z][a-z0-9_]* of at most max bytes: the charset of names from definitions, which
 * filter.c and schema.c write into SQL text. */
int jg_entity_ident_ok(const char *s, size_t max);
/* The stored form of f's default, as a bound value: an integer (integer, decimal and money scaled,
 * boolean 0/1) or a text written to buf (region, date, enum code, string, compact JSON).
 * JG_NOTFOUND when f has no default, JG_TOOLARGE when buf is too small. This is the conversion of
 * jg_value_from_json for the defaults the loader accepts (schema sync fills existing rows with it). */
jg_rc jg_field_default_stored(const jg_field *f, jg_value *out, char *buf, size_t buflen);

/* Load every entity definition of files (a table like jg_embedded_defs): each file named
 * "<subsystem>/<entity>.json", the entity's name equal to the file's; other files are skipped.
 * Then jg_entity_set_check. On JG_INVALID err names the file ("registration/registration.json:
 * fields[3].type: ...") and *out is empty. Free with jg_entity_set_free(). */
jg_rc jg_entity_set_load_files(const jg_embedded_file *files, jg_entity_set *out, char *err, size_t errlen);
/* jg_entity_set_load_files on the definitions compiled into the binary (the JSON files of defs/<subsystem>/
 * but defs/platform). */
jg_rc jg_entity_set_load_embedded(jg_entity_set *out, char *err, size_t errlen);
/* Free every entity of set and empty it (not set itself). NULL or an empty set is a no-op. */
void jg_entity_set_free(jg_entity_set *set);

#endif
