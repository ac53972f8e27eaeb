/* Demo data: the clause library (记分条款库) of defs/scoring/score_clause.json, the 2018 edition and the
 * 2025 trial edition side by side. The examples 1.1.1–1.1.3 follow the public text quoted in DOMAIN.md;
 * every other clause is PLAUSIBLE DEMO DATA written for this platform, not the official table (which
 * is not public): administrators load the real one through the records API or an import. */
#include "platform/seed_int.h"

#include <stdio.h>

/* One clause as it reads in both editions: points in tenths; 0/0 means absent from that edition. */
static const struct clause {
    const char *code, *category, *target, *subsystem, *text;
    int min18, max18, min25, max25;
} clauses[] = {
    {"1.1.1", "personnel", "project_manager", "inspection",
     "项目经理长期不在施工现场履职（对项目经理和施工单位各记8分）", 80, 80, 80, 80},
    {"1.1.2", "personnel", "project_manager", "inspection",
     "项目经理无正当理由不在岗，每次记3分；未参加竣工验收的，对项目经理和施工单位各记5分", 30, 50, 30, 50},
    {"1.1.3", "personnel", "project_manager", "inspection",
     "项目经理未参加地基基础、主体结构等重要分部工程验收；施工企业技术或质量负责人未按规定参加验收", 30, 30,
     30, 30},
    {"1.1.4", "personnel", "contractor", "inspection",
     "技术负责人、专职安全员等其他主要管理人员长期不在岗（每人次对施工单位记8分）", 80, 80, 60, 80},
    {"1.1.5", "personnel", "contractor", "inspection",
     "施工现场管理人员与投标承诺或报监登记人员不一致且未办理变更", 20, 40, 20, 40},
    {"1.2.1", "personnel", "chief_supervisor", "inspection", "总监理工程师长期不在施工现场履职", 80, 80, 80,
     80},
    {"1.2.2", "personnel", "chief_supervisor", "inspection", "总监理工程师无正当理由不在岗（每次）", 30, 30,
     30, 30},
    {"1.2.3", "personnel", "supervisor_firm", "inspection", "现场监理人员数量或专业配置不满足监理合同约定",
     20, 40, 20, 40},
    {"1.3.1", "personnel", "owner", "inspection", "建设单位未按规定办理工程质量安全监督手续即擅自开工", 60,
     60, 60, 60},
    {"1.3.2", "personnel", "owner", "inspection",
     "建设单位任意压缩合理工期，或明示、暗示施工单位违反工程建设强制性标准", 40, 80, 40, 80},
    {"2.1.1", "quality", "contractor", "inspection", "未按照审查合格的施工图设计文件和施工技术标准施工", 40,
     80, 40, 80},
    {"2.1.2", "material", "contractor", "inspection",
     "未按规定对建筑材料、建筑构配件和设备进行进场检验或检验不合格即使用", 20, 40, 20, 40},
    {"2.1.3", "quality", "contractor", "inspection", "隐蔽工程未经验收合格即进入下道工序施工", 30, 60, 30,
     60},
    {"2.1.4", "quality", "contractor", "inspection", "混凝土结构实体强度或钢筋保护层厚度检测不合格", 40, 80,
     40, 80},
    {"2.1.5", "material", "contractor", "concrete", "使用未经备案或质量证明文件不全的预拌混凝土", 20, 40, 20,
     40},
    {"2.2.1", "quality", "supervisor_firm", "inspection", "监理单位未按规定对关键部位、关键工序实施旁站监理",
     20, 40, 20, 40},
    {"2.2.2", "material", "supervisor_firm", "inspection", "监理单位未按规定对见证取样和送检实施见证", 20, 40,
     20, 40},
    {"2.2.3", "quality", "supervisor_firm", "inspection",
     "监理单位发现质量问题未要求施工单位整改，或施工单位拒不整改未及时报告", 30, 60, 30, 60},
    {"3.1.1", "hazard", "contractor", "hazard",
     "危险性较大的分部分项工程未编制专项施工方案，或方案未经审批即实施", 40, 80, 40, 80},
    {"3.1.2", "hazard", "contractor", "hazard", "超过一定规模的危大工程专项施工方案未按规定组织专家论证", 60,
     100, 60, 100},
    {"3.1.3", "hazard", "contractor", "hazard",
     "危大工程未按专项施工方案施工，或未按规定进行验收即进入下道工序", 40, 80, 40, 80},
    {"3.2.1", "machinery", "contractor", "crane", "建筑起重机械未经检验检测或检验检测不合格即投入使用", 60,
     60, 60, 60},
    {"3.2.2", "machinery", "contractor", "crane", "建筑起重机械司机、信号司索工等特种作业人员无证上岗", 30,
     30, 30, 30},
    {"3.2.3", "machinery", "contractor", "crane", "建筑起重机械安装、拆卸前未办理告知手续或无专项方案", 40,
     40, 40, 40},
    {"3.3.1", "safety", "contractor", "inspection", "临边、洞口等部位防护设施缺失或不符合规范要求", 20, 40,
     20, 40},
    {"3.3.2", "safety", "contractor", "inspection", "施工临时用电不符合三级配电、两级保护等规范要求", 20, 40,
     20, 40},
    {"3.3.3", "safety", "contractor", "inspection", "脚手架搭设、拆除不符合规范或专项方案要求", 20, 60, 20,
     60},
    {"3.4.1", "hazard", "supervisor_firm", "hazard", "监理单位未审查危大工程专项施工方案或未实施专项巡视检查",
     30, 60, 30, 60},
    {"4.1.1", "civilized", "contractor", "inspection", "施工现场未按规定连续设置封闭围挡", 10, 20, 10, 20},
    {"4.1.2", "civilized", "contractor", "inspection", "裸露土方未覆盖、车辆未冲洗等扬尘防治措施不到位", 10,
     30, 10, 30},
    {"4.1.3", "civilized", "contractor", "inspection", "施工现场办公区、生活区与作业区未分开设置", 10, 20, 10,
     20},
    {"5.1.1", "documents", "contractor", "inspection", "施工技术资料与工程进度不同步或弄虚作假", 10, 20, 10,
     30},
    {"5.1.2", "documents", "supervisor_firm", "inspection", "监理日志、旁站记录等监理资料不真实、不完整", 20,
     40, 20, 40},
    {"5.1.3", "other", "contractor", "inspection", "拒绝、阻碍监督机构依法实施监督检查", 80, 80, 80, 80},
    /* The 2025 trial edition adds clauses of its own. */
    {"1.1.6", "personnel", "project_manager", "inspection",
     "项目经理未按规定使用实名制考勤或考勤记录弄虚作假", 0, 0, 30, 50},
    {"3.2.4", "machinery", "contractor", "crane",
     "建筑起重机械未按规定安装安全监控系统或监控数据未接入监管平台", 0, 0, 30, 60},
    {"3.5.1", "safety", "contractor", "video", "施工现场视频监控设备未按规定设置或擅自关闭", 0, 0, 20, 40},
};

static jg_rc insert_clause(jg_conn *c, const char *edition, const struct clause *k, int min, int max,
                           const char *now)
{
    jg_rows *r;
    jg_value q[] = {JG_VTEXT(edition), JG_VTEXT(k->code)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM e_score_clause WHERE edition = $1 AND code = $2", q, 2, &r);
    if (rc != JG_OK)
        return rc;
    int have = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (have)
        return JG_OK;
    jg_value p[] = {JG_VTEXT(now),          JG_VTEXT(edition),
                    JG_VTEXT(k->code),      JG_VTEXT(k->category),
                    JG_VTEXT(k->text),      JG_VINT(min),
                    JG_VINT(max),           JG_VTEXT(k->target),
                    JG_VTEXT(k->subsystem), JG_VTEXT("演示数据（非正式条款）")};
    return jg_db_exec(
        c,
        "INSERT INTO e_score_clause (state, created_at, updated_at, version, edition, code, category,"
        " text, points_min, points_max, target, subsystem, remark)"
        " VALUES ('active', $1, $1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        p, 10, NULL);
}

static jg_rc insert_clauses(jg_conn *c, void *ud)
{
    const char *now = ud;
    jg_rc rc = JG_OK;
    for (size_t i = 0; rc == JG_OK && i < sizeof(clauses) / sizeof(clauses[0]); i++) {
        const struct clause *k = &clauses[i];
        if (k->max18 > 0)
            rc = insert_clause(c, "2018", k, k->min18, k->max18, now);
        if (rc == JG_OK && k->max25 > 0)
            rc = insert_clause(c, "2025", k, k->min25, k->max25, now);
    }
    return rc;
}

jg_rc jg_seed_scoring(jg_db *db, const char *now)
{
    char when[32];
    snprintf(when, sizeof(when), "%s", now);
    return jg_db_tx(db, insert_clauses, when);
}
