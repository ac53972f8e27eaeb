/* The actions service tasks run (jg:action), inside the operation's transaction; the engine writes
 * the step to the instance's history.
 *
 * C actions: the engine's table in actions.c names every action a process may use, so that
 * processes are checked at deployment before any module starts; "flow.supervise" (督办) only marks
 * the step, and each module gives its actions their bodies at start (jg_flow_action_set):
 * registration.receive/issue (收件, 结果下达), project_change.check/apply, scoring.* (the clause
 * library and 记分告知单 steps, scoring.effective), credit.owner_total/publish. An action whose body
 * was never set refuses the step (its module is not running), never passes it silently.
 * Rules: "rule:<code>" evaluates the running version of rule <code> (src/engine/rule, any kind)
 * over {"record", "vars", "action", "instance"}; what it returns becomes the process variable
 * vars.<code with '.' as '_'> (flow_instance.vars), which later gateways' conditions read, and its
 * explanation goes into the history. A missing or stopped rule, or one that fails, refuses the
 * operation (nothing of it is kept). A rule whose value is an object with a non-empty array
 * "refuse" ({field, message} each) refuses the operation with those as field errors: a check
 * at submission. Facts gatherers (jg_flow_facts_register) add what C knows beyond the record. */
#ifndef JG_FLOW_ACTIONS_H
#define JG_FLOW_ACTIONS_H
#include "db/db.h"
#include "http/http.h"

#include <jansson.h>
#include <stdint.h>

/* One service step: what an action gets, and what it tells. */
typedef struct {
    jg_conn *c;
    jg_req *req; /* the app (configuration, database) and the arena */
    int64_t instance;
    const char *entity; /* the record's entity (its name) */
    const char *node;   /* the service task's id */
    json_t *record;     /* the record as conditions see it (borrowed) */
    const char *action; /* the action of the step that led here, or NULL */
    const char *now;
    const char *log; /* out: the history line's text (in the arena), or NULL */
    char why[384];   /* out: the Chinese reason of a JG_INVALID */
    /* out: with a JG_INVALID, the field errors as a JSON object's text (in the arena), or NULL */
    const char *fields;
} jg_flow_service;

/* The C body of an action, or a gatherer of facts for a rule (below). */
typedef jg_rc (*jg_flow_action_fn)(jg_flow_service *s);
typedef jg_rc (*jg_flow_facts_fn)(jg_flow_service *s, json_t *gathered);

/* 1 when name is a registered action or "rule:" and a well-formed rule code. */
int jg_flow_action_known(const char *name);
/* Run action name for s. JG_NOTFOUND for an unknown name; JG_INVALID with s->why. */
jg_rc jg_flow_action_run(const char *name, jg_flow_service *s);
/* At start, before serving (not thread-safe): give the action name of the engine's table its C
 * body (a module's: "registration.issue"); names not in the table are ignored. */
void jg_flow_action_set(const char *name, jg_flow_action_fn fn);
/* At start, before serving: fn gathers, for rule code, the facts the record cannot show (other
 * tables: the registry, other records); the rule sees them as facts.gathered. At most 16. */
void jg_flow_facts_register(const char *code, jg_flow_facts_fn fn);
/* The process variables of instance on c, as a new JSON object ({} when none or unreadable). */
json_t *jg_flow_vars(jg_conn *c, int64_t instance);

#endif
