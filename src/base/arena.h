/* Arenas: memory owned by one scope (a request, a transaction, a command) and freed at its end. */
#ifndef JG_ARENA_H
#define JG_ARENA_H
#include <stdarg.h>
#include <stddef.h>

typedef struct jg_arena jg_arena;

/* Create an arena. Never returns NULL. Free with jg_arena_free(). */
jg_arena *jg_arena_new(void);
/* Free everything allocated from a, after running its cleanups in reverse order. NULL is a no-op. */
void jg_arena_free(jg_arena *a);
/* Allocate n bytes aligned for any type; lives until the arena is freed. Never returns NULL. */
void *jg_arena_alloc(jg_arena *a, size_t n);
/* Zeroed allocation of n bytes. Never returns NULL. */
void *jg_arena_zalloc(jg_arena *a, size_t n);
/* Copy s (NUL-terminated) into the arena. s may be NULL, which returns NULL. */
char *jg_arena_strdup(jg_arena *a, const char *s);
/* Copy n bytes of s into the arena and terminate them. */
char *jg_arena_strndup(jg_arena *a, const char *s, size_t n);
/* printf into the arena. Never returns NULL. */
char *jg_arena_printf(jg_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Register fn(ud) to run when the arena is freed (for what is not memory: handles, files). */
void jg_arena_on_free(jg_arena *a, void (*fn)(void *), void *ud);

#endif
