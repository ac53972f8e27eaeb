/* The video service in process for unit tests, without sockets: what it sends is captured; a
 * fixture with a migrated SQLite database and a configuration; REGISTER through digest
 * authentication as a device would. Included by the registrar and subscription tests. */
#ifndef JG_TEST_VIDEO_TESTUTIL_H
#define JG_TEST_VIDEO_TESTUTIL_H

#include "base/config.h"
#include "base/mem.h"
#include "db/migrate.h"
#include "video/video.h"
#include "video/video_int.h"

#include <arpa/inet.h>

#include "testutil.h"

#define PLATFORM "35000000002000000001"

static const unsigned char KEY[32] __attribute__((unused)) = "video unit test field key 32 by";

/* What the service sent, newest last. */
static char *sent[64];
static int nsent;

static inline void capture(jg_vsvc *svc, const jg_vpeer *peer, const char *data, size_t len)
{
    (void)svc;
    (void)peer;
    if (nsent == 64) {
        free(sent[0]);
        memmove(sent, sent + 1, sizeof(sent[0]) * 63);
        nsent--;
    }
    sent[nsent++] = jg_xstrndup(data, len);
}

static inline void clear_sent(void)
{
    for (int i = 0; i < nsent; i++)
        free(sent[i]);
    nsent = 0;
}

/* The first captured message whose start line begins with prefix, or NULL. */
static inline const char *find_sent(const char *prefix)
{
    for (int i = 0; i < nsent; i++)
        if (strncmp(sent[i], prefix, strlen(prefix)) == 0)
            return sent[i];
    return NULL;
}

typedef struct {
    tmpdb t;
    jg_db *db;
    jg_config cfg;
    jg_vsvc svc;
} fixture;

/* A fixture with the registrar's settings, then extra (NULL-ended key, value pairs). */
static inline int video_setup(void **state, const char *const *extra)
{
    fixture *f = jg_xcalloc(1, sizeof(*f));
    tmpdb_make(&f->t);
    f->db = tmpdb_open(&f->t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(f->db, &applied), JG_OK);
    char err[128];
    assert_int_equal(jg_config_load(&f->cfg, "/dev/null", err, sizeof(err)), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_sip_password", "default-pw"), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_sip_listen", "127.0.0.1:5060"), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_keepalive_interval_s", "10"), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_keepalive_count", "3"), JG_OK);
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
        assert_int_equal(jg_config_set(&f->cfg, extra[i], extra[i + 1]), JG_OK);
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    clear_sent();
    *state = f;
    return 0;
}

static inline int video_teardown(void **state)
{
    fixture *f = *state;
    jg_vsvc_exit(&f->svc);
    jg_db_close(f->db);
    jg_config_free(&f->cfg);
    tmpdir_remove(f->t.dir);
    clear_sent();
    free(f);
    return 0;
}

static inline jg_vpeer peer_at(const char *ip, int port)
{
    jg_vpeer p;
    memset(&p, 0, sizeof(p));
    p.transport = JG_VT_UDP;
    p.addr.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &p.addr.sin_addr);
    p.addr.sin_port = htons((uint16_t)port);
    return p;
}

/* The value of param="..." in the WWW-Authenticate of msg, into out. */
static inline void auth_param(const char *msg, const char *param, char *out, size_t outlen)
{
    const char *h = strstr(msg, "WWW-Authenticate:");
    assert_non_null(h);
    char key[32];
    snprintf(key, sizeof(key), "%s=\"", param);
    const char *p = strstr(h, key);
    assert_non_null(p);
    p += strlen(key);
    size_t n = strcspn(p, "\"");
    assert_true(n < outlen);
    memcpy(out, p, n);
    out[n] = '\0';
}

static inline void send_register(fixture *f, const char *id, const char *ip, int expires, const char *auth)
{
    char msg[2048];
    int n = snprintf(msg, sizeof(msg),
                     "REGISTER sip:" PLATFORM "@3500000000 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK%d\r\n"
                     "From: <sip:%s@3501020000>;tag=a1\r\nTo: <sip:%s@3501020000>\r\n"
                     "Call-ID: reg-%s\r\nCSeq: %d REGISTER\r\n"
                     "Contact: <sip:%s@192.168.1.64:5060>\r\nExpires: %d\r\n%s"
                     "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                     rand(), id, id, id, rand() % 1000 + 1, id, expires, auth != NULL ? auth : "");
    jg_vpeer p = peer_at(ip, 5070);
    f->svc.now_us = f->svc.now_us + 1000;
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &p);
}

/* REGISTER, take the challenge, answer it with password (nc given); returns the status line sent. */
static inline const char *register_with(fixture *f, const char *id, const char *ip, const char *password,
                                        int expires, char *nonce_out)
{
    clear_sent();
    send_register(f, id, ip, expires, NULL);
    const char *chal = find_sent("SIP/2.0 401");
    assert_non_null(chal);
    char realm[32], nonce[64], qop[16];
    auth_param(chal, "realm", realm, sizeof(realm));
    auth_param(chal, "nonce", nonce, sizeof(nonce));
    auth_param(chal, "qop", qop, sizeof(qop));
    assert_string_equal(realm, "3500000000");
    assert_string_equal(qop, "auth");
    const char *uri = "sip:" PLATFORM "@3500000000";
    char resp[JG_DIGEST_HEX_LEN + 1], auth[512];
    assert_int_equal(
        jg_digest_response(id, realm, password, "REGISTER", uri, nonce, "00000001", "c0ffee", "auth", resp),
        JG_OK);
    snprintf(
        auth, sizeof(auth),
        "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
        "algorithm=MD5, cnonce=\"c0ffee\", qop=auth, nc=00000001\r\n",
        id, realm, nonce, uri, resp);
    if (nonce_out != NULL)
        snprintf(nonce_out, 512, "%s", auth);
    clear_sent();
    send_register(f, id, ip, expires, auth);
    assert_true(nsent >= 1);
    return sent[0];
}

static inline int64_t scalar(fixture *f, const char *sql)
{
    jg_vstore_sync(f->svc.store);
    return db_scalar(f->db, sql);
}

#endif
