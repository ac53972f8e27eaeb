/* Global search on SQLite (search.h): which words of a query the FTS5 trigram index serves, and as
 * what MATCH expression.
 *
 * A word of 3+ characters is a phrase of its trigrams. A 2-character word makes no trigram, but
 * every place it occurs begins one: the index holds each value followed by an end mark, so 鼓楼 at
 * the end of 厦门鼓楼 begins 鼓楼<end>. The vocabulary table lists the indexed trigrams in order,
 * so those beginning with the word are a range of it: the word is searched as their OR.
 *
 * A vocabulary row costs a walk over its trigram's whole list of records (fts5vocab counts them),
 * so a word found in most records (工程) would cost a walk over most of the index. Such words do
 * better without the index: newest records first, LIKE, stopping at the candidates wanted. Which
 * kind a word is, a probe says: its share among the newest JG_SEARCH_PROBE_ROWS records (an id
 * range, some milliseconds). A rare word (鼓楼, in none of ten million records) costs a few
 * milliseconds through the index where LIKE read every record in the scope. */
#include "engine/entity/search.h"

#include "base/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COMMON_SHARE 20 /* a word in at least 1 of COMMON_SHARE of the probed records is common */

/* Whether FTS5's case folding changes nothing in w that lower-casing ASCII would not: ASCII, CJK
 * (U+3000..U+9FFF, U+F900..U+FAFF, U+20000 on), fullwidth forms other than the letters A-Z. */
static int folds_as_ascii(const char *w)
{
    const unsigned char *s = (const unsigned char *)w;
    while (*s != '\0') {
        if (*s < 0x80) {
            s++;
        } else if (*s >= 0xE0 && *s < 0xF0) {
            uint32_t cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
            int ok = (cp >= 0x3000 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                     (cp >= 0xFF01 && cp <= 0xFFEF && !(cp >= 0xFF21 && cp <= 0xFF3A));
            if (!ok)
                return 0;
            s += 3;
        } else if (*s >= 0xF0) {
            uint32_t cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12;
            if (cp < 0x20000)
                return 0;
            s += 4;
        } else {
            return 0; /* U+0080..U+07FF: Latin with accents, Greek, Cyrillic ... */
        }
    }
    return 1;
}

/* Append the FTS5 string "s" with its quotes doubled. */
static void fts_string(jg_buf *b, const char *s)
{
    jg_buf_puts(b, "\"");
    for (; *s != '\0'; s++)
        jg_buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    jg_buf_puts(b, "\"");
}

/* The share probe: for each 2-character word of q that FTS5 folds as ASCII (short[w] = 1), whether
 * it is common among the newest records of e (common[w] = 1). */
static jg_rc probe(jg_db *db, const jg_entity *e, const jg_search_query *q, const int *shorts, int *common)
{
    jg_value p[JG_SEARCH_MAX_WORDS];
    char *pat[JG_SEARCH_MAX_WORDS];
    int n = 0, oom = 0;
    jg_buf sql;
    jg_buf_init(&sql, 65536);
    jg_buf_puts(&sql, "SELECT count(*)");
    for (int w = 0; w < q->nwords; w++) {
        if (!shorts[w])
            continue;
        pat[n] = malloc(2 * strlen(q->words[w]) + 3);
        if (pat[n] == NULL) {
            oom = 1;
            break;
        }
        jg_search_like_pattern(q->words[w], pat[n]);
        p[n] = JG_VTEXT(pat[n]);
        n++;
        jg_buf_puts(&sql, ", coalesce(sum(CASE WHEN");
        jg_search_like_any(&sql, e, JG_DB_SQLITE, n);
        jg_buf_puts(&sql, " THEN 1 ELSE 0 END), 0)");
    }
    jg_buf_printf(&sql, " FROM %s r WHERE r.id > (SELECT coalesce(max(id), 0) FROM %s) - %d", e->table,
                  e->table, JG_SEARCH_PROBE_ROWS);
    jg_rows *r = NULL;
    jg_rc rc = oom ? JG_NOMEM : sql.overflowed ? JG_TOOLARGE : jg_db_read(db, sql.data, p, n, &r);
    for (int w = 0, col = 1; rc == JG_OK && w < q->nwords; w++) {
        if (!shorts[w])
            continue;
        int64_t all = jg_rows_int(r, 0, 0), hits = jg_rows_int(r, 0, col++);
        common[w] = hits * COMMON_SHARE >= all && hits > 0;
    }
    jg_rows_free(r);
    for (int i = 0; i < n; i++)
        free(pat[i]);
    jg_buf_free(&sql);
    return rc;
}

/* The trigrams of e's index that 2-character word begins, as "t1" OR "t2" ... appended to b;
 * *nterms of them, JG_SEARCH_MAX_TERMS + 1 when there are more. */
static jg_rc begun_trigrams(jg_db *db, const jg_entity *e, const char *word, jg_buf *b, int *nterms)
{
    size_t len = strlen(word);
    char lo[16], hi[24];
    if (len + 5 > sizeof(lo))
        return JG_INVALID;
    for (size_t i = 0; i <= len; i++)
        lo[i] = word[i] >= 'A' && word[i] <= 'Z' ? (char)(word[i] - 'A' + 'a') : word[i];
    memcpy(hi, lo, len);
    memcpy(hi + len, "\xF4\x90\x80\x80", 5); /* past U+10FFFF: after every trigram beginning lo */
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_buf_puts(&sql, "SELECT term FROM ");
    jg_buf_puts(&sql, e->table);
    jg_buf_printf(&sql, "__fts_v WHERE term >= $1 AND term < $2 LIMIT %d", JG_SEARCH_MAX_TERMS + 1);
    jg_value p[] = {JG_VTEXT(lo), JG_VTEXT(hi)};
    jg_rows *r = NULL;
    jg_rc rc = sql.overflowed ? JG_TOOLARGE : jg_db_read(db, sql.data, p, 2, &r);
    *nterms = rc == JG_OK ? jg_rows_count(r) : 0;
    for (int i = 0; *nterms <= JG_SEARCH_MAX_TERMS && i < *nterms; i++) {
        if (i > 0)
            jg_buf_puts(b, " OR ");
        fts_string(b, jg_rows_text(r, i, 0));
    }
    jg_rows_free(r);
    jg_buf_free(&sql);
    return rc;
}

jg_rc jg_search_sqlite_match(jg_db *db, const jg_entity *e, const jg_search_query *q, jg_buf *match,
                             int served[JG_SEARCH_MAX_WORDS], int *nowhere)
{
    int shorts[JG_SEARCH_MAX_WORDS] = {0}, common[JG_SEARCH_MAX_WORDS] = {0}, nshort = 0;
    *nowhere = 0;
    for (int w = 0; w < q->nwords; w++) {
        size_t chars = jg_utf8_chars(q->words[w]);
        served[w] = chars >= 3;
        shorts[w] = chars == 2 && folds_as_ascii(q->words[w]);
        nshort += shorts[w];
    }
    jg_rc rc = nshort > 0 ? probe(db, e, q, shorts, common) : JG_OK;
    for (int w = 0; rc == JG_OK && w < q->nwords && !*nowhere; w++) {
        if (served[w]) {
            if (match->len > 0)
                jg_buf_puts(match, " AND ");
            fts_string(match, q->words[w]);
        } else if (shorts[w] && !common[w]) {
            jg_buf terms;
            jg_buf_init(&terms, 65536);
            int nterms = 0;
            rc = begun_trigrams(db, e, q->words[w], &terms, &nterms);
            if (rc == JG_OK && nterms <= JG_SEARCH_MAX_TERMS) {
                served[w] = 1;
                *nowhere = nterms == 0;
                if (match->len > 0)
                    jg_buf_puts(match, " AND ");
                jg_buf_puts(match, "(");
                if (terms.len > 0)
                    jg_buf_append(match, terms.data, terms.len);
                jg_buf_puts(match, ")");
            }
            jg_buf_free(&terms);
        }
    }
    if (rc == JG_OK && match->overflowed)
        rc = JG_TOOLARGE;
    return rc;
}
