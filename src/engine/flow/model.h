/* Process models of the workflow engine: what a deployed BPMN 2.0 process is, once loaded.
 *
 * A process is a graph of nodes joined by sequence flows. The engine supports what the
 * supervision processes of the requirements use (申请 → 审核 → 审批 → 下达 between enterprises and
 * three levels of government) and refuses everything else at deployment, naming the element:
 *   startEvent (none), endEvent (none), userTask, serviceTask, exclusiveGateway,
 *   parallelGateway, inclusiveGateway, callActivity, boundaryEvent with a timerEventDefinition
 *   (timeDuration) on a userTask, multiInstanceLoopCharacteristics on a userTask (会签).
 *
 * Our settings are attributes in the namespace JG_BPMN_NS (prefix jg in docs/flow.md):
 *   userTask     jg:candidateRoles="county_inspector,county_chief"  roles that may claim it
 *                jg:level="applicant|county|city|province|initiator|leader"  where, relative to the record
 *                jg:assigneeField="inspector_id"   a person named in a field of the record
 *                jg:dueDays="5" jg:calendar="working|calendar" jg:onTimeout="remind|approve|reject"
 *                jg:state="accepted"                the record's state while the task is open
 *                jg:editable="field,field"          fields the actor may change here (* all; editable.h)
 *                jg:returnable="true"               退回 to this step is allowed
 *                jg:sign="required"                 the actor must sign the opinion (电子签单)
 *   serviceTask  jg:action="name"                  a registered C action or rule
 *   endEvent     jg:state="registered"              the record's state when the process ends here
 *   multiInstanceLoopCharacteristics jg:complete="all|any|ratio" jg:ratio="0.6"
 *                jg:signersField="experts"         the persons who sign (会签), one task each
 *   sequenceFlow conditionExpression: a condition of expr.h ("action == \"approve\"")
 * Flows leaving a userTask may carry jg:action="approve|reject|return|…": the button that takes
 * that way. */
#ifndef JG_FLOW_MODEL_H
#define JG_FLOW_MODEL_H
#include "base/arena.h"
#include "base/rc.h"
#include "engine/flow/expr.h"

#include <stddef.h>
#include <stdint.h>

#define JG_BPMN_NS "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define JG_BPMN_JG_NS "https://jianguan.fj.gov.cn/schema/bpmn"
#define JG_BPMN_MAX_BYTES (2 * 1024 * 1024) /* a process with its diagram */
#define JG_BPMN_MAX_NODES 500
#define JG_BPMN_MAX_FLOWS 1000
#define JG_BPMN_ID_MAX 64

typedef enum {
    JG_NODE_START,
    JG_NODE_END,
    JG_NODE_USER,
    JG_NODE_SERVICE,
    JG_NODE_XOR,   /* exclusiveGateway */
    JG_NODE_AND,   /* parallelGateway */
    JG_NODE_OR,    /* inclusiveGateway */
    JG_NODE_CALL,  /* callActivity */
    JG_NODE_TIMER, /* boundaryEvent with a timer */
} jg_node_kind;

typedef enum { JG_SIGN_NONE, JG_SIGN_ALL, JG_SIGN_ANY, JG_SIGN_RATIO } jg_sign_kind;

typedef struct {
    const char *id, *name;
    int source, target;    /* node indexes */
    const char *condition; /* its text, or NULL */
    jg_expr *cond;         /* parsed, or NULL */
    const char *action;    /* jg:action of a flow leaving a userTask, or NULL */
} jg_flow_edge;

typedef struct {
    const char *id, *name;
    jg_node_kind kind;
    int *out, nout; /* edge indexes */
    int *in, nin;
    int default_edge; /* gateways: the default flow, or -1 */
    /* userTask */
    const char *candidate_roles, *level, *assignee_field, *state, *editable, *on_timeout;
    int due_days, working_days, returnable, sign_required;
    jg_sign_kind sign; /* multi-instance (会签) */
    int sequential;
    double ratio;
    const char *signers_field;
    /* serviceTask / callActivity */
    const char *action, *called;
    /* boundary timer: the task it is attached to, interrupting or not, its duration */
    int attached_to, cancel;
    int64_t duration_s;   /* calendar time */
    int duration_days;    /* or days, working days when working_days */
    int *timers, ntimers; /* userTask: its boundary timers (node indexes) */
} jg_flow_node;

typedef struct {
    const char *key, *name; /* the process element's id and name */
    jg_flow_node *nodes;
    int nnodes;
    jg_flow_edge *edges;
    int nedges;
    int start; /* node index of the start event */
    jg_arena *arena;
} jg_flow_model;

/* Parse and check a BPMN 2.0 document (UTF-8 XML, no DOCTYPE, at most JG_BPMN_MAX_BYTES). On
 * JG_INVALID a Chinese message naming the element goes to err ("节点 Task_3（审核）：没有指定办理
 * 角色或办理人") and *out is left empty. Free with jg_flow_model_free(). */
jg_rc jg_bpmn_load(const char *xml, size_t len, jg_flow_model *out, char *err, size_t errlen);
void jg_flow_model_free(jg_flow_model *m);
/* The node with id, or -1. */
int jg_flow_node_index(const jg_flow_model *m, const char *id);
/* "userTask" …: the BPMN element name of a kind. */
const char *jg_flow_kind_name(jg_node_kind k);

#endif
