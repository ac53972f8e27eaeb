/* Running processes: instances on business records, tokens, tasks (tables of migration 0009).
 *
 * Every operation is one database transaction on the caller's connection: starting an instance
 * runs it to its first user tasks; completing a task moves the instance on to the next ones (or
 * to its end). A process killed at any instant resumes from its last committed step, and two
 * people completing one task at once see one succeed and the other JG_CONFLICT (the task's
 * version).
 *
 * What runs today: start and end events, user tasks (candidate roles at a level relative to the
 * record, the applicant enterprise, the initiator), service tasks of the registered actions,
 * exclusive gateways, parallel gateways (split and join), inclusive gateways (split, and join:
 * it goes on when no other token can still arrive), 会签 (multi-instance user tasks, see
 * sign_decide in run.c), assignees named by a record field (jg:assigneeField), 退回 and 加签/减签.
 * call activities (a child instance on the same record; the parent waits at the call and goes on
 * when it ends), timers (flow_timer rows written when a user task opens, fired by timers.h) with
 * time limits in working days of the calendar (calendar.h). Tables of migrations 0009 and 0011;
 * docs/flow.md tells the rules. */
#ifndef JG_FLOW_RUN_H
#define JG_FLOW_RUN_H
#include "db/db.h"
#include "engine/flow/model.h"
#include "http/http.h"
#include "platform/session.h"

#include <stdint.h>

/* What an operation needs and what it tells. */
typedef struct {
    jg_req *req;     /* the caller: principal, app, audit */
    jg_refusal *why; /* a refusal for the answer (JG_INVALID, JG_CONFLICT, JG_NOTFOUND) */
    int64_t instance_id;
    const char *state;  /* the instance's state after the operation */
    const char *fields; /* with a refusal: field errors as a JSON object's text (a rule's), or NULL */
} jg_flow_op;

/* Start the latest version of process key on record record_id of entity (the caller must be
 * allowed to update it; the record must be in the caller's scope), on c inside the caller's
 * transaction. */
jg_rc jg_flow_start(jg_conn *c, jg_flow_op *op, const char *key, const char *entity, int64_t record_id);
/* Complete open task task_id at version with action (a jg:action of the task's ways out, or NULL
 * when it has one way) and opinion (or NULL). JG_NOTFOUND when the caller may not do the task,
 * JG_CONFLICT when it is no longer open at that version. */
jg_rc jg_flow_complete(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *action,
                       const char *opinion);
/* The SQL condition (on flow_task t) of the tasks p may do, with its values at params[*n...]
 * (room for 4). */
void jg_flow_mine_sql(const jg_principal *p, jg_buf *sql, jg_value *params, int *n);
/* For the task operations (ops.c). The model of deployed definition definition_id (cached until
 * exit, never freed by the caller). */
jg_rc jg_flow_model_get(jg_conn *c, int64_t definition_id, const jg_flow_model **out);
/* Open the user task node_id of instance op->instance_id anew (a token, its task for its
 * candidates, the record's jg:state, a log line), as if a flow had arrived there. */
jg_rc jg_flow_enter(jg_conn *c, jg_flow_op *op, const char *node_id);

/* 退回: from open task task_id at version back to target, a returnable user task before it
 * (by the process's flows, loops left out) that was done in this instance. The task is done with
 * action "return"; the tokens that came from the target or after it go, with their open tasks
 * (sibling branches split after the target, every signer of a 会签); branches split before the
 * target stay; parallel joins after the target get back the branches that had already arrived
 * from elsewhere. The target opens afresh for its candidates, assigned to whoever did it last
 * (who may release it to the pool). JG_INVALID when target is not such a step. */
jg_rc jg_flow_return(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *target,
                     const char *opinion);
/* The steps open task task_id may be returned to: a JSON array of {"node","name"}, in the order
 * they were first done (new reference in *out). */
jg_rc jg_flow_return_targets(jg_conn *c, jg_flow_op *op, int64_t task_id, json_t **out);
/* 加签 / 减签 on a running 会签 step, by a signer (the caller's open task task_id at version, whose
 * version moves on): add active user user_id (parallel: a task at once; sequential: last in the
 * sequence), or remove one who has not signed yet (never the caller). JG_INVALID with field
 * user_id when that cannot be. */
jg_rc jg_flow_add_signer(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, int64_t user_id);
jg_rc jg_flow_remove_signer(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, int64_t user_id);
/* Fire timer timer_id (flow_timer) if it is pending and due at `at` (ISO UTC), as the system
 * (op->req->principal a system principal that sees every record): claimed by a conditional
 * update, so of two servers one fires it (*fired = 1) and the other does nothing. A timer whose
 * step is done is cancelled. A boundary timer raises 督办 to the step's supervisor (flow_notice),
 * cancels the step when interrupting, and goes along its flow; a step's time limit reminds whoever
 * may do it (jg:onTimeout="remind") or completes it with that action (approve, reject …). */
jg_rc jg_flow_fire_timer(jg_conn *c, jg_flow_op *op, int64_t timer_id, const char *at, int *fired);

#endif
