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
 * exclusive gateways, parallel gateways (split and join), inclusive splits. Refused when an
 * instance would start (JG_INVALID with the reason): call activities, inclusive joins, 会签
 * (multi-instance) and assignee fields. Timer boundary events are kept in the model and the task's
 * time limit (due_at) is set, but timers do not fire yet. */
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
    const char *state; /* the instance's state after the operation */
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

#endif
