/* Growable byte buffers with a hard maximum, so outside input can never grow them without limit. */
#ifndef JG_BUF_H
#define JG_BUF_H
#include "base/rc.h"

#include <stddef.h>

typedef struct {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;     /* largest len allowed */
    int overflowed; /* an append was refused: the contents are incomplete */
} jg_buf;

/* Initialise an empty buffer that may hold at most max bytes. Cannot fail. */
void jg_buf_init(jg_buf *b, size_t max);
/* Append n bytes. JG_TOOLARGE (buffer unchanged, overflowed set) if len would pass max. */
jg_rc jg_buf_append(jg_buf *b, const void *p, size_t n);
/* Append a NUL-terminated string. As jg_buf_append. */
jg_rc jg_buf_puts(jg_buf *b, const char *s);
/* Append formatted text. As jg_buf_append. */
jg_rc jg_buf_printf(jg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text s (NULL: nothing) for XML or HTML: & < > " ' as references, C0 controls other than
 * tab, LF and CR dropped (XML 1.0 has no place for them). As jg_buf_append. */
jg_rc jg_buf_put_markup(jg_buf *b, const char *s);
/* Release the memory, leaving an empty buffer with the same max. */
void jg_buf_free(jg_buf *b);
/* Give the data to the caller (who frees it with free()) and reset the buffer. May return NULL when empty. */
char *jg_buf_steal(jg_buf *b);

#endif
