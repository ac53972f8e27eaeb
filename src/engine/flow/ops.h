/* Task operations, boxes, opinions and efficiency statistics of the workflow engine: the
 * handlers that tasks_api.c routes (docs/api/README.md, "Workflow: operations and boxes";
 * docs/flow.md, "Operations and boxes"). Private to src/engine/flow.
 *
 * A task taken out of its candidates' pool keeps the pool in pool_roles/pool_org/pool_enterprise
 * (migration 0012) and names one assignee:
 *
 *   operation   who                                   the task afterwards
 *   claim       a candidate                           assignee = caller, pooled
 *   release     the claimer (not a delegate)          back to its candidates
 *               the delegator (before the delegate    back to the delegator (收回委托)
 *               acts)
 *   transfer    whoever may do it                     assignee = a valid candidate (转办)
 *   delegate    whoever may do it, not a delegate     assignee = a colleague, delegated_by = caller (委托)
 *   withdraw    the actor of a done task              next tasks cancelled, the done step reopened
 *                                                     for the actor (撤回), while they are untouched
 * Every one is one transaction with a log line and an audit row; a stale version is 409. */
#ifndef JG_FLOW_OPS_H
#define JG_FLOW_OPS_H
#include "db/db.h"
#include "engine/flow/run.h"
#include "http/http.h"

#define JG_FLOW_BULK_MAX 500
#define JG_FLOW_OPINION_MAX_CHARS 2000

/* Complete task_id as jg_flow_complete does, and besides: mark the tasks it opened as its
 * successors (for withdraw), check and keep the actor's SM2 signature over the opinion (signature
 * NULL: unsigned; JG_INVALID with op->why when it does not verify), note the delegator, audit. */
jg_rc jg_flow_complete_task(jg_conn *c, jg_flow_op *op, int64_t task_id, int64_t version, const char *action,
                            const char *opinion, const char *signature);

/* ops.c: POST /api/v1/flow/tasks/{id}/claim|release|transfer|delegate|withdraw|copy,
 * POST /api/v1/flow/tasks/bulk, POST /api/v1/flow/instances/{id}/terminate|jump. */
jg_rc jg_flow_h_claim(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_release(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_transfer(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_delegate(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_withdraw(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_copy(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_bulk(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_terminate(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_jump(jg_req *req, jg_resp *resp);

/* boxes.c: GET /api/v1/flow/boxes, /tasks, /instances (办结), /drafts, /copies,
 * POST /api/v1/flow/copies/{id}/read, GET /api/v1/flow/instances/{id}, GET /api/v1/flow/stats. */
jg_rc jg_flow_h_boxes(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_tasks(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_finished(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_drafts(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_copies(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_copy_read(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_instance(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_stats(jg_req *req, jg_resp *resp);

/* opinions.c: 意见模板 and the keys of 电子签单. */
jg_rc jg_flow_h_templates(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_template_create(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_template_update(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_template_delete(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_sign_key(jg_req *req, jg_resp *resp);
jg_rc jg_flow_h_sign_key_put(jg_req *req, jg_resp *resp);

/* The text a user signs for an opinion (UTF-8, lines joined by "\n"):
 *   jianguan-opinion:v1 / task:<task id> / action:<action or complete> / opinion:<opinion or empty>
 * In arena a. Cannot fail. */
const char *jg_flow_sign_text(jg_arena *a, int64_t task_id, const char *action, const char *opinion);
/* Check signature (r | s, 128 hex digits, as sm-crypto's doSignature(text, key, {hash: true})) of
 * user_id's current key over jg_flow_sign_text(...) on c: JG_OK with *key_id, JG_INVALID with a
 * Chinese message in why when the user has no key or it does not verify; other rc: database. */
jg_rc jg_flow_sign_check(jg_req *req, jg_conn *c, int64_t user_id, int64_t task_id, const char *action,
                         const char *opinion, const char *signature, int64_t *key_id, jg_refusal *why);
/* "valid" or "invalid": the stored signature of a log line by user_id checked again with key_id
 * (read on c, NULL: a read connection). Database errors count as "invalid" (and are logged). */
const char *jg_flow_sign_state(jg_req *req, int64_t key_id, int64_t user_id, int64_t task_id,
                               const char *action, const char *opinion, const char *signature);

#endif
