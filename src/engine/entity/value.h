/* Field values between the API (JSON) and storage (bound SQL values), by field type.
 *
 *   type        JSON in the API                  storage (jg_value)
 *   string/text "text"                           text
 *   integer     123                              int
 *   decimal     "12.50" or 12.5 (scale digits)   int, scaled by 10^scale
 *   money       "12.34" (yuan, 2 decimals)       int, fen
 *   date        "2026-11-25"                     text
 *   datetime    "2026-11-25T08:00:00Z"           text, normalised to YYYY-MM-DDTHH:MM:SS.mmmZ
 *   boolean     true                             int 0/1
 *   enum        "code"                           text (the dictionary check is the caller's)
 *   ref/enterprise/person  42                    int (existence is the caller's check)
 *   region      "350102"                         text (existence is the caller's check)
 *   files       [12, 13]                         text "[12,13]"
 *   geo         {"lng":119.3,"lat":26.08}        text "119.3,26.08"
 *   json        any                              text (compact)
 * Null is allowed for any type unless the field is required. Conversion never trusts floats for
 * money or decimals: "0.1" + "0.2" is exact.
 *
 * The details (value.c):
 * - Empty: null, a missing value and "" (any type but json, where "" is a JSON string) are no
 *   value, stored as NULL; so is an empty files array. A required string/text of only spaces is
 *   empty too. Strings are stored as sent (not trimmed).
 * - string: one line (no control characters); text: may hold \t \n \r. Lengths in characters
 *   (UTF-8 code points); defaults 200 and 10000. The pattern must match the whole value.
 * - decimal/money as text: [+-]digits[.digits], places beyond scale only if zeros ("12.500");
 *   no exponent, spaces, separators or bare points. As a JSON integer: scaled, overflow checked.
 *   As a JSON real: taken only if it is the double nearest to a decimal with at most scale places
 *   and |x| < 2^53 / 10^scale (12.34 from a browser is fine; 0.1 + 0.2 computed there is refused).
 * - datetime: YYYY-MM-DD(T| )HH:MM[:SS[.fraction]] with Z or an offset (+08:00, +0800, +08);
 *   a zone is required; converted to UTC, fraction cut to milliseconds; years 1900..9999.
 * - enum: a dictionary item code (jg_dict_item_code_ok). ref/enterprise/person: a JSON integer > 0.
 * - files: distinct JSON integers > 0, at most max_files (default 20).
 * - geo: exactly {"lng","lat"}, numbers, lng in [-180,180], lat in [-90,90]; stored as the
 *   shortest decimals that read back exactly. json: compact, at most max_length bytes (65536). */
#ifndef JG_ENTITY_VALUE_H
#define JG_ENTITY_VALUE_H
#include "base/arena.h"
#include "db/db.h"
#include "engine/entity/def.h"

#include <jansson.h>

/* Convert v (may be NULL or JSON null) for field f into *out (strings in arena a). On
 * JG_INVALID sets *message to a Chinese sentence naming the field by its label
 * ("工程造价应为金额（元），最多两位小数"). Checks type, length (characters), pattern, min/max, the
 * number of files; "required" is checked too (null or "" for a required field is JG_INVALID). */
jg_rc jg_value_from_json(const jg_field *f, json_t *v, jg_arena *a, jg_value *out, const char **message);
/* The JSON for the stored value at rows[row][col] of field f (new reference; json null for SQL
 * NULL): the inverse of jg_value_from_json ("12.34" for 1234 fen). Stored text that
 * jg_value_from_json would not have written (a files, geo or json column edited by hand) gives
 * JSON null. Sensitive values come back as stored: masking is the caller's. */
json_t *jg_value_to_json(const jg_field *f, const jg_rows *rows, int row, int col);
/* The SQL column type of f for the backend ("TEXT", "{{bigint}}" …) as migrations write it. */
const char *jg_value_sql_type(const jg_field *f);

#endif
