/* libFuzzer driver for the search query text and highlights (src/engine/entity/search.c). The
 * input is split at its first NUL byte: the query before it, the text to highlight after it (or
 * the query itself when there is none); its first byte also picks the snippet window (1..64).
 *
 * Besides the sanitizers, each answer is checked:
 *   parsed    1..JG_SEARCH_MAX_WORDS words, each non-empty, valid UTF-8, without white space,
 *             together at most JG_SEARCH_MAX_CHARS characters; the LIKE pattern of each word
 *             starts and ends with '%' and has every '%', '_' and '\' of the word escaped;
 *   refused   a non-empty UTF-8 message, no words;
 *   snippet   when the text is valid UTF-8: JG_OK or JG_NOTFOUND; with JG_OK the snippet is valid
 *             UTF-8 of at most window + 2 characters, and its ranges are sorted, non-overlapping,
 *             non-empty and inside it. */
#include "base/text.h"
#include "engine/entity/search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pattern(const char *word)
{
    char *pat = malloc(2 * strlen(word) + 3);
    jg_search_like_pattern(word, pat);
    size_t n = strlen(pat);
    if (n < 2 || pat[0] != '%' || pat[n - 1] != '%')
        abort();
    for (size_t i = 1; i + 1 < n; i++) {
        if (pat[i] == '\\') {
            if (pat[i + 1] != '%' && pat[i + 1] != '_' && pat[i + 1] != '\\')
                abort();
            i++;
        } else if (pat[i] == '%' || pat[i] == '_') {
            abort();
        }
    }
    free(pat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *q = malloc(size + 1);
    memcpy(q, data, size);
    q[size] = '\0';
    size_t qlen = strlen(q);
    const char *text = qlen < size ? q + qlen + 1 : q;
    int window = size > 0 ? 1 + data[0] % 64 : 20;

    char *buf = malloc(qlen + 1);
    jg_search_query query;
    const char *message = NULL;
    jg_rc rc = jg_search_parse(q, buf, qlen + 1, &query, &message);
    if (rc == JG_OK) {
        size_t chars = 0;
        if (query.nwords < 1 || query.nwords > JG_SEARCH_MAX_WORDS)
            abort();
        for (int i = 0; i < query.nwords; i++) {
            const char *w = query.words[i];
            if (w[0] == '\0' || !jg_utf8_valid(w, strlen(w)) || strpbrk(w, " \t\n\r\f\v") != NULL ||
                strstr(w, "\xE3\x80\x80") != NULL)
                abort();
            chars += jg_utf8_chars(w);
            check_pattern(w);
        }
        if (chars > JG_SEARCH_MAX_CHARS)
            abort();
        size_t tlen = strlen(text);
        if (jg_utf8_valid(text, tlen)) {
            size_t cap = tlen + 7;
            char *out = malloc(cap);
            jg_search_range ranges[16];
            int n = -1;
            jg_rc s = jg_search_snippet(text, &query, window, out, cap, ranges, 16, &n);
            if (s != JG_OK && s != JG_NOTFOUND)
                abort();
            if (s == JG_OK) {
                int len = (int)jg_utf8_chars(out);
                if (!jg_utf8_valid(out, strlen(out)) || len > window + 2 || n < 1)
                    abort();
                for (int i = 0; i < n; i++)
                    if (ranges[i].len < 1 || ranges[i].start < 0 || ranges[i].start + ranges[i].len > len ||
                        (i > 0 && ranges[i].start <= ranges[i - 1].start + ranges[i - 1].len - 1))
                        abort();
            }
            free(out);
        }
    } else if (rc != JG_INVALID || message == NULL || message[0] == '\0' ||
               !jg_utf8_valid(message, strlen(message)) || query.nwords != 0) {
        abort();
    }
    free(buf);
    free(q);
    return 0;
}
