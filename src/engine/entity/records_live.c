/* The live definitions of the records API (app->entities): snapshots published by activations in
 * 业务定制 and pinned per request (live.h), and a look at entity_def every few seconds so that a
 * server picks up what another server behind the same database activated. */
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "engine/entity/definitions.h"
#include "engine/entity/live.h"
#include "engine/entity/records.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_US (2 * 1000000) /* how stale another server's activation may be seen */

typedef struct {
    jg_live live;
    pthread_mutex_t publish; /* activations and refreshes of this process, one at a time */
    atomic_llong checked_us; /* when entity_def was last compared with the current snapshot */
} live_state;

/* 1 when the current snapshot holds exactly the (name, version) pairs of entity_def. */
static int up_to_date(jg_db *db, const jg_records *cur)
{
    jg_rows *r;
    if (jg_db_read(db, "SELECT name, version FROM entity_def", NULL, 0, &r) != JG_OK)
        return 1; /* the database is away: keep what we have */
    int same = jg_rows_count(r) == cur->set.nentities;
    for (int i = 0; same && i < jg_rows_count(r); i++) {
        const jg_entity *e = jg_entity_find(&cur->set, jg_rows_text(r, i, 0));
        same = e != NULL && e->version == jg_rows_int(r, i, 1);
    }
    jg_rows_free(r);
    return same;
}

/* At most every REFRESH_US, by one thread: reload the definitions when entity_def moved on. */
static void refresh_if_stale(jg_app *app, live_state *st)
{
    long long now = jg_time_mono_us(), last = atomic_load(&st->checked_us);
    if (now - last < REFRESH_US || !atomic_compare_exchange_strong(&st->checked_us, &last, now))
        return;
    if (pthread_mutex_trylock(&st->publish) != 0)
        return; /* an activation of ours is publishing */
    const jg_records *cur = jg_live_current(&st->live);
    if (cur != NULL && !up_to_date(app->db, cur)) {
        jg_entity_set set;
        char err[512] = "";
        jg_rc rc = jg_definitions_load_active(app->db, &set, err, sizeof(err));
        if (rc == JG_OK) {
            jg_records_publish(app, &set);
            jg_info("entity definitions changed in the database (another server's activation): reloaded");
        } else {
            jg_warn("entity definitions changed in the database but cannot be loaded: %s", err);
        }
    }
    pthread_mutex_unlock(&st->publish);
}

const jg_records *jg_records_of(const jg_req *req)
{
    live_state *st = req->app->entities;
    jg_req *r = (jg_req *)req; /* pinning is the one write through req, by the thread serving it */
    if (r->entities == NULL)
        refresh_if_stale(req->app, st);
    return jg_live_pin(&st->live, &r->entities);
}

void jg_records_publish(jg_app *app, jg_entity_set *set)
{
    live_state *st = app->entities;
    jg_live_publish(&st->live, jg_records_new(set));
}

void jg_records_lock(jg_app *app)
{
    pthread_mutex_lock(&((live_state *)app->entities)->publish);
}

void jg_records_unlock(jg_app *app)
{
    pthread_mutex_unlock(&((live_state *)app->entities)->publish);
}

void jg_records_live_start(jg_app *app)
{
    live_state *st = jg_xcalloc(1, sizeof(*st));
    jg_live_init(&st->live, jg_records_free);
    pthread_mutex_init(&st->publish, NULL);
    atomic_init(&st->checked_us, jg_time_mono_us());
    app->entities = st;
}

void jg_records_live_stop(jg_app *app)
{
    live_state *st = app->entities;
    if (st == NULL)
        return;
    jg_live_free(&st->live);
    pthread_mutex_destroy(&st->publish);
    free(st);
    app->entities = NULL;
}
