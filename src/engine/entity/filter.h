/* The filter language of record lists, turned into SQL with bound values.
 *
 * A filter is JSON, sent as the query parameter `filter` (URL-encoded) or in a query body:
 *   {"field": "area", "op": "ge", "value": "1000.00"}
 *   {"and": [ <filter>, ... ]}   {"or": [ <filter>, ... ]}   {"not": <filter>}
 * ops: eq ne lt le gt ge (one value), in (array of 1..100 values), like (text with % and _,
 * matched literally otherwise; "contains" semantics are the caller's by adding %), between
 * (array [low, high]), null (value true: IS NULL, false: IS NOT NULL).
 * field is a field of the entity, a system column (id, state, created_at, updated_at,
 * created_by, version), or "ref_field.field" one step through a ref/enterprise/person field
 * (enterprise: name, credit_code; person: name) — turned into an EXISTS subquery.
 * Values go through jg_value_from_json of the field, so "12.34" filters money in fen.
 * Limits: depth 8, 200 conditions, 100 values in an "in". Sensitive and secret fields of the
 * entity itself are filtered only by eq, in and null, through their blind index (the value is
 * indexed like records_write.c stores it), never through a reference, and never sorted.
 *
 * Semantics (filter.c): like is case-insensitive for ASCII on both backends (lower() on both
 * sides); a backslash before %, _ or \ makes it literal, any other backslash is itself literal.
 * Ordering ops (lt le gt ge between) only on numbers, money, ids, dates and datetimes; like only on
 * string, text and region; files, geo and json only take null. SQL's three-valued logic stays:
 * ne and not do not match NULLs. A step through a reference matches when the referenced record
 * exists, is not deleted, lies inside the caller's scope (ref fields) and its column matches. The value of
 * null must be true or false; other empty values
 * ("" or null for eq) are refused rather than silently matching nothing. */
#ifndef JG_ENTITY_FILTER_H
#define JG_ENTITY_FILTER_H
#include "base/arena.h"
#include "base/buf.h"
#include "db/db.h"
#include "engine/entity/def.h"
#include "platform/scope.h"

#include <jansson.h>

#define JG_FILTER_MAX_PARAMS 400

/* Who asks, for jg_filter_sql: whose data scope applies to referenced records, and the key of
 * the blind indexes of sealed fields (NULL: sealed fields cannot be filtered). */
typedef struct {
    const jg_principal *who;
    const unsigned char *field_key;
} jg_filter_as;

/* Append " AND (<condition>)" for filter (NULL: nothing) over the rows of e (table alias "r")
 * as as->who sees them (as NULL: no scope, no sealed fields): a step through a ref field matches only a
 * referenced record that is not deleted and lies inside who's data scope (who NULL: any referenced record not
 * deleted — for tests and tools) to sql, its values at params[*n...] (at most JG_FILTER_MAX_PARAMS - *n)
 * advancing *n. Filter JSON null is the same as NULL. On any failure sql and *n are left exactly as they
 * were; a sql buffer too small for the condition is JG_INVALID ("筛选条件过长"), so give it room: 128 KiB
 * holds the largest filter the limits allow, with names as long as def.h allows. A name in a definition that
 * is not an identifier is JG_ERR. JG_INVALID with a Chinese message in *message (arena-allocated) for a
 * malformed filter, an unknown field or op, a value of the wrong type, or a limit passed. */
jg_rc jg_filter_sql(const jg_filter_as *as, const jg_entity_set *set, const jg_entity *e, json_t *filter,
                    jg_buf *sql, jg_value *params, int *n, jg_arena *a, const char **message);
/* Append " ORDER BY ..." for sort: a comma list of field names, each optionally prefixed by '-'
 * for descending ("-registered_on,project_name"); NULL or "" means "-id". Only fields of e and
 * the system columns; id is always added last as the tie-breaker (descending when the first key
 * is). At most 5 keys, 256 bytes; not files, geo, json or sensitive fields. NULLs sort last going
 * up and first going down on both backends (PostgreSQL's default, written out). On JG_INVALID
 * with *message sql is as it was. */
jg_rc jg_sort_sql(const jg_entity *e, const char *sort, jg_buf *sql, jg_arena *a, const char **message);

#endif
