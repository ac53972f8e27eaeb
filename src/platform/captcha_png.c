/* Rendering of the captcha picture and its PNG encoding (format in captcha_png.h).
 *
 * Written by hand rather than with cairo or libpng: the picture is a few hundred pixels of bitmap
 * glyphs and lines, and zlib (already linked) does the only hard part of PNG, the deflate. */
#include "platform/captcha_png.h"

#include "base/log.h"
#include "base/mem.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define W JG_CAPTCHA_WIDTH
#define H JG_CAPTCHA_HEIGHT

/* A 5 x 7 bitmap font for the alphabet, one row of '#' (ink) and '.' per string. */
static const struct glyph {
    char c;
    const char rows[7][6];
} font[] = {
    {'2', {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}},
    {'3', {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}},
    {'4', {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}},
    {'5', {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}},
    {'6', {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."}},
    {'7', {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}},
    {'8', {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}},
    {'9', {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}},
    {'A', {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}},
    {'C', {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."}},
    {'E', {"#####", "#....", "#....", "####.", "#....", "#....", "#####"}},
    {'F', {"#####", "#....", "#....", "####.", "#....", "#....", "#...."}},
    {'H', {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}},
    {'J', {"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."}},
    {'K', {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"}},
    {'M', {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"}},
    {'N', {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"}},
    {'P', {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."}},
    {'R', {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"}},
    {'T', {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."}},
    {'V', {"#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."}},
    {'W', {"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."}},
    {'X', {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"}},
    {'Y', {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."}},
};

/* Dark ink colours, each readable on the light background. */
static const unsigned char ink[][3] = {
    {30, 60, 140}, {150, 30, 30}, {20, 110, 50}, {110, 40, 130}, {130, 80, 20}, {20, 100, 120},
};

/* The noise bytes read in order (wrapping round, so any count of draws is defined). */
struct rnd {
    const unsigned char *p;
    size_t i;
};

static unsigned next(struct rnd *r)
{
    unsigned v = r->p[r->i % JG_CAPTCHA_NOISE_BYTES];
    r->i++;
    return v;
}

/* A number in [0, n): bias does not matter for placement and noise. */
static int below(struct rnd *r, int n)
{
    unsigned hi = next(r);
    unsigned v = hi << 8 | next(r);
    return (int)(v % (unsigned)n);
}

static const struct glyph *glyph_of(char c)
{
    int u = toupper((unsigned char)c);
    for (size_t i = 0; i < sizeof(font) / sizeof(font[0]); i++)
        if (font[i].c == u)
            return &font[i];
    return NULL;
}

static void put(unsigned char *rgb, int x, int y, const unsigned char c[3])
{
    if (x < 0 || y < 0 || x >= W || y >= H)
        return;
    memcpy(rgb + ((size_t)y * W + (size_t)x) * 3, c, 3);
}

/* One glyph centred at (cx, cy), scale s pixels per font cell, turned by about a radians. Each
 * pixel of its box is mapped back into the font (inverse of the rotation) and inked when it lands
 * on a '#'. */
static void draw_glyph(unsigned char *rgb, const struct glyph *g, float cx, float cy, float s, float a,
                       const unsigned char c[3])
{
    float k = s * (1.0f + a * a);
    int r = (int)(s * 5.0f) + 1;
    for (int y = (int)cy - r; y <= (int)cy + r; y++) {
        for (int x = (int)cx - r; x <= (int)cx + r; x++) {
            float dx = (float)x + 0.5f - cx, dy = (float)y + 0.5f - cy;
            float u = (dx + a * dy) / k + 2.5f, v = (dy - a * dx) / k + 3.5f;
            if (u < 0.0f || v < 0.0f || u >= 5.0f || v >= 7.0f)
                continue;
            if (g->rows[(int)v][(int)u] == '#')
                put(rgb, x, y, c);
        }
    }
}

/* A straight line of the given thickness (Bresenham). */
static void draw_line(unsigned char *rgb, int x0, int y0, int x1, int y1, int thick, const unsigned char c[3])
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        for (int t = 0; t < thick; t++)
            put(rgb, x0, y0 + t, c);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

jg_rc jg_captcha_draw(const char *text, const unsigned char noise[JG_CAPTCHA_NOISE_BYTES], unsigned char *rgb)
{
    const struct glyph *g[JG_CAPTCHA_CHARS];
    if (strlen(text) != JG_CAPTCHA_CHARS)
        return JG_INVALID;
    for (int i = 0; i < JG_CAPTCHA_CHARS; i++) {
        g[i] = glyph_of(text[i]);
        if (g[i] == NULL)
            return JG_INVALID;
    }
    struct rnd r = {noise, 0};

    /* Background: a light gradient from left to right. */
    unsigned char from[3], to[3];
    for (int k = 0; k < 3; k++) {
        from[k] = (unsigned char)(225 + below(&r, 31));
        to[k] = (unsigned char)(225 + below(&r, 31));
    }
    for (int x = 0; x < W; x++) {
        unsigned char c[3];
        for (int k = 0; k < 3; k++)
            c[k] = (unsigned char)(from[k] + (to[k] - from[k]) * x / (W - 1));
        for (int y = 0; y < H; y++)
            put(rgb, x, y, c);
    }

    /* Thin lines under the letters, in light-to-mid colours. */
    for (int i = 0; i < 3; i++) {
        unsigned char c[3] = {(unsigned char)(120 + below(&r, 100)), (unsigned char)(120 + below(&r, 100)),
                              (unsigned char)(120 + below(&r, 100))};
        draw_line(rgb, below(&r, 20), below(&r, H), W - 1 - below(&r, 20), below(&r, H), 1, c);
    }

    /* The letters: each with its own ink, offset, scale and turn. */
    const unsigned char *used[JG_CAPTCHA_CHARS];
    for (int i = 0; i < JG_CAPTCHA_CHARS; i++) {
        used[i] = ink[below(&r, (int)(sizeof(ink) / sizeof(ink[0])))];
        float cx = 17.0f + 28.0f * (float)i + (float)(below(&r, 7) - 3);
        float cy = 20.0f + (float)(below(&r, 7) - 3);
        float s = 3.0f + (float)below(&r, 61) / 100.0f;
        float a = (float)(below(&r, 51) - 25) / 100.0f;
        draw_glyph(rgb, g[i], cx, cy, s, a, used[i]);
    }

    /* Lines across the letters in their own inks, so the letters do not separate by colour alone. */
    for (int i = 0; i < 2; i++) {
        const unsigned char *c = used[below(&r, JG_CAPTCHA_CHARS)];
        draw_line(rgb, below(&r, 10), 8 + below(&r, H - 16), W - 1 - below(&r, 10), 8 + below(&r, H - 16), 1,
                  c);
    }

    /* Dots. */
    for (int i = 0; i < 120; i++) {
        unsigned char c[3] = {(unsigned char)below(&r, 256), (unsigned char)below(&r, 256),
                              (unsigned char)below(&r, 256)};
        put(rgb, below(&r, W), below(&r, H), c);
    }
    return JG_OK;
}

static void u32be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Append one chunk: length, type, data, CRC-32 over type and data. */
static jg_rc chunk(jg_buf *out, const char type[4], const unsigned char *data, size_t n)
{
    unsigned char head[8], crc[4];
    u32be(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    uLong c = crc32(0L, (const Bytef *)type, 4);
    if (n > 0)
        c = crc32(c, data, (uInt)n);
    u32be(crc, (uint32_t)c);
    jg_rc rc = jg_buf_append(out, head, sizeof(head));
    if (rc == JG_OK && n > 0)
        rc = jg_buf_append(out, data, n);
    if (rc == JG_OK)
        rc = jg_buf_append(out, crc, sizeof(crc));
    return rc;
}

jg_rc jg_captcha_png(const char *text, const unsigned char noise[JG_CAPTCHA_NOISE_BYTES], jg_buf *out)
{
    enum { ROW = 1 + W * 3, RAW = H * ROW };
    unsigned char *rgb = jg_xmalloc((size_t)W * H * 3);
    jg_rc rc = jg_captcha_draw(text, noise, rgb);
    if (rc != JG_OK) {
        free(rgb);
        return rc;
    }
    unsigned char *raw = jg_xmalloc(RAW);
    for (int y = 0; y < H; y++) {
        raw[(size_t)y * ROW] = 0; /* filter type None */
        memcpy(raw + (size_t)y * ROW + 1, rgb + (size_t)y * W * 3, (size_t)W * 3);
    }
    free(rgb);
    uLongf zlen = compressBound(RAW);
    unsigned char *z = jg_xmalloc(zlen);
    int zrc = compress2(z, &zlen, raw, RAW, 9);
    free(raw);
    if (zrc != Z_OK) {
        free(z);
        jg_log(JG_LOG_ERROR, "captcha: compress2 failed (%d)", zrc);
        return JG_ERR;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    u32be(ihdr, W);
    u32be(ihdr + 4, H);
    ihdr[8] = 8;  /* bits per sample */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering, each row's filter byte */
    ihdr[12] = 0; /* no interlace */
    rc = jg_buf_append(out, sig, sizeof(sig));
    if (rc == JG_OK)
        rc = chunk(out, "IHDR", ihdr, sizeof(ihdr));
    if (rc == JG_OK)
        rc = chunk(out, "IDAT", z, zlen);
    if (rc == JG_OK)
        rc = chunk(out, "IEND", NULL, 0);
    free(z);
    return rc;
}
