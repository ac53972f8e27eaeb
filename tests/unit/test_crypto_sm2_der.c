/* Unit tests for the DER statics of src/crypto/sm2.c (included below): the ciphertext DER we build
 * from sm-crypto's hex must be byte for byte what OpenSSL itself writes. OpenSSL 3.0 reads the
 * coordinates leniently (as unsigned magnitudes, padding and sign ignored), so decryption alone
 * would not notice a non-canonical encoding; stricter readers (and later OpenSSL) would. */
#include "../../src/crypto/sm2.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

/* OpenSSL's own DER ciphertext of len random bytes. */
static unsigned char *openssl_der(EVP_PKEY *pkey, size_t len, size_t *der_n)
{
    unsigned char *msg = malloc(len);
    assert_non_null(msg);
    assert_int_equal(jg_crypto_random(msg, len), JG_OK);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
    assert_int_equal(EVP_PKEY_encrypt(ctx, NULL, der_n, msg, len), 1);
    unsigned char *der = malloc(*der_n);
    assert_non_null(der);
    assert_int_equal(EVP_PKEY_encrypt(ctx, der, der_n, msg, len), 1);
    EVP_PKEY_CTX_free(ctx);
    free(msg);
    return der;
}

/* Take OpenSSL's DER apart with our reader, build it again with our writer, compare. Returns the
 * first bytes of X1 and Y1 through *x0 and *y0. */
static void same_der(const unsigned char *der, size_t der_n, size_t len, int *x0, int *y0)
{
    const unsigned char *p = der, *end = der + der_n, *seq = NULL, *c3 = NULL, *c2 = NULL;
    size_t seq_len = 0, c3_len = 0, c2_len = 0;
    unsigned char xy[2 * COORD_LEN];
    assert_true(der_read(&p, end, 0x30, &seq, &seq_len));
    assert_ptr_equal(p, end);
    p = seq;
    end = seq + seq_len;
    assert_true(der_read_coord(&p, end, xy));
    assert_true(der_read_coord(&p, end, xy + COORD_LEN));
    assert_true(der_read(&p, end, 0x04, &c3, &c3_len));
    assert_int_equal(c3_len, 32);
    assert_true(der_read(&p, end, 0x04, &c2, &c2_len));
    assert_int_equal(c2_len, len);
    assert_ptr_equal(p, end);
    unsigned char *again = NULL;
    size_t again_n = cipher_der(xy, c3, c2, c2_len, &again);
    assert_int_equal(again_n, der_n);
    assert_memory_equal(again, der, der_n);
    free(again);
    *x0 = xy[0];
    *y0 = xy[COORD_LEN];
}

static void ciphertext_der_is_openssls(void **state)
{
    (void)state;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    assert_non_null(pkey);
    /* Until each shape has been seen: X1 or Y1 with a zero first byte (INTEGER shortened) and
     * with the top bit set (00 sign byte added), and the plain case. */
    int seen_x_zero = 0, seen_y_zero = 0, seen_x_high = 0, seen_y_high = 0, seen_plain = 0;
    for (int tries = 0; tries < 20000; tries++) {
        size_t der_n, len = 1 + (size_t)(tries % 50);
        unsigned char *der = openssl_der(pkey, len, &der_n);
        int x0, y0;
        same_der(der, der_n, len, &x0, &y0);
        free(der);
        seen_x_zero |= x0 == 0;
        seen_y_zero |= y0 == 0;
        seen_x_high |= x0 >= 0x80;
        seen_y_high |= y0 >= 0x80;
        seen_plain |= x0 > 0 && x0 < 0x80 && y0 > 0 && y0 < 0x80;
        if (seen_x_zero && seen_y_zero && seen_x_high && seen_y_high && seen_plain)
            break;
    }
    assert_true(seen_x_zero && seen_y_zero && seen_x_high && seen_y_high && seen_plain);
    /* DER long-form lengths: C2 and the SEQUENCE past 127, 255 and 65535 bytes. */
    const size_t sizes[] = {100, 127, 128, 160, 255, 256, 65535, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t der_n;
        int x0, y0;
        unsigned char *der = openssl_der(pkey, sizes[i], &der_n);
        same_der(der, der_n, sizes[i], &x0, &y0);
        free(der);
    }
    EVP_PKEY_free(pkey);
}

static void der_integer_edges(void **state)
{
    (void)state;
    unsigned char v[COORD_LEN], out[40];
    const unsigned char *p, *val;
    size_t n;
    /* Zero is one 00 byte; 1 is 01; 0x80 is 00 80; all-ones is 00 ff ... */
    memset(v, 0, sizeof(v));
    assert_int_equal(der_uint(out, v), 3);
    assert_memory_equal(out, "\x02\x01\x00", 3);
    v[31] = 1;
    assert_int_equal(der_uint(out, v), 3);
    assert_memory_equal(out, "\x02\x01\x01", 3);
    v[31] = 0x80;
    assert_int_equal(der_uint(out, v), 4);
    assert_memory_equal(out, "\x02\x02\x00\x80", 4);
    memset(v, 0xff, sizeof(v));
    assert_int_equal(der_uint(out, v), 35);
    assert_memory_equal(out, "\x02\x21\x00\xff", 4);
    assert_int_equal(der_uint(NULL, v), 35);
    /* And back: our reader restores the fixed width. */
    unsigned char back[COORD_LEN];
    p = out;
    assert_true(der_read_coord(&p, out + 35, back));
    assert_memory_equal(back, v, COORD_LEN);
    /* Lengths. */
    assert_int_equal(der_len(out, 127), 1);
    assert_int_equal(out[0], 127);
    assert_int_equal(der_len(out, 128), 2);
    assert_memory_equal(out, "\x81\x80", 2);
    assert_int_equal(der_len(out, 256), 3);
    assert_memory_equal(out, "\x82\x01\x00", 3);
    assert_int_equal(der_len(out, 70000), 4);
    assert_memory_equal(out, "\x83\x01\x11\x70", 4);
    /* The reader refuses lengths past the end and negative coordinates. */
    const unsigned char past[] = {0x04, 0x05, 1, 2};
    p = past;
    assert_false(der_read(&p, past + sizeof(past), 0x04, &val, &n));
    const unsigned char neg[] = {0x02, 0x01, 0x80};
    p = neg;
    assert_false(der_read_coord(&p, neg + sizeof(neg), back));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ciphertext_der_is_openssls),
        cmocka_unit_test(der_integer_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
