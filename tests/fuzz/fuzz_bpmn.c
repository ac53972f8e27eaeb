/* libFuzzer driver for the workflow engine's BPMN loader (src/engine/flow/bpmn.c, bpmn_check.c) and
 * its conditions (expr.c). The input is tried as a BPMN document and as a condition.
 *
 * Besides the sanitizers, each answer is checked:
 *   loaded    one start event whose index is right, every flow's ends are nodes, every node's in
 *             and out lists name flows that point at it, every condition evaluates (over an empty
 *             and a small context) to 0 or 1;
 *   refused   a non-empty UTF-8 message and an empty model. */
#include "base/text.h"
#include "engine/flow/model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_model(const jg_flow_model *m)
{
    if (m->start < 0 || m->start >= m->nnodes || m->nodes[m->start].kind != JG_NODE_START)
        abort();
    json_t *ctx = json_pack("{s:s, s:{s:s, s:i}}", "action", "approve", "record", "cost", "12.50", "n", 3);
    json_t *empty = json_object();
    for (int i = 0; i < m->nedges; i++) {
        const jg_flow_edge *e = &m->edges[i];
        if (e->source < 0 || e->source >= m->nnodes || e->target < 0 || e->target >= m->nnodes)
            abort();
        if (e->cond != NULL && (jg_expr_true(e->cond, ctx) | jg_expr_true(e->cond, empty)) > 1)
            abort();
    }
    for (int i = 0; i < m->nnodes; i++) {
        const jg_flow_node *x = &m->nodes[i];
        for (int k = 0; k < x->nout; k++)
            if (m->edges[x->out[k]].source != i)
                abort();
        for (int k = 0; k < x->nin; k++)
            if (m->edges[x->in[k]].target != i)
                abort();
    }
    json_decref(ctx);
    json_decref(empty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jg_flow_model m;
    char err[512] = "";
    jg_rc rc = jg_bpmn_load((const char *)data, size, &m, err, sizeof(err));
    if (rc == JG_OK) {
        check_model(&m);
        jg_flow_model_free(&m);
    } else if (err[0] == '\0' || !jg_utf8_valid(err, strlen(err)) || m.nodes != NULL) {
        abort();
    }

    jg_arena *a = jg_arena_new();
    jg_expr *e;
    rc = jg_expr_parse((const char *)data, size, a, &e, err, sizeof(err));
    if (rc == JG_OK) {
        json_t *ctx = json_pack("{s:s, s:{s:s}}", "action", "return", "record", "kind", "road");
        if (jg_expr_true(e, ctx) > 1)
            abort();
        json_decref(ctx);
    } else if (err[0] == '\0' || !jg_utf8_valid(err, strlen(err))) {
        abort();
    }
    jg_arena_free(a);
    return 0;
}
