/* The enterprise (企业库) and person (从业人员库) registries: what enterprise.c, person.c and
 * registry.c share. Not a public API: only src/modules/registry includes it.
 *
 * Who sees what: government users of any scope see the whole province's registry (the records
 * have no region column for scope); enterprise users see their own enterprise and its persons.
 * Outside that a record is 404, for reads and writes alike.
 *
 * Both registries are described by a reg_kind (and their child rows by a reg_child), and the
 * shared code below does for both what is the same: the record's answer, the create and update
 * transactions with their refusals, the versioned UPDATE with its audit, and the child rows. */
#ifndef JG_REGISTRY_H
#define JG_REGISTRY_H
#include "base/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "platform/scope.h"
#include "platform/session.h"

#include <jansson.h>
#include <stdint.h>

#define REG_DATE_LEN 11      /* "YYYY-MM-DD" and its NUL */
#define REG_CHILD_TEXTS 4    /* text members of a child row at most */
#define REG_UPDATE_PARAMS 16 /* bound values of a record's UPDATE at most, its WHERE included */

/* A text member of a child row (also its column): read with reg_text, then refused with bad_value
 * unless it is one of values (when not NULL). An optional one left out is stored as "". */
typedef struct {
    const char *key;
    int required;
    size_t max_chars;
    const char *const *values; /* NULL-terminated */
    const char *bad_value;
} reg_child_text;

/* Rows of a record added and deleted one at a time: an enterprise's qualifications, a person's
 * certificates. Each has its text members, then issued_on (optional) and expires_on (required);
 * a deleted row stays with status 'deleted'. The audit names the table as entity and holds the
 * parent's id under the parent column. */
typedef struct {
    const char *entity;          /* table: "enterprise_qualification" */
    const char *parent;          /* column of the parent's id: "enterprise_id" */
    const char *param;           /* path parameter of the row's id: "qid" */
    const char *list;            /* member of the parent's answer: "qualifications" */
    const reg_child_text *texts; /* terminated by key NULL; at most REG_CHILD_TEXTS */
    const char *not_found;       /* 404 of the row: "资质不存在" */
    const char *invalid;         /* 400 of a bad body: "资质信息填写不正确" */
    const char *list_sql, *get_sql, *live_sql, *insert_sql, *delete_sql; /* REG_CHILD_SQL */
} reg_child;

/* The statements of a child table, pasted together from constants at compile time; texts are
 * the text columns in the order of reg_child.texts. The INSERT gets the texts' placeholders and
 * ") RETURNING id" at run time. */
#define REG_CHILD_SQL(table, parent, texts)                                                                  \
    .list_sql =                                                                                              \
        "SELECT " REG_CHILD_COLUMNS(parent, texts) " FROM " table " WHERE " parent                           \
                                                   " = $1 AND status = 'active' ORDER BY expires_on, id",    \
    .get_sql = "SELECT " REG_CHILD_COLUMNS(parent, texts) " FROM " table " WHERE id = $1",                   \
    .live_sql = "SELECT " REG_CHILD_COLUMNS(parent, texts) " FROM " table " WHERE id = $1 AND " parent       \
                                                           " = $2 AND status = 'active'",                    \
    .insert_sql =                                                                                            \
        "INSERT INTO " table " (" parent ", issued_on, expires_on, status, created_at, updated_at, " texts   \
        ") VALUES ($1, $2, $3, 'active', $4, $4",                                                            \
    .delete_sql = "UPDATE " table " SET status = 'deleted', updated_at = $3 WHERE id = $1 AND " parent       \
                  " = $2 AND status = 'active'"
#define REG_CHILD_COLUMNS(parent, texts)                                                                     \
    "id, " parent ", " texts ", issued_on, expires_on, created_at, updated_at"

/* A kind of registry record. */
typedef struct {
    const char *entity;         /* table, and the audit's entity: "enterprise" */
    const char *fetch;          /* SELECT of one row, its id bound as $1; the scope is appended */
    const char *update;         /* "UPDATE <table> SET " */
    const jg_scope_cols *scope; /* which rows a caller may see */
    const char *not_found;      /* 404: "企业不存在" */
    const char *invalid;        /* 400 of a bad body: "企业信息填写不正确" */
    const char *duplicate;      /* 409 of a unique violation */
    void (*fix)(json_t *item);  /* applied to the record before it is answered; may be NULL */
    const reg_child *child;
} reg_kind;

extern const reg_kind reg_enterprise; /* enterprise.c */
extern const reg_kind reg_person;     /* person.c */

/* Route handlers of what is particular to a registry. */
jg_rc reg_enterprise_list(jg_req *req, jg_resp *resp);
jg_rc reg_enterprise_create(jg_req *req, jg_resp *resp);
jg_rc reg_enterprise_update(jg_req *req, jg_resp *resp);
jg_rc reg_person_list(jg_req *req, jg_resp *resp);
jg_rc reg_person_create(jg_req *req, jg_resp *resp);
jg_rc reg_person_update(jg_req *req, jg_resp *resp);
jg_rc reg_person_reveal(jg_req *req, jg_resp *resp);

/* ---- small helpers ---- */

/* 1 when p is a government user (scope province, region or department). */
int reg_government(const jg_principal *p);
/* 1 when s is one of list (NULL-terminated). */
int reg_in_list(const char *const *list, const char *s);
/* The path parameter name as a positive id into *id; JG_NOTFOUND when it is not one. */
jg_rc reg_param_id(jg_req *req, const char *name, int64_t *id);
/* A LIKE pattern (%s%, wildcards escaped for ESCAPE '\') in the arena for a keyword of at most
 * 20 characters; NULL when s is empty. A field error under field when it is too long. */
const char *reg_like(jg_req *req, const char *s, const char *field, json_t *fields);
/* The list's ids=1,2,3 (at most REG_MAX_IDS distinct positive ids, e.g. the names a page of
 * records refers to): appends " AND <col> IN ($k, ...)" to sql with the ids at p[*n...] (room for
 * REG_MAX_IDS). Nothing when s is NULL; a field error under "ids" when it is malformed. */
#define REG_MAX_IDS 100
void reg_ids(const char *s, const char *col, jg_buf *sql, jg_value *p, int *n, json_t *fields);
/* Today's business date (Asia/Shanghai) as YYYY-MM-DD. Cannot fail. */
void reg_today(char out[REG_DATE_LEN]);

/* ---- the body ---- */

/* A new fields object for the errors of the request's body, holding one for each member not in
 * allowed (NULL-terminated). NULL, having answered 400, when the body is not a JSON object. */
json_t *reg_body(jg_req *req, jg_resp *resp, const char *const *allowed);
/* Body field readers. Each returns the value (NULL / 0 when absent or bad) and records a field
 * error for a bad value, or for a missing one when required. Strings are trimmed of spaces,
 * copied into the request arena, hold no control characters and at most max_chars characters;
 * a required string may not be empty. */
const char *reg_text(jg_req *req, json_t *body, const char *key, int required, size_t max_chars,
                     json_t *fields);
/* A YYYY-MM-DD calendar date. */
const char *reg_date(json_t *body, const char *key, int required, json_t *fields);
/* NULL when key is absent, else one of values, or NULL with the field error message. */
const char *reg_one_of(json_t *body, const char *key, const char *const *values, const char *message,
                       json_t *fields);
/* 1 when key is in body (even as null). */
int reg_has(json_t *body, const char *key);
/* The "version" of an update: a positive integer, required. */
int64_t reg_version(json_t *body, json_t *fields);

/* ---- rows ---- */

/* Answer {"items":[...],"page","size","has_more"} from rows fetched with LIMIT size + 1, each
 * item made by jg_json_row and then passed to fix (may be NULL). Takes and frees rows. */
jg_rc reg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size,
                    void (*fix)(json_t *item));
/* Set "expired": true on item when its expires_on is before today. Cannot fail. */
void reg_mark_expired(json_t *item, const char *today);
/* jg_audit_req for the record id of a registry row: detail (may be NULL) is stolen. */
jg_rc reg_audit(jg_conn *c, jg_req *req, const char *action, const char *entity, int64_t id, json_t *detail);

/* ---- records ---- */

/* The row of sql (a constant SELECT with the id as $1) as the caller may see it under scope, on c
 * (or a read connection when c is NULL), into *out for the caller to free. JG_NOTFOUND when it
 * does not exist or is outside the caller's scope; else fails as jg_db_query. */
jg_rc reg_fetch(jg_conn *c, jg_req *req, const char *sql, const jg_scope_cols *scope, int64_t id,
                jg_rows **out);
/* GET /<records>/{id}: the record (404 k->not_found when not visible) with k->fix applied and
 * its live child rows, each flagged "expired" when past, under k->child->list. */
jg_rc reg_get(jg_req *req, jg_resp *resp, const reg_kind *k);

/* ---- creates and updates ---- */

/* What a create or update of a record carries into its transaction: the first member of the
 * caller's own write struct, so the transaction may cast it back. */
typedef struct {
    jg_req *req;
    int64_t id, version; /* the record; on update, the version the client read */
    jg_refusal refusal;  /* why the transaction refused the write (jg_refuse) */
    char now[32];        /* created_at / updated_at */
} reg_write;

/* Answer 400 k->invalid with fields when it holds an error; else stamp w->now, run tx(c, w) in
 * one transaction and answer the record w->id of k with status, or the refusal: a 400 naming its
 * field (with k->invalid), else rc with its message (k->not_found for JG_NOTFOUND without one).
 * Takes fields. */
jg_rc reg_write_run(jg_req *req, jg_resp *resp, const reg_kind *k, json_t *fields, jg_tx_fn tx, reg_write *w,
                    int status);
/* JG_CONFLICT refused with k->duplicate when a row of k other than except holds value in a unique
 * column; sql is a constant "SELECT id FROM <table> WHERE <column> = $1 AND id <> $2". */
jg_rc reg_unique(jg_conn *c, reg_write *w, const reg_kind *k, const char *sql, const char *value,
                 int64_t except);

/* A versioned UPDATE of the record w->id of k, built in the write's transaction from the row as
 * it is, then applied:
 *     reg_update u;
 *     rc = reg_update_begin(&u, w, k, version of the row);   JG_CONFLICT when stale
 *     reg_update_text(&u, "name", old, new); ...
 *     if (rc == JG_OK) rc = <checks of k>;
 *     if (rc == JG_OK) rc = reg_update_apply(c, &u, w, k);
 *     reg_update_free(&u);
 * before and after are the audit's view of each changed member. */
typedef struct {
    jg_buf sql;
    jg_value p[REG_UPDATE_PARAMS];
    int n;
    json_t *before, *after;
} reg_update;

/* Start u. JG_CONFLICT refused as stale when version (the row's) is not w->version; u is ready
 * all the same and must be freed. */
jg_rc reg_update_begin(reg_update *u, reg_write *w, const reg_kind *k, int64_t version);
/* Set column col to v (text borrowed until the UPDATE has run), without audit. */
void reg_update_set(reg_update *u, const char *col, jg_value v);
/* Note a change of key for the audit: old and new are stolen, NULL meaning null. */
void reg_update_note(reg_update *u, const char *key, json_t *old, json_t *new_value);
/* When new_value is given and differs from old (NULL: none), set col and note the change. */
void reg_update_text(reg_update *u, const char *col, const char *old, const char *new_value);
/* 1 when a change of key was noted. */
int reg_update_has(const reg_update *u, const char *key);
/* Run the UPDATE (nothing when nothing changed) with the next version and w->now, and audit
 * before and after. JG_CONFLICT refused with k->duplicate on a unique violation, as stale when
 * the row changed in between; else fails as jg_db_exec or reg_audit. */
jg_rc reg_update_apply(jg_conn *c, reg_update *u, reg_write *w, const reg_kind *k);
/* Free what u holds. */
void reg_update_free(reg_update *u);

/* ---- child rows ---- */

/* POST /<records>/{id}/<children>: add a row of k->child (201 with the row). */
jg_rc reg_child_add(jg_req *req, jg_resp *resp, const reg_kind *k);
/* DELETE /<records>/{id}/<children>/{param}: mark a row deleted (200 {"ok":true}). */
jg_rc reg_child_delete(jg_req *req, jg_resp *resp, const reg_kind *k);

#endif
