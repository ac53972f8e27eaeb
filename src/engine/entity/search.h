/* Global search (全局搜索) over the "searchable" fields of entities: the indexes (search_schema.c),
 * the query text and the highlights (search.c). Not a public API outside the entity engine.
 *
 * Indexes, kept by the schema sync in the same transaction as the tables:
 *   SQLite      e_<entity>__fts, a contentless FTS5 table (tokenize='trigram'), one column per
 *               searchable field holding the field's value followed by an end mark (char(1), a
 *               control character no value or query holds), kept in step by the triggers
 *               e_<entity>__fts_ai / _ad / _au (insert, delete, update of those fields): a write
 *               and its index entry commit together. The end mark makes every occurrence of a
 *               2-character word the start of an indexed trigram (鼓楼 at the end of 厦门鼓楼 is in
 *               鼓楼<end>), so the vocabulary e_<entity>__fts_v (fts5vocab, 'row') lists the trigrams
 *               a 2-character word begins, and the word is searched as those trigrams (OR).
 *   PostgreSQL  the generated column search__bigrams (text[], STORED) of e_<entity>: the distinct
 *               character bigrams of the lower-cased searchable fields,
 *               jg_search_bigrams(lower(coalesce(f1, '') || ' ' || ...)) (a SQL function the sync
 *               creates), with a GIN index sx_<table>_<hash> on it; the hash is over the expression,
 *               so a changed set of fields makes both anew. Bigrams instead of pg_trgm: pg_trgm
 *               makes no trigrams of Chinese text in a database whose LC_CTYPE is C (the usual
 *               initdb here), and cannot use an index for a 2-character word (福州, 鼓楼); bigrams
 *               work in any locale, need no extension (nor its privileges), and serve 2-character
 *               words. A stored column rather than an expression index: the planner gets real
 *               statistics of the bigrams (so it scans by id for a word in every record and by the
 *               index for a rare one), and a row that is checked costs no recomputation.
 * Only the fields of the entity itself are indexed; searchable fields of child tables are not (the
 * sync logs a warning). Sensitive and secret fields cannot be searchable (def_field.c refuses them:
 * the index would hold their plain text). */
#ifndef JG_ENTITY_SEARCH_H
#define JG_ENTITY_SEARCH_H
#include "base/buf.h"
#include "base/rc.h"
#include "db/db.h"
#include "engine/entity/def.h"

#include <stddef.h>

#define JG_SEARCH_MAX_CHARS 50                /* characters of a query after trimming */
#define JG_SEARCH_MAX_WORDS 10                /* words of a query (separated by spaces): all must occur */
#define JG_SEARCH_SNIPPET 60                  /* characters of a highlight's text around the first match */
#define JG_SEARCH_PG_COLUMN "search__bigrams" /* PostgreSQL: the generated column the index is on */
#define JG_SEARCH_END_SQL "char(1)"           /* SQLite: the end mark after each indexed value */

/* Create, or bring up to date, the search index of top-level entity e on c (inside the schema
 * sync's transaction): nothing when it is as it should be; dropped when e has no searchable field;
 * (re)built from the existing rows when missing or when the searchable fields changed. JG_CONFLICT
 * with a developer message in err when a child table's name would clash with the index's tables;
 * other rc: database errors (message in err). */
jg_rc jg_search_schema_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen);

/* A parsed query: its words, pointing into the buffer given to jg_search_parse. */
typedef struct {
    const char *words[JG_SEARCH_MAX_WORDS];
    int nwords;
} jg_search_query;

/* Parse the query text q: trim white space (ASCII and the ideographic space U+3000), split into
 * words on it, and check 1..JG_SEARCH_MAX_CHARS characters and at most JG_SEARCH_MAX_WORDS words.
 * Words are copied into buf (room for strlen(q) + 1 bytes). JG_INVALID with a Chinese *message for
 * a missing, empty, blank, too long or not UTF-8 query, or one holding control characters. */
jg_rc jg_search_parse(const char *q, char *buf, size_t buflen, jg_search_query *out, const char **message);

/* Append '%' word '%' to out as a LIKE pattern with '\' as the escape character: the word's own
 * '%', '_' and '\' match themselves. out must have room for 2 * strlen(word) + 3 bytes. */
void jg_search_like_pattern(const char *word, char *out);

/* A highlighted part of a snippet: start and length in characters (code points). */
typedef struct {
    int start, len;
} jg_search_range;

/* Where the words of query occur in text (ASCII letters compared without case): JG_NOTFOUND when
 * none does. Otherwise out (outlen >= strlen(text) + 7) gets a window of at most window characters
 * around the first match, with "…" before and after where text was cut, and ranges[0..*nranges)
 * (at most maxranges, sorted, merged where they overlap or touch) the matches inside it, in
 * characters of out. UTF-8 safe: text is cut at character boundaries. */
jg_rc jg_search_snippet(const char *text, const jg_search_query *query, int window, char *out, size_t outlen,
                        jg_search_range *ranges, int maxranges, int *nranges);

/* " (r.<f1> LIKE $param ESCAPE '\' OR ...)" over the searchable fields of e (ILIKE on PostgreSQL):
 * one word, whose LIKE pattern is parameter param, in any of them. */
void jg_search_like_any(jg_buf *b, const jg_entity *e, jg_db_kind kind, int param);

/* SQLite: how the index serves the words of q for top-level entity e (search_sqlite.c). A word of
 * 3+ characters is a phrase. A 2-character word that is rare among the newest records (in fewer
 * than 1 in 20 of the newest JG_SEARCH_PROBE_ROWS) is the OR of the indexed trigrams it begins
 * (at most JG_SEARCH_MAX_TERMS of them). Other words, and words whose letters FTS5 may fold
 * otherwise than ASCII (Latin with accents, Greek, fullwidth letters...), are left to LIKE.
 * Appends the MATCH expression to match (nothing when no word is served) and sets served[w] for
 * the words it serves; *nowhere = 1 when a served word begins no trigram (no record holds it). */
#define JG_SEARCH_PROBE_ROWS 2000
#define JG_SEARCH_MAX_TERMS 200
jg_rc jg_search_sqlite_match(jg_db *db, const jg_entity *e, const jg_search_query *q, jg_buf *match,
                             int served[JG_SEARCH_MAX_WORDS], int *nowhere);

#endif
