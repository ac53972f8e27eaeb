/* Global search (全局搜索): GET /api/v1/search over the searchable fields of every entity the caller
 * may read, inside the caller's data scope, with highlights as text and character ranges.
 *
 *   GET /api/v1/search?q=福州 鼓楼&entity=registration&page=1&size=20
 *   → {"data": [{"entity", "entity_label", "id", "title",
 *                "highlights": [{"field", "label", "text", "ranges": [[start, len], ...]}]}],
 *      "page", "size", "has_more"}
 *
 * Words (separated by spaces) must all occur, each in any searchable field, as a substring, ASCII
 * letters without case. How a word is found depends on its length and the database:
 *   SQLite      words of 3+ characters through the FTS5 trigram index (MATCH, a phrase per word);
 *               2-character words that are rare through the trigrams they begin (search_sqlite.c);
 *               the others by LIKE on the columns, within the rows the index or the scope leaves;
 *   PostgreSQL  words of 2+ characters through the bigram GIN index (containment of the word's
 *               bigrams), then LIKE on the columns to check them all (bigrams may be scattered);
 *               1-character words by LIKE only.
 * A query with no indexable word scans the table (newest first, inside the scope, stopping at the
 * cap). Per entity the CANDIDATES newest matches inside the scope are taken and ordered by
 * relevance (records with all words in their title first), then newest first; entities are merged
 * in that order, so a page is at most CANDIDATES deep.
 * Table and column names come from definitions (search_schema.c checks them), values are bound. */
#include "engine/entity/search.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "engine/entity/records.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATES 1000 /* matches per entity ordered by relevance; the deepest page reaches this */
#define MAX_SIZE 50
#define MAX_RANGES 16

/* ---- query text ---- */

/* Bytes of white space at s (ASCII blanks, U+3000 ideographic space), or 0. */
static size_t space_at(const char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        return 1;
    if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
        return 3;
    return 0;
}

jg_rc jg_search_parse(const char *q, char *buf, size_t buflen, jg_search_query *out, const char **message)
{
    memset(out, 0, sizeof(*out));
    *message = "请输入搜索内容";
    if (q == NULL)
        return JG_INVALID;
    size_t len = strlen(q);
    if (buflen < len + 1)
        return JG_INVALID;
    if (!jg_utf8_valid(q, len)) {
        *message = "搜索内容不是有效的文字";
        return JG_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)q[i];
        if ((ch < 0x20 && space_at(q + i) == 0) || ch == 0x7F) {
            *message = "搜索内容不能含有控制字符";
            return JG_INVALID;
        }
    }
    /* Trim, then count what is left. */
    const char *start = q, *end = q + len;
    while (start < end && space_at(start) > 0)
        start += space_at(start);
    while (end > start) {
        if (end - start >= 3 && space_at(end - 3) == 3)
            end -= 3;
        else if (space_at(end - 1) == 1)
            end -= 1;
        else
            break;
    }
    size_t blen = (size_t)(end - start);
    memcpy(buf, start, blen);
    buf[blen] = '\0';
    size_t chars = jg_utf8_chars(buf);
    if (chars == 0)
        return JG_INVALID;
    if (chars > JG_SEARCH_MAX_CHARS) {
        *message = "搜索内容不能超过50个字";
        return JG_INVALID;
    }
    /* Words: cut at each run of white space (the buffer gets NULs there). */
    char *p = buf;
    while (*p != '\0') {
        while (space_at(p) > 0) {
            size_t n = space_at(p);
            memset(p, '\0', n);
            p += n;
        }
        if (*p == '\0')
            break;
        if (out->nwords == JG_SEARCH_MAX_WORDS) {
            *message = "搜索词不能超过10个";
            out->nwords = 0;
            return JG_INVALID;
        }
        out->words[out->nwords++] = p;
        while (*p != '\0' && space_at(p) == 0)
            p++;
    }
    return JG_OK;
}

void jg_search_like_pattern(const char *word, char *out)
{
    size_t o = 0;
    out[o++] = '%';
    for (const char *s = word; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '%';
    out[o] = '\0';
}

/* ---- highlights ---- */

typedef struct {
    size_t start, end; /* bytes of the text */
} span;

static int lower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int match_at(const char *text, const char *word)
{
    for (size_t i = 0; word[i] != '\0'; i++)
        if (text[i] == '\0' || lower_ascii((unsigned char)text[i]) != lower_ascii((unsigned char)word[i]))
            return 0;
    return 1;
}

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* Characters in the first n bytes of s. */
static int chars_in(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of character number ch of s (or its end). */
static size_t byte_of(const char *s, int ch)
{
    size_t i = 0;
    for (int c = 0; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == ch)
                return i;
            c++;
        }
    }
    return i;
}

jg_rc jg_search_snippet(const char *text, const jg_search_query *query, int window, char *out, size_t outlen,
                        jg_search_range *ranges, int maxranges, int *nranges)
{
    enum { MAX_SPANS = 256 };
    span spans[MAX_SPANS];
    int nspans = 0;
    *nranges = 0;
    size_t tlen = strlen(text);
    if (outlen < tlen + 7 || window < 1)
        return JG_TOOLARGE;
    /* Every occurrence of every word, up to MAX_SPANS of them. */
    for (int w = 0; w < query->nwords; w++) {
        size_t wl = strlen(query->words[w]);
        for (size_t i = 0; wl > 0 && i + wl <= tlen && nspans < MAX_SPANS; i++)
            if (match_at(text + i, query->words[w]))
                spans[nspans++] = (span){i, i + wl};
    }
    if (nspans == 0)
        return JG_NOTFOUND;
    qsort(spans, (size_t)nspans, sizeof(span), span_cmp);
    /* The window: from a little before the first match, window characters long. */
    int total = chars_in(text, tlen), first = chars_in(text, spans[0].start);
    int from = 0, to = total;
    if (total > window) {
        from = first - window / 4;
        if (from < 0)
            from = 0;
        to = from + window;
        if (to > total) {
            to = total;
            from = total - window;
        }
    }
    size_t bfrom = byte_of(text, from), bto = byte_of(text, to);
    size_t o = 0;
    int pre = from > 0;
    if (pre) {
        memcpy(out, "\xE2\x80\xA6", 3); /* … */
        o = 3;
    }
    memcpy(out + o, text + bfrom, bto - bfrom);
    o += bto - bfrom;
    if (to < total) {
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
    /* Matches inside the window, in characters of out, merged where they overlap or touch. */
    for (int i = 0; i < nspans; i++) {
        size_t s = spans[i].start < bfrom ? bfrom : spans[i].start,
               e = spans[i].end > bto ? bto : spans[i].end;
        if (s >= e)
            continue;
        int cs = from + chars_in(text + bfrom, s - bfrom) - from + pre;
        int ce = cs + chars_in(text + s, e - s);
        if (*nranges > 0 && cs <= ranges[*nranges - 1].start + ranges[*nranges - 1].len) {
            jg_search_range *last = &ranges[*nranges - 1];
            if (ce > last->start + last->len)
                last->len = ce - last->start;
            continue;
        }
        if (*nranges == maxranges)
            break;
        ranges[(*nranges)++] = (jg_search_range){cs, ce - cs};
    }
    return JG_OK;
}

/* ---- the API ---- */

typedef struct {
    const jg_record_kind *k;
    jg_rows *rows;
    int row;
    double score;
    const char *created_at;
    int64_t id;
} hit;

static int hit_cmp(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    int c = strcmp(y->created_at != NULL ? y->created_at : "", x->created_at != NULL ? x->created_at : "");
    if (c != 0)
        return c;
    return (y->id > x->id) - (y->id < x->id);
}

static int searchable(const jg_entity *e)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].searchable)
            return 1;
    return 0;
}

static const jg_field *title_field(const jg_entity *e)
{
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].searchable)
            return &e->fields[i];
    return NULL;
}

/* " (r.<col> LIKE $i ESCAPE '\' OR ...)". ILIKE on PostgreSQL (LIKE is without case for ASCII on
 * SQLite): on the plain column, unlike lower(col), the planner estimates it from the column's
 * statistics, and so scans by id for a word found in most records (stopping at the cap) and
 * through the index for a rare one. */
void jg_search_like_any(jg_buf *b, const jg_entity *e, jg_db_kind kind, int param)
{
    jg_buf_puts(b, " (");
    int first = 1;
    for (int i = 0; i < e->nfields; i++) {
        if (!e->fields[i].searchable)
            continue;
        if (!first)
            jg_buf_puts(b, " OR ");
        first = 0;
        if (kind == JG_DB_PGSQL)
            jg_buf_printf(b, "r.%s ILIKE $%d ESCAPE '\\'", e->fields[i].name, param);
        else
            jg_buf_printf(b, "r.%s LIKE $%d ESCAPE '\\'", e->fields[i].name, param);
    }
    jg_buf_puts(b, ")");
}

/* jg_db_read on PostgreSQL with a plan made for the values at hand. The statement is prepared once
 * per connection, and after five runs PostgreSQL may switch to a generic plan that ignores the
 * words: the one that suits a rare word (the index) is far too slow for a word in most records
 * (there: by id, stopping at the cap), and the other way round. */
static jg_rc read_custom_plan(jg_db *db, const char *sql, const jg_value *p, int n, jg_rows **out)
{
    jg_conn *c;
    jg_rc rc = jg_db_acquire(db, 0, &c);
    if (rc != JG_OK)
        return rc;
    rc = jg_db_exec(c, "SET plan_cache_mode = force_custom_plan", NULL, 0, NULL);
    if (rc == JG_OK)
        rc = jg_db_query(c, sql, p, n, out);
    jg_rc reset = jg_db_exec(c, "RESET plan_cache_mode", NULL, 0, NULL);
    jg_db_release(c);
    return rc != JG_OK ? rc : reset;
}

/* Search one kind: its best matches (at most limit) as rows id, score, created_at, fields. */
static jg_rc search_kind(jg_req *req, const jg_record_kind *k, const jg_search_query *q, int64_t limit,
                         jg_rows **out)
{
    *out = NULL;
    const jg_entity *e = k->e;
    jg_db_kind kind = jg_db_kind_of(req->app->db);
    jg_value p[JG_SEARCH_MAX_WORDS * 2 + 16];
    int n = 0, like[JG_SEARCH_MAX_WORDS], served[JG_SEARCH_MAX_WORDS] = {0}, nserved = 0;
    for (int w = 0; w < q->nwords; w++) {
        char *pat = jg_arena_alloc(req->arena, 2 * strlen(q->words[w]) + 3);
        jg_search_like_pattern(q->words[w], pat);
        p[n++] = JG_VTEXT(pat);
        like[w] = n;
        if (kind == JG_DB_PGSQL) /* the bigram index serves words of 2+ characters */
            nserved += served[w] = jg_utf8_chars(q->words[w]) >= 2;
    }
    jg_buf match;
    jg_buf_init(&match, 65536);
    if (kind == JG_DB_SQLITE) {
        int nowhere = 0;
        jg_rc rc = jg_search_sqlite_match(req->app->db, e, q, &match, served, &nowhere);
        if (rc != JG_OK || nowhere) { /* a word no record holds: nothing to find */
            jg_buf_free(&match);
            return rc;
        }
        nserved = match.len > 0;
    }
    const jg_field *title = title_field(e);
    jg_buf sql;
    jg_buf_init(&sql, 65536);
    char fts[2 * JG_ENTITY_NAME_MAX + 16];
    snprintf(fts, sizeof(fts), "%s__fts", e->table);
    int use_fts = kind == JG_DB_SQLITE && nserved > 0;
    /* Relevance: all words in the title first. Not FTS5's bm25: its weight of a phrase counts every
     * record that holds it, on each query (some 40 ms per million matches of a common word). */
    jg_buf_puts(&sql, "SELECT * FROM (SELECT r.id, CASE WHEN 1 = 1");
    for (int w = 0; w < q->nwords; w++) {
        if (kind == JG_DB_PGSQL)
            jg_buf_printf(&sql, " AND r.%s ILIKE $%d ESCAPE '\\'", title->name, like[w]);
        else
            jg_buf_printf(&sql, " AND r.%s LIKE $%d ESCAPE '\\'", title->name, like[w]);
    }
    jg_buf_puts(&sql, " THEN 0 ELSE 1 END AS score");
    jg_buf_puts(&sql, ", r.created_at");
    for (int i = 0; i < e->nfields; i++)
        if (e->fields[i].searchable)
            jg_buf_printf(&sql, ", r.%s", e->fields[i].name);
    if (use_fts) {
        p[n++] = JG_VTEXT(jg_arena_strdup(req->arena, match.data));
        jg_buf_printf(&sql, " FROM %s JOIN %s r ON r.id = %s.rowid WHERE %s MATCH $%d", fts, e->table, fts,
                      fts, n);
    } else {
        jg_buf_printf(&sql, " FROM %s r WHERE 1 = 1", e->table);
        if (nserved > 0) { /* PostgreSQL */
            jg_buf_puts(&sql, " AND r." JG_SEARCH_PG_COLUMN " @> (");
            int first = 1;
            for (int w = 0; w < q->nwords; w++) {
                if (!served[w])
                    continue;
                p[n++] = JG_VTEXT(q->words[w]);
                jg_buf_printf(&sql, "%sjg_search_bigrams(lower($%d))", first ? "" : " || ", n);
                first = 0;
            }
            jg_buf_puts(&sql, ")");
        }
    }
    jg_buf_free(&match);
    jg_buf_puts(&sql, " AND r.state <> 'deleted'");
    /* The words the index did not serve, and on PostgreSQL all of them (bigrams may be scattered);
     * FTS phrases need no second look. */
    for (int w = 0; w < q->nwords; w++)
        if (!use_fts || !served[w]) {
            jg_buf_puts(&sql, " AND");
            jg_search_like_any(&sql, e, kind, like[w]);
        }
    jg_rc rc = jg_record_scope(req, k, &sql, p, &n);
    if (rc == JG_DENIED) { /* the caller sees none of these records */
        jg_buf_free(&sql);
        return JG_OK;
    }
    jg_buf_printf(&sql, " ORDER BY %s%s DESC LIMIT %d) s ORDER BY s.score, s.id DESC LIMIT $%d",
                  use_fts ? fts : "r", use_fts ? ".rowid" : ".id", CANDIDATES, n + 1);
    p[n++] = JG_VINT(limit);
    if (sql.overflowed)
        rc = JG_TOOLARGE;
    if (rc == JG_OK && kind == JG_DB_SQLITE)
        rc = jg_db_read(req->app->db, sql.data, p, n, out);
    else if (rc == JG_OK)
        rc = read_custom_plan(req->app->db, sql.data, p, n, out);
    jg_buf_free(&sql);
    return rc;
}

/* The highlights of one hit: each searchable field where a word occurs. */
static json_t *highlights(jg_req *req, const hit *h, const jg_search_query *q)
{
    json_t *arr = json_array();
    const jg_entity *e = h->k->e;
    int col = 3;
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        if (!f->searchable)
            continue;
        const char *text = jg_rows_text(h->rows, h->row, col++);
        if (text == NULL)
            continue;
        size_t cap = strlen(text) + 7;
        char *snip = jg_arena_alloc(req->arena, cap);
        jg_search_range ranges[MAX_RANGES];
        int nranges = 0;
        if (jg_search_snippet(text, q, JG_SEARCH_SNIPPET, snip, cap, ranges, MAX_RANGES, &nranges) != JG_OK)
            continue;
        json_t *rj = json_array();
        for (int r = 0; r < nranges; r++)
            json_array_append_new(rj, json_pack("[i, i]", ranges[r].start, ranges[r].len));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "field", f->name, "label", f->label,
                                             "text", snip, "ranges", rj));
    }
    return arr;
}

/* GET /api/v1/search?q=&entity=&page=&size= */
static jg_rc search(jg_req *req, jg_resp *resp)
{
    const jg_records *rs = jg_records_of(req);
    json_t *fields = json_object();
    const char *q = jg_req_query(req, "q"), *message = NULL;
    jg_search_query query;
    char *buf = jg_arena_alloc(req->arena, (q != NULL ? strlen(q) : 0) + 1);
    if (jg_search_parse(q, buf, (q != NULL ? strlen(q) : 0) + 1, &query, &message) != JG_OK)
        jg_field_error(fields, "q", message);
    int64_t page, size;
    jg_req_paging(req, 20, MAX_SIZE, &page, &size, fields);
    if (json_object_size(fields) == 0 && page * size > CANDIDATES)
        jg_field_error(fields, "page", "搜索结果只能查看前1000条，请增加搜索词缩小范围");
    const char *only = jg_req_query(req, "entity");
    if (jg_resp_fields(req, resp, "搜索条件不正确", fields) != JG_OK)
        return JG_INVALID;

    const jg_principal *who = req->principal;
    int found_only = 0;
    int64_t want = page * size + 1; /* one more than the page ends at: has_more */
    hit *hits = NULL;
    int nhits = 0;
    jg_rows **all = jg_arena_alloc(req->arena, sizeof(jg_rows *) * (size_t)(rs->nkinds + 1));
    int nall = 0;
    jg_rc rc = JG_OK;
    for (int i = 0; i < rs->nkinds && rc == JG_OK; i++) {
        const jg_record_kind *k = &rs->kinds[i];
        if (k->e->parent != NULL || !jg_principal_can(who, k->e->perm_read))
            continue;
        if (only != NULL && strcmp(only, k->e->name) != 0)
            continue;
        found_only = 1;
        if (!searchable(k->e))
            continue;
        jg_rows *r = NULL;
        rc = search_kind(req, k, &query, want, &r);
        if (rc != JG_OK || r == NULL)
            continue;
        all[nall++] = r;
        hits = jg_xrealloc(hits, sizeof(hit) * (size_t)(nhits + jg_rows_count(r) + 1));
        for (int row = 0; row < jg_rows_count(r); row++)
            hits[nhits++] =
                (hit){k, r, row, jg_rows_real(r, row, 1), jg_rows_text(r, row, 2), jg_rows_int(r, row, 0)};
    }
    if (rc == JG_OK && only != NULL && !found_only)
        rc = jg_resp_error(req, resp, JG_NOTFOUND, "没有这类业务记录");
    json_t *data = NULL;
    int more = 0;
    if (rc == JG_OK) {
        if (nhits > 0)
            qsort(hits, (size_t)nhits, sizeof(hit), hit_cmp);
        data = json_array();
        int64_t from = (page - 1) * size;
        for (int64_t i = from; i < nhits && i < from + size; i++) {
            const hit *h = &hits[i];
            const jg_field *t = title_field(h->k->e);
            const char *title = jg_rows_text(h->rows, h->row, 3);
            json_array_append_new(data, json_pack("{s:s, s:s, s:I, s:s?, s:o}", "entity", h->k->e->name,
                                                  "entity_label", h->k->e->label, "id", (json_int_t)h->id,
                                                  "title", t != NULL ? title : NULL, "highlights",
                                                  highlights(req, h, &query)));
        }
        more = nhits > from + size;
    }
    free(hits);
    for (int i = 0; i < nall; i++)
        jg_rows_free(all[i]);
    if (rc != JG_OK || data == NULL)
        return rc;
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:b}", "data", data, "page", (json_int_t)page, "size",
                                  (json_int_t)size, "has_more", more));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/search", search, JG_ROUTE_AUTH, "全局搜索（可查看的业务记录，数据权限内，含高亮）",
     "search", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_search = {"search", routes, NULL, NULL};
