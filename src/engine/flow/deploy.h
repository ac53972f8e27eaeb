/* Deployed processes (table flow_definition, migration 0009): deploying a BPMN document as a new
 * version of its process, and the processes shipped under defs/<subsystem>/<key>.bpmn. */
#ifndef JG_FLOW_DEPLOY_H
#define JG_FLOW_DEPLOY_H
#include "db/db.h"
#include "engine/flow/model.h"

#include <stdint.h>

typedef struct {
    const char *key, *name; /* of the process (pointing into the caller's model) */
    int version;            /* the version the document now is */
    int created;            /* 1: a new version; 0: the same document was the latest already */
} jg_flow_deployed;

/* Deploy the already loaded model m of the n bytes of xml on c (inside the caller's
 * transaction): a new version of m->key unless the latest version holds the same document
 * (compared by SM3). source is "shipped" or "designer"; user_id 0 for none. */
jg_rc jg_flow_deploy(jg_conn *c, const jg_flow_model *m, const char *xml, size_t n, const char *source,
                     int64_t user_id, jg_flow_deployed *out);
/* `migrate`: deploy every process compiled into the binary (defs/<subsystem>/<key>.bpmn) that
 * differs from its latest version, in one transaction. A shipped process that no longer loads
 * is an error naming the file (in err). */
jg_rc jg_flow_sync_shipped(jg_db *db, char *err, size_t errlen);

#endif
