/* Score warnings (记分预警): after a subject's period scores change, the rule warning.score_threshold
 * says which warnings they trigger; each new one becomes a record of the entity score_warning
 * (defs/scoring/score_warning.json) and starts its handling process (score_warning.bpmn), in the
 * caller's transaction (docs/api/README.md "Score warnings", docs/manual/scoring.md §5). */
#ifndef JG_SCORING_WARNING_H
#define JG_SCORING_WARNING_H
#include "db/db.h"
#include "http/http.h"

#include <stdint.h>

/* Evaluate the warning rule on c for every role of subject kind ("enterprise" or "person") id in
 * period ("2026" or "2026Q1"), from its stored scores (score_subject, area 35), and raise the
 * warnings not raised before for that subject, role, period and level: a score_warning record (as
 * the system, whoever req's caller is), an audit entry and an instance of score_warning. Adds the
 * warnings raised to *raised. A missing or stopped rule raises nothing (JG_OK); JG_INVALID with a
 * Chinese why when the rule fails or its record is refused; database errors as jg_db_query. */
jg_rc jg_warning_check(jg_req *req, jg_conn *c, const char *kind, int64_t id, const char *period,
                       long *raised, char *why, size_t whylen);

/* The same for every subject with stored scores in period (NULL: every period), in one write
 * transaction on req->app->db (after the full recomputation). */
jg_rc jg_warning_check_all(jg_req *req, const char *period, long *raised, char *why, size_t whylen);

#endif
