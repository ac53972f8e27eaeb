/* The image of the login captcha: a few letters drawn from a built-in bitmap font, turned, shifted
 * and crossed with noise, encoded as a PNG. Pure functions of their inputs (the text and a block of
 * random bytes), so tests can render the same picture twice; captcha.c supplies the randomness.
 *
 * The PNG written is the smallest legal one for an RGB picture:
 *
 *     89 50 4E 47 0D 0A 1A 0A                               signature
 *     u32be(13) "IHDR" u32be(W) u32be(H) 08 02 00 00 00 CRC  8-bit RGB, deflate, no interlace
 *     u32be(n)  "IDAT" zlib(H rows of: 00 | R G B * W) CRC    filter type 0 (None) on every row
 *     u32be(0)  "IEND" CRC
 *
 * CRC = CRC-32 (zlib's crc32) of the chunk type and data. */
#ifndef JG_CAPTCHA_PNG_H
#define JG_CAPTCHA_PNG_H
#include "base/buf.h"
#include "base/rc.h"

#define JG_CAPTCHA_WIDTH 120
#define JG_CAPTCHA_HEIGHT 40
#define JG_CAPTCHA_CHARS 4
/* Letters that cannot be taken for one another: no 0/O/Q/D-like pairs, no 1/I/L, B/8, G/6, S/5,
 * Z/2, U/V. Case does not matter: answers are compared upper-cased. */
#define JG_CAPTCHA_ALPHABET "23456789ACEFHJKMNPRTVWXY"
/* Random bytes that decide placement, colours and noise of one picture. */
#define JG_CAPTCHA_NOISE_BYTES 512
/* A generous bound on the PNG's size (the raw pixels are 14,440 bytes before deflate). */
#define JG_CAPTCHA_PNG_MAX 65536

/* Draw text (JG_CAPTCHA_CHARS letters of JG_CAPTCHA_ALPHABET, either case) into rgb, which holds
 * JG_CAPTCHA_WIDTH * JG_CAPTCHA_HEIGHT * 3 bytes, rows from the top. Everything but the letters
 * themselves comes from noise. JG_INVALID (rgb untouched) for another length or letter. */
jg_rc jg_captcha_draw(const char *text, const unsigned char noise[JG_CAPTCHA_NOISE_BYTES],
                      unsigned char *rgb);

/* Draw text as jg_captcha_draw does and append the picture as a PNG to out. JG_INVALID as
 * jg_captcha_draw, JG_TOOLARGE if out's maximum is too small, JG_ERR (logged) if zlib fails.
 * The caller owns out. */
jg_rc jg_captcha_png(const char *text, const unsigned char noise[JG_CAPTCHA_NOISE_BYTES], jg_buf *out);

#endif
