/* Dictionaries (数据字典): the code lists enum fields take their values from.
 *
 * Tables (migration 0006_dictionary.sql):
 *   dictionary       code UNIQUE | name | description | builtin | created_at | updated_at | version
 *   dictionary_item  dictionary_id + code UNIQUE | label | parent_code | sort_order | enabled |
 *                    builtin | created_at | updated_at | version
 *
 * Built-in dictionaries come from defs/platform/dictionaries.json (compiled in); `migrate` inserts
 * what is missing and never overwrites an edit. Items are never deleted: an item that is disabled
 * stays valid in the records that hold it, but is not offered for new values. The routes are in
 * dict_api.c (module "dict"); reading needs a login, writing needs dict.manage. */
#ifndef JG_DICT_H
#define JG_DICT_H
#include "base/arena.h"
#include "db/db.h"

#include <jansson.h>
#include <stddef.h>

#define JG_DICT_CODE_MAX 40         /* bytes of a dictionary or item code */
#define JG_DICT_NAME_MAX 50         /* characters of a dictionary name */
#define JG_DICT_LABEL_MAX 100       /* characters of an item label */
#define JG_DICT_DESCRIPTION_MAX 500 /* characters of a description */
#define JG_DICT_MAX_ITEMS 2000      /* items in one dictionary */
#define JG_DICT_SORT_MAX 1000000    /* sort_order is 0..this */

/* 1 when s is a dictionary code: [a-z][a-z0-9_]{0,39}. NULL gives 0. Cannot fail. */
int jg_dict_code_ok(const char *s);
/* 1 when s is an item code: 1-40 of [A-Za-z0-9_.-]. NULL gives 0. Cannot fail. */
int jg_dict_item_code_ok(const char *s);
/* 1 when s is a text of 1..max_chars UTF-8 characters (s is valid UTF-8, as jansson gives it),
 * without control characters and not only spaces. NULL gives 0. Cannot fail. */
int jg_dict_text_ok(const char *s, size_t max_chars);

/* Check a dictionaries definition document ({"dictionaries":{code:{name, description?, items:
 * [{code, label, parent?}]}}}): valid codes and texts, no repeated item code, every parent an
 * item written before its child (so trees have no cycles). Returns 1, or 0 with an English
 * message for developers in err. */
int jg_dict_defs_check(const json_t *doc, char *err, size_t errlen);
/* The parsed and checked defs/platform/dictionaries.json (compiled in), or NULL if the build
 * embedded a missing or broken one (logged). Caller json_decref()s it. */
json_t *jg_dict_defs(void);
/* Insert every built-in dictionary and item missing from the tables (builtin = 1, items ordered
 * 10, 20, ... as written), leaving what exists as it is. Safe to run again; `migrate` runs it.
 * JG_ERR when the definitions are broken, else as jg_db_tx. */
jg_rc jg_dict_sync(jg_db *db);

/* On c (in the caller's transaction or not): *exists = 1 when the dictionary called dict exists.
 * Fails as jg_db_query. */
jg_rc jg_dict_exists(jg_conn *c, const char *dict, int *exists);
/* On c: *exists = 1 when code is an item of dictionary dict, enabled or not (values already stored
 * stay valid after their item is disabled); *enabled (may be NULL) = 1 when it is also enabled, which
 * a NEW value must be. An unknown dictionary gives *exists = 0. Fails as jg_db_query. */
jg_rc jg_dict_item_exists(jg_conn *c, const char *dict, const char *code, int *exists, int *enabled);
/* On c: the label of item code of dictionary dict, copied into a, in *label; JG_NOTFOUND (and
 * *label = NULL) when there is no such item. Otherwise fails as jg_db_query. */
jg_rc jg_dict_label(jg_conn *c, const char *dict, const char *code, jg_arena *a, const char **label);

#endif
