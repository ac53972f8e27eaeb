/* The clause lane's service-task actions for the scoring definitions of defs/scoring (记分条款库, 记分告知单,
 * 责令改正通知单): the few steps the entity and workflow engines cannot say by definitions alone. Each
 * runs inside the step's transaction (src/engine/flow/actions.h), writes the record's field with a
 * history line (action "flow") and keeps s->record in step, so later steps of the same operation (the
 * score lane's scoring.effective) see the value. Registered in src/engine/flow/actions.c. */
#ifndef JG_CLAUSE_H
#define JG_CLAUSE_H
#include "engine/flow/actions.h"

/* "scoring.number": gives a score_notice its notice_no "JF-<county>-<year>-<6 digits>" or a
 * rectification_order its order_no "ZG-…" (year in Beijing time, numbered per county and year),
 * unless it has one. JG_INVALID with s->why for another entity; database errors as jg_db_query. */
jg_rc jg_clause_number(jg_flow_service *s);
/* "scoring.check_items": checks a score_notice's items against the clause library before it is
 * issued: the edition of its inspection date (rule score.edition), each clause in it (followed through
 * merged_into), not retired on or before the inspection date, the points within the clause's range;
 * then sets total_points to their sum. JG_INVALID with s->why and s->fields ("items[0].points"). */
jg_rc jg_clause_check_items(jg_flow_service *s);
/* "scoring.publicity": sets publicity_until of a score_notice to the day the publicity period ends,
 * counted from now: the time limit of the process's user task whose jg:state is "publicity" (when its
 * jg:onTimeout ends the step), else an interrupting boundary timer on that task (working days by the
 * calendar when it says so). JG_INVALID when the process has neither. */
jg_rc jg_clause_publicity(jg_flow_service *s);
/* "scoring.notice_effective": sets effective_on of a score_notice to today (Beijing). */
jg_rc jg_clause_notice_effective(jg_flow_service *s);
/* "scoring.clause_change" (process score_clause): checks a score_clause before it is merged or retired:
 * when merged_into is filled in, it must name another clause of the same edition in use; otherwise
 * retired_on must be filled in. JG_INVALID with s->why. The process's end sets the state (merged when
 * merged_into is filled in, else retired). */
jg_rc jg_clause_change(jg_flow_service *s);

#endif
