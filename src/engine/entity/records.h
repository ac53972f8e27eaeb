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

/* One snapshot of the live definitions (app->entities holds them, records_live.c): immutable once
 * published, kept until exit. */
typedef struct {
    jg_entity_set set;
    jg_record_kind *kinds; /* one per entity of set, same order */
    int nkinds;
} jg_records;

/* The snapshot req uses, pinned at its first use: the same for the whole request (and the
 * streamed answer after it), whatever is activated meanwhile. Never NULL once the engine started. */
const jg_records *jg_records_of(const jg_req *req);
/* A snapshot over set (taken over: *set is left empty), its kinds prepared. Cannot fail. */
jg_records *jg_records_new(jg_entity_set *set);
/* Free a snapshot made by jg_records_new (a void * for jg_live). NULL is a no-op. */
void jg_records_free(void *snapshot);
/* Make set (taken over) the live definitions of app: requests from now on see it, those running
 * keep theirs. Call at start or with jg_records_lock held. Cannot fail. */
void jg_records_publish(jg_app *app, jg_entity_set *set);
/* Serialise the activations of this process with each other and with the reload that picks up
 * another server's (records_live.c), so snapshots are published in commit order. */
void jg_records_lock(jg_app *app);
void jg_records_unlock(jg_app *app);
/* Set up app->entities empty / free it with every snapshot (records_init and records_exit). */
void jg_records_live_start(jg_app *app);
void jg_records_live_stop(jg_app *app);

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
/* The check of a write of a record a process may run on, installed by the workflow engine (which
 * the entity engine cannot call), on c inside the write's transaction.
 * An update (changed not NULL): after the write, with the names of the fields and child tables it
 * changed (also before the write with nchanged 0 and fields NULL, to learn *by_step early).
 * *by_step = 1 when a process runs and the caller's steps there let some field change: the steps
 * then decide alone (neither the entity's update permission nor a readonly state stops the
 * write); else 0. JG_OK: allowed (no process runs on the record, or the caller's steps let all
 * these change); JG_INVALID with why and a field error per name that may not change, added to
 * fields; JG_DENIED with why when a process runs and the caller holds none of its open steps.
 * A delete (changed NULL, nchanged 0, fields NULL): JG_CONFLICT with why when a process runs.
 * Other rc: database. */
typedef jg_rc (*jg_record_guard_fn)(jg_req *req, jg_conn *c, const jg_entity *e, int64_t id,
                                    const char *const *changed, int nchanged, json_t *fields, jg_refusal *why,
                                    int *by_step);
/* Install fn (NULL: none) for every update and delete from now on; call at start. Cannot fail. */
void jg_record_guard_set(jg_record_guard_fn fn);
jg_rc jg_record_create(jg_req *req, jg_resp *resp);
jg_rc jg_record_update(jg_req *req, jg_resp *resp);
jg_rc jg_record_delete(jg_req *req, jg_resp *resp);
/* Batches of creates in one transaction (the import, records_import.c). */
typedef struct jg_record_cache jg_record_cache;
/* A cache of the reference checks of one caller's batch (dictionary items, regions, enterprises,
 * persons, referenced records, the data scope), up to a few thousand values. Never returns NULL;
 * free with jg_record_cache_free (NULL is a no-op). */
jg_record_cache *jg_record_cache_new(void);
void jg_record_cache_free(jg_record_cache *cache);
/* One record converted and checked for a batch, not written yet (in the request's arena). */
typedef struct jg_record_new jg_record_new;
/* Convert and check one record of k from obj (a body of POST /api/v1/records/{entity}) on c,
 * inside the caller's transaction, with created_at now: exactly as that POST does, with the same
 * messages, and the data scope checked on the values (the same condition as create's re-read).
 * Uniqueness is checked against the rows written so far: write the records prepared before one
 * that holds a unique value first. JG_OK with *out; JG_INVALID with the errors added to fields (by
 * field name, "" for the record as a whole); any other rc is a database failure after which the
 * transaction must be abandoned. Writes nothing. Allocates in req->arena, which must live until
 * the record is written. */
jg_rc jg_record_prepare(jg_req *req, jg_conn *c, const jg_record_kind *k, json_t *obj, const char *now,
                        jg_record_cache *cache, json_t *fields, jg_record_new **out);
/* INSERT n prepared records of one entity in one statement, their ids into ids (in no particular
 * order). Writes neither history nor audit (jg_record_history_created, and the caller's audit
 * row). Any rc but JG_OK is a database failure: abandon the transaction. */
jg_rc jg_record_insert_many(jg_conn *c, jg_record_new *const *recs, int n, int64_t *ids);
/* The history rows of n records of e just created by the caller (as create writes: field "state",
 * from nothing to the first state), with action ("import") and time now, in one statement. Fails
 * as jg_db_exec. */
jg_rc jg_record_history_created(jg_req *req, jg_conn *c, const jg_entity *e, const int64_t *ids, int n,
                                const char *action, const char *now);
/* GET /api/v1/records/{entity}/export.xlsx (records_export.c): the list as an XLSX file. */
jg_rc jg_record_export(jg_req *req, jg_resp *resp);
/* GET /api/v1/records/{entity}/import-template.xlsx (records_export.c, routed by records_import.c):
 * a workbook with the header row the import reads — the labels of the fields jg_record_importable
 * accepts — and no rows. Needs the entity's create permission. */
jg_rc jg_record_import_template(jg_req *req, jg_resp *resp);
/* 1 when the import reads field f from a column (every type but files). Cannot fail. */
int jg_record_importable(const jg_field *f);

#endif
