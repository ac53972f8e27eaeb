/* The records API of the entity engine: /api/v1/entities and /api/v1/records/{entity}.
 * Shared between records.c (reads, module) and records_write.c (writes). Not a public API. */
#ifndef JG_ENTITY_RECORDS_H
#define JG_ENTITY_RECORDS_H
#include "base/buf.h"
#include "engine/entity/def.h"
#include "http/http.h"
#include "platform/scope.h"
#include "platform/session.h"

#define JG_RECORD_SYSTEM_COLUMNS 7 /* id, state, version, created_by, created_at, updated_by, updated_at */
#define JG_RECORD_MAX_CHILD_ROWS 500
#define JG_RECORD_MAX_PARAMS 512

/* What the engine prepared for one entity (or child table) when it started. */
typedef struct {
    const jg_entity *e;
    char *select;        /* "SELECT r.id, …, r.<field>… FROM <table> r" */
    jg_scope_cols scope; /* "r.<field>" per scope column, or NULL */
    char *scope_cols[3]; /* the strings scope points at, owned */
} jg_record_kind;

/* The engine's state, app->entities. */
typedef struct {
    jg_entity_set set;
    jg_record_kind *kinds; /* one per entity of set, same order */
    int nkinds;
} jg_records;

/* The entity named by the {entity} path parameter if the caller holds permission (one of "read",
 * "create", "update", "delete"); otherwise answers 404 (no such entity) or 403 and returns NULL. */
const jg_record_kind *jg_record_kind_of(jg_req *req, jg_resp *resp, const char *permission);
/* The kind prepared for entity or child table e (NULL if e is not of the loaded set). */
const jg_record_kind *jg_record_kind_for(const jg_req *req, const jg_entity *e);
/* The {id} path parameter: JG_OK with a positive id, else JG_INVALID (answer 404). */
jg_rc jg_record_path_id(jg_req *req, int64_t *id);
/* Append " AND <scope>" for the caller over k to sql. JG_DENIED when the caller sees nothing. */
jg_rc jg_record_scope(jg_req *req, const jg_record_kind *k, jg_buf *sql, jg_value *p, int *n);
/* The conditions of a list or export of k from the request: *where (" WHERE r.state <> 'deleted'",
 * the caller's scope — nothing at all for a caller who sees nothing — and the `filter`) with its
 * values at p[*n...] (room for JG_RECORD_MAX_PARAMS), and *order (the `sort`), as arena strings.
 * fields (stolen) may already hold field errors of the caller's own parameters; with any, or a
 * bad filter or sort, the 400 is answered and JG_INVALID returned (JG_TOOLARGE, answered, for a
 * filter too long). */
jg_rc jg_record_conditions(jg_req *req, jg_resp *resp, const jg_record_kind *k, json_t *fields, jg_value *p,
                           int *n, const char **where, const char **order);
/* Read record id of k as the caller may see it (not deleted, inside the scope) on c (or a read
 * connection when c is NULL): *out has one row, or JG_NOTFOUND. */
jg_rc jg_record_fetch(jg_req *req, jg_conn *c, const jg_record_kind *k, int64_t id, jg_rows **out);
enum {
    JG_RECORD_DETAIL = 1, /* one record, not a list: its children and its secret fields too */
    JG_RECORD_MASKED = 2, /* sensitive values masked even for a caller who may reveal them (history) */
};
/* Row i of rows (from k's select) as the API shows it: sensitive fields masked unless the caller
 * may reveal them; lists leave secret fields out. With JG_RECORD_DETAIL the children are read on
 * c (NULL: a read connection). */
jg_rc jg_record_json(jg_req *req, jg_conn *c, const jg_record_kind *k, const jg_rows *rows, int i, int flags,
                     json_t **out);
/* The stored forms of a sensitive or secret value: sealed for its column, its blind index and its
 * masked form (arena strings). */
jg_rc jg_record_seal(jg_req *req, const jg_entity *e, const jg_field *f, const char *plain,
                     const char **sealed, const char **bidx, const char **mask);

/* Attachments (files_access.c). app->file_readable: *ok = 1 when the caller may read a live record
 * (inside the scope) of some entity whose files field, or a child's, holds file_id. */
jg_rc jg_record_file_readable(jg_req *req, int64_t file_id, int *ok);
/* Check the files value v ("[12,13]") of field f for a write of record self (0: new or a child
 * row): each file exists, is of an accepted kind and size, and was uploaded by the caller unless
 * the record holds it already. JG_INVALID with a Chinese *message when not; other rc: database. */
jg_rc jg_record_files_check(jg_req *req, jg_conn *c, const jg_entity *e, const jg_field *f, const char *v,
                            int64_t self, const char **message);

/* Writes (records_write.c). */
jg_rc jg_record_create(jg_req *req, jg_resp *resp);
jg_rc jg_record_update(jg_req *req, jg_resp *resp);
jg_rc jg_record_delete(jg_req *req, jg_resp *resp);
/* GET /api/v1/records/{entity}/export.xlsx (records_export.c): the list as an XLSX file. */
jg_rc jg_record_export(jg_req *req, jg_resp *resp);

#endif
