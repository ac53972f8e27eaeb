/* Unit tests for src/base/config.c: defaults, the file format, errors naming file:line, env overrides. */
#include "base/config.h"
#include "base/text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static char dir[64];
static char conf[128];

/* Every JIANGUAN_* variable a key could read, so the environment of the test run cannot leak in. */
static void clear_env(void)
{
    for (size_t i = 0; jg_config_key_at(i) != NULL; i++) {
        char name[64] = "JIANGUAN_";
        size_t n = strlen(name);
        for (const char *p = jg_config_key_at(i)->key; *p != '\0' && n < sizeof(name) - 1; p++)
            name[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        name[n] = '\0';
        unsetenv(name);
    }
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    tmpdir_make(dir, sizeof(dir));
    snprintf(conf, sizeof(conf), "%s/jianguan.conf", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clear_env();
    tmpdir_remove(dir);
    return 0;
}

static const char *fallback_of(const char *key)
{
    for (size_t i = 0; jg_config_key_at(i) != NULL; i++)
        if (strcmp(jg_config_key_at(i)->key, key) == 0)
            return jg_config_key_at(i)->fallback;
    fail_msg("no key %s", key);
    return NULL;
}

static long num_fallback(const char *key)
{
    int64_t v;
    assert_int_equal(jg_parse_int64(fallback_of(key), INT64_MIN, INT64_MAX, &v), JG_OK);
    return (long)v;
}

static void defaults_without_file(void **state)
{
    (void)state;
    write_file(conf, "");
    jg_config cfg;
    char err[256] = "";
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_string_equal(err, "");
    /* Concrete values of the documented defaults. */
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.database, "sqlite:data/jianguan.db");
    assert_string_equal(cfg.data_dir, "data");
    assert_string_equal(cfg.web_dir, "web/dist");
    assert_string_equal(cfg.access_log, "-");
    assert_string_equal(cfg.log_level, "info");
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.max_json_depth, 32);
    assert_int_equal(cfg.max_page_size, 200);
    /* And every field equals the fallback its documentation row shows. */
    assert_int_equal(cfg.threads, num_fallback("threads"));
    assert_int_equal(cfg.db_pool_size, num_fallback("db_pool_size"));
    assert_int_equal(cfg.db_acquire_timeout_ms, num_fallback("db_acquire_timeout_ms"));
    assert_int_equal(cfg.db_busy_retries, num_fallback("db_busy_retries"));
    assert_int_equal(cfg.max_body_bytes, num_fallback("max_body_bytes"));
    assert_int_equal(cfg.max_header_bytes, num_fallback("max_header_bytes"));
    assert_int_equal(cfg.max_json_depth, num_fallback("max_json_depth"));
    assert_int_equal(cfg.request_timeout_s, num_fallback("request_timeout_s"));
    assert_int_equal(cfg.shutdown_grace_s, num_fallback("shutdown_grace_s"));
    assert_int_equal(cfg.max_page_size, num_fallback("max_page_size"));
    assert_string_equal(cfg.listen, fallback_of("listen"));
    assert_string_equal(cfg.database, fallback_of("database"));
    jg_config_free(&cfg);
    assert_null(cfg.listen);
    assert_null(cfg.database);
}

static void null_path_reads_jianguan_conf_in_cwd(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    jg_config cfg;
    char err[256] = "";
    /* No ./jianguan.conf: not an error, defaults only. */
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(jg_config_load(&cfg, NULL, err, sizeof(err)), JG_OK);
    assert_int_equal(cfg.threads, 4);
    jg_config_free(&cfg);
    /* With one, it is read. */
    write_file(conf, "threads = 9\n");
    assert_int_equal(jg_config_load(&cfg, NULL, err, sizeof(err)), JG_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(cfg.threads, 9);
    jg_config_free(&cfg);
}

static void file_syntax(void **state)
{
    (void)state;
    write_file(conf, "# jianguan.conf for the test\n"
                     "   # an indented comment\n"
                     "\n"
                     "   \t\n"
                     "listen = 0.0.0.0:9000\n"
                     "threads=16\n"
                     "  database   =   postgresql://jg:secret@db:5432/jg?sslmode=disable   \n"
                     "\tweb_dir\t=\tweb/public\r\n"
                     "access_log = off\n"
                     "max_page_size = 10000\n"
                     "log_level = warn");
    jg_config cfg;
    char err[256] = "";
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_string_equal(cfg.listen, "0.0.0.0:9000");
    assert_int_equal(cfg.threads, 16);
    /* Only the first '=' separates: the URL keeps its own. */
    assert_string_equal(cfg.database, "postgresql://jg:secret@db:5432/jg?sslmode=disable");
    assert_string_equal(cfg.web_dir, "web/public"); /* tabs and CRLF trimmed */
    assert_string_equal(cfg.access_log, "off");
    assert_int_equal(cfg.max_page_size, 10000);
    assert_string_equal(cfg.log_level, "warn"); /* last line without newline */
    /* Keys the file does not name keep their defaults. */
    assert_string_equal(cfg.data_dir, "data");
    assert_int_equal(cfg.max_json_depth, 32);
    jg_config_free(&cfg);
}

static void later_lines_win(void **state)
{
    (void)state;
    write_file(conf, "threads = 2\nthreads = 3\n");
    jg_config cfg;
    char err[256] = "";
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_int_equal(cfg.threads, 3);
    jg_config_free(&cfg);
}

static void unknown_key_names_file_and_line(void **state)
{
    (void)state;
    write_file(conf, "# comment\nthreads = 2\nthreadz = 3\n");
    jg_config cfg;
    char err[256] = "", want[256];
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_INVALID);
    snprintf(want, sizeof(want), "%s:3: unknown key threadz", conf);
    assert_string_equal(err, want);
    jg_config_free(&cfg);
}

static void bad_numbers_name_file_and_line(void **state)
{
    (void)state;
    const char *bad[] = {"abc", "0", "257", "-4", "4.0", "4 threads", "", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "listen = 127.0.0.1:1\n\nthreads = %s\n", bad[i]);
        write_file(conf, text);
        jg_config cfg;
        char err[256] = "", want[256];
        if (jg_config_load(&cfg, conf, err, sizeof(err)) != JG_INVALID)
            fail_msg("threads = %s was accepted", bad[i]);
        snprintf(want, sizeof(want), "%s:3: bad value for key threads", conf);
        assert_string_equal(err, want);
        jg_config_free(&cfg);
    }
    /* The range ends themselves are fine. */
    write_file(conf, "threads = 256\nshutdown_grace_s = 0\n");
    jg_config cfg;
    char err[256] = "";
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_int_equal(cfg.threads, 256);
    assert_int_equal(cfg.shutdown_grace_s, 0);
    jg_config_free(&cfg);
}

static void line_without_equals(void **state)
{
    (void)state;
    write_file(conf, "listen 127.0.0.1:80\n");
    jg_config cfg;
    char err[256] = "", want[256];
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_INVALID);
    snprintf(want, sizeof(want), "%s:1: expected key = value", conf);
    assert_string_equal(err, want);
    jg_config_free(&cfg);
}

static void missing_named_file_is_an_error(void **state)
{
    (void)state;
    char path[160], err[256] = "", want[256];
    snprintf(path, sizeof(path), "%s/nope.conf", dir);
    jg_config cfg;
    assert_int_equal(jg_config_load(&cfg, path, err, sizeof(err)), JG_INVALID);
    snprintf(want, sizeof(want), "cannot open configuration file %s", path);
    assert_string_equal(err, want);
    jg_config_free(&cfg);
}

static void env_beats_file(void **state)
{
    (void)state;
    write_file(conf, "threads = 16\nlisten = 0.0.0.0:9000\n");
    assert_int_equal(setenv("JIANGUAN_THREADS", "32", 1), 0);
    assert_int_equal(setenv("JIANGUAN_DATABASE", "sqlite:/tmp/env.db", 1), 0);
    jg_config cfg;
    char err[256] = "";
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_int_equal(cfg.threads, 32);
    assert_string_equal(cfg.database, "sqlite:/tmp/env.db");
    assert_string_equal(cfg.listen, "0.0.0.0:9000"); /* the file still counts where env is silent */
    jg_config_free(&cfg);

    assert_int_equal(setenv("JIANGUAN_THREADS", "many", 1), 0);
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "bad value for JIANGUAN_THREADS");
    jg_config_free(&cfg);
    clear_env();
}

static void set_one_key(void **state)
{
    (void)state;
    jg_config cfg;
    char err[256] = "";
    write_file(conf, "");
    assert_int_equal(jg_config_load(&cfg, conf, err, sizeof(err)), JG_OK);
    assert_int_equal(jg_config_set(&cfg, "threads", "8"), JG_OK);
    assert_int_equal(cfg.threads, 8);
    assert_int_equal(jg_config_set(&cfg, "threads", "0"), JG_INVALID);
    assert_int_equal(cfg.threads, 8);
    assert_int_equal(jg_config_set(&cfg, "nope", "1"), JG_NOTFOUND);
    assert_int_equal(jg_config_set(&cfg, "web_dir", "/srv/www"), JG_OK);
    assert_string_equal(cfg.web_dir, "/srv/www");
    assert_int_equal(jg_config_set(&cfg, "Threads", "8"), JG_NOTFOUND); /* keys are case-sensitive */
    jg_config_free(&cfg);
}

static void key_at_enumerates_all_keys(void **state)
{
    (void)state;
    const char *expected[] = {"listen",
                              "database",
                              "data_dir",
                              "web_dir",
                              "access_log",
                              "log_level",
                              "threads",
                              "db_pool_size",
                              "db_acquire_timeout_ms",
                              "db_busy_retries",
                              "max_body_bytes",
                              "max_header_bytes",
                              "max_json_depth",
                              "request_timeout_s",
                              "shutdown_grace_s",
                              "max_page_size",
                              "session_idle_s",
                              "session_absolute_s",
                              "login_max_failures",
                              "login_lock_s",
                              "auth_rate_per_minute",
                              "cookie_secure",
                              "password_max_age_days",
                              "single_session",
                              "captcha",
                              "captcha_ttl_s",
                              "sms_gateway_url",
                              "sms_gateway_token",
                              "sms_code_ttl_s",
                              "sms_resend_s",
                              "signature_window_s",
                              "video_sip_listen",
                              "video_sip_id",
                              "video_sip_password",
                              "video_keepalive_interval_s",
                              "video_keepalive_count",
                              "video_register_max_failures",
                              "video_register_lock_s",
                              "video_keepalive_flush_s",
                              "video_max_devices",
                              "video_media_listen",
                              "video_media_ip",
                              "video_media_url",
                              "video_media_transport",
                              "video_live_idle_s",
                              "video_rtp_timeout_s",
                              "video_live_url_ttl_s",
                              "video_hls_segment_s",
                              "video_hls_window",
                              "video_record_dir",
                              "video_record_days",
                              "video_record_disk_share",
                              "video_upper",
                              "video_subscribe",
                              "video_subscribe_expires_s",
                              "video_position_interval_s",
                              "video_download_dir",
                              "video_download_max_s",
                              "video_download_max",
                              "video_event_keep_days",
                              "video_download_keep_h",
                              "video_role",
                              "video_node_id",
                              "video_node_url",
                              "video_signalling_url",
                              "video_node_dead_s",
                              "max_export_rows",
                              "max_upload_bytes",
                              "print_header",
                              "public_url",
                              "max_import_bytes",
                              "max_import_rows",
                              "rule_max_code_bytes",
                              "rule_max_params_bytes",
                              "rule_budget",
                              "rule_memory_bytes",
                              "rule_time_ms",
                              "flow_timer_poll_s"};
    size_t n = 0;
    while (jg_config_key_at(n) != NULL) {
        const jg_config_key *k = jg_config_key_at(n);
        assert_non_null(k->key);
        assert_non_null(k->fallback);
        assert_non_null(k->doc);
        assert_true(strlen(k->doc) > 10);
        for (size_t j = 0; j < n; j++)
            assert_string_not_equal(jg_config_key_at(j)->key, k->key);
        n++;
        assert_true(n < 1000);
    }
    assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(jg_config_key_at(i)->key, expected[i]);
    assert_null(jg_config_key_at(n));
    assert_null(jg_config_key_at(n + 1));
    assert_null(jg_config_key_at((size_t)-1));
    /* Every documented key can be set from its own fallback text. */
    jg_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(jg_config_set(&cfg, jg_config_key_at(i)->key, jg_config_key_at(i)->fallback), JG_OK);
    jg_config_free(&cfg);
}

/* A key with a fixed set of values takes exactly those. */
static void choice_keys_take_only_their_choices(void **state)
{
    (void)state;
    jg_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(jg_config_set(&cfg, "captcha", "always"), JG_OK);
    assert_string_equal(cfg.captcha, "always");
    assert_int_equal(jg_config_set(&cfg, "captcha", "off"), JG_OK);
    assert_int_equal(jg_config_set(&cfg, "captcha", "sometimes"), JG_INVALID);
    assert_int_equal(jg_config_set(&cfg, "captcha", "of"), JG_INVALID);
    assert_int_equal(jg_config_set(&cfg, "captcha", "off|always"), JG_INVALID);
    assert_int_equal(jg_config_set(&cfg, "captcha", ""), JG_INVALID);
    assert_string_equal(cfg.captcha, "off");
    jg_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_without_file, setup, teardown),
        cmocka_unit_test_setup_teardown(null_path_reads_jianguan_conf_in_cwd, setup, teardown),
        cmocka_unit_test_setup_teardown(file_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(later_lines_win, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_key_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_numbers_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(line_without_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_named_file_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(env_beats_file, setup, teardown),
        cmocka_unit_test_setup_teardown(set_one_key, setup, teardown),
        cmocka_unit_test_setup_teardown(key_at_enumerates_all_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(choice_keys_take_only_their_choices, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
