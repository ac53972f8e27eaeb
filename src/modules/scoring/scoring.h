/* Scoring (记分) and credit (信用评价): the ledger of effective notices' points, the scores computed
 * from it by rules (score.project, score.company, score.person, score.chief_supervisor, credit.*),
 * and their views and rankings (docs/rules.md "Scoring rules", docs/api/README.md "Scoring"). */
#ifndef JG_SCORING_H
#define JG_SCORING_H
#include "engine/flow/actions.h"

/* The service-task action "scoring.effective" (registered in src/engine/flow/actions.c): the notice
 * s->record (an e_score_notice record) becomes effective. Writes its items to the ledger
 * (score_point) on s->c, following merged clauses to their survivor, and recomputes the scores of
 * the enterprise and person it names for its period. JG_INVALID with s->why (Chinese) for an item
 * whose clause is unknown or retired on the inspection date, or a notice without what scoring
 * needs; database errors as jg_db_query. */
jg_rc jg_scoring_effective(jg_flow_service *s);

#endif
