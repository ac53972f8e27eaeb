/* Configuration: defaults, then jianguan.conf, then JIANGUAN_* environment variables. */
#ifndef JG_CONFIG_H
#define JG_CONFIG_H
#include "base/rc.h"

#include <stddef.h>

typedef struct {
    char *listen;      /* host:port */
    char *database;    /* sqlite:PATH or postgresql://... */
    char *data_dir;    /* files and keys */
    char *web_dir;     /* built web UI */
    char *access_log;  /* path, "-" for stdout, "off" */
    char *log_level;   /* debug|info|warn|error */
    long threads;      /* HTTP worker threads */
    long db_pool_size; /* database connections (readers on SQLite) */
    long db_acquire_timeout_ms;
    long db_busy_retries; /* transaction retries on SQLITE_BUSY / serialization failure */
    long max_body_bytes;
    long max_header_bytes;
    long max_json_depth;
    long request_timeout_s;
    long shutdown_grace_s;
    long max_page_size;
    long session_idle_s;
    long session_absolute_s;
    long login_max_failures;
    long login_lock_s;
    long auth_rate_per_minute;
    long cookie_secure;
    long password_max_age_days;
    long single_session; /* 1: a new login ends the user's other sessions */
    char *captcha;       /* off | after_failure | always */
    long captcha_ttl_s;
    char *sms_gateway_url;   /* "" : SMS login off */
    char *sms_gateway_token; /* sent as Authorization: Bearer, never logged */
    long sms_code_ttl_s;
    long sms_resend_s;
    long signature_window_s;  /* app-key request signatures: allowed clock difference */
    char *video_sip_listen;   /* jianguan video: SIP host:port (UDP and TCP) */
    char *video_sip_id;       /* the platform's 20-digit GB/T 28181 ID; realm = first 10 digits */
    char *video_sip_password; /* default device password ("" : only per-device passwords) */
    long video_keepalive_interval_s;
    long video_keepalive_count; /* missed keepalives before a device is offline */
    long video_register_max_failures;
    long video_register_lock_s;
    long video_keepalive_flush_s; /* keepalive times are written to the database this often */
    long video_max_devices;
    char *video_media_listen;     /* jianguan video: the media node's HTTP-FLV listener host:port */
    char *video_media_ip;         /* address devices send RTP to ("" : the SIP address they reach) */
    char *video_media_url;        /* base URL viewers reach the media node at ("" : from the listener) */
    char *video_media_transport;  /* udp | tcp (TCP passive) | tcp-active for new streams */
    long video_live_idle_s;       /* seconds a stream lives on without viewers before BYE */
    long video_rtp_timeout_s;     /* seconds without RTP before a playing stream is torn down */
    long video_live_url_ttl_s;    /* seconds a signed live URL stays valid */
    long video_hls_segment_s;     /* HLS: wanted segment duration (cut at the next key frame) */
    long video_hls_window;        /* HLS: segments listed in the live playlist */
    char *video_record_dir;       /* cloud recording root ("" : data_dir/records) */
    long video_record_days;       /* recordings kept this many days unless the plan says otherwise */
    long video_record_disk_share; /* percent of their file system recordings may take */
    char *video_upper;            /* upper platforms to register to (cascade), see src/video/README.md */
    /* subscriptions sent to devices at registration (catalog,alarm,position), their Expires
     * (refreshed at 80%), and the seconds between positions of the MobilePosition one */
    char *video_subscribe;
    long video_subscribe_expires_s;
    long video_position_interval_s;
    char *video_download_dir;   /* downloads from devices (s=Download) ("" : data_dir/downloads) */
    long video_download_max_s;  /* longest time range one download may ask for */
    long video_download_max;    /* downloads running at once on a media node */
    long video_download_keep_h; /* hours a finished download file is kept */
    long video_event_keep_days; /* days device events and alarms are kept */
    char *video_role;           /* all | signal | media (media nodes, src/video/nodes.c) */
    char *video_node_id;        /* media role: this node's ID */
    char *video_node_url;       /* media role: base URL viewers and signalling reach the node at */
    char *video_signalling_url; /* media role: base URL of the signalling service's media listener */
    long video_node_dead_s;     /* a node silent this long is dead */
    long max_export_rows;       /* most records in one XLSX export */
    long max_upload_bytes; /* one uploaded file (its request: this + JG_FORM_SLACK, even above max_body_bytes)
                            */
    long max_import_bytes; /* one imported file (its request: this + JG_FORM_SLACK, even above max_body_bytes)
                            */
    long max_import_rows;  /* data rows of one import */
    char *print_header;    /* printed at the top of every page of printed documents */
    char *public_url;      /* base URL the public reaches this server at (QR codes of prints) */
    long rule_max_code_bytes;   /* rule engine: largest rule source */
    long rule_max_params_bytes; /* rule engine: largest params JSON */
    long rule_budget;           /* rule engine: VM instructions per evaluation */
    long rule_memory_bytes;     /* rule engine: Lua heap per evaluation */
    long rule_time_ms;          /* rule engine: wall-clock per evaluation */
    long flow_timer_poll_s;     /* workflow timers: seconds between looks for due timers (0: off) */
} jg_config;

/* One documented key, for docs/configuration.md and `jianguan help config`. */
typedef struct {
    const char *key;      /* key in jianguan.conf; env var is JIANGUAN_ + upper-case key */
    const char *fallback; /* default value as text */
    const char *doc;      /* one line of documentation */
} jg_config_key;

/* Fill cfg with defaults, then the file at path (if path is NULL, ./jianguan.conf when it exists),
 * then the environment. On JG_INVALID writes a message to err. Free with jg_config_free(). */
jg_rc jg_config_load(jg_config *cfg, const char *path, char *err, size_t errlen);
/* Set one key from text. JG_NOTFOUND for an unknown key, JG_INVALID for a bad value. */
jg_rc jg_config_set(jg_config *cfg, const char *key, const char *value);
/* Release the strings held by cfg. */
void jg_config_free(jg_config *cfg);
/* The i-th documented key, or NULL past the last. Static storage; cannot fail. */
const jg_config_key *jg_config_key_at(size_t i);

#endif
