// The Chinese face of bpmn-js: a translate module (diagram-js's "translate" service replaced) with
// the strings of the palette, context pad, replace menu and popup headers our designer shows.
// Strings not in the dictionary stay English (they belong to elements the designer hides).
const zh = {
  // palette and tools
  'Activate hand tool': '抓手工具（移动画布）',
  'Activate lasso tool': '套索工具（框选）',
  'Activate create/remove space tool': '插入/移除空间',
  'Activate global connect tool': '连线工具',
  'Create start event': '开始事件（申报）',
  'Create end event': '结束事件',
  'Create gateway': '排他网关',
  'Create task': '任务',
  'Create user task': '人工办理环节（用户任务）',
  'Create service task': '系统动作（服务任务）',
  'Create parallel gateway': '并行网关',
  'Create inclusive gateway': '包容网关',
  'Create call activity': '调用子流程',
  'Create timer boundary event': '期限定时器（拖到环节边框上）',
  'Create intermediate/boundary event': '中间/边界事件',
  'Create group': '分组',
  // context pad
  'Append end event': '追加结束事件',
  'Append gateway': '追加网关',
  'Append task': '追加任务',
  'Append user task': '追加人工办理环节',
  'Append intermediate/boundary event': '追加中间/边界事件',
  'Add text annotation': '添加注释',
  'Change element': '更改类型',
  'Delete': '删除',
  'Connect to other element': '连线到其他元素',
  'Connect using association': '用关联连接',
  'Search in diagram': '在图中搜索',
  'Align elements': '对齐',
  'Distribute elements horizontally': '水平均分',
  'Distribute elements vertically': '垂直均分',
  'Open {element}': '打开 {element}',
  // replace menu
  'Start event': '开始事件',
  'End event': '结束事件',
  'Task': '任务',
  'User task': '用户任务（人工办理）',
  'Service task': '服务任务（系统动作）',
  'Call activity': '调用子流程',
  'Exclusive gateway': '排他网关',
  'Parallel gateway': '并行网关',
  'Inclusive gateway': '包容网关',
  'Timer boundary event': '定时边界事件（中断）',
  'Timer boundary event (non-interrupting)': '定时边界事件（不中断）',
  'Timer intermediate catch event': '定时中间事件',
  'Intermediate throw event': '中间抛出事件',
  'Sequence flow': '顺序流',
  'Default flow': '默认流',
  'Conditional flow': '条件流',
  'Parallel multi-instance': '并行会签',
  'Sequential multi-instance': '顺序会签',
  'Loop': '循环',
  'Toggle non-interrupting': '切换为不中断',
  'Boundary event': '边界事件',
  'Search': '搜索',
  'No matching entries found.': '没有匹配的项',
  // modeling errors and labels
  'no parent for {element} in {parent}': '{element} 在 {parent} 中没有父元素',
  'no shape type specified': '未指定图形类型',
  'flow elements must be children of pools/participants': '流程元素必须位于池/参与者内',
  'out of bounds release': '超出边界',
  'more than {count} child lanes': '子泳道超过 {count} 个',
  'element required': '需要元素',
  'diagram not part of bpmn:Definitions': '图不属于 bpmn:Definitions',
  'no diagram to display': '没有可显示的图',
  'no process or collaboration to display': '没有可显示的流程',
  'element {element} referenced by {referenced}#{property} not yet drawn':
    '{referenced}#{property} 引用的元素 {element} 尚未绘制',
  'already rendered {element}': '{element} 已绘制',
  'failed to import {element}': '导入 {element} 失败',
};

export function translate(template, replacements = {}) {
  const text = zh[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
}

export default { translate: ['value', translate] };
