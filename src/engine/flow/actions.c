/* Service task actions (actions.h). */
#include "engine/flow/actions.h"

#include <string.h>

typedef jg_rc (*action_fn)(jg_conn *c, int64_t instance);

/* A step whose work is recorded in the instance's history and nothing more yet. */
static jg_rc mark_only(jg_conn *c, int64_t instance)
{
    (void)c;
    (void)instance;
    return JG_OK;
}

static const struct {
    const char *name;
    action_fn fn;
} actions[] = {
    {"flow.supervise", mark_only},
    {"registration.issue", mark_only},
};

static action_fn find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcmp(actions[i].name, name) == 0)
            return actions[i].fn;
    return NULL;
}

int jg_flow_action_known(const char *name)
{
    return find(name) != NULL;
}

jg_rc jg_flow_action_run(const char *name, jg_conn *c, int64_t instance)
{
    action_fn fn = find(name);
    return fn != NULL ? fn(c, instance) : JG_NOTFOUND;
}
