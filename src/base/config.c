/* Table-driven configuration loading: one row per key, the same rows document it. */
#include "base/config.h"

#include "base/mem.h"
#include "base/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { STR, NUM };

struct key {
    jg_config_key pub;
    enum kind kind;
    size_t offset;
    long min, max;
    const char *choices; /* STR only: the allowed values, "|"-separated, or NULL for any text */
};

#define S(k, def, doc)                                                                                       \
    {                                                                                                        \
        {#k, def, doc}, STR, offsetof(jg_config, k), 0, 0, NULL                                              \
    }
#define E(k, def, choices, doc)                                                                              \
    {                                                                                                        \
        {#k, def, doc}, STR, offsetof(jg_config, k), 0, 0, choices                                           \
    }
#define N(k, def, lo, hi, doc)                                                                               \
    {                                                                                                        \
        {#k, def, doc}, NUM, offsetof(jg_config, k), lo, hi, NULL                                            \
    }

static const struct key keys[] = {
    S(listen, "127.0.0.1:8080", "Address and port the HTTP server listens on (host:port)."),
    S(database, "sqlite:data/jianguan.db",
      "Database URL: sqlite:PATH or postgresql://user:password@host:port/dbname."),
    S(data_dir, "data", "Directory for uploaded files and keys."),
    S(web_dir, "web/dist", "Directory of the built web UI served at /."),
    S(access_log, "-", "Access log: a file path, - for standard output, or off."),
    S(log_level, "info", "Lowest diagnostic level written to standard error: debug, info, warn, error."),
    N(threads, "4", 1, 256, "HTTP worker threads."),
    N(db_pool_size, "8", 1, 512, "Database connections in the pool (reader connections on SQLite)."),
    N(db_acquire_timeout_ms, "5000", 1, 600000,
      "How long a request waits for a free database connection before answering 503."),
    N(db_busy_retries, "5", 0, 100,
      "How often a transaction is retried after SQLITE_BUSY or a serialization failure."),
    N(max_body_bytes, "10485760", 1024, 1073741824, "Largest request body accepted (413 beyond)."),
    N(max_header_bytes, "16384", 1024, 1048576, "Largest total size of request headers (431 beyond)."),
    N(max_json_depth, "32", 2, 512, "Deepest nesting of arrays and objects accepted in a JSON body."),
    N(request_timeout_s, "30", 1, 3600, "Seconds an idle or slow connection is kept before it is closed."),
    N(shutdown_grace_s, "10", 0, 600, "Seconds in-flight requests get to finish after SIGTERM/SIGINT."),
    N(max_page_size, "200", 1, 10000, "Largest page size a list endpoint accepts."),
    N(session_idle_s, "1800", 60, 86400, "A login session unused this many seconds ends."),
    N(session_absolute_s, "43200", 300, 2592000, "Any login session ends this many seconds after login."),
    N(login_max_failures, "5", 1, 100, "Failed logins in a row that lock an account."),
    N(login_lock_s, "900", 1, 86400, "Seconds an account stays locked after too many failed logins."),
    N(auth_rate_per_minute, "60", 1, 100000,
      "Login requests one client address may make per minute (429 beyond)."),
    N(cookie_secure, "0", 0, 1, "1: mark the session cookie Secure (behind HTTPS)."),
    N(password_max_age_days, "90", 1, 3650, "Days after which a password must be changed at the next login."),
    N(single_session, "0", 0, 1, "1: a user may hold one session only; a new login ends the others."),
    E(captcha, "after_failure", "off|after_failure|always",
      "When the login asks for the image captcha: off, after_failure (once a name has failed) or always."),
    N(captcha_ttl_s, "300", 30, 3600, "Seconds an image captcha stays valid (each is usable once)."),
    S(sms_gateway_url, "",
      "HTTP(S) URL the SMS login codes are POSTed to as JSON; empty turns SMS login off."),
    S(sms_gateway_token, "", "Bearer token sent to the SMS gateway (never logged)."),
    N(sms_code_ttl_s, "300", 60, 3600, "Seconds an SMS login code stays valid."),
    N(sms_resend_s, "60", 1, 3600, "Seconds before another SMS code may be sent to the same phone."),
    N(signature_window_s, "300", 10, 3600,
      "Largest difference in seconds between an app-key request's timestamp and the server clock."),
    S(video_sip_listen, "0.0.0.0:5060",
      "jianguan video: address and port for SIP over UDP and TCP (host:port)."),
    S(video_sip_id, "35000000002000000001",
      "jianguan video: the platform's 20-digit GB/T 28181 ID; the SIP realm is its first 10 digits."),
    S(video_sip_password, "",
      "jianguan video: default password of devices without their own; empty: per-device passwords only."),
    N(video_keepalive_interval_s, "60", 1, 3600,
      "jianguan video: expected seconds between device keepalives."),
    N(video_keepalive_count, "3", 1, 100,
      "jianguan video: keepalive intervals without one before a device is offline."),
    N(video_register_max_failures, "5", 1, 100,
      "jianguan video: failed digest logins in a row that lock a device ID out."),
    N(video_register_lock_s, "600", 1, 86400, "jianguan video: seconds a device ID stays locked out."),
    N(video_keepalive_flush_s, "30", 1, 3600,
      "jianguan video: seconds between batched writes of keepalive times; state changes go at once."),
    N(video_max_devices, "100000", 1, 10000000,
      "jianguan video: most devices held in memory (registrations beyond are refused with 503)."),
    S(video_media_listen, "127.0.0.1:8090",
      "jianguan video: address and port of the media node's HTTP listener (GET /live/DEVICE/CHANNEL.flv)."),
    S(video_media_ip, "",
      "jianguan video: IPv4 address devices are told to send RTP to; empty: the address they reach SIP at."),
    S(video_media_url, "",
      "jianguan video: base URL viewers reach the media listener at (live URLs); empty: "
      "http://video_media_listen."),
    E(video_media_transport, "udp", "udp|tcp|tcp-active",
      "jianguan video: RTP transport asked of devices for new streams: udp, tcp (TCP passive: the device "
      "connects, RFC 4571), or tcp-active (we connect to the device's answered port)."),
    N(video_live_idle_s, "15", 0, 3600,
      "jianguan video: seconds a live stream stays up after its last viewer leaves, then BYE."),
    N(video_rtp_timeout_s, "10", 2, 300,
      "jianguan video: seconds without RTP after which a playing stream is torn down (BYE); a playback "
      "paused by its viewer is exempt until resumed."),
    N(video_live_url_ttl_s, "300", 10, 86400,
      "jianguan video: seconds a signed live URL (from GET /api/v1/video/channels/{id}/live) stays valid."),
    N(video_hls_segment_s, "2", 1, 10,
      "jianguan video: HLS segment duration in seconds (segments are cut at the first key frame after it)."),
    N(video_hls_window, "5", 1, 6,
      "jianguan video: HLS segments listed in the live playlist (sliding window, 1-6)."),
    S(video_record_dir, "", "jianguan video: cloud recording root directory; empty: data_dir/records."),
    N(video_record_days, "30", 1, 3650,
      "jianguan video: days cloud recordings are kept (a plan's retention_days overrides)."),
    N(video_record_disk_share, "80", 1, 99,
      "jianguan video: percent of their file system cloud recordings may take; beyond, the oldest are "
      "deleted."),
    S(video_upper, "",
      "jianguan video: upper platforms to register to as a lower platform (cascade), comma-separated: "
      "ID@HOST:PORT;password=P;expires=S;keepalive=S;share=all|table;transport=udp|tcp (secret: never "
      "logged; "
      "tcp: one kept connection, reconnected with backoff)."),
    S(video_subscribe, "catalog,alarm",
      "jianguan video: subscriptions (SUBSCRIBE) sent to a device when it registers, comma-separated: "
      "catalog, alarm, position (MobilePosition); empty: none."),
    N(video_subscribe_expires_s, "3600", 10, 86400,
      "jianguan video: Expires of the subscriptions to devices; refreshed at 80% of it, ended at shutdown."),
    N(video_position_interval_s, "5", 1, 3600,
      "jianguan video: seconds between positions asked for in MobilePosition subscriptions."),
    S(video_download_dir, "",
      "jianguan video: directory of downloads from devices (s=Download); empty: "
      "data_dir/downloads."),
    N(video_download_max_s, "86400", 60, 604800,
      "Longest time range (seconds) one download from a device may ask for (400 beyond)."),
    N(video_download_max, "4", 1, 64,
      "jianguan video: downloads from devices running at once on a media node."),
    N(video_event_keep_days, "180", 1, 3650,
      "jianguan video: days device events (registration, online, offline, catalog changes) and alarms are "
      "kept; older ones are deleted every 10 minutes, up to 20,000 of each a time."),
    N(video_download_keep_h, "24", 1, 720,
      "jianguan video: hours a finished download file is kept, then deleted."),
    E(video_role, "all", "all|signal|media",
      "jianguan video: all (SIP signalling with its embedded media node), signal (signalling; live streams "
      "on media nodes only) or media (a media node only, reporting to video_signalling_url)."),
    S(video_node_id, "", "jianguan video (media role): this media node's ID (letters, digits, - and _)."),
    S(video_node_url, "",
      "jianguan video (media role): base URL viewers and the signalling service reach this node's listener "
      "at."),
    S(video_signalling_url, "",
      "jianguan video (media role): base URL of the signalling service's media listener (heartbeats, "
      "INVITEs)."),
    N(video_node_dead_s, "3", 1, 60,
      "jianguan video: seconds without a heartbeat after which a media node is dead (its streams move)."),
    N(max_export_rows, "1000000", 1, 100000000,
      "Most records one XLSX export may hold (400 beyond: narrow the filter)."),
    N(max_upload_bytes, "20971520", 1024, 1073741824,
      "Largest uploaded file (413 beyond); an upload request may be this plus 64 KiB, even above "
      "max_body_bytes."),
    S(print_header, "福建省建设工程质量安全监督管理平台",
      "Text printed at the top of every page of printed documents (PDF notices and receipts)."),
    S(public_url, "http://127.0.0.1:8080",
      "Base URL the public reaches this server at; printed QR codes point to <public_url>/verify/<code>."),
    N(max_import_bytes, "20971520", 1024, 1073741824,
      "Largest file one record import may read (413 beyond); its request may be this plus 64 KiB, even above "
      "max_body_bytes."),
    N(max_import_rows, "100000", 1, 10000000,
      "Most data rows (below the header) one record import may hold."),
    N(rule_max_code_bytes, "65536", 256, 1048576,
      "Rule engine: largest rule source code in bytes (400 beyond)."),
    N(rule_max_params_bytes, "16384", 2, 1048576,
      "Rule engine: largest rule parameters JSON in bytes (400 beyond)."),
    N(rule_budget, "1000000", 1000, 1000000000,
      "Rule engine: most Lua VM instructions one evaluation may run before it is stopped."),
    N(rule_memory_bytes, "8388608", 65536, 1073741824,
      "Rule engine: most Lua heap bytes one evaluation may hold before it is stopped."),
    N(rule_time_ms, "200", 1, 60000, "Rule engine: most wall-clock milliseconds one evaluation may run."),
    N(flow_timer_poll_s, "30", 0, 86400,
      "Seconds between two looks of `jianguan serve` for due workflow timers (deadlines, 督办); 0: timers do "
      "not fire."),
    {{NULL, NULL, NULL}, STR, 0, 0, 0, NULL},
};

const jg_config_key *jg_config_key_at(size_t i)
{
    if (i >= sizeof(keys) / sizeof(keys[0]) - 1)
        return NULL;
    return &keys[i].pub;
}

/* 1 when value is one of the "|"-separated choices. */
static int one_of(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *c = choices; *c != '\0';) {
        size_t len = strcspn(c, "|");
        if (len == n && strncmp(c, value, n) == 0)
            return 1;
        c += len + (c[len] == '|');
    }
    return 0;
}

jg_rc jg_config_set(jg_config *cfg, const char *key, const char *value)
{
    for (const struct key *k = keys; k->pub.key != NULL; k++) {
        if (strcmp(k->pub.key, key) != 0)
            continue;
        char *field = (char *)cfg + k->offset;
        if (k->kind == STR) {
            if (k->choices != NULL && !one_of(k->choices, value))
                return JG_INVALID;
            char **slot = (char **)(void *)field;
            free(*slot);
            *slot = jg_xstrdup(value);
            return JG_OK;
        }
        int64_t v;
        jg_rc rc = jg_parse_int64(value, k->min, k->max, &v);
        if (rc != JG_OK)
            return JG_INVALID;
        *(long *)(void *)field = (long)v;
        return JG_OK;
    }
    return JG_NOTFOUND;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static jg_rc load_file(jg_config *cfg, const char *path, int required, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (!required)
            return JG_OK;
        snprintf(err, errlen, "cannot open configuration file %s", path);
        return JG_INVALID;
    }
    char line[4096];
    int lineno = 0;
    jg_rc rc = JG_OK;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            rc = JG_INVALID;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        rc = jg_config_set(cfg, key, value);
        if (rc != JG_OK) {
            snprintf(err, errlen, "%s:%d: %s key %s", path, lineno,
                     rc == JG_NOTFOUND ? "unknown" : "bad value for", key);
            rc = JG_INVALID;
            break;
        }
    }
    fclose(f);
    return rc;
}

static jg_rc load_env(jg_config *cfg, char *err, size_t errlen)
{
    for (const struct key *k = keys; k->pub.key != NULL; k++) {
        char name[64] = "JIANGUAN_";
        size_t n = strlen(name);
        for (const char *p = k->pub.key; *p != '\0' && n < sizeof(name) - 1; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = '\0';
        const char *v = getenv(name);
        if (v == NULL)
            continue;
        if (jg_config_set(cfg, k->pub.key, v) != JG_OK) {
            snprintf(err, errlen, "bad value for %s", name);
            return JG_INVALID;
        }
    }
    return JG_OK;
}

jg_rc jg_config_load(jg_config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const struct key *k = keys; k->pub.key != NULL; k++) {
        jg_rc rc = jg_config_set(cfg, k->pub.key, k->pub.fallback);
        if (rc != JG_OK) {
            snprintf(err, errlen, "bad default for %s", k->pub.key);
            return JG_ERR;
        }
    }
    jg_rc rc = load_file(cfg, path != NULL ? path : "jianguan.conf", path != NULL, err, errlen);
    if (rc != JG_OK)
        return rc;
    return load_env(cfg, err, errlen);
}

void jg_config_free(jg_config *cfg)
{
    for (const struct key *k = keys; k->pub.key != NULL; k++) {
        if (k->kind == STR) {
            char **slot = (char **)(void *)((char *)cfg + k->offset);
            free(*slot);
            *slot = NULL;
        }
    }
}
