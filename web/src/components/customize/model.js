// The definitions editor's knowledge of the entity engine (docs/entities.md): field types with the
// options each takes, what may change online in a field that is already live (decision 30: only
// additive changes), the server's error paths, and the editor's working copy kept in the browser.

/** Field types with Chinese labels and the options each takes (an option a type does not take is
 * refused by the loader). */
export const TYPES = [
  { type: 'string', label: '单行文本', opts: ['max_length', 'min_length', 'pattern', 'default', 'unique', 'indexed', 'searchable', 'sealable'] },
  { type: 'text', label: '多行文本', opts: ['max_length', 'min_length', 'pattern', 'default', 'searchable', 'sealable'] },
  { type: 'integer', label: '整数', opts: ['min', 'max', 'default', 'unique', 'indexed'] },
  { type: 'decimal', label: '小数', opts: ['scale', 'min', 'max', 'default', 'unique', 'indexed'] },
  { type: 'money', label: '金额（元）', opts: ['min', 'max', 'default'] },
  { type: 'date', label: '日期', opts: ['default', 'unique', 'indexed'] },
  { type: 'datetime', label: '日期时间', opts: ['unique', 'indexed'] },
  { type: 'boolean', label: '是/否', opts: ['default', 'indexed'] },
  { type: 'enum', label: '字典选项', opts: ['dict', 'default', 'unique', 'indexed'] },
  { type: 'ref', label: '关联记录', opts: ['ref', 'unique', 'indexed'] },
  { type: 'region', label: '行政区划', opts: ['default', 'unique', 'indexed'] },
  { type: 'enterprise', label: '企业', opts: ['unique', 'indexed'] },
  { type: 'person', label: '人员', opts: ['unique', 'indexed'] },
  { type: 'files', label: '附件', opts: ['max_files', 'max_size', 'accept'] },
  { type: 'geo', label: '经纬度', opts: [] },
  { type: 'json', label: 'JSON 数据', opts: ['max_length'] },
];
export const TYPE_LABEL = Object.fromEntries(TYPES.map((t) => [t.type, t.label]));
export const CLASSES = [
  { value: 'public', label: '公开（可公示）' },
  { value: 'internal', label: '内部（默认）' },
  { value: 'sensitive', label: '敏感（加密保存，列表中打码）' },
  { value: 'secret', label: '机密（加密保存，不进列表）' },
];
export const FILE_KINDS = ['pdf', 'ofd', 'jpg', 'png', 'docx', 'xlsx', 'zip', 'mp4'];
export const SYSTEM_COLUMNS = [
  { name: 'id', label: '编号' }, { name: 'state', label: '状态' }, { name: 'created_at', label: '创建时间' },
  { name: 'updated_at', label: '修改时间' }, { name: 'created_by', label: '创建人' }, { name: 'updated_by', label: '修改人' },
  { name: 'version', label: '版本' },
];
const OPTION_KEYS = ['max_length', 'min_length', 'pattern', 'default', 'unique', 'unique_within', 'indexed', 'searchable',
  'min', 'max', 'scale', 'dict', 'ref', 'max_files', 'max_size', 'accept'];

export function takes(type, opt) { return (TYPES.find((t) => t.type === type)?.opts || []).includes(opt); }
export const sealed = (f) => f.class === 'sensitive' || f.class === 'secret';

/** Drops the options the field's type does not take (after a type change in a new field). */
export function cleanField(f) {
  for (const k of OPTION_KEYS) {
    const opt = k === 'unique_within' ? 'unique' : k;
    if (f[k] !== undefined && !takes(f.type, opt)) delete f[k];
  }
  if (f.class && f.class !== 'public' && f.class !== 'internal' && !takes(f.type, 'sealable')) delete f.class;
  if (sealed(f)) { delete f.default; delete f.searchable; }
  if (f.class === 'secret') delete f.list;
  if (f.type === 'integer') for (const k of ['min', 'max']) if (typeof f[k] === 'string' && /^-?\d+$/.test(f[k].trim())) f[k] = Number(f[k]);
  if (typeof f.default === 'string' && f.type !== 'string' && f.type !== 'text') f.default = f.default.trim();
  for (const k of Object.keys(f)) if (f[k] === '' || f[k] === null || f[k] === false) delete f[k];
  return f;
}

const NAME_RE = /^[a-z][a-z0-9_]{0,39}$/;
const SYSTEM = new Set(['id', 'state', 'parent_id', 'seq', 'created_by', 'created_at', 'updated_by', 'updated_at',
  'version', 'rowid', 'oid', 'ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);
/** A quick check of a new name (the server checks reserved words and the rest). */
export function nameProblem(name, taken) {
  if (!NAME_RE.test(name || '') || name.includes('__')) return '名称为 1–40 位小写字母、数字或下划线，以小写字母开头，不含连续下划线';
  if (SYSTEM.has(name)) return `“${name}”是系统列名，不能使用`;
  if (taken.includes(name)) return `名称“${name}”已被使用`;
  return '';
}

const num = (v) => (v === undefined || v === null || v === '' ? null : Number(v));
/**
 * What an edit to a field that is live (in the active version) would do that the engine refuses
 * online (docs/entities.md "Schema changes"): a Chinese reason per problem, [] when additive.
 */
export function lockProblems(before, f) {
  if (!before) return [];
  const out = [];
  if (before.type !== f.type) out.push('已生效字段不能修改类型');
  if (sealed(before) !== sealed(f)) out.push('已生效字段不能在加密（敏感、机密）与不加密之间切换');
  if ((before.scale ?? 2) !== (f.scale ?? 2) && f.type === 'decimal') out.push('已生效字段不能修改小数位数');
  const lower = (k, def, label) => {
    const a = num(before[k]) ?? def, b = num(f[k]) ?? def;
    if (b < a) out.push(`${label}只能增大（原为 ${a}）`);
  };
  const raise = (k, label) => {
    const a = num(before[k]), b = num(f[k]);
    if (b !== null && (a === null || b > a)) out.push(`${label}只能减小或取消（原为 ${a ?? '无'}）`);
  };
  if (takes(f.type, 'max_length')) lower('max_length', f.type === 'string' ? 200 : f.type === 'text' ? 10000 : 65536, '最大长度');
  if (takes(f.type, 'min_length')) raise('min_length', '最小长度');
  if (takes(f.type, 'min')) raise('min', '最小值');
  if (takes(f.type, 'max') && num(f.max) !== null && (num(before.max) === null || num(f.max) < num(before.max))) {
    out.push(`最大值只能增大或取消（原为 ${before.max ?? '无'}）`);
  }
  if (takes(f.type, 'max_files')) lower('max_files', 20, '附件数上限');
  if ((before.pattern || '') !== (f.pattern || '') && f.pattern) out.push('已生效字段不能新增或修改格式（正则表达式）');
  if ((before.dict || '') !== (f.dict || '')) out.push('已生效字段不能更换字典');
  if ((before.ref || '') !== (f.ref || '')) out.push('已生效字段不能更换关联的业务类型');
  return out;
}

/**
 * The place a server error names, from "定义有误：fields[3].label: ..." or a field-error key such
 * as "fields[3].label": {scope: 'fields'|'children'|..., index, child, childField, key}.
 */
export function errorPlace(text) {
  const m = /(?:^|：)((fields|children|states|form|list|scope|indexes|permissions)(?:\[(\d+)\])?(?:\.fields\[(\d+)\])?(?:\.sections\[(\d+)\])?)(?:\.([a-z_]+))?(?::|$)/.exec(text || '');
  if (!m) return null;
  return { path: m[1], scope: m[2], index: m[3] !== undefined ? Number(m[3]) : null,
    childField: m[4] !== undefined ? Number(m[4]) : null, section: m[5] !== undefined ? Number(m[5]) : null, key: m[6] || '' };
}

const LOCAL = 'jg.customize.draft.';
/** The working copy of an entity kept in this browser until published or discarded. */
export const local = {
  get(name) { try { return JSON.parse(localStorage.getItem(LOCAL + name) || 'null'); } catch { return null; } },
  put(name, doc, base) { localStorage.setItem(LOCAL + name, JSON.stringify({ doc, base, saved_at: new Date().toISOString() })); },
  drop(name) { localStorage.removeItem(LOCAL + name); },
};

export const clone = (x) => JSON.parse(JSON.stringify(x));
