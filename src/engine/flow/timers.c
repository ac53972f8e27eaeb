/* Timers that fire (timers.h). */
#include "engine/flow/timers.h"

#include "base/config.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "engine/flow/run.h"
#include "platform/session.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BATCH 200 /* timers read at once; the rest on the next round */

/* Who fires timers: the system, seeing every record (its steps are logged without a user). */
static const jg_principal system_principal = {
    .username = "system",
    .display_name = "系统",
    .role = "system",
    .kind = "admin",
    .org_code = "35",
    .scope = "province",
    .permissions = "[]",
};

typedef struct {
    jg_flow_op op;
    int64_t id;
    const char *at;
    int fired;
} fire_op;

static jg_rc fire_tx(jg_conn *c, void *ud)
{
    fire_op *f = ud;
    f->fired = 0;
    return jg_flow_fire_timer(c, &f->op, f->id, f->at, &f->fired);
}

static jg_rc set_aside_tx(jg_conn *c, void *ud)
{
    fire_op *f = ud;
    jg_value q[] = {JG_VINT(f->id), JG_VTEXT(f->at)};
    return jg_db_exec(
        c, "UPDATE flow_timer SET state = 'failed', fired_at = $2 WHERE id = $1 AND state = 'pending'", q, 2,
        NULL);
}

jg_rc jg_flow_timers_fire(jg_app *app, const char *at, int *fired)
{
    *fired = 0;
    for (int round = 0; round < 1000; round++) {
        jg_rows *r;
        jg_value p[] = {JG_VTEXT(at), JG_VINT(BATCH)};
        jg_rc rc = jg_db_read(
            app->db,
            "SELECT id FROM flow_timer WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id"
            " LIMIT $2",
            p, 2, &r);
        if (rc != JG_OK)
            return rc;
        int n = jg_rows_count(r), progress = 0;
        for (int i = 0; i < n; i++) {
            jg_refusal why = {0};
            jg_req req = {.arena = jg_arena_new(),
                          .app = app,
                          .method = "TIMER",
                          .path = "/flow/timers",
                          .ip = "127.0.0.1",
                          .principal = (void *)&system_principal};
            fire_op f = {.op = {.req = &req, .why = &why}, .id = jg_rows_int(r, i, 0), .at = at};
            rc = jg_db_tx(app->db, fire_tx, &f);
            if (rc == JG_OK) {
                *fired += f.fired;
                progress++;
            } else {
                /* Set aside, so one timer that cannot fire does not hold up the others. */
                jg_warn("flow: timer %lld cannot fire: %s %s", (long long)f.id, jg_rc_name(rc),
                        why.message != NULL ? why.message : "");
                if (jg_db_tx(app->db, set_aside_tx, &f) == JG_OK)
                    progress++;
            }
            jg_arena_free(req.arena);
        }
        jg_rows_free(r);
        if (n < BATCH || progress == 0)
            return JG_OK;
    }
    return JG_OK;
}

/* ---- the poller of serve ---- */

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int started, stop;
    jg_app *app;
} poller = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int tick_mode; /* flow-tick: fire once, no thread */

static void *poll_loop(void *arg)
{
    jg_app *app = arg;
    long every = app->cfg->flow_timer_poll_s;
    pthread_mutex_lock(&poller.lock);
    while (!poller.stop) {
        pthread_mutex_unlock(&poller.lock);
        char now[32];
        int fired = 0;
        jg_time_iso_now(now, sizeof(now));
        jg_rc rc = jg_flow_timers_fire(app, now, &fired);
        if (rc != JG_OK)
            jg_warn("flow: timers: %s", jg_rc_name(rc));
        else if (fired > 0)
            jg_info("flow: %d timer(s) fired", fired);
        pthread_mutex_lock(&poller.lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += every;
        while (!poller.stop && pthread_cond_timedwait(&poller.wake, &poller.lock, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&poller.lock);
    return NULL;
}

jg_rc jg_flow_timers_start(jg_app *app)
{
    if (tick_mode || app->cfg->flow_timer_poll_s <= 0)
        return JG_OK;
    poller.stop = 0;
    poller.app = app;
    /* The thread starts with every signal blocked: SIGTERM and SIGINT are the server's to take
     * (server.c sigwaits for them); one delivered to this thread would kill the process. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int e = pthread_create(&poller.thread, NULL, poll_loop, app);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        jg_error("flow: cannot start the timer thread");
        return JG_ERR;
    }
    poller.started = 1;
    return JG_OK;
}

void jg_flow_timers_stop(jg_app *app)
{
    (void)app;
    if (!poller.started)
        return;
    pthread_mutex_lock(&poller.lock);
    poller.stop = 1;
    pthread_cond_broadcast(&poller.wake);
    pthread_mutex_unlock(&poller.lock);
    pthread_join(poller.thread, NULL);
    poller.started = 0;
}

/* ---- jianguan flow-tick --at ISO ---- */

int jg_flow_tick_cli(const char *config_path, int argc, char **argv)
{
    int64_t t;
    if (argc != 2 || strcmp(argv[0], "--at") != 0 || !jg_time_parse_iso(argv[1], &t)) {
        fprintf(stderr, "usage: jianguan flow-tick --at 2026-12-01T09:00:00Z\n");
        return 2;
    }
    char at[32];
    time_t tt = (time_t)t;
    struct tm w;
    gmtime_r(&tt, &w);
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &w);
    jg_config cfg;
    char err[512] = "";
    if (jg_config_load(&cfg, config_path, err, sizeof(err)) != JG_OK) {
        fprintf(stderr, "jianguan: %s\n", err);
        jg_config_free(&cfg);
        return 2;
    }
    jg_db_options opt = {(int)cfg.db_pool_size, (int)cfg.db_acquire_timeout_ms, (int)cfg.db_busy_retries,
                         (int)cfg.request_timeout_s * 1000};
    jg_db *db = NULL;
    int status = 1;
    if (jg_db_open(cfg.database, &opt, &db, err, sizeof(err)) != JG_OK) {
        fprintf(stderr, "jianguan: %s\n", err);
    } else {
        tick_mode = 1;
        jg_app app;
        int fired = 0;
        jg_rc rc = jg_app_init(&app, &cfg, db);
        if (rc == JG_OK)
            rc = jg_flow_timers_fire(&app, at, &fired);
        jg_app_exit(&app);
        if (rc == JG_OK) {
            printf("fired %d\n", fired);
            status = 0;
        } else {
            fprintf(stderr, "jianguan: flow-tick: %s\n", jg_rc_name(rc));
        }
    }
    jg_db_close(db);
    jg_config_free(&cfg);
    return status;
}
