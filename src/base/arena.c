/* Chunked bump allocator with cleanup callbacks. */
#include "base/arena.h"

#include "base/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define CHUNK_SIZE 8192
#define ALIGN 16

struct chunk {
    struct chunk *next;
    size_t used, size;
    _Alignas(ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *ud;
};

struct jg_arena {
    struct chunk *head;
    struct cleanup *cleanups;
};

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = jg_xmalloc(sizeof(*c) + size);
    c->next = NULL;
    c->used = 0;
    c->size = size;
    return c;
}

jg_arena *jg_arena_new(void)
{
    jg_arena *a = jg_xmalloc(sizeof(*a));
    a->head = chunk_new(CHUNK_SIZE);
    a->cleanups = NULL;
    return a;
}

void jg_arena_free(jg_arena *a)
{
    if (a == NULL)
        return;
    for (struct cleanup *c = a->cleanups; c != NULL;) {
        struct cleanup *next = c->next;
        c->fn(c->ud);
        c = next;
    }
    for (struct chunk *c = a->head; c != NULL;) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *jg_arena_alloc(jg_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2) {
        /* No request can be this big: rounding up would wrap to a tiny block. */
        fprintf(stderr, "jianguan: arena allocation of %zu bytes refused\n", n);
        abort();
    }
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need == 0)
        need = ALIGN;
    struct chunk *c = a->head;
    if (c->size - c->used < need) {
        if (need > CHUNK_SIZE / 4) {
            /* Large block: its own chunk, linked behind the head so the head keeps serving. */
            struct chunk *big = chunk_new(need);
            big->used = need;
            big->next = c->next;
            c->next = big;
            return big->data;
        }
        c = chunk_new(CHUNK_SIZE);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

void *jg_arena_zalloc(jg_arena *a, size_t n)
{
    void *p = jg_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *jg_arena_strndup(jg_arena *a, const char *s, size_t n)
{
    char *p = jg_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *jg_arena_strdup(jg_arena *a, const char *s)
{
    if (s == NULL)
        return NULL;
    return jg_arena_strndup(a, s, strlen(s));
}

char *jg_arena_printf(jg_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = jg_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void jg_arena_on_free(jg_arena *a, void (*fn)(void *), void *ud)
{
    struct cleanup *c = jg_arena_alloc(a, sizeof(*c));
    c->fn = fn;
    c->ud = ud;
    c->next = a->cleanups;
    a->cleanups = c;
}
