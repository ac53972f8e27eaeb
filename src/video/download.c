/* Downloads of a device's recordings (s=Download) on the media node; see download.h.
 *
 * A job is created by a signed control request from the platform API (which checked the caller's
 * scope and keeps the row in video_download). Its stream is a stream of media.c like a playback,
 * keyed DEVICE/CHANNEL/dl-ID, INVITEd with s=Download and a=downloadspeed; devices send faster
 * than real time, so the RTP window and the socket buffer see bursts. Frames become TS packets
 * (ts.c) written to ID.ts.part from the first key frame on; MediaStatus 121 or the device's BYE
 * ends the job (renamed to ID.ts: done); no RTP for 10 s, a refused INVITE or the node stopping
 * fails it (the partial file is removed). Progress is the stream time written over the range.
 * Cancelling a job stops its stream (BYE) and removes its file, partial or finished.
 *
 * Jobs live in memory on the event loop; a finished file outlives a restart of the process (its
 * status is then read from the directory). Files older than video_download_keep_h are deleted. */
#include "video/download.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/hls.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_US 5000000LL

enum { DL_RUNNING = 0, DL_DONE, DL_FAILED, DL_CANCELLED };

typedef struct job {
    char id[JG_DOWNLOAD_ID_MAX + 1];
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    long long start, end;
    int speed, state;
    jg_vstream *s;
    FILE *fp;
    jg_ts ts;
    int ts_open, failed_write;
    uint64_t bytes, frames;
    int64_t first_dts, last_dts;
    long long finished_at; /* Unix seconds */
    char reason[64];
} job;

struct jg_vdownload {
    jg_vsvc *svc;
    job **jobs;
    int n, cap;
    char dir[512];
    int64_t next_sweep_us;
    jg_buf buf;
};

static const char *const state_names[] = {"running", "done", "failed", "cancelled"};

jg_vdownload *jg_vdownload_new(jg_vsvc *svc)
{
    jg_vdownload *dl = jg_xcalloc(1, sizeof(*dl));
    dl->svc = svc;
    const jg_config *cfg = svc->cfg;
    if (cfg->video_download_dir[0] != '\0')
        snprintf(dl->dir, sizeof(dl->dir), "%s", cfg->video_download_dir);
    else
        snprintf(dl->dir, sizeof(dl->dir), "%s/downloads", cfg->data_dir);
    jg_buf_init(&dl->buf, 2 * JG_PS_MAX_FRAME);
    return dl;
}

static void job_path(const jg_vdownload *dl, const job *j, int part, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s.ts%s", dl->dir, j->id, part ? ".part" : "");
}

void jg_vdownload_free(jg_vdownload *dl)
{
    if (dl == NULL)
        return;
    for (int i = 0; i < dl->n; i++) {
        job *j = dl->jobs[i];
        if (j->fp != NULL) { /* its stream is gone already; only a file left open by a bug */
            char path[640];
            fclose(j->fp);
            job_path(dl, j, 1, path, sizeof(path));
            unlink(path);
        }
        free(j);
    }
    free(dl->jobs);
    jg_buf_free(&dl->buf);
    free(dl);
}

int jg_vdownload_id_valid(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n < JG_DOWNLOAD_ID_MIN || n > JG_DOWNLOAD_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

void jg_vdownload_sign(const unsigned char url_key[32], const char *id, long long exp, char out[65])
{
    char msg[96];
    unsigned char mac[32];
    int n = snprintf(msg, sizeof(msg), "download/%s/%lld", id, exp);
    if (n < 0 || (size_t)n >= sizeof(msg) || jg_hmac_sm3(url_key, 32, msg, (size_t)n, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

/* The value of name in the query q (up to a space or its end), into out; 0 if absent. */
static int param(const char *q, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *p = q; p != NULL && *p != '\0' && *p != ' ';) {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            p += nl + 1;
            size_t k = 0;
            while (p[k] != '\0' && p[k] != '&' && p[k] != ' ' && k + 1 < outlen) {
                out[k] = p[k];
                k++;
            }
            out[k] = '\0';
            return 1;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return 0;
}

static int param_int(const char *q, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    char t[24];
    return param(q, name, t, sizeof(t)) && jg_parse_int64(t, lo, hi, out) == JG_OK;
}

static int error(json_t **answer, int status, const char *code, const char *message)
{
    *answer = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
    return status;
}

static job *find(const jg_vdownload *dl, const char *id)
{
    for (int i = 0; i < dl->n; i++)
        if (strcmp(dl->jobs[i]->id, id) == 0)
            return dl->jobs[i];
    return NULL;
}

static int running(const jg_vdownload *dl)
{
    int k = 0;
    for (int i = 0; i < dl->n; i++)
        k += dl->jobs[i]->state == DL_RUNNING;
    return k;
}

int jg_vdownload_ctl_start(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                           json_t **answer)
{
    const jg_config *cfg = dl->svc->cfg;
    char id[JG_DOWNLOAD_ID_MAX + 2] = "";
    int64_t start = 0, end = 0, speed = 0;
    param(query, "id", id, sizeof(id));
    if (!jg_vdownload_id_valid(id))
        return error(answer, 400, "invalid", "下载编号无效");
    if (!param_int(query, "start", 0, INT64_MAX / 4, &start) ||
        !param_int(query, "end", 0, INT64_MAX / 4, &end) || end <= start ||
        end - start > cfg->video_download_max_s)
        return error(answer, 400, "invalid", "下载时间段无效或过长");
    if (!param_int(query, "speed", 1, 64, &speed))
        return error(answer, 400, "invalid", "下载倍速无效");
    if (find(dl, id) != NULL)
        return error(answer, 409, "conflict", "下载编号已存在");
    if (running(dl) >= cfg->video_download_max)
        return error(answer, 429, "too_many_requests", "媒体节点同时进行的下载已达上限，请稍后再试");
    job *j = jg_xcalloc(1, sizeof(*j));
    memcpy(j->id, id, strlen(id) + 1); /* validated: at most JG_DOWNLOAD_ID_MAX */
    snprintf(j->device, sizeof(j->device), "%s", device);
    snprintf(j->channel, sizeof(j->channel), "%s", channel);
    j->start = start;
    j->end = end;
    j->speed = (int)speed;
    j->first_dts = -1;
    char path[640];
    job_path(dl, j, 1, path, sizeof(path));
    if (mkdir(dl->dir, 0750) != 0 && errno != EEXIST) {
        jg_error("video: cannot create the download directory %s: %s", dl->dir, strerror(errno));
        free(j);
        return error(answer, 503, "unavailable", "无法写入下载文件");
    }
    j->fp = fopen(path, "wbx");
    if (j->fp == NULL) {
        jg_error("video: cannot create %s: %s", path, strerror(errno));
        free(j);
        return error(answer, 503, "unavailable", "无法写入下载文件");
    }
    int status = 0;
    const char *message = "";
    j->s = jg_vmedia_download_open(dl->svc, device, channel, start, end, j->speed, id, j, &status, &message);
    if (j->s == NULL) {
        fclose(j->fp);
        unlink(path);
        free(j);
        return error(answer, status, status == 404 ? "not_found" : "unavailable", message);
    }
    if (dl->n == dl->cap) {
        dl->cap = dl->cap != 0 ? dl->cap * 2 : 16;
        dl->jobs = jg_xrealloc(dl->jobs, (size_t)dl->cap * sizeof(*dl->jobs));
    }
    dl->jobs[dl->n++] = j;
    jg_info("video: download %s of %s/%s (%lld-%lld, speed %d) starts", id, device, channel, (long long)start,
            (long long)end, j->speed);
    *answer =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:s}", "id", id, "device_gb_id", device, "gb_id", channel,
                  "start", (json_int_t)start, "end", (json_int_t)end, "speed", j->speed, "state", "running");
    return 202;
}

/* Percent of the range written (100 once done). */
static int progress(const job *j)
{
    if (j->state == DL_DONE)
        return 100;
    if (j->first_dts < 0 || j->end <= j->start)
        return 0;
    int64_t covered = j->last_dts - j->first_dts + j->ts.last_step;
    long long pct = (long long)(covered / 90000) * 100 / (j->end - j->start);
    return pct > 99 ? 99 : pct < 0 ? 0 : (int)pct;
}

/* The id of query (into id) and its job (NULL when not in memory); 0, or the error status with
 * *answer: 400 for a bad id, 404 for a job of another channel. */
static int job_of(const jg_vdownload *dl, const char *device, const char *channel, const char *query,
                  char id[JG_DOWNLOAD_ID_MAX + 2], job **out, json_t **answer)
{
    id[0] = '\0';
    param(query, "id", id, JG_DOWNLOAD_ID_MAX + 2);
    if (!jg_vdownload_id_valid(id))
        return error(answer, 400, "invalid", "下载编号无效");
    job *j = find(dl, id);
    if (j != NULL && (strcmp(j->device, device) != 0 || strcmp(j->channel, channel) != 0))
        return error(answer, 404, "not_found", "下载文件不存在或已过期"); /* another channel's */
    *out = j;
    return 0;
}

int jg_vdownload_ctl_status(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                            json_t **answer)
{
    char id[JG_DOWNLOAD_ID_MAX + 2];
    job *j = NULL;
    int status = job_of(dl, device, channel, query, id, &j, answer);
    if (status != 0)
        return status;
    if (j == NULL) {
        /* Not in memory (the process restarted): a finished file is still there until its time. */
        char path[640];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s.ts", dl->dir, id);
        if (stat(path, &st) != 0)
            return error(answer, 404, "not_found", "下载文件不存在或已过期");
        *answer = json_pack("{s:s, s:s, s:I, s:i}", "id", id, "state", "done", "bytes",
                            (json_int_t)st.st_size, "progress", 100);
        return 200;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:i}", "id", j->id, "state", state_names[j->state], "bytes",
                          (json_int_t)j->bytes, "frames", (json_int_t)j->frames, "progress", progress(j));
    if (j->reason[0] != '\0')
        json_object_set_new(o, "reason", json_string(j->reason));
    *answer = o;
    return 200;
}

int jg_vdownload_ctl_cancel(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                            json_t **answer)
{
    char id[JG_DOWNLOAD_ID_MAX + 2], path[640];
    job *j = NULL;
    int status = job_of(dl, device, channel, query, id, &j, answer);
    if (status != 0)
        return status;
    if (j == NULL) {
        /* Not in memory (the process restarted): a finished file may still be there. */
        snprintf(path, sizeof(path), "%s/%s.ts", dl->dir, id);
        if (unlink(path) != 0)
            return error(answer, 404, "not_found", "下载文件不存在或已过期");
    } else if (j->state != DL_CANCELLED) {
        if (j->s != NULL) {
            jg_vmedia_download_close(dl->svc, j->s);
            j->s = NULL;
        }
        if (j->fp != NULL) {
            fclose(j->fp);
            j->fp = NULL;
        }
        job_path(dl, j, j->state == DL_RUNNING, path, sizeof(path));
        if (unlink(path) != 0 && errno != ENOENT)
            jg_warn("video: cannot remove %s: %s", path, strerror(errno));
        j->state = DL_CANCELLED;
        j->reason[0] = '\0';
        j->finished_at = (long long)time(NULL);
    }
    jg_info("video: download %s of %s/%s cancelled", id, device, channel);
    *answer = json_pack("{s:s, s:s}", "id", id, "state", "cancelled");
    return 200;
}

int jg_vdownload_file(jg_vdownload *dl, const unsigned char url_key[32], const char *id, const char *query,
                      char *path, size_t pathlen, long long *size, const char **message)
{
    char sig[80] = "", want[65];
    int64_t exp = 0;
    if (!jg_vdownload_id_valid(id) || !param(query, "sig", sig, sizeof(sig)) || strlen(sig) != 64 ||
        !param_int(query, "exp", 0, INT64_MAX / 2, &exp) || exp < (int64_t)time(NULL)) {
        *message = "下载地址无效或已过期";
        return 403;
    }
    jg_vdownload_sign(url_key, id, (long long)exp, want);
    if (jg_crypto_equal(want, sig, 64) != JG_OK) {
        *message = "下载地址无效或已过期";
        return 403;
    }
    job *j = find(dl, id);
    if (j != NULL && j->state != DL_DONE) {
        *message = j->state == DL_CANCELLED ? "下载已取消" : "下载尚未完成";
        return 404;
    }
    struct stat st;
    snprintf(path, pathlen, "%s/%s.ts", dl->dir, id);
    if (stat(path, &st) != 0) {
        *message = "下载文件不存在或已过期";
        return 404;
    }
    *size = (long long)st.st_size;
    return 200;
}

void jg_vdownload_frame(jg_vsvc *svc, void *ud, const jg_frame *f)
{
    jg_vdownload *dl = jg_vmedia_downloads(svc);
    job *j = ud;
    if (dl == NULL || j->fp == NULL || !f->video || (f->codec != JG_CODEC_H264 && f->codec != JG_CODEC_H265))
        return; /* audio is not downloaded yet (as in recordings) */
    if (!j->ts_open) {
        if (!jg_ts_is_key(f->codec, f->data, f->len))
            return; /* the file starts at a key frame: it decodes from its first byte */
        jg_ts_init(&j->ts, f->codec, 0);
        j->ts_open = 1;
        dl->buf.len = 0;
        jg_ts_tables(&j->ts, &dl->buf);
        if (fwrite(dl->buf.data, 1, dl->buf.len, j->fp) != dl->buf.len)
            j->failed_write = 1;
        j->bytes += dl->buf.len;
    }
    if (f->codec != j->ts.video_codec)
        return;
    dl->buf.len = 0;
    int64_t dts = 0;
    if (jg_ts_frame(&j->ts, f, &dl->buf, &dts) != JG_OK)
        return;
    if (fwrite(dl->buf.data, 1, dl->buf.len, j->fp) != dl->buf.len)
        j->failed_write = 1;
    j->bytes += dl->buf.len;
    j->frames++;
    if (j->first_dts < 0)
        j->first_dts = dts;
    j->last_dts = dts;
}

void jg_vdownload_gone(jg_vsvc *svc, void *ud, int ended)
{
    jg_vdownload *dl = jg_vmedia_downloads(svc);
    job *j = ud;
    j->s = NULL;
    if (dl == NULL || j->fp == NULL)
        return;
    int bad = fclose(j->fp) != 0 || j->failed_write;
    j->fp = NULL;
    char part[640], done[640];
    job_path(dl, j, 1, part, sizeof(part));
    job_path(dl, j, 0, done, sizeof(done));
    j->finished_at = (long long)time(NULL);
    if (ended && !bad && j->frames > 0 && rename(part, done) == 0) {
        j->state = DL_DONE;
        jg_info("video: download %s of %s/%s done (%llu frames, %llu bytes)", j->id, j->device, j->channel,
                (unsigned long long)j->frames, (unsigned long long)j->bytes);
        return;
    }
    unlink(part);
    j->state = DL_FAILED;
    snprintf(j->reason, sizeof(j->reason), "%s",
             bad      ? "write_failed"
             : !ended ? "stream_failed"
                      : "no_video");
    jg_warn("video: download %s of %s/%s failed (%s, %llu frames)", j->id, j->device, j->channel, j->reason,
            (unsigned long long)j->frames);
}

/* Finished files past their time go from the directory (also those of an earlier process), and
 * finished jobs from memory. */
static void sweep(jg_vdownload *dl)
{
    long long now = (long long)time(NULL);
    long long keep = dl->svc->cfg->video_download_keep_h * 3600LL;
    DIR *d = opendir(dl->dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 4 || e->d_name[0] == '.' || (strstr(e->d_name, ".ts") == NULL))
                continue;
            char path[800], id[JG_DOWNLOAD_ID_MAX + 1];
            size_t idlen = (size_t)(strchr(e->d_name, '.') - e->d_name);
            if (idlen > JG_DOWNLOAD_ID_MAX)
                continue;
            memcpy(id, e->d_name, idlen);
            id[idlen] = '\0';
            job *j = find(dl, id);
            if (j != NULL && j->state == DL_RUNNING)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dl->dir, e->d_name);
            struct stat st;
            if (stat(path, &st) == 0 && (long long)st.st_mtime < now - keep && unlink(path) == 0) {
                jg_info("video: download file %s expired; removed", e->d_name);
                if (j != NULL)
                    j->finished_at = 0; /* forgotten below */
            }
        }
        closedir(d);
    }
    for (int i = 0; i < dl->n;) {
        job *j = dl->jobs[i];
        if (j->state != DL_RUNNING && j->finished_at < now - keep) {
            dl->jobs[i] = dl->jobs[--dl->n];
            free(j);
        } else {
            i++;
        }
    }
}

void jg_vdownload_tick(jg_vdownload *dl)
{
    int64_t now = dl->svc->now_us != 0 ? dl->svc->now_us : jg_time_mono_us();
    if (now < dl->next_sweep_us)
        return;
    dl->next_sweep_us = now + SWEEP_US;
    sweep(dl);
}
