/* jg:editable enforced: which fields of a record in a running process a caller may change.
 *
 * A record on which no process runs (a draft before submission, a record whose process ended or
 * was terminated) is not restricted here; readonly states (the entity's definition) still refuse
 * with 409. While a process runs on it, a write through the records API may change only the
 * fields the steps the caller may do now (open tasks assigned to them, or in a pool they are a
 * candidate of: the same rule as completing a task) list in their jg:editable:
 *
 *   jg:editable     the step lets its actor change
 *   (absent), ""    no field: the actor acts with an opinion only
 *   "a,b"           the fields (or child tables) a and b
 *   "*"             every field (补正 and 修改 steps, where the applicant or drafter redoes the form)
 *
 * Several steps of the caller on one record (parallel branches, a call activity) give the union.
 * Fields of other steps → 400 with "此环节不可修改该字段" on each; a caller with no open step on the
 * record → 403. Completing a task takes no form values (tasks_api.c), so the records API is the
 * one way in.
 *
 * Step-granted edits: the steps decide alone when they let the caller change some field — the
 * entity's update permission is then not needed, nor does a readonly state refuse (the caller must
 * still read the record inside their data scope). "*" counts this way only for a caller who holds
 * the entity's update permission or who started the process (the applicant's own 补正 / 修改);
 * for anyone else a "*" step lets nothing change. A caller without update permission whose steps
 * let nothing change → 403, as before.
 *
 * A delete of a record a process runs on → 409 "记录正在流程中办理，不能删除" (terminate it first). */
#ifndef JG_FLOW_EDITABLE_H
#define JG_FLOW_EDITABLE_H
#include "db/db.h"
#include "engine/entity/def.h"
#include "http/http.h"

#include <jansson.h>
#include <stdint.h>

#define JG_FLOW_EDITABLE_ALL "*"
#define JG_FLOW_NOT_EDITABLE "此环节不可修改该字段"
#define JG_FLOW_NO_STEP "记录正在流程中办理，只有当前环节的办理人可以修改"
#define JG_FLOW_NO_DELETE "记录正在流程中办理，不能删除"

/* What the caller may change on one record. */
typedef struct {
    int running;         /* a process runs on the record */
    int nsteps;          /* the caller's open steps on it */
    int all;             /* one of the caller's steps lets every field change ("*") */
    const char **fields; /* the union of the steps' jg:editable, NULL-terminated (arena) */
    int nfields;
    json_t *steps; /* [{"task_id","node","name","editable":[…] or "*"}], new reference, or NULL */
} jg_flow_editable;

/* 1 when list (a jg:editable value, "a, b" or "*") lets field change; NULL or "" lets none.
 * Cannot fail. */
int jg_flow_editable_lists(const char *list, const char *field);
/* Add jg:editable list (may be NULL) to ed's union: names once each, in the arena a. Cannot fail. */
void jg_flow_editable_add(jg_arena *a, jg_flow_editable *ed, const char *list);
/* The check of a write that changed the n names in changed: JG_OK when ed lets them all change
 * (or no process runs); JG_INVALID with JG_FLOW_NOT_EDITABLE added to fields for each other name.
 * Does not check whether the caller holds a step (see jg_flow_editable_of). Cannot fail else. */
jg_rc jg_flow_editable_check(const jg_flow_editable *ed, const char *const *changed, int n, json_t *fields);

/* ed for the caller of req on record record_id of entity, read on c: whether a process runs on
 * it, and the caller's open steps there with what they let change ("*" only as above: update
 * permission or the process's starter) (with_steps: ed->steps too, which the caller frees).
 * Database errors only; zero steps is not an error. */
jg_rc jg_flow_editable_of(jg_req *req, jg_conn *c, const char *entity, int64_t record_id, int with_steps,
                          jg_flow_editable *ed);

/* GET /api/v1/flow/editable?entity=&id= (tasks_api.c): what the caller may change on a record they
 * can see — {"running", "editable": null (no restriction) or [names], "steps": [...]}. */
jg_rc jg_flow_h_editable(jg_req *req, jg_resp *resp);
/* Install the checks above on updates and deletes of the records API (records.h). Cannot fail. */
void jg_flow_editable_install(void);

#endif
