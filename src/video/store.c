/* The video writer: the event loop queues jobs, one thread writes whatever has queued up in one
 * transaction (group commit), so 40,000 devices cost a few transactions a second, not hundreds.
 * Keepalive times arrive already batched (every video_keepalive_flush_s) and are written 64 rows
 * per UPDATE ... FROM (VALUES ...), which SQLite (3.33+) and PostgreSQL both accept. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "video/video_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum job_kind {
    J_REGISTERED,
    J_ONLINE,
    J_OFFLINE,
    J_EVENT,
    J_KEEPALIVES,
    J_DEVINFO,
    J_CHANNELS,
    J_CATALOG,
    J_STATUS,
    J_ALARM,
    J_POSITION,
    J_CHANNEL_EVENT,
    J_PURGE,
    J_SUBSCRIPTION
};

#define PURGE_BATCH 20000 /* rows of each table one purge deletes at most */

typedef struct job {
    struct job *next;
    enum job_kind kind;
    char gb_id[JG_GBID_LEN + 1];
    char at[32];
    char *a, *b, *c, *d, *e; /* text fields of the job, by kind */
    int64_t n1, n2;
    void *items; /* J_KEEPALIVES: struct ka[]; J_CHANNELS: jg_manscdp_item[] */
    size_t count;
} job;

struct ka {
    char id[JG_GBID_LEN + 1];
    char at[32];
};

struct jg_vstore {
    jg_db *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work queued or stop asked */
    pthread_cond_t done_cv; /* a batch finished */
    job *head, *tail;
    size_t queued, max_jobs;
    int stopping, busy;
    uint64_t enqueued, written; /* jobs */
    uint64_t dropped, failed;
};

#define KA_CHUNK 64

static void job_free(job *j)
{
    free(j->a);
    free(j->b);
    free(j->c);
    free(j->d);
    free(j->e);
    free(j->items);
    free(j);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? jg_xstrdup(s) : NULL;
}

static jg_rc run_registered(jg_conn *c, const job *j)
{
    static const char sql[] =
        "INSERT INTO video_device (gb_id, transport, address, port, online, registered_at, expires_at, "
        "last_keepalive_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $5, $5, $5) "
        "ON CONFLICT (gb_id) DO UPDATE SET transport = excluded.transport, address = excluded.address, "
        "port = excluded.port, online = 1, registered_at = excluded.registered_at, "
        "expires_at = excluded.expires_at, last_keepalive_at = excluded.last_keepalive_at, "
        "updated_at = excluded.updated_at";
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a),  JG_VTEXT(j->b),
                    JG_VINT(j->n1),     JG_VTEXT(j->at), JG_VTEXT(j->c)};
    return jg_db_exec(c, sql, p, 6, NULL);
}

static jg_rc insert_event(jg_conn *c, const char *gb_id, const char *kind, const char *detail, const char *at)
{
    jg_value p[] = {JG_VTEXT(gb_id), JG_VTEXT(kind), JG_VTEXT(at), JG_VTEXT(detail != NULL ? detail : "")};
    return jg_db_exec(c, "INSERT INTO video_event (device_gb_id, kind, at, detail) VALUES ($1, $2, $3, $4)",
                      p, 4, NULL);
}

static jg_rc run_state(jg_conn *c, const job *j)
{
    jg_rc rc;
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->at)};
    if (j->kind == J_ONLINE)
        rc =
            jg_db_exec(c, "UPDATE video_device SET online = 1, updated_at = $2 WHERE gb_id = $1", p, 2, NULL);
    else if (j->n1 != 0) /* unregistered: the registration ends now */
        rc = jg_db_exec(
            c, "UPDATE video_device SET online = 0, expires_at = $2, updated_at = $2 WHERE gb_id = $1", p, 2,
            NULL);
    else
        rc =
            jg_db_exec(c, "UPDATE video_device SET online = 0, updated_at = $2 WHERE gb_id = $1", p, 2, NULL);
    if (rc == JG_OK)
        rc = insert_event(c, j->gb_id, j->kind == J_ONLINE ? "online" : "offline", j->a, j->at);
    return rc;
}

/* The UPDATE for n keepalive rows: "... FROM (VALUES ($1, $2), ($3, $4) ...) AS v ...". The SQL
 * text holds only placeholders; the values are bound. */
static void ka_sql(jg_buf *b, size_t n)
{
    jg_buf_puts(b, "UPDATE video_device SET last_keepalive_at = v.column2 FROM (VALUES ");
    for (size_t i = 0; i < n; i++)
        jg_buf_printf(b, "%s($%zu, $%zu)", i > 0 ? ", " : "", 2 * i + 1, 2 * i + 2);
    jg_buf_puts(b, ") AS v WHERE video_device.gb_id = v.column1");
}

static jg_rc run_keepalives(jg_conn *c, const job *j)
{
    static char chunk_sql[4096]; /* only the writer thread runs this */
    if (chunk_sql[0] == '\0') {
        jg_buf b;
        jg_buf_init(&b, sizeof(chunk_sql));
        ka_sql(&b, KA_CHUNK);
        jg_strlcpy(chunk_sql, b.data, sizeof(chunk_sql));
        jg_buf_free(&b);
    }
    const struct ka *k = j->items;
    size_t i = 0;
    jg_rc rc = JG_OK;
    jg_value p[2 * KA_CHUNK];
    for (; rc == JG_OK && i + KA_CHUNK <= j->count; i += KA_CHUNK) {
        for (size_t r = 0; r < KA_CHUNK; r++) {
            p[2 * r] = JG_VTEXT(k[i + r].id);
            p[2 * r + 1] = JG_VTEXT(k[i + r].at);
        }
        rc = jg_db_exec(c, chunk_sql, p, 2 * KA_CHUNK, NULL);
    }
    for (; rc == JG_OK && i < j->count; i++) {
        jg_value q[] = {JG_VTEXT(k[i].id), JG_VTEXT(k[i].at)};
        rc = jg_db_exec(c, "UPDATE video_device SET last_keepalive_at = $2 WHERE gb_id = $1", q, 2, NULL);
    }
    return rc;
}

static jg_rc run_devinfo(jg_conn *c, const job *j)
{
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VTEXT(j->b),
                    JG_VTEXT(j->c),     JG_VTEXT(j->d), j->n1 >= 0 ? JG_VINT(j->n1) : JG_VNULL,
                    JG_VTEXT(j->at)};
    return jg_db_exec(c,
                      "UPDATE video_device SET name = $2, manufacturer = $3, model = $4, firmware = $5, "
                      "channel_count = $6, updated_at = $7 WHERE gb_id = $1",
                      p, 7, NULL);
}

static jg_rc run_channels(jg_conn *c, const job *j)
{
    static const char sql[] =
        "INSERT INTO video_channel (device_gb_id, gb_id, name, manufacturer, model, owner, civil_code, "
        "address, "
        "parental, parent_id, status, longitude, latitude, ptz_type, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) "
        "ON CONFLICT (device_gb_id, gb_id) DO UPDATE SET name = excluded.name, "
        "manufacturer = excluded.manufacturer, model = excluded.model, owner = excluded.owner, "
        "civil_code = excluded.civil_code, address = excluded.address, parental = excluded.parental, "
        "parent_id = excluded.parent_id, status = excluded.status, longitude = excluded.longitude, "
        "latitude = excluded.latitude, ptz_type = excluded.ptz_type, updated_at = excluded.updated_at";
    const jg_manscdp_item *it = j->items;
    jg_rc rc = JG_OK;
    for (size_t i = 0; rc == JG_OK && i < j->count; i++) {
        const jg_manscdp_item *x = &it[i];
        jg_value p[] = {JG_VTEXT(j->gb_id),
                        JG_VTEXT(x->device_id),
                        JG_VTEXT(x->name),
                        JG_VTEXT(x->manufacturer),
                        JG_VTEXT(x->model),
                        JG_VTEXT(x->owner),
                        JG_VTEXT(x->civil_code),
                        JG_VTEXT(x->address),
                        JG_VINT(x->parental),
                        JG_VTEXT(x->parent_id),
                        JG_VTEXT(x->status),
                        x->has_position ? JG_VREAL(x->longitude) : JG_VNULL,
                        x->has_position ? JG_VREAL(x->latitude) : JG_VNULL,
                        x->ptz_type > 0 ? JG_VINT(x->ptz_type) : JG_VNULL,
                        JG_VTEXT(j->at)};
        rc = jg_db_exec(c, sql, p, 15, NULL);
    }
    return rc;
}

static jg_rc run_catalog(jg_conn *c, const job *j)
{
    /* a = state, n1 = SumNum (-1 unknown), n2 = distinct channels received, count = tries */
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VINT((int64_t)j->count),
                    JG_VINT(j->n2),     JG_VINT(j->n1), JG_VTEXT(j->at)};
    if (strcmp(j->a, "complete") == 0)
        return jg_db_exec(c,
                          "UPDATE video_device SET catalog_state = $2, catalog_tries = $3, catalog_got = $4, "
                          "catalog_sum = $5, catalog_at = $6 WHERE gb_id = $1",
                          p, 6, NULL);
    return jg_db_exec(c,
                      "UPDATE video_device SET catalog_state = $2, catalog_tries = $3, catalog_got = $4 "
                      "WHERE gb_id = $1",
                      p, 4, NULL);
}

static jg_value real_or_null(double v)
{
    return isnan(v) ? JG_VNULL : JG_VREAL(v);
}

static jg_rc run_status(jg_conn *c, const job *j)
{
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VTEXT(j->at)};
    return jg_db_exec(c, "UPDATE video_device SET status_json = $2, status_at = $3 WHERE gb_id = $1", p, 3,
                      NULL);
}

static jg_rc run_alarm(jg_conn *c, const job *j)
{
    /* a gb_id, b type, c time, d description; n1 priority, n2 method (-1 absent); items lon, lat */
    const double *pos = j->items;
    jg_value p[] = {JG_VTEXT(j->gb_id),
                    JG_VTEXT(j->a),
                    j->n1 >= 0 ? JG_VINT(j->n1) : JG_VNULL,
                    j->n2 >= 0 ? JG_VINT(j->n2) : JG_VNULL,
                    JG_VTEXT(j->b),
                    JG_VTEXT(j->c),
                    JG_VTEXT(j->d),
                    real_or_null(pos[0]),
                    real_or_null(pos[1]),
                    JG_VTEXT(j->at)};
    return jg_db_exec(
        c,
        "INSERT INTO video_alarm (device_gb_id, gb_id, priority, method, alarm_type, alarm_time, "
        "description, longitude, latitude, received_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        p, 10, NULL);
}

static jg_rc run_position(jg_conn *c, const job *j)
{
    /* a gb_id, b time; items lon, lat, speed, direction, altitude */
    const double *v = j->items;
    jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a),     JG_VTEXT(j->b),
                    JG_VREAL(v[0]),     JG_VREAL(v[1]),     real_or_null(v[2]),
                    real_or_null(v[3]), real_or_null(v[4]), JG_VTEXT(j->at)};
    jg_rc rc = jg_db_exec(c,
                          "INSERT INTO video_position (device_gb_id, gb_id, at, longitude, latitude, speed, "
                          "direction, altitude, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          p, 9, NULL);
    jg_value q[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VREAL(v[0]), JG_VREAL(v[1]), JG_VTEXT(j->at)};
    jg_value qd[] = {JG_VTEXT(j->gb_id), JG_VREAL(v[0]), JG_VREAL(v[1]), JG_VTEXT(j->at)};
    if (rc == JG_OK && strcmp(j->gb_id, j->a) == 0)
        rc = jg_db_exec(c,
                        "UPDATE video_device SET pos_longitude = $2, pos_latitude = $3, pos_at = $4 "
                        "WHERE gb_id = $1",
                        qd, 4, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "UPDATE video_channel SET pos_longitude = $3, pos_latitude = $4, pos_at = $5 "
                        "WHERE device_gb_id = $1 AND gb_id = $2",
                        q, 5, NULL);
    /* Bounded history: the newest JG_POSITION_KEEP rows of this ID stay. */
    jg_value r[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VINT(JG_POSITION_KEEP)};
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "DELETE FROM video_position WHERE device_gb_id = $1 AND gb_id = $2 AND id <= "
                        "(SELECT id FROM video_position WHERE device_gb_id = $1 AND gb_id = $2 "
                        "ORDER BY id DESC LIMIT 1 OFFSET $3)",
                        r, 3, NULL);
    return rc;
}

static jg_rc run_channel_event(jg_conn *c, const job *j)
{
    /* a channel, b event (ON OFF VLOST DEFECT ADD DEL UPDATE), c status to set or NULL, d its name */
    jg_rc rc = JG_OK;
    if (j->c != NULL) {
        jg_value p[] = {JG_VTEXT(j->gb_id), JG_VTEXT(j->a), JG_VTEXT(j->c), JG_VTEXT(j->at)};
        rc = jg_db_exec(c,
                        "UPDATE video_channel SET status = $3, updated_at = $4 WHERE device_gb_id = $1 AND "
                        "gb_id = $2",
                        p, 4, NULL);
    }
    char kind[32], detail[256];
    snprintf(kind, sizeof(kind), "channel_%s", j->b);
    for (char *k = kind; *k != '\0'; k++)
        if (*k >= 'A' && *k <= 'Z')
            *k = (char)(*k - 'A' + 'a');
    snprintf(detail, sizeof(detail), "%s%s%s", j->a, j->d != NULL && j->d[0] != '\0' ? " " : "",
             j->d != NULL ? j->d : "");
    if (rc == JG_OK)
        rc = insert_event(c, j->gb_id, kind, detail, j->at);
    return rc;
}

/* Device events and alarms from before j->at (video_event_keep_days): at most PURGE_BATCH rows of
 * each, oldest first, so the batch's transaction stays short; the next purge takes the rest. */
static jg_rc run_purge(jg_conn *c, const job *j)
{
    jg_value p[] = {JG_VTEXT(j->at), JG_VINT(PURGE_BATCH)};
    int64_t events = 0, alarms = 0;
    jg_rc rc = jg_db_exec(c,
                          "DELETE FROM video_event WHERE id IN "
                          "(SELECT id FROM video_event WHERE at < $1 ORDER BY at LIMIT $2)",
                          p, 2, &events);
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "DELETE FROM video_alarm WHERE id IN "
                        "(SELECT id FROM video_alarm WHERE received_at < $1 ORDER BY received_at LIMIT $2)",
                        p, 2, &alarms);
    if (rc == JG_OK && events + alarms > 0)
        jg_info("video: %lld device events and %lld alarms from before %s deleted (video_event_keep_days)",
                (long long)events, (long long)alarms, j->at);
    return rc;
}

static jg_rc run_subscription(jg_conn *c, const job *j)
{
    /* a kind, b state (NULL: the device's rows go), c retry_at or NULL; n1 code, n2 granted_s (0:
     * none); count failures */
    if (j->b == NULL) {
        jg_value p[] = {JG_VTEXT(j->gb_id)};
        return jg_db_exec(c, "DELETE FROM video_subscription WHERE device_gb_id = $1", p, 1, NULL);
    }
    jg_value p[] = {JG_VTEXT(j->gb_id),
                    JG_VTEXT(j->a),
                    JG_VTEXT(j->b),
                    j->n2 > 0 ? JG_VINT(j->n2) : JG_VNULL,
                    j->n1 > 0 ? JG_VINT(j->n1) : JG_VNULL,
                    JG_VINT((int64_t)j->count),
                    j->c != NULL ? JG_VTEXT(j->c) : JG_VNULL,
                    JG_VTEXT(j->at)};
    return jg_db_exec(c,
                      "INSERT INTO video_subscription (device_gb_id, kind, state, granted_s, code, failures, "
                      "retry_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                      "ON CONFLICT (device_gb_id, kind) DO UPDATE SET state = excluded.state, "
                      "granted_s = excluded.granted_s, code = excluded.code, failures = excluded.failures, "
                      "retry_at = excluded.retry_at, at = excluded.at",
                      p, 8, NULL);
}

static jg_rc run_job(jg_conn *c, const job *j)
{
    switch (j->kind) {
    case J_REGISTERED:
        return run_registered(c, j);
    case J_ONLINE:
    case J_OFFLINE:
        return run_state(c, j);
    case J_EVENT:
        return insert_event(c, j->gb_id, j->a, j->b, j->at);
    case J_KEEPALIVES:
        return run_keepalives(c, j);
    case J_DEVINFO:
        return run_devinfo(c, j);
    case J_CHANNELS:
        return run_channels(c, j);
    case J_CATALOG:
        return run_catalog(c, j);
    case J_STATUS:
        return run_status(c, j);
    case J_ALARM:
        return run_alarm(c, j);
    case J_POSITION:
        return run_position(c, j);
    case J_CHANNEL_EVENT:
        return run_channel_event(c, j);
    case J_PURGE:
        return run_purge(c, j);
    case J_SUBSCRIPTION:
        return run_subscription(c, j);
    }
    return JG_ERR;
}

static jg_rc run_batch(jg_conn *c, void *ud)
{
    for (job *j = ud; j != NULL; j = j->next) {
        jg_rc rc = run_job(c, j);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static void *writer(void *arg)
{
    jg_vstore *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->head == NULL && !s->stopping)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->head == NULL && s->stopping)
            break;
        job *batch = s->head;
        size_t n = s->queued;
        s->head = s->tail = NULL;
        s->queued = 0;
        s->busy = 1;
        pthread_mutex_unlock(&s->mu);

        jg_rc rc = JG_ERR;
        for (int attempt = 0; attempt < 5; attempt++) {
            rc = jg_db_tx(s->db, run_batch, batch);
            if (rc == JG_OK)
                break;
            jg_warn("video: writing %zu changes failed (%s); retrying", n, jg_rc_name(rc));
            struct timespec ts = {0, 200 * 1000000L * (attempt + 1)};
            nanosleep(&ts, NULL);
        }
        if (rc != JG_OK)
            jg_error("video: %zu changes lost after 5 attempts (%s)", n, jg_rc_name(rc));
        while (batch != NULL) {
            job *next = batch->next;
            job_free(batch);
            batch = next;
        }

        pthread_mutex_lock(&s->mu);
        if (rc != JG_OK)
            s->failed++;
        s->written += n;
        s->busy = 0;
        pthread_cond_broadcast(&s->done_cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

jg_vstore *jg_vstore_start(jg_db *db, size_t max_jobs)
{
    jg_vstore *s = jg_xcalloc(1, sizeof(*s));
    s->db = db;
    s->max_jobs = max_jobs;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    if (pthread_create(&s->thread, NULL, writer, s) != 0) {
        jg_error("video: cannot start the writer thread");
        abort();
    }
    return s;
}

void jg_vstore_sync(jg_vstore *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t target = s->enqueued - s->dropped;
    while (s->written < target)
        pthread_cond_wait(&s->done_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void jg_vstore_stop(jg_vstore *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    if (s->dropped > 0 || s->failed > 0)
        jg_warn("video: writer stopped; %llu changes dropped (queue full), %llu batches failed",
                (unsigned long long)s->dropped, (unsigned long long)s->failed);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->done_cv);
    free(s);
}

void jg_vstore_counters(jg_vstore *s, uint64_t *dropped, uint64_t *failed)
{
    pthread_mutex_lock(&s->mu);
    *dropped = s->dropped;
    *failed = s->failed;
    pthread_mutex_unlock(&s->mu);
}

static job *job_new(enum job_kind kind, const char *gb_id, const char *at)
{
    job *j = jg_xcalloc(1, sizeof(*j));
    j->kind = kind;
    snprintf(j->gb_id, sizeof(j->gb_id), "%s", gb_id);
    snprintf(j->at, sizeof(j->at), "%s", at);
    return j;
}

static void enqueue(jg_vstore *s, job *j)
{
    pthread_mutex_lock(&s->mu);
    s->enqueued++;
    if (s->queued >= s->max_jobs) {
        s->dropped++;
        if (s->dropped == 1 || s->dropped % 10000 == 0)
            jg_error("video: writer queue full (%zu): %llu changes dropped so far", s->queued,
                     (unsigned long long)s->dropped);
        pthread_mutex_unlock(&s->mu);
        job_free(j);
        return;
    }
    if (s->tail != NULL)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->queued++;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void jg_vstore_registered(jg_vstore *s, const char *gb_id, const char *transport, const char *address,
                          int port, const char *at, const char *expires_at)
{
    job *j = job_new(J_REGISTERED, gb_id, at);
    j->a = jg_xstrdup(transport);
    j->b = jg_xstrdup(address);
    j->c = jg_xstrdup(expires_at);
    j->n1 = port;
    enqueue(s, j);
}

void jg_vstore_online(jg_vstore *s, const char *gb_id, const char *detail, const char *at)
{
    job *j = job_new(J_ONLINE, gb_id, at);
    j->a = dup_or_null(detail);
    enqueue(s, j);
}

void jg_vstore_offline(jg_vstore *s, const char *gb_id, const char *reason, const char *at, int unregistered)
{
    job *j = job_new(J_OFFLINE, gb_id, at);
    j->a = dup_or_null(reason);
    j->n1 = unregistered;
    enqueue(s, j);
}

void jg_vstore_event(jg_vstore *s, const char *gb_id, const char *kind, const char *detail, const char *at)
{
    job *j = job_new(J_EVENT, gb_id, at);
    j->a = jg_xstrdup(kind);
    j->b = dup_or_null(detail);
    enqueue(s, j);
}

void jg_vstore_keepalives(jg_vstore *s, const char (*ids)[JG_GBID_LEN + 1], const char (*ats)[32], size_t n)
{
    if (n == 0)
        return;
    job *j = job_new(J_KEEPALIVES, "", "");
    struct ka *k = jg_xcalloc(n, sizeof(*k));
    for (size_t i = 0; i < n; i++) {
        memcpy(k[i].id, ids[i], sizeof(k[i].id));
        memcpy(k[i].at, ats[i], sizeof(k[i].at));
    }
    j->items = k;
    j->count = n;
    enqueue(s, j);
}

void jg_vstore_device_info(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at)
{
    job *j = job_new(J_DEVINFO, gb_id, at);
    j->a = jg_xstrdup(m->device_name);
    j->b = jg_xstrdup(m->manufacturer);
    j->c = jg_xstrdup(m->model);
    j->d = jg_xstrdup(m->firmware);
    j->n1 = m->channel;
    enqueue(s, j);
}

void jg_vstore_channels(jg_vstore *s, const char *gb_id, const jg_manscdp_item *items, int n, const char *at)
{
    if (n <= 0)
        return;
    job *j = job_new(J_CHANNELS, gb_id, at);
    j->items = jg_xmalloc((size_t)n * sizeof(*items));
    memcpy(j->items, items, (size_t)n * sizeof(*items));
    j->count = (size_t)n;
    enqueue(s, j);
}

void jg_vstore_catalog(jg_vstore *s, const char *gb_id, const char *state, int tries, int64_t got,
                       int64_t sum, const char *at)
{
    job *j = job_new(J_CATALOG, gb_id, at);
    j->a = jg_xstrdup(state);
    j->count = (size_t)tries;
    j->n1 = sum;
    j->n2 = got;
    enqueue(s, j);
}

void jg_vstore_status(jg_vstore *s, const char *gb_id, const char *json, const char *at)
{
    job *j = job_new(J_STATUS, gb_id, at);
    j->a = jg_xstrdup(json);
    enqueue(s, j);
}

void jg_vstore_alarm(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at)
{
    job *j = job_new(J_ALARM, gb_id, at);
    j->a = jg_xstrdup(m->device_id);
    j->b = jg_xstrdup(m->alarm_type);
    j->c = jg_xstrdup(m->alarm_time);
    j->d = jg_xstrdup(m->alarm_description);
    j->n1 = m->alarm_priority;
    j->n2 = m->alarm_method;
    double *pos = jg_xcalloc(2, sizeof(*pos));
    pos[0] = m->has_position ? m->longitude : NAN;
    pos[1] = m->has_position ? m->latitude : NAN;
    j->items = pos;
    enqueue(s, j);
}

void jg_vstore_position(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at)
{
    if (!m->has_position)
        return;
    job *j = job_new(J_POSITION, gb_id, at);
    j->a = jg_xstrdup(m->device_id);
    j->b = jg_xstrdup(m->time);
    double *v = jg_xcalloc(5, sizeof(*v));
    v[0] = m->longitude;
    v[1] = m->latitude;
    v[2] = m->speed;
    v[3] = m->direction;
    v[4] = m->altitude;
    j->items = v;
    enqueue(s, j);
}

void jg_vstore_channel_event(jg_vstore *s, const char *gb_id, const char *channel, const char *event,
                             const char *status, const char *name, const char *at)
{
    job *j = job_new(J_CHANNEL_EVENT, gb_id, at);
    j->a = jg_xstrdup(channel);
    j->b = jg_xstrdup(event);
    j->c = dup_or_null(status);
    j->d = dup_or_null(name);
    enqueue(s, j);
}

void jg_vstore_purge(jg_vstore *s, const char *before)
{
    enqueue(s, job_new(J_PURGE, "", before));
}

void jg_vstore_subscription(jg_vstore *s, const char *gb_id, const jg_vsub_state *st, const char *at)
{
    job *j = job_new(J_SUBSCRIPTION, gb_id, at);
    if (st != NULL) {
        j->a = jg_xstrdup(st->kind);
        j->b = jg_xstrdup(st->state);
        j->c = dup_or_null(st->retry_at);
        j->n1 = st->code;
        j->n2 = st->granted_s;
        j->count = (size_t)st->failures;
    }
    enqueue(s, j);
}
