/* Allocation with the project's out-of-memory policy: abort (docs/decisions.md). */
#ifndef JG_MEM_H
#define JG_MEM_H
#include <stddef.h>

/* Allocate n bytes; never returns NULL (aborts on out-of-memory). Caller frees. */
void *jg_xmalloc(size_t n);
/* Allocate zeroed n*size bytes; never returns NULL. Caller frees. */
void *jg_xcalloc(size_t n, size_t size);
/* Resize p to n bytes; never returns NULL. */
void *jg_xrealloc(void *p, size_t n);
/* Duplicate a NUL-terminated string; never returns NULL. Caller frees. */
char *jg_xstrdup(const char *s);
/* Duplicate n bytes of s and terminate; never returns NULL. Caller frees. */
char *jg_xstrndup(const char *s, size_t n);

#endif
