/* Roles: the templates of defs/platform/roles.json, kept in the role table where the security
 * administrator edits them and adds roles of his own. */
#ifndef JG_ROLES_H
#define JG_ROLES_H
#include "db/db.h"

#include <jansson.h>

/* The parsed defs/platform/roles.json (compiled in), or NULL if the build embedded a broken one.
 * Caller json_decref()s it. */
json_t *jg_roles_defs(void);
/* Insert every template missing from the role table, and bring the templates nobody has edited
 * (version 1) up to their definitions; edited ones are left as they are. Safe to run again;
 * `migrate` runs it. */
jg_rc jg_roles_sync(jg_db *db);

#endif
