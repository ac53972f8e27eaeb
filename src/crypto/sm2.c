/* SM2 over OpenSSL 3 EVP: keys, decryption of sm-crypto's C1C3C2 hex, and signatures with the
 * standard user ID. Formats: crypto.h and docs/crypto.md.
 *
 * OpenSSL wants SM2 ciphertexts as DER (GM/T 0009):
 *
 *     SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }
 *
 * and refuses INTEGERs that are not minimal (a leading 00 byte that is not a sign byte) or that
 * are negative (first byte >= 0x80 without a 00 before it), so the fixed 32-byte coordinates of
 * the hex form are re-encoded here, not copied. */
#include "crypto/crypto.h"

#include "base/mem.h"
#include "crypto/crypto_int.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define COORD_LEN 32
#define C1_HEX (4 * COORD_LEN) /* X1 | Y1 in hex, without the 04 */
#define C3_HEX (2 * JG_SM3_LEN)
#define PUB_LEN (1 + 2 * COORD_LEN) /* 04 | X | Y */

struct jg_sm2_key {
    EVP_PKEY *pkey;
    int has_private;
};

static jg_sm2_key *wrap(EVP_PKEY *pkey, int has_private)
{
    jg_sm2_key *k = jg_xmalloc(sizeof(*k));
    k->pkey = pkey;
    k->has_private = has_private;
    return k;
}

void jg_sm2_key_free(jg_sm2_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

jg_rc jg_sm2_keygen(jg_sm2_key **out)
{
    *out = NULL;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    jg_rc rc = JG_OK;
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_generate(ctx, &pkey) != 1)
        rc = jg_crypto_ossl_fail("SM2 key generation");
    EVP_PKEY_CTX_free(ctx);
    if (rc == JG_OK)
        *out = wrap(pkey, 1);
    return rc;
}

/* Passphrase callback that refuses: without it OpenSSL would prompt on the terminal for an
 * encrypted PEM. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

jg_rc jg_sm2_key_from_pem(const char *pem, size_t len, jg_sm2_key **out)
{
    *out = NULL;
    if (len > INT_MAX)
        return JG_INVALID;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return jg_crypto_ossl_fail("BIO_new_mem_buf");
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    /* OpenSSL 3 decodes an EC key on the SM2 curve as key type "SM2" (1.1.1 did not). */
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "SM2")) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return JG_INVALID;
    }
    *out = wrap(pkey, 1);
    return JG_OK;
}

jg_rc jg_sm2_key_to_pem(const jg_sm2_key *key, char *out, size_t outlen)
{
    if (outlen > 0)
        out[0] = '\0';
    if (!key->has_private)
        return JG_INVALID;
    /* Secure-memory BIO: the PEM text is cleansed when the BIO is freed. */
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        return jg_crypto_ossl_fail("SM2 PEM output");
    }
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    jg_rc rc = JG_OK;
    if (n <= 0 || data == NULL)
        rc = jg_crypto_ossl_fail("SM2 PEM output");
    else if ((size_t)n >= outlen)
        rc = JG_TOOLARGE;
    else {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(bio);
    return rc;
}

jg_rc jg_sm2_pub_from_hex(const char *hex, jg_sm2_key **out)
{
    *out = NULL;
    unsigned char pub[PUB_LEN];
    if (strlen(hex) != JG_SM2_PUB_HEX_LEN || jg_crypto_hex_decode(hex, JG_SM2_PUB_HEX_LEN, pub) != JG_OK ||
        pub[0] != 0x04)
        return JG_INVALID;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (ctx == NULL)
        return jg_crypto_ossl_fail("SM2 context");
    /* fromdata decodes the point with EC_POINT_oct2point, which refuses points off the curve. */
    int ok =
        EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return JG_INVALID;
    }
    *out = wrap(pkey, 0);
    return JG_OK;
}

jg_rc jg_sm2_pub_to_hex(const jg_sm2_key *key, char out[JG_SM2_PUB_HEX_LEN + 1])
{
    unsigned char pub[PUB_LEN];
    size_t n = 0;
    out[0] = '\0';
    if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n) != 1 ||
        n != PUB_LEN || pub[0] != 0x04)
        return jg_crypto_ossl_fail("SM2 public key output");
    jg_crypto_hex_encode(pub, PUB_LEN, out);
    return JG_OK;
}

/* ---- DER for the ciphertext ---- */

/* Write a DER length (short or long form) at p, or only count it when p is NULL. */
static size_t der_len(unsigned char *p, size_t len)
{
    size_t n = 0;
    for (size_t v = len; v > 0; v >>= 8)
        n++;
    if (len < 0x80) {
        if (p != NULL)
            p[0] = (unsigned char)len;
        return 1;
    }
    if (p != NULL) {
        p[0] = (unsigned char)(0x80 | n);
        for (size_t i = 0; i < n; i++)
            p[1 + i] = (unsigned char)(len >> (8 * (n - 1 - i)));
    }
    return 1 + n;
}

/* Write the non-negative big-endian number v (COORD_LEN bytes) as a minimal DER INTEGER at p,
 * or only count it when p is NULL: leading zero bytes dropped, one 00 added if the top bit is set. */
static size_t der_uint(unsigned char *p, const unsigned char v[COORD_LEN])
{
    size_t skip = 0;
    while (skip < COORD_LEN - 1 && v[skip] == 0)
        skip++;
    size_t body = COORD_LEN - skip, pad = (v[skip] & 0x80) ? 1 : 0;
    if (p != NULL) {
        p[0] = 0x02;
        p[1] = (unsigned char)(body + pad);
        if (pad)
            p[2] = 0;
        memcpy(p + 2 + pad, v + skip, body);
    }
    return 2 + pad + body;
}

static size_t der_octets(unsigned char *p, const unsigned char *v, size_t n)
{
    if (p == NULL)
        return 1 + der_len(NULL, n) + n;
    p[0] = 0x04;
    size_t h = 1 + der_len(p + 1, n);
    memcpy(p + h, v, n);
    return h + n;
}

/* DER of the ciphertext from raw parts; the caller frees *out. */
static size_t cipher_der(const unsigned char xy[2 * COORD_LEN], const unsigned char c3[JG_SM3_LEN],
                         const unsigned char *c2, size_t c2_len, unsigned char **out)
{
    size_t body = der_uint(NULL, xy) + der_uint(NULL, xy + COORD_LEN) + der_octets(NULL, c3, JG_SM3_LEN) +
                  der_octets(NULL, c2, c2_len);
    size_t total = 1 + der_len(NULL, body) + body;
    unsigned char *p = jg_xmalloc(total);
    size_t o = 0;
    p[o++] = 0x30;
    o += der_len(p + o, body);
    o += der_uint(p + o, xy);
    o += der_uint(p + o, xy + COORD_LEN);
    o += der_octets(p + o, c3, JG_SM3_LEN);
    o += der_octets(p + o, c2, c2_len);
    *out = p;
    return o;
}

/* Read one DER element with tag at *p (before end): its content in *val, *vlen; advance *p. */
static int der_read(const unsigned char **p, const unsigned char *end, unsigned char tag,
                    const unsigned char **val, size_t *vlen)
{
    const unsigned char *q = *p;
    if (end - q < 2 || q[0] != tag)
        return 0;
    size_t len = q[1];
    q += 2;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
            return 0;
        len = 0;
        for (size_t i = 0; i < nb; i++)
            len = len << 8 | *q++;
    }
    if ((size_t)(end - q) < len)
        return 0;
    *val = q;
    *vlen = len;
    *p = q + len;
    return 1;
}

/* Read a DER INTEGER holding a coordinate into 32 big-endian bytes. */
static int der_read_coord(const unsigned char **p, const unsigned char *end, unsigned char out[COORD_LEN])
{
    const unsigned char *v;
    size_t n;
    if (!der_read(p, end, 0x02, &v, &n) || n == 0 || (v[0] & 0x80))
        return 0;
    while (n > COORD_LEN && v[0] == 0) {
        v++;
        n--;
    }
    if (n > COORD_LEN)
        return 0;
    memset(out, 0, COORD_LEN - n);
    memcpy(out + COORD_LEN - n, v, n);
    return 1;
}

/* 1 if (x, y) is a point on the SM2 curve, 0 if not, -1 if OpenSSL failed. */
static int on_curve(const unsigned char xy[2 * COORD_LEN])
{
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *pt = group != NULL ? EC_POINT_new(group) : NULL;
    BIGNUM *x = BN_bin2bn(xy, COORD_LEN, NULL), *y = BN_bin2bn(xy + COORD_LEN, COORD_LEN, NULL);
    int r = -1;
    /* set_affine_coordinates checks that the point is on the curve (OpenSSL >= 1.1.1). */
    if (pt != NULL && x != NULL && y != NULL)
        r = EC_POINT_set_affine_coordinates(group, pt, x, y, NULL) == 1 ? 1 : 0;
    BN_free(x);
    BN_free(y);
    EC_POINT_free(pt);
    EC_GROUP_free(group);
    ERR_clear_error();
    return r;
}

jg_rc jg_sm2_encrypt_hex(const jg_sm2_key *key, const void *data, size_t len, char *out, size_t outlen)
{
    if (outlen > 0)
        out[0] = '\0';
    if (len == 0)
        return JG_INVALID;
    if (outlen < JG_SM2_CIPHER_HEX_SIZE(len))
        return JG_TOOLARGE;
    size_t der_len_out = 0;
    unsigned char *der = NULL;
    jg_rc rc = JG_OK;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 ||
        EVP_PKEY_encrypt(ctx, NULL, &der_len_out, data, len) != 1)
        rc = jg_crypto_ossl_fail("SM2 encryption");
    if (rc == JG_OK) {
        der = jg_xmalloc(der_len_out);
        if (EVP_PKEY_encrypt(ctx, der, &der_len_out, data, len) != 1)
            rc = jg_crypto_ossl_fail("SM2 encryption");
    }
    EVP_PKEY_CTX_free(ctx);
    if (rc != JG_OK) {
        free(der);
        return rc;
    }
    /* Take OpenSSL's DER apart into X1 | Y1 | C3 | C2. */
    const unsigned char *p = der, *end = der + der_len_out, *seq = NULL, *c3 = NULL, *c2 = NULL;
    size_t seq_len = 0, c3_len = 0, c2_len = 0;
    unsigned char xy[2 * COORD_LEN];
    int ok = der_read(&p, end, 0x30, &seq, &seq_len) && p == end;
    if (ok) {
        p = seq;
        end = seq + seq_len;
        ok = der_read_coord(&p, end, xy) && der_read_coord(&p, end, xy + COORD_LEN) &&
             der_read(&p, end, 0x04, &c3, &c3_len) && c3_len == JG_SM3_LEN &&
             der_read(&p, end, 0x04, &c2, &c2_len) && c2_len == len && p == end;
    }
    if (ok) {
        jg_crypto_hex_encode(xy, sizeof(xy), out);
        jg_crypto_hex_encode(c3, JG_SM3_LEN, out + C1_HEX);
        jg_crypto_hex_encode(c2, c2_len, out + C1_HEX + C3_HEX);
    } else {
        rc = jg_crypto_ossl_fail("parsing OpenSSL's SM2 ciphertext");
    }
    free(der);
    return rc;
}

jg_rc jg_sm2_decrypt_hex(const jg_sm2_key *key, const char *hex, void *out, size_t outlen, size_t *n)
{
    *n = 0;
    if (!key->has_private)
        return JG_INVALID;
    size_t hexlen = strlen(hex);
    if (hexlen < C1_HEX + C3_HEX + 2 || hexlen % 2 != 0)
        return JG_INVALID;
    /* C2's length is known from the text alone (one less if "04" turns out to be a prefix):
     * refuse what cannot fit before any arithmetic. */
    size_t c2_max = (hexlen - C1_HEX - C3_HEX) / 2;
    size_t c2_min = hex[0] == '0' && hex[1] == '4' && c2_max > 1 ? c2_max - 1 : c2_max;
    if (c2_min > outlen)
        return JG_TOOLARGE;
    /* sm-crypto writes C1 without the 04; others (BouncyCastle, GmSSL's hex tools) keep it.
     * A leading "04" is no proof of the prefix: one C1 in 256 starts with the byte 04. Read it
     * without the prefix first and fall back only when that C1 is not a point on the curve; the
     * wrong reading is on the curve with probability about 2^-256. */
    unsigned char xy[2 * COORD_LEN];
    size_t skip = 0;
    if (jg_crypto_hex_decode(hex, C1_HEX, xy) != JG_OK)
        return JG_INVALID;
    int on = on_curve(xy);
    if (on < 0)
        return jg_crypto_ossl_fail("SM2 curve check");
    if (on == 0 && hex[0] == '0' && hex[1] == '4' && c2_max > 1) {
        if (jg_crypto_hex_decode(hex + 2, C1_HEX, xy) != JG_OK)
            return JG_INVALID;
        on = on_curve(xy);
        if (on < 0)
            return jg_crypto_ossl_fail("SM2 curve check");
        skip = 2;
    }
    if (on == 0)
        return JG_INVALID;
    size_t c2_len = c2_max - skip / 2;
    if (c2_len > outlen)
        return JG_TOOLARGE;
    unsigned char c3[JG_SM3_LEN];
    unsigned char *c2 = jg_xmalloc(c2_len);
    jg_rc rc = jg_crypto_hex_decode(hex + skip + C1_HEX, C3_HEX, c3);
    if (rc == JG_OK)
        rc = jg_crypto_hex_decode(hex + skip + C1_HEX + C3_HEX, 2 * c2_len, c2);
    if (rc != JG_OK) {
        free(c2);
        return rc;
    }
    unsigned char *der = NULL;
    size_t der_n = cipher_der(xy, c3, c2, c2_len, &der);
    free(c2);
    size_t got = outlen;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key->pkey, NULL);
    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) != 1)
        rc = jg_crypto_ossl_fail("SM2 decryption");
    /* With the structure and C1 checked above, what is left to fail is C3 (wrong key, altered
     * data) or, for very short messages, an all-zero KDF mask, which OpenSSL (3.0.19 here)
     * refuses as GB/T 32918.4 B4 says (sm-crypto's doEncrypt does not re-pick k as A5 says). */
    else if (EVP_PKEY_decrypt(ctx, out, &got, der, der_n) != 1 || got != c2_len) {
        ERR_clear_error();
        rc = JG_DENIED;
    }
    EVP_PKEY_CTX_free(ctx);
    free(der);
    if (rc == JG_OK)
        *n = got;
    return rc;
}

/* ---- signatures ---- */

/* A DigestSign/DigestVerify context for key with SM3 and the standard user ID.
 * OpenSSL 3.0 hashes an empty ID into Z unless one is set, and nobody else verifies that. */
static EVP_MD_CTX *sig_ctx(const jg_sm2_key *key, int sign)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL; /* owned by md */
    int ok = md != NULL;
    if (ok && sign)
        ok = EVP_DigestSignInit_ex(md, &pctx, "SM3", NULL, NULL, key->pkey, NULL) == 1;
    else if (ok)
        ok = EVP_DigestVerifyInit_ex(md, &pctx, "SM3", NULL, NULL, key->pkey, NULL) == 1;
    if (ok)
        ok = EVP_PKEY_CTX_set1_id(pctx, JG_SM2_USER_ID, (int)strlen(JG_SM2_USER_ID)) == 1;
    if (!ok) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

jg_rc jg_sm2_sign(const jg_sm2_key *key, const void *data, size_t len, jg_sm2_sig *sig)
{
    memset(sig, 0, sizeof(*sig));
    if (!key->has_private)
        return JG_INVALID;
    EVP_MD_CTX *md = sig_ctx(key, 1);
    size_t n = sizeof(sig->der);
    if (md == NULL || EVP_DigestSign(md, sig->der, &n, data, len) != 1) {
        EVP_MD_CTX_free(md);
        return jg_crypto_ossl_fail("SM2 signing");
    }
    EVP_MD_CTX_free(md);
    sig->der_len = n;
    const unsigned char *p = sig->der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    unsigned char rs[2 * COORD_LEN];
    if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, COORD_LEN) != COORD_LEN ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + COORD_LEN, COORD_LEN) != COORD_LEN) {
        ECDSA_SIG_free(es);
        memset(sig, 0, sizeof(*sig));
        return jg_crypto_ossl_fail("SM2 signature decoding");
    }
    ECDSA_SIG_free(es);
    jg_crypto_hex_encode(rs, sizeof(rs), sig->hex);
    return JG_OK;
}

jg_rc jg_sm2_verify(const jg_sm2_key *key, const void *data, size_t len, const unsigned char *der,
                    size_t derlen)
{
    /* Strict DER only: the same signature has one encoding, so it can serve as an identifier. */
    if (derlen == 0 || derlen > JG_SM2_SIG_DER_MAX)
        return JG_INVALID;
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    unsigned char *again = NULL;
    int again_len = es != NULL ? i2d_ECDSA_SIG(es, &again) : -1;
    int strict =
        es != NULL && p == der + derlen && again_len == (int)derlen && memcmp(again, der, derlen) == 0;
    OPENSSL_free(again);
    ECDSA_SIG_free(es);
    if (!strict) {
        ERR_clear_error();
        return JG_INVALID;
    }
    EVP_MD_CTX *md = sig_ctx(key, 0);
    if (md == NULL)
        return jg_crypto_ossl_fail("SM2 verification");
    int r = EVP_DigestVerify(md, der, derlen, data, len);
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return r == 1 ? JG_OK : JG_DENIED;
}

jg_rc jg_sm2_verify_hex(const jg_sm2_key *key, const void *data, size_t len, const char *hex)
{
    unsigned char rs[2 * COORD_LEN];
    if (strlen(hex) != JG_SM2_SIG_HEX_LEN || jg_crypto_hex_decode(hex, JG_SM2_SIG_HEX_LEN, rs) != JG_OK)
        return JG_INVALID;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, COORD_LEN, NULL), *s = BN_bin2bn(rs + COORD_LEN, COORD_LEN, NULL);
    if (es == NULL || r == NULL || s == NULL) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return jg_crypto_ossl_fail("SM2 signature encoding");
    }
    ECDSA_SIG_set0(es, r, s); /* es owns r and s now */
    unsigned char der[JG_SM2_SIG_DER_MAX], *q = der;
    int n = i2d_ECDSA_SIG(es, NULL);
    if (n > 0 && n <= (int)sizeof(der))
        n = i2d_ECDSA_SIG(es, &q);
    ECDSA_SIG_free(es);
    if (n <= 0 || n > (int)sizeof(der))
        return jg_crypto_ossl_fail("SM2 signature encoding");
    return jg_sm2_verify(key, data, len, der, (size_t)n);
}
