/* The live snapshot of the entity definitions: atomic publication, pinning per request. */
#include "engine/entity/live.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void jg_live_init(jg_live *l, void (*free_fn)(void *))
{
    memset(l, 0, sizeof(*l));
    atomic_init(&l->current, NULL);
    pthread_mutex_init(&l->lock, NULL);
    l->free_fn = free_fn;
}

void jg_live_publish(jg_live *l, void *value)
{
    pthread_mutex_lock(&l->lock);
    if (l->nkept == l->capkept) {
        l->capkept = l->capkept > 0 ? l->capkept * 2 : 4;
        l->kept = jg_xrealloc(l->kept, sizeof(void *) * (size_t)l->capkept);
    }
    l->kept[l->nkept++] = value;
    /* Release: whoever loads the pointer sees the snapshot as it was built. */
    atomic_store_explicit(&l->current, value, memory_order_release);
    pthread_mutex_unlock(&l->lock);
}

void *jg_live_current(jg_live *l)
{
    return atomic_load_explicit(&l->current, memory_order_acquire);
}

void *jg_live_pin(jg_live *l, void **slot)
{
    if (*slot == NULL)
        *slot = jg_live_current(l);
    return *slot;
}

void jg_live_free(jg_live *l)
{
    if (l == NULL)
        return;
    for (int i = 0; i < l->nkept; i++)
        if (l->free_fn != NULL)
            l->free_fn(l->kept[i]);
    free(l->kept);
    l->kept = NULL;
    l->nkept = l->capkept = 0;
    atomic_store(&l->current, NULL);
    pthread_mutex_destroy(&l->lock);
}
