/* 建设单位首要责任季度评价 (defs/credit/owner_quarterly.json, issue 7): the service-task actions of its
 * process and the routes of the county → city → province aggregation and the published ranking.
 * Registered in src/engine/flow/actions.c (actions) and src/modules/modules.c (routes). */
#ifndef JG_CREDIT_H
#define JG_CREDIT_H
#include "engine/flow/actions.h"

/* "credit.owner_total": runs the rule credit.owner_quarterly over the record and writes total_score and
 * explanation (with history lines, and into s->record). A record correcting another (corrects_id) must
 * name a published evaluation of the same period and owner. JG_INVALID with s->why (and s->fields for the
 * rule's refusals); database errors as jg_db_query. */
jg_rc jg_credit_owner_total(jg_flow_service *s);
/* "credit.owner_publish": sets published_on to today (Beijing); a correcting record moves the evaluation
 * it corrects from published to superseded (JG_INVALID when that one is no longer published). */
jg_rc jg_credit_owner_publish(jg_flow_service *s);

#endif
