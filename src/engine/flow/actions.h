/* The actions service tasks run (jg:action), inside the operation's transaction; the engine writes
 * the step to the instance's history.
 *
 * Registered C actions: "flow.supervise" (督办) and "registration.issue" (结果下达), which as yet only
 * mark the step: the 督办 message and the registration notice arrive with the messaging and
 * registration subsystems.
 * Rules: "rule:<code>" evaluates the running version of rule <code> (src/engine/rule, any kind)
 * over {"record", "vars", "action", "instance"}; what it returns becomes the process variable
 * vars.<code with '.' as '_'> (flow_instance.vars), which later gateways' conditions read, and its
 * explanation goes into the history. A missing or stopped rule, or one that fails, refuses the
 * operation (nothing of it is kept). */
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
    const char *node;   /* the service task's id */
    json_t *record;     /* the record as conditions see it (borrowed) */
    const char *action; /* the action of the step that led here, or NULL */
    const char *now;
    const char *log; /* out: the history line's text (in the arena), or NULL */
    char why[384];   /* out: the Chinese reason of a JG_INVALID */
} jg_flow_service;

/* 1 when name is a registered action or "rule:" and a well-formed rule code. */
int jg_flow_action_known(const char *name);
/* Run action name for s. JG_NOTFOUND for an unknown name; JG_INVALID with s->why. */
jg_rc jg_flow_action_run(const char *name, jg_flow_service *s);
/* The process variables of instance on c, as a new JSON object ({} when none or unreadable). */
json_t *jg_flow_vars(jg_conn *c, int64_t instance);

#endif
