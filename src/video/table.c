/* A chained hash table keyed by strings the values own (FNV-1a, doubling at load 1). */
#include "base/mem.h"
#include "base/text.h"
#include "video/video_int.h"

#include <stdlib.h>
#include <string.h>

static size_t hash(const char *s)
{
    return (size_t)jg_fnv1a(s);
}

void jg_vtab_init(jg_vtab *t)
{
    t->nbuckets = 64;
    t->count = 0;
    t->buckets = jg_xcalloc(t->nbuckets, sizeof(*t->buckets));
}

void jg_vtab_free(jg_vtab *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        jg_vtab_node *n = t->buckets[i];
        while (n != NULL) {
            jg_vtab_node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = 0;
    t->count = 0;
}

void *jg_vtab_get(const jg_vtab *t, const char *key)
{
    for (jg_vtab_node *n = t->buckets[hash(key) & (t->nbuckets - 1)]; n != NULL; n = n->next)
        if (strcmp(n->key, key) == 0)
            return n->value;
    return NULL;
}

static void grow(jg_vtab *t)
{
    size_t nb = t->nbuckets * 2;
    jg_vtab_node **b = jg_xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < t->nbuckets; i++) {
        jg_vtab_node *n = t->buckets[i];
        while (n != NULL) {
            jg_vtab_node *next = n->next;
            size_t k = hash(n->key) & (nb - 1);
            n->next = b[k];
            b[k] = n;
            n = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

void jg_vtab_put(jg_vtab *t, const char *key, void *value)
{
    if (t->count >= t->nbuckets)
        grow(t);
    jg_vtab_node *n = jg_xmalloc(sizeof(*n));
    size_t k = hash(key) & (t->nbuckets - 1);
    n->key = key;
    n->value = value;
    n->next = t->buckets[k];
    t->buckets[k] = n;
    t->count++;
}

void *jg_vtab_del(jg_vtab *t, const char *key)
{
    jg_vtab_node **p = &t->buckets[hash(key) & (t->nbuckets - 1)];
    for (; *p != NULL; p = &(*p)->next) {
        if (strcmp((*p)->key, key) == 0) {
            jg_vtab_node *n = *p;
            void *v = n->value;
            *p = n->next;
            free(n);
            t->count--;
            return v;
        }
    }
    return NULL;
}

void jg_vtab_each(const jg_vtab *t, void (*fn)(void *value, void *ud), void *ud)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (jg_vtab_node *n = t->buckets[i]; n != NULL; n = n->next)
            fn(n->value, ud);
}
