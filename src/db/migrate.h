/* Versioned schema migrations compiled into the binary (src/db/migrations/NNNN_name.sql). */
#ifndef JG_MIGRATE_H
#define JG_MIGRATE_H
#include "db/db.h"

/* The newest schema version this binary knows. Cannot fail. */
int jg_migrate_latest(void);
/* Read the database's schema version into *version (0 for an empty database). */
jg_rc jg_migrate_current(jg_db *db, int *version);
/* Apply every missing migration, each in its own transaction; *applied gets how many.
 * JG_CONFLICT if the database is newer than this binary. */
jg_rc jg_migrate_up(jg_db *db, int *applied);
/* Expand the dialect macros ({{id}}, {{real}}, {{bigint}}) of a migration for db's backend.
 * Returns a string the caller frees. Never returns NULL. */
char *jg_migrate_expand(const jg_db *db, const char *sql);

#endif
