/* The rules shipped with jianguan, inserted by the rule module at migrate when missing. Their
 * sources are the files under defs/rules/, embedded into the binary with the other definitions. */
#include "base/embed.h"
#include "engine/rule/rule.h"

#include <stddef.h>

const jg_rule_shipped jg_rules_shipped[] = {
    {"score.clause_default", "默认记分规则（条款平均、项目求和、企业按项目平均）", "score",
     "{\"decimals\":2}", "rules/score_clause_default.lua"},
    {"registration.check", "项目报监申报校验（人员兼任、证书与资质有效期、企业库、单体面积）", "condition",
     "{\"exclusive_roles\":[\"project_manager\",\"chief_supervisor\"],\"area_tolerance\":1,"
     "\"area_tolerance_ratio\":0.001,\"finished_is_over\":true}",
     "rules/registration_check.lua"},
    {"registration.item_check", "新增申报项校验（报监项目已登记、所在地一致）", "condition", "{}",
     "rules/registration_item_check.lua"},
    {"score.project", "项目记分规则（同一条款多次检查取平均，项目按条款求和）", "score", "{\"decimals\":2}",
     "rules/score_project.lua"},
    {"score.company", "企业周期记分规则（项目记分合计 ÷ 期内被评项目数）", "score", "{\"decimals\":2}",
     "rules/score_company.lua"},
    {"score.person", "人员周期记分规则（项目经理等：各项目记分之和）", "score", "{\"decimals\":2}",
     "rules/score_person.lua"},
    {"score.chief_supervisor", "总监周期记分规则（同一城市至多 3 个项目取最高分）", "score",
     "{\"decimals\":2,\"max_per_city\":3}", "rules/score_chief_supervisor.lua"},
    {"score.edition", "条款库版本选用规则（按检查日期：2025年7月1日起用2025试行版）", "score",
     "{\"editions\":[{\"edition\":\"2018\",\"from\":\"2018-01-01\"},{\"edition\":\"2025\",\"from\":\"2025-07-"
     "01\"}]}",
     "rules/score_edition.lua"},
    {"credit.contractor_default", "施工企业信用评价默认公式（通常行为40%+合同履约15%+质量安全文明施工45%）",
     "credit",
     "{\"weights\":{\"general\":0.4,\"contract\":0.15,\"quality\":0.45},\"base\":100,\"per_point\":1,"
     "\"general_default\":100,\"contract_default\":100,\"decimals\":2}",
     "rules/credit_contractor_default.lua"},
    {"credit.supervisor_default",
     "监理单位信用评价默认公式（假设，可配置：通常行为40%+合同履约15%+监理履职行为45%）", "credit",
     "{\"weights\":{\"general\":0.4,\"contract\":0.15,\"duty\":0.45},\"base\":100,\"per_point\":1,"
     "\"general_default\":100,\"contract_default\":100,\"decimals\":2}",
     "rules/credit_supervisor_default.lua"},
    {"credit.person_default", "从业人员信用评价默认公式（满分减周期记分）", "credit",
     "{\"base\":100,\"per_point\":1,\"decimals\":2}", "rules/credit_person_default.lua"},
    {"credit.owner_quarterly", "建设单位首要责任季度评价得分（各指标得分之和，未填指标按满分减扣分）",
     "credit",
     "{\"decimals\":1,\"indicators\":["
     "{\"code\":\"procedure\",\"field\":\"ind_procedure\",\"label\":\"依法履行建设程序\",\"full\":20},"
     "{\"code\":\"system\",\"field\":\"ind_system\",\"label\":\"质量安全管理体系\",\"full\":20},"
     "{\"code\":\"payment\",\"field\":\"ind_payment\",\"label\":\"工程款与安全文明施工费支付\",\"full\":20},"
     "{\"code\":\"schedule\",\"field\":\"ind_schedule\",\"label\":\"合理工期与造价\",\"full\":20},"
     "{\"code\":\"site\",\"field\":\"ind_site\",\"label\":\"现场质量安全管理\",\"full\":20}]}",
     "rules/owner_quarterly_default.lua"},
    {"warning.score_threshold", "记分预警规则（周期与累计记分达到阈值：提醒、约谈、责令更换、重点监管）",
     "warning",
     "{\"decimals\":2,\"steps\":["
     "{\"subject\":\"enterprise\",\"roles\":[\"contractor\",\"supervisor_firm\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":8,\"level\":1"
     ",\"consequence\":\"提醒\",\"source\":\"北京（示例）\"},"
     "{\"subject\":\"enterprise\",\"roles\":[\"contractor\",\"supervisor_firm\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":16,\"level\":2"
     ",\"consequence\":\"约谈\",\"source\":\"北京（示例）\"},"
     "{\"subject\":\"enterprise\",\"roles\":[\"contractor\",\"supervisor_firm\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":24,\"level\":3"
     ",\"consequence\":\"列入重点监管\",\"source\":\"北京（示例）\"},"
     "{\"subject\":\"enterprise\",\"roles\":[\"contractor\",\"supervisor_firm\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":30,\"level\":4"
     ",\"consequence\":\"列入重点监管/黑名单候选\",\"source\":\"北京（示例）\"},"
     "{\"subject\":\"person\",\"roles\":[\"project_manager\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">\",\"threshold\":6,\"level\":2"
     ",\"consequence\":\"约谈\",\"source\":\"湖南（示例）\"},"
     "{\"subject\":\"person\",\"roles\":[\"project_manager\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":12,\"level\":3"
     ",\"consequence\":\"责令更换项目负责人\",\"source\":\"湖南（示例）\"},"
     "{\"subject\":\"person\",\"roles\":[\"project_manager\",\"chief_supervisor\"],\"period\":\"year\""
     ",\"measure\":\"points\",\"op\":\">=\",\"threshold\":80,\"level\":4"
     ",\"consequence\":\"列入重点监管/黑名单候选\",\"source\":\"福建（闽建〔2016〕5号）\"},"
     "{\"subject\":\"*\",\"roles\":[\"*\"],\"period\":\"year\""
     ",\"measure\":\"cumulative\",\"op\":\">=\",\"threshold\":150,\"level\":4"
     ",\"consequence\":\"列入重点监管/黑名单候选\",\"source\":\"福建（闽建〔2016〕5号）\"}]}",
     "rules/warning_score_threshold.lua"},
    {"warning.handle_check", "记分预警处理校验（须填写采取的处理措施）", "condition", "{\"min_chars\":2}",
     "rules/warning_handle_check.lua"},
    {"rectification.reply_check", "责令改正整改回复校验（须填写整改情况与完成日期）", "condition",
     "{\"min_chars\":4,\"min_files\":0}", "rules/rectification_reply_check.lua"},
    {NULL, NULL, NULL, NULL, NULL},
};

const char *jg_rule_shipped_source(const jg_rule_shipped *s)
{
    const jg_embedded_file *f = jg_embedded_find(jg_embedded_defs, s->file);
    return f != NULL ? (const char *)f->data : NULL;
}
