/* The live value of something requests read and an administrator replaces at run time (the
 * entity definitions): an immutable snapshot behind an atomic pointer.
 *
 * A request pins the snapshot current at its first use in a slot of its own and sees that one
 * for its whole life, even when a newer one is published meanwhile. Published snapshots are
 * never freed before jg_live_free (at exit): a request, or a streamed answer that outlives its
 * handler, may still use an old one, and replacements are rare (an activation in 业务定制) and
 * small, so keeping them costs little and needs no reference counts on the read path. */
#ifndef JG_ENTITY_LIVE_H
#define JG_ENTITY_LIVE_H
#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    _Atomic(void *) current;
    void **kept; /* every snapshot published, oldest first */
    int nkept, capkept;
    pthread_mutex_t lock; /* publishers */
    void (*free_fn)(void *);
} jg_live;

/* Set up l empty (current NULL); jg_live_free will call free_fn on each published snapshot.
 * Cannot fail. */
void jg_live_init(jg_live *l, void (*free_fn)(void *));
/* Make value (not NULL, taken over) the current snapshot. Requests that pinned an older one keep
 * it. Safe from any thread. Cannot fail (aborts when out of memory, as jg_xmalloc). */
void jg_live_publish(jg_live *l, void *value);
/* The current snapshot (NULL before the first publish). Safe from any thread. */
void *jg_live_current(jg_live *l);
/* The snapshot pinned in *slot, pinning the current one there first when *slot is NULL. slot
 * belongs to one request, used by one thread at a time. */
void *jg_live_pin(jg_live *l, void **slot);
/* Free every snapshot published (no request may run any more) and empty l. NULL is a no-op. */
void jg_live_free(jg_live *l);

#endif
