/* Image captcha (图形验证码): issue a picture with a one-time id, check and spend it (format of the
 * stored rows in captcha.h, of the picture in captcha_png.h).
 *
 * Routes: GET /api/v1/auth/captcha. */
#include "platform/captcha.h"
#include "platform/captcha_png.h"
#include "platform/identity_int.h"

#include "base/timeutil.h"

#include <ctype.h>
#include <string.h>

#define TOKEN_BYTES 32
#define TOKEN_LEN 43 /* base64url of TOKEN_BYTES, no padding */
#define HASH_HEX (2 * JG_SM3_LEN)

int jg_captcha_needed(const jg_config *cfg, int failures)
{
    if (strcmp(cfg->captcha, "always") == 0)
        return 1;
    return strcmp(cfg->captcha, "after_failure") == 0 && failures > 0;
}

/* SM3 hex of len bytes at data. */
static jg_rc sm3_hex(const void *data, size_t len, char out[HASH_HEX + 1])
{
    unsigned char d[JG_SM3_LEN];
    jg_rc rc = jg_sm3(data, len, d);
    if (rc == JG_OK)
        jg_crypto_hex_encode(d, sizeof(d), out);
    return rc;
}

/* answer_hash = SM3 hex of token_hash ":" answer, answer already upper-cased. */
static jg_rc answer_hash(const char *token_hash, const char *answer, char out[HASH_HEX + 1])
{
    char text[HASH_HEX + 1 + JG_CAPTCHA_CHARS + 1];
    size_t n = strlen(answer);
    if (n > JG_CAPTCHA_CHARS)
        n = JG_CAPTCHA_CHARS;
    memcpy(text, token_hash, HASH_HEX);
    text[HASH_HEX] = ':';
    memcpy(text + HASH_HEX + 1, answer, n);
    jg_rc rc = sm3_hex(text, HASH_HEX + 1 + n, out);
    memset(text, 0, sizeof(text));
    return rc;
}

/* JG_CAPTCHA_CHARS letters of the alphabet, uniformly (bytes past the last whole multiple of the
 * alphabet's size are thrown away rather than folded in). */
static jg_rc random_answer(char out[JG_CAPTCHA_CHARS + 1])
{
    static const char alphabet[] = JG_CAPTCHA_ALPHABET;
    const unsigned n = sizeof(alphabet) - 1;
    const unsigned limit = 256 - 256 % n;
    int have = 0;
    while (have < JG_CAPTCHA_CHARS) {
        unsigned char b[16];
        jg_rc rc = jg_crypto_random(b, sizeof(b));
        if (rc != JG_OK)
            return rc;
        for (size_t i = 0; i < sizeof(b) && have < JG_CAPTCHA_CHARS; i++)
            if (b[i] < limit)
                out[have++] = alphabet[b[i] % n];
        memset(b, 0, sizeof(b));
    }
    out[JG_CAPTCHA_CHARS] = '\0';
    return JG_OK;
}

/* Standard base64 (RFC 4648 section 4, with padding), as data: URLs want it, into the arena. */
static char *base64(jg_arena *a, const unsigned char *in, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = jg_arena_alloc(a, (n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *o++ = digits[v >> 18 & 63];
        *o++ = digits[v >> 12 & 63];
        *o++ = i + 1 < n ? digits[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? digits[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

struct issue {
    const char *token_hash, *answer_hash;
    long ttl_s;
};

/* Store one captcha, clearing out the expired ones on the way (the index on expires_at keeps that
 * cheap), so the table holds about a ttl's worth of rows. */
static jg_rc issue_tx(jg_conn *c, void *ud)
{
    struct issue *is = ud;
    char now[32], until[32];
    jg_time_iso_now(now, sizeof(now));
    jg_time_iso_offset(is->ttl_s, until, sizeof(until));
    jg_value old[] = {JG_VTEXT(now)};
    jg_rc rc = jg_db_exec(c, "DELETE FROM captcha WHERE expires_at <= $1", old, 1, NULL);
    jg_value p[] = {JG_VTEXT(is->token_hash), JG_VTEXT(is->answer_hash), JG_VTEXT(until)};
    if (rc == JG_OK)
        rc = jg_db_exec(
            c, "INSERT INTO captcha (token_hash, answer_hash, expires_at, used) VALUES ($1, $2, $3, 0)", p, 3,
            NULL);
    return rc;
}

/* GET: a fresh picture and its id. No login; rate-limited with the other auth requests. */
static jg_rc issue(jg_req *req, jg_resp *resp)
{
    if (!jg_identity_rate_ok(req, resp))
        return JG_DENIED;
    unsigned char tok[TOKEN_BYTES], noise[JG_CAPTCHA_NOISE_BYTES];
    char id[TOKEN_LEN + 1], answer[JG_CAPTCHA_CHARS + 1];
    char th[HASH_HEX + 1], ah[HASH_HEX + 1];
    jg_rc rc = jg_crypto_random(tok, sizeof(tok));
    if (rc == JG_OK)
        rc = jg_crypto_random(noise, sizeof(noise));
    if (rc == JG_OK)
        rc = random_answer(answer);
    if (rc != JG_OK)
        return rc;
    jg_crypto_b64url_encode(tok, sizeof(tok), id);
    memset(tok, 0, sizeof(tok));
    rc = sm3_hex(id, TOKEN_LEN, th);
    if (rc == JG_OK)
        rc = answer_hash(th, answer, ah);
    jg_buf png;
    jg_buf_init(&png, JG_CAPTCHA_PNG_MAX);
    if (rc == JG_OK)
        rc = jg_captcha_png(answer, noise, &png);
    memset(answer, 0, sizeof(answer));
    struct issue is = {th, ah, req->app->cfg->captcha_ttl_s};
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, issue_tx, &is);
    if (rc != JG_OK) {
        jg_buf_free(&png);
        return rc == JG_TOOLARGE ? JG_ERR : rc;
    }
    char *image = jg_arena_printf(req->arena, "data:image/png;base64,%s",
                                  base64(req->arena, (const unsigned char *)png.data, png.len));
    jg_buf_free(&png);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:I}", "captcha_id", id, "image", image, "expires_in",
                                  (json_int_t)req->app->cfg->captcha_ttl_s));
}

struct spend {
    const char *token_hash;
    char stored[HASH_HEX + 1]; /* the row's answer_hash; "" when no live row was spent */
};

/* Mark the captcha used and read its answer hash in one statement: of two concurrent checks
 * only one sees used = 0 (PostgreSQL re-checks the WHERE after the other's update commits;
 * SQLite has one writer), so only one gets the row back. */
static jg_rc spend_tx(jg_conn *c, void *ud)
{
    struct spend *s = ud;
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[] = {JG_VTEXT(s->token_hash), JG_VTEXT(now)};
    jg_rows *r;
    s->stored[0] = '\0';
    jg_rc rc =
        jg_db_query(c,
                    "UPDATE captcha SET used = 1 WHERE token_hash = $1 AND used = 0 AND expires_at > $2"
                    " RETURNING answer_hash",
                    p, 2, &r);
    if (rc != JG_OK)
        return rc;
    const char *h = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL;
    if (h != NULL && strlen(h) == HASH_HEX)
        memcpy(s->stored, h, HASH_HEX + 1);
    jg_rows_free(r);
    return JG_OK;
}

jg_rc jg_captcha_check(jg_req *req, const char *captcha_id, const char *answer)
{
    if (captcha_id == NULL || *captcha_id == '\0' || strlen(captcha_id) > JG_CAPTCHA_ID_MAX)
        return JG_DENIED;
    /* Upper-cased; a wrong length cannot match but still spends the captcha below. */
    char upper[JG_CAPTCHA_CHARS + 1] = "";
    int length_ok = answer != NULL && strlen(answer) == JG_CAPTCHA_CHARS;
    for (int i = 0; length_ok && i < JG_CAPTCHA_CHARS; i++)
        upper[i] = (char)toupper((unsigned char)answer[i]);
    struct spend s = {0};
    char th[HASH_HEX + 1], ah[HASH_HEX + 1];
    jg_rc rc = sm3_hex(captcha_id, strlen(captcha_id), th);
    if (rc == JG_OK)
        rc = answer_hash(th, upper, ah);
    memset(upper, 0, sizeof(upper));
    s.token_hash = th;
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, spend_tx, &s);
    if (rc != JG_OK)
        return rc;
    if (!length_ok || s.stored[0] == '\0')
        return JG_DENIED;
    return jg_crypto_equal(ah, s.stored, HASH_HEX);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/auth/captcha", issue, 0, "图形验证码（PNG，一次有效）", "identity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_captcha = {"captcha", routes, NULL, NULL};
