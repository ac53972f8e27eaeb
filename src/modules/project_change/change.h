/* Project changes (项目变更) and leave of core persons (核心人员请假): the service-task action that writes
 * an approved application into the registration record (defs/project_change/, docs/manual/project-change.md).
 */
#ifndef JG_PROJECT_CHANGE_H
#define JG_PROJECT_CHANGE_H
#include "engine/flow/actions.h"

/* "project_change.apply" (actions.h): the application of s's instance — a record of entity
 * project_change or person_leave — is checked against its registration record as it is now (the
 * project registered and of the same region, the applicant a party of it, the persons, units and
 * hazards it names still there, areas that add up, a new core person on no other active project)
 * and applied to it in the operation's transaction: fields and child rows changed (or the project
 * set to state deleted), its history (修改痕迹) written with the approver as the user and action
 * "change", plus a row "project_change" naming the application, and an audit row. JG_INVALID with
 * a Chinese s->why when the application no longer fits; other rc: database failure. */
jg_rc jg_project_change_apply(jg_flow_service *s);
/* "project_change.check" (actions.h): the same checks at submission, without a trace — apply run
 * inside a savepoint that is rolled back — so an application that would be refused at approval is
 * refused when submitted (and resubmitted after 补正). Approval checks again: the project may have
 * changed meanwhile. */
jg_rc jg_project_change_check(jg_flow_service *s);

#endif
