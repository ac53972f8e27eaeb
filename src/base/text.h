/* Text checks and conversions for input from outside: UTF-8, integers, JSON nesting. */
#ifndef JG_TEXT_H
#define JG_TEXT_H
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

/* Return 1 if the n bytes at s are well-formed UTF-8 (no overlongs, surrogates or NULs), else 0. */
int jg_utf8_valid(const char *s, size_t n);
/* Parse a decimal int64 in [min,max] from the whole of s. JG_INVALID on anything else. */
jg_rc jg_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Return the deepest nesting of arrays/objects in the JSON text (strings are skipped). */
int jg_json_depth(const char *s, size_t n);
/* Copy src into dst of size dstlen, always terminating; returns JG_TOOLARGE if truncated. */
jg_rc jg_strlcpy(char *dst, const char *src, size_t dstlen);
/* The 64-bit FNV-1a hash of the text s, for hash tables and short stable names (stored in index
 * names of entity tables: it must never change). */
uint64_t jg_fnv1a(const char *s);
/* Characters (code points) of the UTF-8 text s: the bytes that are not continuation bytes. */
size_t jg_utf8_chars(const char *s);

#endif
