/* Internals of the definition loader shared by def.c, def_field.c and def_check.c: checking the
 * keys of a definition's JSON objects, with messages naming the place ("fields[3].type: ..."). */
#ifndef JG_ENTITY_DEF_INT_H
#define JG_ENTITY_DEF_INT_H
#include "base/arena.h"
#include "engine/entity/def.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JG_DEF_MAX_FIELDS 200 /* per table: far below SQLite's 2000 and PostgreSQL's 1600 columns */

/* One load: where its message goes and the arena of the entity being loaded. */
typedef struct {
    char *err;
    size_t errlen;
    jg_arena *a;
} jg_defctx;

/* Write "path.key: message" (path or key may be empty) to c->err and return JG_INVALID. */
jg_rc jg_def_fail(jg_defctx *c, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "an object", "a string" …: the kind of v for messages. Cannot fail. */
const char *jg_def_kind(const json_t *v);
/* JG_INVALID for the first key of obj not in allowed (NULL-terminated); "comment" (a string) is
 * always allowed. */
jg_rc jg_def_keys(jg_defctx *c, const char *path, json_t *obj, const char *const *allowed);
/* Optional string key of obj (obj may be NULL): *out an arena copy, or NULL when absent. */
jg_rc jg_def_opt_string(jg_defctx *c, const char *path, json_t *obj, const char *key, const char **out);
/* As jg_def_opt_string, but absent is JG_INVALID ("required"). */
jg_rc jg_def_req_string(jg_defctx *c, const char *path, json_t *obj, const char *key, const char **out);
/* Optional boolean key: *out 0 when absent. */
jg_rc jg_def_opt_bool(jg_defctx *c, const char *path, json_t *obj, const char *key, int *out);
/* Optional integer key in [lo, hi]; *present says whether it was given (*out untouched if not). */
jg_rc jg_def_opt_int(jg_defctx *c, const char *path, json_t *obj, const char *key, int64_t lo, int64_t hi,
                     int *present, int64_t *out);
/* A name that becomes an SQL identifier (what: "field name" …): syntax, reserved word, system column. */
jg_rc jg_def_name(jg_defctx *c, const char *path, const char *key, const char *name, const char *what);
/* The required Chinese "label" of obj. */
jg_rc jg_def_label(jg_defctx *c, const char *path, json_t *obj, const char **out);
/* The optional "help" of obj. */
jg_rc jg_def_help(jg_defctx *c, const char *path, json_t *obj, const char **out);
/* The text at key of obj (1..max characters, no control characters): an arena copy in *out, NULL
 * when absent and not required. */
jg_rc jg_def_text(jg_defctx *c, const char *path, json_t *obj, const char *key, size_t max, int required,
                  const char **out);
/* The "print" templates of doc, checked against e (def_print.c; the shape is in docs/entities.md). */
jg_rc jg_def_print(jg_defctx *c, json_t *doc, const jg_entity *e);
/* "path.key[index]" (index < 0: without) into out. */
void jg_def_path(char *out, size_t len, const char *path, const char *key, int index);
/* 1 when s is [a-z][a-z0-9_]{0,39} without "__". */
int jg_def_name_ok(const char *s);

/* 1 when a field of f's type can take part in an index (a sealed one through its blind index). */
int jg_def_indexable(const jg_field *f);
/* The "fields" of obj (an entity or a child table) into e->fields, checked among themselves. */
jg_rc jg_def_fields(jg_defctx *c, const char *path, json_t *obj, jg_entity *e);

#endif
