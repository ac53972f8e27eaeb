/* Unit tests for src/platform/captcha_png.c: the PNG is well formed (signature, IHDR, chunk CRCs,
 * IDAT inflating to the raw rows), the letters show in the pixels, the font covers the alphabet.
 * Includes the .c to reach the font table. */
#include "platform/captcha_png.c"

#include "crypto/crypto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#define RGB_BYTES ((size_t)W * H * 3)

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void random_noise(unsigned char noise[JG_CAPTCHA_NOISE_BYTES])
{
    assert_int_equal(jg_crypto_random(noise, JG_CAPTCHA_NOISE_BYTES), JG_OK);
}

/* Walk the chunks of png (checking lengths and CRCs), check IHDR and that IEND comes last, and
 * inflate the IDAT data into raw (rows with their filter bytes). Returns the raw length. */
static size_t decode(const unsigned char *png, size_t len, unsigned char *raw, size_t rawcap)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_true(len > 8);
    assert_memory_equal(png, sig, 8);
    unsigned char *idat = malloc(len);
    size_t nidat = 0, pos = 8;
    int chunks = 0, seen_end = 0;
    while (pos < len) {
        assert_false(seen_end); /* nothing after IEND */
        assert_true(pos + 12 <= len);
        uint32_t n = be32(png + pos);
        assert_true(pos + 12 + n <= len);
        const unsigned char *type = png + pos + 4, *data = png + pos + 8;
        uLong crc = crc32(crc32(0L, type, 4), data, n);
        assert_int_equal(be32(data + n), (uint32_t)crc);
        if (chunks == 0) {
            assert_memory_equal(type, "IHDR", 4);
            assert_int_equal(n, 13);
            assert_int_equal(be32(data), JG_CAPTCHA_WIDTH);
            assert_int_equal(be32(data + 4), JG_CAPTCHA_HEIGHT);
            assert_int_equal(data[8], 8);  /* bit depth */
            assert_int_equal(data[9], 2);  /* RGB */
            assert_int_equal(data[10], 0); /* deflate */
            assert_int_equal(data[11], 0);
            assert_int_equal(data[12], 0); /* not interlaced */
        } else if (memcmp(type, "IDAT", 4) == 0) {
            memcpy(idat + nidat, data, n);
            nidat += n;
        } else if (memcmp(type, "IEND", 4) == 0) {
            assert_int_equal(n, 0);
            seen_end = 1;
        }
        chunks++;
        pos += 12 + n;
    }
    assert_true(seen_end);
    assert_true(nidat > 0);
    uLongf rawlen = rawcap;
    assert_int_equal(uncompress(raw, &rawlen, idat, nidat), Z_OK);
    free(idat);
    return rawlen;
}

static void png_structure(void **state)
{
    (void)state;
    unsigned char noise[JG_CAPTCHA_NOISE_BYTES];
    random_noise(noise);
    jg_buf b;
    jg_buf_init(&b, JG_CAPTCHA_PNG_MAX);
    assert_int_equal(jg_captcha_png("7KMX", noise, &b), JG_OK);
    size_t cap = 2 * (size_t)H * (1 + W * 3);
    unsigned char *raw = malloc(cap);
    size_t n = decode((const unsigned char *)b.data, b.len, raw, cap);
    assert_int_equal(n, (size_t)H * (1 + W * 3));
    /* Every row starts with filter type 0 and holds the pixels jg_captcha_draw makes. */
    unsigned char *rgb = malloc(RGB_BYTES);
    assert_int_equal(jg_captcha_draw("7KMX", noise, rgb), JG_OK);
    for (int y = 0; y < H; y++) {
        assert_int_equal(raw[(size_t)y * (1 + W * 3)], 0);
        assert_memory_equal(raw + (size_t)y * (1 + W * 3) + 1, rgb + (size_t)y * W * 3, (size_t)W * 3);
    }
    free(rgb);
    free(raw);
    jg_buf_free(&b);
}

/* The number of pixels that differ between two pictures. */
static int differing(const unsigned char *a, const unsigned char *b)
{
    int d = 0;
    for (size_t i = 0; i < RGB_BYTES; i += 3)
        d += memcmp(a + i, b + i, 3) != 0;
    return d;
}

static void pixels_follow_the_text(void **state)
{
    (void)state;
    unsigned char noise[JG_CAPTCHA_NOISE_BYTES], other[JG_CAPTCHA_NOISE_BYTES];
    random_noise(noise);
    random_noise(other);
    unsigned char *a = malloc(RGB_BYTES), *b = malloc(RGB_BYTES), *c = malloc(RGB_BYTES);
    assert_int_equal(jg_captcha_draw("ACEF", noise, a), JG_OK);
    assert_int_equal(jg_captcha_draw("ACEF", noise, b), JG_OK);
    assert_int_equal(differing(a, b), 0); /* a pure function of its inputs */
    assert_int_equal(jg_captcha_draw("acef", noise, b), JG_OK);
    assert_int_equal(differing(a, b), 0); /* case does not matter */
    /* Other letters with the same noise: only the letters change, and by a good many pixels. */
    assert_int_equal(jg_captcha_draw("HJKM", noise, c), JG_OK);
    assert_true(differing(a, c) > 100);
    /* One letter changed changes the picture in that letter's quarter only. */
    assert_int_equal(jg_captcha_draw("ACEH", noise, b), JG_OK);
    int d = differing(a, b);
    assert_true(d > 10);
    for (int y = 0; y < H; y++)
        assert_memory_equal(a + (size_t)y * W * 3, b + (size_t)y * W * 3, 3 * 60);
    /* The same letters with other noise are drawn elsewhere. */
    assert_int_equal(jg_captcha_draw("ACEF", other, c), JG_OK);
    assert_true(differing(a, c) > 100);
    free(a);
    free(b);
    free(c);
}

static void ink_is_dark_on_light(void **state)
{
    (void)state;
    unsigned char noise[JG_CAPTCHA_NOISE_BYTES];
    random_noise(noise);
    unsigned char *rgb = malloc(RGB_BYTES);
    assert_int_equal(jg_captcha_draw("MWMW", noise, rgb), JG_OK);
    int dark = 0, light = 0;
    for (size_t i = 0; i < RGB_BYTES; i += 3) {
        int sum = rgb[i] + rgb[i + 1] + rgb[i + 2];
        dark += sum < 3 * 160;
        light += sum >= 3 * 220;
    }
    /* Four wide letters ink a fair share of the picture and leave most of it light. */
    assert_true(dark > W * H / 10);
    assert_true(light > W * H / 2);
    free(rgb);
}

static void bad_text(void **state)
{
    (void)state;
    unsigned char noise[JG_CAPTCHA_NOISE_BYTES] = {0};
    unsigned char *rgb = malloc(RGB_BYTES);
    memset(rgb, 0x5a, RGB_BYTES);
    const char *bad[] = {"", "ACE", "ACEFH", "AC0E", "O123", "IL11", "AC E", "ACE\xe4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(jg_captcha_draw(bad[i], noise, rgb), JG_INVALID);
    for (size_t i = 0; i < RGB_BYTES; i++)
        assert_int_equal(rgb[i], 0x5a); /* untouched */
    jg_buf b;
    jg_buf_init(&b, JG_CAPTCHA_PNG_MAX);
    assert_int_equal(jg_captcha_png("ACE", noise, &b), JG_INVALID);
    assert_int_equal(b.len, 0);
    jg_buf_free(&b);
    /* A buffer too small for the picture. */
    jg_buf_init(&b, 100);
    assert_int_equal(jg_captcha_png("ACEF", noise, &b), JG_TOOLARGE);
    jg_buf_free(&b);
    free(rgb);
}

static void font_covers_the_alphabet(void **state)
{
    (void)state;
    const char *alphabet = JG_CAPTCHA_ALPHABET;
    assert_int_equal(strlen(alphabet), sizeof(font) / sizeof(font[0]));
    for (const char *p = alphabet; *p != '\0'; p++) {
        const struct glyph *g = glyph_of(*p);
        assert_non_null(g);
        for (int r = 0; r < 7; r++) {
            assert_int_equal(strlen(g->rows[r]), 5);
            assert_int_equal(strspn(g->rows[r], "#."), 5);
        }
        /* No two glyphs alike. */
        for (const char *q = p + 1; *q != '\0'; q++)
            assert_true(memcmp(g->rows, glyph_of(*q)->rows, sizeof(g->rows)) != 0);
    }
    /* Look-alikes are not in the alphabet. */
    for (const char *p = "0O1ILBGSZQUD"; *p != '\0'; p++)
        assert_null(strchr(alphabet, *p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_structure),
        cmocka_unit_test(pixels_follow_the_text),
        cmocka_unit_test(ink_is_dark_on_light),
        cmocka_unit_test(bad_text),
        cmocka_unit_test(font_covers_the_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
