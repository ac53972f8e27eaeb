/* Unit tests for downloads from devices (s=Download): the SDP offer (GB/T 28181-2016 9.9: s=Download,
 * u=, t=, a=downloadspeed before y=) and what a device reads from it, download ids, the signature
 * of download URLs as both layers compute it, and the node's answers without a stream: status of
 * a finished file from the directory, refused control requests, signed file access. */
#include "base/config.h"
#include "crypto/crypto.h"
#include "video/download.h"
#include "video/liveurl.h"
#include "video/media.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static void sdp_download_offer(void **state)
{
    (void)state;
    char out[1024];
    jg_sdp_offer o = {"Download",   "35000000002000000001", "10.0.0.5",   30000,        0,
                      "1350100001", "35010200001310000001", 1795564800LL, 1795568400LL, 4};
    size_t n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_true(n > 0);
    assert_non_null(strstr(out, "s=Download\r\nu=35010200001310000001:0\r\nc=IN IP4 10.0.0.5\r\n"
                                "t=1795564800 1795568400\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:99 H265/90000\r\na=downloadspeed:4\r\ny=1350100001\r\n"));
    assert_string_equal(out + n - strlen("y=1350100001\r\n"), "y=1350100001\r\n"); /* y= last */
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(out, n, &a), JG_OK);
    assert_string_equal(a.session, "Download");
    assert_int_equal(a.download_speed, 4);
    assert_true(a.t_start == 1795564800LL && a.t_end == 1795568400LL);
    /* over TCP: the setup lines, then the speed */
    o.tcp = 1;
    n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_non_null(strstr(out, "a=setup:passive\r\na=connection:new\r\na=downloadspeed:4\r\ny="));
    /* a playback carries no speed; live view t=0 0 */
    o.session = "Playback";
    o.download_speed = 0;
    n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_null(strstr(out, "downloadspeed"));
    assert_int_equal(jg_sdp_parse(out, n, &a), JG_OK);
    assert_int_equal(a.download_speed, 0);
    /* what a device reads from odd offers: a speed out of range or not a number is none; a bad t= too */
    const char *odd =
        "v=0\r\ns=Download\r\nt=20 10\r\nm=video 9 RTP/AVP 96\r\na=downloadspeed:1000\r\ny=1\r\n";
    assert_int_equal(jg_sdp_parse(odd, strlen(odd), &a), JG_OK);
    assert_int_equal(a.download_speed, 0);
    assert_true(a.t_start == 0 && a.t_end == 0);
    const char *nan = "v=0\r\nm=video 9 RTP/AVP 96\r\na=downloadspeed:x\r\n";
    assert_int_equal(jg_sdp_parse(nan, strlen(nan), &a), JG_OK);
    assert_int_equal(a.download_speed, 0);
    /* too small a buffer */
    assert_int_equal(jg_sdp_offer_build(&o, out, 60), 0);
}

static void download_ids(void **state)
{
    (void)state;
    assert_true(jg_vdownload_id_valid("0123456789abcdef"));
    assert_true(jg_vdownload_id_valid("0123456789abcdef0123456789abcdef"));
    assert_false(jg_vdownload_id_valid("0123456789abcde"));                   /* 15 */
    assert_false(jg_vdownload_id_valid("0123456789abcdef0123456789abcdef0")); /* 33 */
    assert_false(jg_vdownload_id_valid("0123456789ABCDEF"));
    assert_false(jg_vdownload_id_valid("../../etc/passwd"));
    assert_false(jg_vdownload_id_valid(""));
    assert_false(jg_vdownload_id_valid(NULL));
}

/* The platform API (src/modules/video/download.c) signs with HMAC-SM3(HMAC-SM3(field_key, label),
 * "download/ID/EXP"); the node with its URL key: the two must agree. */
static void download_signature(void **state)
{
    (void)state;
    unsigned char field_key[32], url_key[32], k2[32], mac[32];
    for (int i = 0; i < 32; i++)
        field_key[i] = (unsigned char)(i * 7 + 1);
    jg_liveurl_key(field_key, url_key);
    static const char label[] = "jianguan video live url v1";
    assert_int_equal(jg_hmac_sm3(field_key, 32, label, sizeof(label) - 1, k2), JG_OK);
    const char *msg = "download/0123456789abcdef0123456789abcdef/1795564800";
    assert_int_equal(jg_hmac_sm3(k2, 32, msg, strlen(msg), mac), JG_OK);
    char want[65], got[65];
    jg_crypto_hex_encode(mac, 32, want);
    jg_vdownload_sign(url_key, "0123456789abcdef0123456789abcdef", 1795564800LL, got);
    assert_string_equal(got, want);
    jg_vdownload_sign(url_key, "0123456789abcdef0123456789abcdee", 1795564800LL, got);
    assert_string_not_equal(got, want);
}

/* The node's answers that need no stream, over a real directory. */
static void node_answers(void **state)
{
    (void)state;
    char dir[] = "/tmp/jg-dl-XXXXXX", err[128];
    assert_non_null(mkdtemp(dir));
    jg_config cfg;
    assert_int_equal(jg_config_load(&cfg, "/dev/null", err, sizeof(err)), JG_OK);
    assert_int_equal(jg_config_set(&cfg, "video_download_dir", dir), JG_OK);
    assert_int_equal(jg_config_set(&cfg, "video_download_max_s", "3600"), JG_OK);
    jg_vsvc svc;
    memset(&svc, 0, sizeof(svc));
    svc.cfg = &cfg;
    jg_vdownload *dl = jg_vdownload_new(&svc);
    const char *dev = "35010200001180000001", *ch = "35010200001310000001";
    const char *id = "00112233445566778899aabbccddeeff";
    json_t *a = NULL;
    /* refused before anything is opened: bad id, range (too long, backwards), speed */
    const char *bad[] = {"id=xyz&start=100&end=200&speed=4",
                         "id=00112233445566778899aabbccddeeff&start=100&end=3701&speed=4",
                         "id=00112233445566778899aabbccddeeff&start=200&end=100&speed=4",
                         "id=00112233445566778899aabbccddeeff&start=100&end=200&speed=0",
                         "id=00112233445566778899aabbccddeeff&start=100&end=200"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jg_vdownload_ctl_start(dl, dev, ch, bad[i], &a), 400);
        assert_string_equal(json_string_value(json_object_get(json_object_get(a, "error"), "code")),
                            "invalid");
        json_decref(a);
    }
    /* unknown: 404; a finished file left by an earlier process: done */
    char q[96];
    snprintf(q, sizeof(q), "id=%s", id);
    assert_int_equal(jg_vdownload_ctl_status(dl, dev, ch, q, &a), 404);
    json_decref(a);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s.ts", dir, id);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    static const unsigned char pkt[188] = {0x47};
    assert_int_equal(fwrite(pkt, 1, sizeof(pkt), fp), sizeof(pkt));
    fclose(fp);
    assert_int_equal(jg_vdownload_ctl_status(dl, dev, ch, q, &a), 200);
    assert_string_equal(json_string_value(json_object_get(a, "state")), "done");
    assert_int_equal(json_integer_value(json_object_get(a, "bytes")), 188);
    assert_int_equal(json_integer_value(json_object_get(a, "progress")), 100);
    json_decref(a);
    /* the file: signed and unexpired only */
    unsigned char url_key[32] = {1, 2, 3};
    char sig[65], query[200], file[640];
    long long size = 0, exp = (long long)time(NULL) + 60;
    const char *message = NULL;
    jg_vdownload_sign(url_key, id, exp, sig);
    snprintf(query, sizeof(query), "exp=%lld&sig=%s HTTP/1.1", exp, sig);
    assert_int_equal(jg_vdownload_file(dl, url_key, id, query, file, sizeof(file), &size, &message), 200);
    assert_string_equal(file, path);
    assert_int_equal(size, 188);
    snprintf(query, sizeof(query), "exp=%lld&sig=%s", exp + 1, sig);
    assert_int_equal(jg_vdownload_file(dl, url_key, id, query, file, sizeof(file), &size, &message), 403);
    jg_vdownload_sign(url_key, id, 1000, sig);
    snprintf(query, sizeof(query), "exp=1000&sig=%s", sig);
    assert_int_equal(jg_vdownload_file(dl, url_key, id, query, file, sizeof(file), &size, &message), 403);
    assert_int_equal(
        jg_vdownload_file(dl, url_key, "../../etc/passwd", query, file, sizeof(file), &size, &message), 403);
    /* past video_download_keep_h (1 h here) the sweep removes a file; a fresh one stays */
    assert_int_equal(jg_config_set(&cfg, "video_download_keep_h", "1"), JG_OK);
    char old[256];
    snprintf(old, sizeof(old), "%s/ffffffffffffffffffffffffffffffff.ts", dir);
    fp = fopen(old, "wb");
    assert_non_null(fp);
    fclose(fp);
    struct timeval tv[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    assert_int_equal(utimes(old, tv), 0);
    jg_vdownload_tick(dl);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(old, F_OK), 0);
    jg_vdownload_free(dl);
    unlink(path);
    rmdir(dir);
    jg_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sdp_download_offer),
        cmocka_unit_test(download_ids),
        cmocka_unit_test(download_signature),
        cmocka_unit_test(node_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
