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
 * Whether step node of a BPMN document asks for a signed opinion (jg:sign="required" on its
 * userTask). The engine does not know this setting yet: the page asks for the signature, the
 * server verifies any signature sent but does not refuse an unsigned completion.
 */
export function signRequired(xml, node) {
  if (!xml || !node || typeof DOMParser === 'undefined') return false;
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return false;
  const el = [...doc.getElementsByTagNameNS('*', 'userTask')].find((e) => e.getAttribute('id') === node);
  return !!el && el.getAttributeNS(JG_NS, 'sign') === 'required';
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

const LOG_KINDS = {
  start: '发起', enter: '到达', end: '结束', complete: '办理', service: '自动处理', claim: '签收', release: '释放',
  recall: '收回委托', transfer: '转办', delegate: '委托', withdraw: '撤回', copy: '抄送', terminate: '终止',
  green_channel: '绿色通道', return: '退回', timeout: '超时', decided: '会签已决',
};

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

// ---- task operations (docs/api/README.md, "Workflow: operations and boxes") ----

/** Chinese names of the operations, for confirmations and messages. */
export const OP_LABELS = {
  claim: '签收', release: '释放', recall: '收回委托', transfer: '转办', delegate: '委托', withdraw: '撤回',
  copy: '抄送', terminate: '终止', jump: '绿色通道', bulk: '批量办理',
};

/**
 * The operations a user may do on one task of an instance, as the API allows them:
 * task (from GET /api/v1/flow/instances/{id} tasks), mine (the task is in the user's 待办),
 * userId, instanceRunning, can (permission check). Answers a Set of operation names.
 */
export function taskOps({ task, mine, userId, instanceRunning, can = () => false }) {
  const ops = new Set();
  if (!task) return ops;
  const open = task.state === 'open';
  if (open && mine) {
    if (!task.assignee_id) ops.add('claim');
    if (task.assignee_id === userId && task.pooled && !task.delegated_by) ops.add('release');
    ops.add('transfer');
    if (!task.delegated_by) ops.add('delegate');
    ops.add('copy');
  }
  if (open && !mine && task.delegated_by === userId) ops.add('recall');
  if (task.state === 'done' && task.done_by === userId) {
    ops.add('copy');
    if (instanceRunning) ops.add('withdraw');
  }
  if (instanceRunning && can('flow.terminate')) ops.add('terminate');
  if (instanceRunning && can('flow.green_channel')) ops.add('jump');
  return ops;
}

/** POST one operation on a task; body as the API wants it. Errors are thrown (ApiError). */
export function taskOp(id, op, body = {}) {
  const path = op === 'recall' ? 'release' : op;
  return api.post(`/api/v1/flow/tasks/${id}/${path}`, body, { quiet: [400, 404, 409] });
}

/** A Chinese message of an API failure: the field's message first (e.g. user_id), then the error's. */
export function errorText(e) {
  const f = e && e.fields ? Object.values(e.fields).filter(Boolean) : [];
  return f.length ? f.join('；') : (e && e.message) || '操作失败';
}

// ---- 电子签单: the user's SM2 key kept by this browser, the server holding the public key ----

let sm2lib = null;
async function sm2() {
  if (!sm2lib) sm2lib = (await import('sm-crypto')).default.sm2;
  return sm2lib;
}
const keySlot = (username) => `jianguan.signkey.${username}`;

/** The key pair this browser keeps for username ({publicKey, privateKey}) or null. */
export function localSignKey(username) {
  try {
    const k = JSON.parse(localStorage.getItem(keySlot(username)) || 'null');
    return k && k.publicKey && k.privateKey ? k : null;
  } catch { return null; }
}

/**
 * Makes a new SM2 key pair in the browser, registers its public key with a proof of possession
 * (PUT /api/v1/flow/sign-key, over "jianguan-sign-key:v1\n<username>\n<key>") and keeps the pair here.
 */
export async function registerSignKey(username) {
  const s = await sm2();
  const { publicKey, privateKey } = s.generateKeyPairHex();
  const proof = s.doSignature(`jianguan-sign-key:v1\n${username}\n${publicKey}`, privateKey, { hash: true, publicKey });
  await api.put('/api/v1/flow/sign-key', { public_key: publicKey, proof }, { quiet: [400] });
  localStorage.setItem(keySlot(username), JSON.stringify({ publicKey, privateKey }));
  return publicKey;
}

/** The signature (128 hex, r|s) of an opinion as the server checks it. */
export async function signOpinion(key, taskId, action, opinion) {
  const s = await sm2();
  const text = `jianguan-opinion:v1\ntask:${taskId}\naction:${action || 'complete'}\nopinion:${opinion || ''}`;
  return s.doSignature(text, key.privateKey, { hash: true, publicKey: key.publicKey });
}
