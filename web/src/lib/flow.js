// Workflow helpers for the pages: the ways out of a step (from the process definition), the
// labels of the history's entries, deadlines.
import { api } from '@/api';

const definitions = new Map();
/** GET /api/v1/flow/definitions/{key}?version= once per key and version; null when not readable. */
export function flowDefinition(key, version) {
  const id = `${key}@${version || ''}`;
  if (!definitions.has(id)) {
    const p = api.get(`/api/v1/flow/definitions/${encodeURIComponent(key)}`, { query: { version }, quiet: true }).catch(() => null);
    definitions.set(id, p);
  }
  return definitions.get(id);
}
export function clearFlow() { definitions.clear(); }

const JG_NS = 'https://jianguan.fj.gov.cn/schema/bpmn';
/**
 * The flows of a BPMN document as the definitions API gives them ({id, name, source, target,
 * action}): for users who may not read definitions but get the instance's XML with it.
 */
export function flowsFromXml(xml) {
  if (!xml || typeof DOMParser === 'undefined') return [];
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return [];
  return [...doc.getElementsByTagNameNS('*', 'sequenceFlow')].map((f) => ({
    id: f.getAttribute('id'), name: f.getAttribute('name'), source: f.getAttribute('sourceRef'),
    target: f.getAttribute('targetRef'), action: f.getAttributeNS(JG_NS, 'action') || null,
  }));
}

/**
 * The buttons of a step: the flows leaving its node that carry jg:action, as [{action, label}].
 * None (a single way out, or no definition to read): one button without an action.
 */
export function stepActions(def, node) {
  const out = [];
  for (const f of def?.flows || []) {
    if (f.source === node && f.action && !out.some((a) => a.action === f.action)) {
      out.push({ action: f.action, label: f.name || ACTION_LABELS[f.action] || f.action });
    }
  }
  return out.length ? out : [{ action: null, label: '提交' }];
}

/** Button style of an action: going back is a warning, the rest a primary action. */
export function actionType(action) {
  return /return|reject|back|terminate/.test(action || '') ? 'warning' : 'primary';
}

export const ACTION_LABELS = {
  accept: '受理', return: '退回补正', register: '登记', approve: '同意', reject: '不同意', submit: '提交',
  resubmit: '重新申报', withdraw: '撤回', transfer: '转办', delegate: '委托', terminate: '终止', claim: '签收',
  release: '退签', cc: '抄送', green: '绿色通道', supervise: '督办',
};

const LOG_KINDS = { start: '发起', enter: '到达', end: '结束', complete: '办理', service: '自动处理' };

/** An entry of the instance's log as Chinese text: "办理：受理". */
export function logLabel(entry, def) {
  const [kind, action] = String(entry.action || '').split(':');
  const base = LOG_KINDS[kind] || kind;
  if (!action) return base;
  const flow = (def?.flows || []).find((f) => f.source === entry.node && f.action === action);
  return `${base}：${flow?.name || ACTION_LABELS[action] || action}`;
}

/** The name of a node (from the definition, else the tasks seen, else its id). */
export function nodeName(node, def, tasks = [], nodes = []) {
  return def?.nodes?.find((n) => n.id === node)?.name || nodes.find((n) => n.id === node)?.name
    || tasks.find((t) => t.node === node)?.name || node || '';
}

/** Whether a deadline has passed (ISO time). */
export function overdue(task) {
  return !!task.due_at && task.state === 'open' && new Date(task.due_at).getTime() < Date.now();
}

export const TASK_STATES = { open: '待办理', done: '已办理', cancelled: '已取消', claimed: '已签收' };
export const INSTANCE_STATES = { running: '办理中', ended: '已办结', terminated: '已终止', suspended: '已挂起' };
