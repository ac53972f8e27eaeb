/* Grouped counts of an entity's records (its "tally"), kept exact by the database itself.
 *
 * A definition may declare
 *   "tally": {"by": ["state", "org_code", "project_kind"], "month": "planned_start_on"}
 * (fields of type enum, region or boolean, or "state"; month: a date field or "created_at"), and
 * the schema sync (tally_schema.c) keeps a counter table beside the entity's table:
 *
 *   e_<entity>__tally
 *     <org>    TEXT NOT NULL              the scope's region field, always (scope by prefix)
 *     state    TEXT NOT NULL              always a column: lists and counts leave "deleted" out
 *     <dim>... TEXT NOT NULL | BIGINT     the declared fields; NULL is stored as '' (text) or -1
 *     month    TEXT NOT NULL              "YYYY-MM" of the month field ('' when none or NULL)
 *     n        BIGINT NOT NULL            records in this group (0 once all left it)
 *   unique (<org>, state, <dim>..., month): a region's scope reads its own rows only
 *
 * Triggers of the database move the counts in the same transaction as the write, whoever writes:
 * the records API, the workflow, an import, or plain SQL. SQLite: row triggers after insert, delete
 * and an update of a counted column that changes it. PostgreSQL: statement triggers with
 * transition tables, one grouped upsert a statement (a bulk load of a million rows is one). The
 * table is filled from the rows when it is made and whenever the tally's declaration changes.
 *
 * The API (tally_api.c): GET /api/v1/records/{entity}/tally?by=&month=&filter= (docs/api/README.md). */
#ifndef JG_ENTITY_TALLY_H
#define JG_ENTITY_TALLY_H
#include "db/db.h"
#include "engine/entity/def.h"

#include <jansson.h>
#include <stddef.h>

#define JG_TALLY_MAX_DECLARED 6                       /* fields a tally may declare in "by" */
#define JG_TALLY_MAX_COLS (JG_TALLY_MAX_DECLARED + 2) /* + state + the scope's region field */
#define JG_TALLY_MAX_BY 4                             /* dimensions one request may group by */
#define JG_TALLY_COUNT_MAX 200000        /* records a count without the tally table may read (fallback) */
#define JG_TALLY_SUFFIX "__tally"        /* table e_<entity>__tally; a child table cannot be called "tally" */
#define JG_TALLY_CREATED_AT "created_at" /* "month": the month of creation, Beijing time */

/* The tally of a loaded entity: the columns of its table. Points into the entity. */
typedef struct {
    int ncols;
    const char *cols[JG_TALLY_MAX_COLS];       /* the scope's region field (if any), "state", the rest */
    const jg_field *fields[JG_TALLY_MAX_COLS]; /* NULL for state */
    const char *month;                         /* a date field's name, JG_TALLY_CREATED_AT, or NULL */
} jg_tally_spec;

/* Check the "tally" of definition doc against e (fields loaded): the shape above; at most
 * JG_TALLY_MAX_DECLARED distinct fields of type enum, region or boolean (or "state"), a month of
 * type date or "created_at", no child table called "tally". JG_OK when absent or right; JG_INVALID
 * with "tally.by[1]: ..." in err (for developers, like the loader's other messages). */
jg_rc jg_tally_check(json_t *doc, const jg_entity *e, char *err, size_t errlen);
/* The tally of e, which was loaded (so checked): JG_OK with *out, JG_NOTFOUND when e declares none
 * (a child table never does). Cannot fail otherwise. */
jg_rc jg_tally_spec_of(const jg_entity *e, jg_tally_spec *out);
/* Index of column name in spec, or -1. */
int jg_tally_col(const jg_tally_spec *spec, const char *name);

/* Region grouping levels: the code as stored, or cut to a city (4 digits; 平潭 350128 stays a unit
 * of its own, as in the data scope) or the province (2). */
typedef enum {
    JG_TALLY_AS_IS = 0,
    JG_TALLY_COUNTY = 6,
    JG_TALLY_CITY = 4,
    JG_TALLY_PROVINCE = 2
} jg_tally_level;

/* One dimension of a request: "state", "month", or a field (enum, region, boolean) of the entity. */
typedef struct {
    const char *name;      /* points into the entity ("state" and "month": static) */
    const jg_field *field; /* NULL for state and month */
    jg_tally_level level;  /* region fields only */
} jg_tally_dim;

typedef struct {
    jg_tally_dim by[JG_TALLY_MAX_BY];
    int nby;
    char from[8], to[8]; /* "YYYY-MM" bounds of month=, inclusive; "" when open */
} jg_tally_query;

/* Parse the by= and month= parameters of a request over e (spec: its tally, or NULL when it has
 * none; "month" needs one with a month). by: 1..JG_TALLY_MAX_BY distinct names separated by commas,
 * each "state", "month" or an enum, region or boolean field, a region one optionally with
 * ":county", ":city" or ":province". month (NULL or "": any): "2026-01..2026-12", "2026-03" (that
 * month), "2026-01.." or "..2026-06". JG_OK with *q; JG_INVALID with the parameter's name in
 * *param ("by" or "month") and a Chinese message in msg. Pure: input from outside (fuzz_tally). */
jg_rc jg_tally_parse(const jg_entity *e, const jg_tally_spec *spec, const char *by, const char *month,
                     jg_tally_query *q, const char **param, char *msg, size_t msglen);
/* 1 when the filter JSON (NULL: none) can be answered from the tally table: only "and"/"or" of
 * conditions eq or in on the table's columns (state, the region and declared fields). Values are
 * then compared as the entity stores them, which the table keeps but for NULL ('' or -1 there,
 * which eq and in never ask for). Pure. */
int jg_tally_filter_served(const jg_tally_spec *spec, json_t *filter);

/* Bring e's tally table and triggers in line with its declaration on c, inside the schema sync's
 * transaction: made (and filled from the rows) when missing or when the declaration changed,
 * dropped when no longer declared, left alone when the same. JG_OK, or a failure of the database
 * with a message in err. */
jg_rc jg_tally_schema_sync(jg_conn *c, const jg_entity *e, char *err, size_t errlen);

#endif
