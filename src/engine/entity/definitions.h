/* Runtime editing of entity definitions (业务定制), the store: every version of each definition
 * in entity_def_version (migration 0010), the active ones the server runs, and the policy between
 * the definitions shipped in the binary and the custom ones activated at run time.
 *
 *   entity_def          the ACTIVE definition of each entity, what its tables are at (schema.h)
 *   entity_def_version  all versions: one "active" (the one entity_def holds), "superseded"
 *                       ones, at most one "draft"; source "shipped" or "custom"
 *
 * Policy (docs/entities.md, "业务定制 / runtime editing"):
 *   - The server runs what entity_def holds: shipped, custom, and entities created at run time.
 *   - `migrate` applies a shipped definition unless the entity's active version is custom and at
 *     least as high as the shipped one; then the custom version stays active (logged). A shipped
 *     version higher than the active custom one wins: it is applied like any new version, so a
 *     destructive difference (a field the custom version added and the shipped one lacks) makes
 *     migrate fail naming it, and the administrator activates a custom version holding both,
 *     numbered above the shipped one (jg_definitions_next_version).
 *   - A server refuses to start while a shipped definition is missing from entity_def, or is at
 *     another version than an active shipped one, or higher than an active custom one: migrate
 *     must run first. */
#ifndef JG_ENTITY_DEFINITIONS_H
#define JG_ENTITY_DEFINITIONS_H
#include "db/db.h"
#include "engine/entity/def.h"

#include <jansson.h>
#include <stddef.h>

/* Load n definition documents (not stolen; each entity holds a deep copy) into out, then
 * jg_entity_set_check. JG_INVALID with a message naming the entity in err, *out empty. */
jg_rc jg_definitions_set_from_docs(json_t *const *docs, int n, jg_entity_set *out, char *err, size_t errlen);
/* The active definitions of db (entity_def), shipped ones first in the binary's order, checked
 * against the shipped ones as the policy says. JG_CONFLICT (message in err) when `migrate` must
 * run first; JG_INVALID when a stored definition no longer loads; other rc: database. */
jg_rc jg_definitions_load_active(jg_db *db, jg_entity_set *out, char *err, size_t errlen);
/* `jianguan migrate`: sync the tables to the shipped definitions where the policy lets them win
 * (custom ones kept otherwise), then record the versions. Fails as jg_schema_sync. */
jg_rc jg_definitions_migrate(jg_db *db, char *err, size_t errlen);
/* The two above over the shipped definitions given instead of the compiled-in ones (tests). */
jg_rc jg_definitions_load_active_from(jg_db *db, const jg_entity_set *shipped, jg_entity_set *out, char *err,
                                      size_t errlen);
jg_rc jg_definitions_migrate_from(jg_db *db, const jg_entity_set *shipped, char *err, size_t errlen);
/* Make entity_def_version agree with entity_def on c (in the caller's transaction): the version
 * entity_def holds is "active" (inserted as shipped when unknown: custom ones are inserted by
 * their activation), other active ones "superseded", a draft numbered above it. */
jg_rc jg_definitions_reconcile(jg_conn *c);
/* The version of the definition of name compiled into the binary, 0 when none is. Cannot fail. */
int jg_definitions_shipped_version(const char *name);
/* The version a new draft or rollback copy of name gets on c: one above every version the
 * database holds (but its draft) and the shipped one. */
jg_rc jg_definitions_next_version(jg_conn *c, const char *name, int *out);

/* The changes from old (NULL: the entity is new) to e, for users: appends to changes objects
 * {"text": "新增字段“备注”（remark）", "destructive": false}. destructive marks what the schema
 * sync refuses whatever the data (a field removed, a type changed, a limit narrowed …); whether
 * existing records fit a new rule (required, unique) only the sync can tell. Cannot fail. */
void jg_definitions_diff(const jg_entity *old, const jg_entity *e, json_t *changes);

#endif
