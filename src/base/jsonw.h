/* A streaming JSON writer into a bounded jg_buf, for hot paths where building a jansson tree
 * costs more than the data (lists of records). Produces compact, valid UTF-8 JSON. */
#ifndef JG_JSONW_H
#define JG_JSONW_H
#include "base/buf.h"

#include <stdint.h>

/* Append s as a JSON string (quotes, escapes; control characters as \u00XX). If s is not valid
 * UTF-8 it writes null instead, so the document stays valid. */
void jg_jsonw_string(jg_buf *b, const char *s);
/* Append s as a JSON string whatever it holds: valid UTF-8 as it is, otherwise every byte
 * outside printable ASCII as \u00XX (for keys and log lines, which must not become null). */
void jg_jsonw_text(jg_buf *b, const char *s);
/* Append a JSON number from its decimal text (as PostgreSQL or SQLite print it). Text that is
 * not a finite JSON number (NaN, Infinity, empty) is written as null. */
void jg_jsonw_number_text(jg_buf *b, const char *s);
/* Append an integer. */
void jg_jsonw_int(jg_buf *b, int64_t v);

#endif
