/* The rules shipped with jianguan, inserted by the rule module at migrate when missing. Their
 * sources are the files under defs/rules/, embedded into the binary with the other definitions. */
#include "base/embed.h"
#include "engine/rule/rule.h"

#include <stddef.h>

const jg_rule_shipped jg_rules_shipped[] = {
    {"score.clause_default", "默认记分规则（条款平均、项目求和、企业按项目平均）", "score",
     "{\"decimals\":2}", "rules/score_clause_default.lua"},
    {NULL, NULL, NULL, NULL, NULL},
};

const char *jg_rule_shipped_source(const jg_rule_shipped *s)
{
    const jg_embedded_file *f = jg_embedded_find(jg_embedded_defs, s->file);
    return f != NULL ? (const char *)f->data : NULL;
}
