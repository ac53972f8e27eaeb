/* Tables from entity definitions, and the changes between two versions of a definition.
 *
 * Each entity gets table e_<name> with the system columns
 *   id, state, created_by, created_at, updated_by, updated_at, version
 * followed by one column per field (geo: one text column; files: one text column), and each
 * child table e_<name>__<child> has id, parent_id (REFERENCES e_<name> ON DELETE CASCADE), seq
 * and its fields. Column types: integer, decimal, money, ref, enterprise, person BIGINT (INTEGER
 * on SQLite); boolean INTEGER; the others TEXT. A sensitive or secret field (stored SM4-sealed)
 * has three TEXT columns: <field> (the sealed token), <field>__bidx (its blind index, which
 * indexes and unique constraints use) and <field>__mask (the masked form for lists).
 * Indexes: ix_<table>__<field> (field, id) for "indexed" fields and the scope columns,
 * ix_<table>__<field>__<field>… (fields…, id) for the definition's "indexes", ux_<table>__<field>
 * for "unique" ones (parent_id, then unique_within, then the field; on an entity table only
 * among records not in state "deleted"), ix_<table>__parent_id (parent_id, seq) on child
 * tables; a name longer than 63 bytes is cut to 46 and given a hash.
 * The definition that a table was made from is kept in entity_def (name, version, doc,
 * applied_at), so a new version is compared with what the database really has. */
#ifndef JG_ENTITY_SCHEMA_H
#define JG_ENTITY_SCHEMA_H
#include "base/buf.h"
#include "db/db.h"
#include "engine/entity/def.h"

#include <stddef.h>

#define JG_SEALED_BIDX_SUFFIX "__bidx" /* column of a sealed field's blind index */
#define JG_SEALED_MASK_SUFFIX "__mask" /* column of a sealed field's masked form */

/* Bring the tables of every entity of set up to date on db, in one transaction: create what is
 * missing, add new fields as columns and new indexes (dropping those no longer declared), fill
 * the NULLs of a field that is (made) required with its default. A destructive change (a field
 * or child table or state removed; a type, data class between sealed and not, or scale changed;
 * a narrowing: max_length or max or max_files lowered, min_length or min raised, pattern added or
 * changed, dict or ref changed; a field made required without a default while records lack it)
 * is refused with JG_CONFLICT and a message naming the entity and field in err, and nothing is
 * changed — unless allow_destructive is set (an explicit migration). Data is never dropped: a
 * removed field's columns, and the old columns of a field whose storage changed, are renamed
 * <column>__v<old version> (a removed child table likewise), and a field whose storage changed
 * starts empty in a new column. A changed definition must have a higher "version" than the one
 * in entity_def (JG_CONFLICT otherwise); the same definition again is a no-op. Entities in
 * entity_def but not in set are left alone. Needs migration 0005 (entity_def). On PostgreSQL
 * the transaction locks entity_def, so servers starting together sync one after the other. */
jg_rc jg_schema_sync(jg_db *db, const jg_entity_set *set, int allow_destructive, char *err, size_t errlen);
/* jg_schema_sync on c, inside the caller's write transaction (the caller commits or rolls back:
 * a dry run is this in a transaction rolled back). With plan not NULL, each statement that changes
 * the tables is appended to it, one a line. Fails as jg_schema_sync. */
jg_rc jg_schema_sync_on(jg_conn *c, const jg_entity_set *set, int allow_destructive, jg_buf *plan, char *err,
                        size_t errlen);

#endif
