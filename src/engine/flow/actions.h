/* The actions service tasks run (jg:action), registered by name. An action runs inside the
 * operation's transaction; the step itself is written to the instance's history by the engine.
 *
 * Registered today: "flow.supervise" (督办) and "registration.issue" (结果下达), which as yet only
 * mark the step: the 督办 message and the registration notice arrive with the messaging and
 * registration subsystems. */
#ifndef JG_FLOW_ACTIONS_H
#define JG_FLOW_ACTIONS_H
#include "db/db.h"

#include <stdint.h>

/* 1 when name is a registered action. */
int jg_flow_action_known(const char *name);
/* Run action name for instance on c. JG_NOTFOUND for an unknown name. */
jg_rc jg_flow_action_run(const char *name, jg_conn *c, int64_t instance);

#endif
