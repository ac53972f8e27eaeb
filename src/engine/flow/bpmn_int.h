/* Internals of the BPMN loader shared by bpmn.c (reading) and bpmn_check.c (the graph). */
#ifndef JG_FLOW_BPMN_INT_H
#define JG_FLOW_BPMN_INT_H
#include "engine/flow/model.h"

#include <stddef.h>

typedef struct {
    jg_flow_model *m;
    jg_arena *a;
    char *err;
    size_t errlen;
    const char **edge_src, **edge_dst; /* per edge: the ids its sourceRef and targetRef name */
    const char **node_ref;             /* per node: attachedToRef (timer) or default (gateway), or NULL */
} jg_bpmn_ctx;

/* Write the first message to c->err (later ones are dropped) and return JG_INVALID. */
jg_rc jg_bpmn_fail(jg_bpmn_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolve references and check the graph (model.h: what a deployable process must satisfy). */
jg_rc jg_bpmn_check(jg_bpmn_ctx *c);

#endif
