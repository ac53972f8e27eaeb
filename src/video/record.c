/* Cloud recording (云录像) on the media node: for every enabled row of video_record_plan the
 * channel's live stream is held open (INVITEd if no viewer has it; tried again every 5 s while the
 * device is offline or refuses) and its frames are written as continuous MPEG-TS files (ts.c) of
 * the plan's segment_s, cut at the first key frame after it, under video_record_dir:
 * DEVICE/CHANNEL/YYYYMMDD/START.ts. A finished file gets one row in video_record_segment
 * (channel, start, end, duration, path, bytes). Retention every sweep: files older than the plan's
 * retention_days (else video_record_days), then, while the recordings take more than
 * video_record_disk_share percent of their file system, the oldest ones (file and row).
 *
 * Plans are read every video_keepalive_flush_s, like the device settings. Index rows are written
 * on the event loop's own connection (one short transaction per finished segment, per channel
 * every segment_s seconds), not through the writer: they are rare, and must be in the index
 * before the sweep may count them. */
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "video/hls.h"
#include "video/video_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define RETRY_US 5000000LL
#define SWEEP_BATCH 200
#define WINDOWS_MAX 28

/* A weekly window of a plan's schedule (video_record_plan.schedule): days as bits (Monday bit 0),
 * minutes of the day [start, end) in Beijing time (UTC+8, the devices' and the API's time). */
typedef struct {
    unsigned days;
    int start_min, end_min;
} window;

typedef struct rec {
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    int segment_s, retention_days, seen;
    jg_vstream *s;
    int64_t retry_at_us;
    /* the open file */
    FILE *fp;
    jg_ts ts;
    char rel[160];
    long long start_wall;
    int64_t first_dts, last_dts;
    uint64_t bytes;
    int failed; /* a write failed: the file is abandoned at the next key frame */
    window windows[WINDOWS_MAX];
    int nwindows; /* 0: no schedule, record all the time */
    int paused;   /* outside its schedule now (logged once) */
} rec;

struct jg_vrecord {
    jg_vsvc *svc;
    rec **recs;
    int n, cap;
    char root[512];
    int64_t next_poll_us;
    jg_buf buf;
};

static int64_t mono(const jg_vsvc *svc)
{
    return svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
}

const char *jg_vrecord_root(const jg_vrecord *r)
{
    return r->root;
}

jg_vrecord *jg_vrecord_new(jg_vsvc *svc)
{
    jg_vrecord *r = jg_xcalloc(1, sizeof(*r));
    r->svc = svc;
    const jg_config *cfg = svc->cfg;
    if (cfg->video_record_dir[0] != '\0')
        snprintf(r->root, sizeof(r->root), "%s", cfg->video_record_dir);
    else
        snprintf(r->root, sizeof(r->root), "%s/records", cfg->data_dir);
    jg_buf_init(&r->buf, 2 * JG_PS_MAX_FRAME); /* a frame and its TS overhead (4 bytes in 188) */
    return r;
}

/* mkdir -p of the directories in path (up to its last '/'). */
static int make_dirs(const char *path)
{
    char t[768];
    snprintf(t, sizeof(t), "%s", path);
    for (char *p = t + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(t, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

typedef struct {
    const rec *c;
    long long end_wall;
    int64_t duration_ms;
} seg_row;

static jg_rc insert_segment(jg_conn *c, void *ud)
{
    const seg_row *w = ud;
    char now[32];
    jg_vsvc_now_iso(now);
    jg_value p[] = {
        JG_VTEXT(w->c->device),  JG_VTEXT(w->c->channel), JG_VINT(w->c->start_wall),     JG_VINT(w->end_wall),
        JG_VINT(w->duration_ms), JG_VTEXT(w->c->rel),     JG_VINT((int64_t)w->c->bytes), JG_VTEXT(now)};
    return jg_db_exec(
        c,
        "INSERT INTO video_record_segment (device_gb_id, channel_gb_id, start_at, end_at, duration_ms, "
        "path, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        p, 8, NULL);
}

/* Close the open file and index it (end_dts: where it ends on the stream's clock). */
static void finish(jg_vrecord *r, rec *c, int64_t end_dts)
{
    if (c->fp == NULL)
        return;
    int bad = fclose(c->fp) != 0 || c->failed;
    c->fp = NULL;
    char full[768];
    snprintf(full, sizeof(full), "%s/%s", r->root, c->rel);
    if (bad || c->bytes == 0) {
        jg_warn("video: recording %s/%s: could not write %s; dropped", c->device, c->channel, c->rel);
        unlink(full);
        return;
    }
    int64_t dur = end_dts > c->first_dts ? end_dts - c->first_dts : 0;
    seg_row w = {c, c->start_wall + (dur + 89999) / 90000, dur / 90};
    if (jg_db_tx(r->svc->db, insert_segment, &w) != JG_OK) {
        jg_error("video: recording %s/%s: %s not indexed; file removed", c->device, c->channel, c->rel);
        unlink(full);
        return;
    }
    jg_info("video: recorded %s/%s %s (%.1f s, %llu bytes)", c->device, c->channel, c->rel,
            (double)dur / 90000.0, (unsigned long long)c->bytes);
}

static void start_file(jg_vrecord *r, rec *c, int codec)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char full[768];
    /* START.ts, or START-N.ts when a file of this channel began in the same second: never overwrite
     * (exclusive create) */
    for (int k = 0; k < 100 && c->fp == NULL; k++) {
        char suffix[16] = "";
        if (k > 0)
            snprintf(suffix, sizeof(suffix), "-%d", k);
        snprintf(c->rel, sizeof(c->rel), "%s/%s/%04d%02d%02d/%lld%s.ts", c->device, c->channel,
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, (long long)now, suffix);
        snprintf(full, sizeof(full), "%s/%s", r->root, c->rel);
        if (make_dirs(full) != 0)
            break;
        c->fp = fopen(full, "wbx");
        if (c->fp == NULL && errno != EEXIST)
            break;
    }
    if (c->fp == NULL) {
        jg_warn("video: recording %s/%s: cannot create %s: %s", c->device, c->channel, full, strerror(errno));
        return;
    }
    c->start_wall = (long long)now;
    c->bytes = 0;
    c->failed = 0;
    c->first_dts = -1;
    jg_ts_init(&c->ts, codec, 0);
    r->buf.len = 0;
    jg_ts_tables(&c->ts, &r->buf);
    if (fwrite(r->buf.data, 1, r->buf.len, c->fp) != r->buf.len)
        c->failed = 1;
    c->bytes += r->buf.len;
}

void jg_vrecord_frame(jg_vsvc *svc, void *ud, const jg_frame *f)
{
    jg_vrecord *r = jg_vmedia_recorder(svc);
    rec *c = ud;
    if (r == NULL || !f->video || (f->codec != JG_CODEC_H264 && f->codec != JG_CODEC_H265))
        return; /* audio is not recorded yet */
    int key = jg_ts_is_key(f->codec, f->data, f->len);
    if (c->fp != NULL && key) {
        int64_t next = c->last_dts + c->ts.last_step;
        if (c->failed || f->codec != c->ts.video_codec ||
            next - c->first_dts >= (int64_t)c->segment_s * 90000)
            finish(r, c, next);
    }
    if (c->fp == NULL) {
        if (!key)
            return;
        start_file(r, c, f->codec);
        if (c->fp == NULL)
            return;
    }
    r->buf.len = 0;
    int64_t dts = 0;
    if (jg_ts_frame(&c->ts, f, &r->buf, &dts) != JG_OK)
        return;
    if (fwrite(r->buf.data, 1, r->buf.len, c->fp) != r->buf.len)
        c->failed = 1;
    c->bytes += r->buf.len;
    if (c->first_dts < 0)
        c->first_dts = dts;
    c->last_dts = dts;
}

void jg_vrecord_gone(jg_vsvc *svc, void *ud)
{
    jg_vrecord *r = jg_vmedia_recorder(svc);
    rec *c = ud;
    if (r != NULL)
        finish(r, c, c->last_dts + c->ts.last_step);
    c->s = NULL;
    c->retry_at_us = mono(svc) + RETRY_US;
}

static void rec_drop(jg_vrecord *r, int i)
{
    rec *c = r->recs[i];
    finish(r, c, c->last_dts + c->ts.last_step);
    if (c->s != NULL)
        jg_vmedia_record_close(r->svc, c->s);
    jg_info("video: recording of %s/%s stops (plan disabled or removed)", c->device, c->channel);
    free(c);
    r->recs[i] = r->recs[--r->n];
}

/* "HH:MM" (00:00 to 24:00) as minutes, or -1. */
static int minutes(const char *t)
{
    if (t == NULL || strlen(t) != 5 || t[2] != ':' || t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9' ||
        t[3] < '0' || t[3] > '5' || t[4] < '0' || t[4] > '9')
        return -1;
    int m = ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 + (t[4] - '0');
    return m <= 24 * 60 ? m : -1;
}

/* The plan's schedule (JSON text, see 0023) into c's windows; NULL or malformed: none (recorded all
 * the time: a plan that cannot be read records rather than silently not). */
static void parse_schedule(rec *c, const char *text)
{
    c->nwindows = 0;
    if (text == NULL || text[0] == '\0')
        return;
    json_t *a = json_loads(text, 0, NULL);
    size_t i;
    json_t *w;
    int ok = json_is_array(a) && json_array_size(a) <= WINDOWS_MAX;
    json_array_foreach(ok ? a : NULL, i, w)
    {
        window x = {0, minutes(json_string_value(json_object_get(w, "start"))),
                    minutes(json_string_value(json_object_get(w, "end")))};
        size_t k;
        json_t *d;
        json_array_foreach(json_object_get(w, "days"), k, d)
        {
            json_int_t day = json_is_integer(d) ? json_integer_value(d) : 0;
            if (day >= 1 && day <= 7)
                x.days |= 1u << (day - 1);
        }
        if (x.days == 0 || x.start_min < 0 || x.end_min <= x.start_min) {
            ok = 0;
            break;
        }
        c->windows[c->nwindows++] = x;
    }
    if (!ok) {
        c->nwindows = 0;
        jg_warn("video: recording plan of %s/%s: unreadable schedule; recording all the time", c->device,
                c->channel);
    }
    json_decref(a);
}

/* 1 if c records at Unix time now: no schedule, or inside one of its windows. */
static int scheduled(const rec *c, time_t now)
{
    if (c->nwindows == 0)
        return 1;
    time_t t = now + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    int day = tm.tm_wday == 0 ? 7 : tm.tm_wday, m = tm.tm_hour * 60 + tm.tm_min;
    for (int i = 0; i < c->nwindows; i++)
        if ((c->windows[i].days & (1u << (day - 1))) && m >= c->windows[i].start_min &&
            m < c->windows[i].end_min)
            return 1;
    return 0;
}

/* Read the enabled plans: new ones start, removed ones stop. */
static void poll_plans(jg_vrecord *r)
{
    jg_rows *rows = NULL;
    if (jg_db_read(
            r->svc->db,
            "SELECT device_gb_id, channel_gb_id, segment_s, retention_days, schedule FROM video_record_plan "
            "WHERE enabled = 1",
            NULL, 0, &rows) != JG_OK)
        return;
    for (int i = 0; i < r->n; i++)
        r->recs[i]->seen = 0;
    int n = jg_rows_count(rows);
    for (int k = 0; k < n; k++) {
        const char *d = jg_rows_text(rows, k, 0), *ch = jg_rows_text(rows, k, 1);
        if (!jg_gbid_valid(d) || !jg_gbid_valid(ch))
            continue;
        rec *c = NULL;
        for (int i = 0; i < r->n && c == NULL; i++)
            if (strcmp(r->recs[i]->device, d) == 0 && strcmp(r->recs[i]->channel, ch) == 0)
                c = r->recs[i];
        if (c == NULL) {
            if (r->n == r->cap) {
                r->cap = r->cap != 0 ? r->cap * 2 : 16;
                r->recs = jg_xrealloc(r->recs, (size_t)r->cap * sizeof(*r->recs));
            }
            c = jg_xcalloc(1, sizeof(*c));
            snprintf(c->device, sizeof(c->device), "%s", d);
            snprintf(c->channel, sizeof(c->channel), "%s", ch);
            r->recs[r->n++] = c;
            jg_info("video: recording of %s/%s planned", d, ch);
        }
        int64_t seg = jg_rows_int(rows, k, 2);
        c->segment_s = seg < 1 ? 1 : seg > 86400 ? 86400 : (int)seg;
        c->retention_days = jg_rows_type(rows, k, 3) == JG_V_NULL ? 0 : (int)jg_rows_int(rows, k, 3);
        parse_schedule(c, jg_rows_type(rows, k, 4) == JG_V_NULL ? NULL : jg_rows_text(rows, k, 4));
        c->seen = 1;
    }
    jg_rows_free(rows);
    for (int i = 0; i < r->n;)
        if (!r->recs[i]->seen)
            rec_drop(r, i);
        else
            i++;
}

static jg_rc delete_row(jg_conn *c, void *ud)
{
    jg_value p[] = {JG_VINT(*(const int64_t *)ud)};
    return jg_db_exec(c, "DELETE FROM video_record_segment WHERE id = $1", p, 1, NULL);
}

/* Delete the segments the query (with its parameters) selects as (id, path); the count. */
static int delete_selected(jg_vrecord *r, const char *sql, const jg_value *p, int np)
{
    jg_rows *rows = NULL;
    if (jg_db_read(r->svc->db, sql, p, np, &rows) != JG_OK)
        return 0;
    int n = jg_rows_count(rows), done = 0;
    for (int k = 0; k < n; k++) {
        int64_t id = jg_rows_int(rows, k, 0);
        const char *rel = jg_rows_text(rows, k, 1);
        char full[768];
        snprintf(full, sizeof(full), "%s/%s", r->root, rel);
        if (strstr(rel, "..") == NULL && unlink(full) != 0 && errno != ENOENT)
            continue;
        if (jg_db_tx(r->svc->db, delete_row, &id) == JG_OK)
            done++;
    }
    jg_rows_free(rows);
    return done;
}

void jg_vrecord_sweep(jg_vrecord *r)
{
    const jg_config *cfg = r->svc->cfg;
    long long now = (long long)time(NULL);
    int gone = 0;
    /* by age: the plan's days, else the default */
    jg_value p[] = {JG_VINT(now), JG_VINT(cfg->video_record_days)};
    gone += delete_selected(
        r,
        "SELECT s.id, s.path FROM video_record_segment s LEFT JOIN video_record_plan p "
        "ON p.device_gb_id = s.device_gb_id AND p.channel_gb_id = s.channel_gb_id "
        "WHERE s.end_at < $1 - 86400 * COALESCE(p.retention_days, $2) ORDER BY s.start_at LIMIT 200",
        p, 2);
    /* by disk share: the oldest first while the recordings take more than their share */
    struct statvfs vfs;
    jg_rows *rows = NULL;
    if (statvfs(r->root, &vfs) == 0 &&
        jg_db_read(r->svc->db, "SELECT COALESCE(SUM(bytes), 0) FROM video_record_segment", NULL, 0, &rows) ==
            JG_OK) {
        double total = (double)vfs.f_blocks * (double)vfs.f_frsize;
        double used = (double)jg_rows_int(rows, 0, 0);
        jg_rows_free(rows);
        double allowed = total * (double)cfg->video_record_disk_share / 100.0;
        for (int round = 0; round < 50 && used > allowed; round++) {
            jg_rows *old = NULL;
            if (jg_db_read(r->svc->db,
                           "SELECT id, path, bytes FROM video_record_segment ORDER BY start_at, id LIMIT 1",
                           NULL, 0, &old) != JG_OK ||
                jg_rows_count(old) == 0) {
                jg_rows_free(old);
                break;
            }
            int64_t id = jg_rows_int(old, 0, 0);
            used -= (double)jg_rows_int(old, 0, 2);
            jg_rows_free(old);
            jg_value q[] = {JG_VINT(id)};
            gone += delete_selected(r, "SELECT id, path FROM video_record_segment WHERE id = $1", q, 1);
        }
    }
    if (gone > 0)
        jg_info("video: recording retention removed %d segments", gone);
}

void jg_vrecord_tick(jg_vrecord *r)
{
    jg_vsvc *svc = r->svc;
    int64_t now = mono(svc);
    if (now >= r->next_poll_us) {
        r->next_poll_us = now + svc->cfg->video_keepalive_flush_s * 1000000LL;
        poll_plans(r);
        jg_vrecord_sweep(r);
    }
    time_t wall = time(NULL);
    for (int i = 0; i < r->n; i++) {
        rec *c = r->recs[i];
        if (!scheduled(c, wall)) {
            if (!c->paused)
                jg_info("video: recording of %s/%s paused (outside its schedule)", c->device, c->channel);
            c->paused = 1;
            if (c->s != NULL) {
                finish(r, c, c->last_dts + c->ts.last_step);
                jg_vmedia_record_close(svc, c->s);
                c->s = NULL;
            }
            continue;
        }
        c->paused = 0;
        if (c->s != NULL || now < c->retry_at_us)
            continue;
        c->s = jg_vmedia_record_open(svc, c->device, c->channel, c);
        if (c->s == NULL)
            c->retry_at_us = now + RETRY_US;
        else
            jg_info("video: recording %s/%s", c->device, c->channel);
    }
}

void jg_vrecord_free(jg_vrecord *r)
{
    if (r == NULL)
        return;
    while (r->n > 0)
        rec_drop(r, r->n - 1);
    free(r->recs);
    jg_buf_free(&r->buf);
    free(r);
}

/* Segments of device/channel overlapping [start, end), in order (only_id > 0: that one only). */
jg_rc jg_vrecord_segments(jg_vrecord *r, const char *device, const char *channel, long long start,
                          long long end, int64_t only_id, jg_rows **out)
{
    jg_value p[] = {JG_VTEXT(device), JG_VTEXT(channel), JG_VINT(start), JG_VINT(end), JG_VINT(only_id)};
    return jg_db_read(r->svc->db,
                      "SELECT id, duration_ms, path, bytes FROM video_record_segment WHERE device_gb_id = $1 "
                      "AND channel_gb_id = $2 AND end_at > $3 AND start_at < $4 AND ($5 = 0 OR id = $5) "
                      "ORDER BY start_at, id LIMIT 10000",
                      p, 5, out);
}
