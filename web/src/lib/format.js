// Display helpers: every value becomes plain text (templates interpolate it; never v-html).
export const SYSTEM_COLUMNS = {
  id: { name: 'id', label: '编号', type: 'integer' },
  state: { name: 'state', label: '状态', type: 'state' },
  created_at: { name: 'created_at', label: '创建时间', type: 'datetime' },
  updated_at: { name: 'updated_at', label: '修改时间', type: 'datetime' },
  created_by: { name: 'created_by', label: '创建人', type: 'integer' },
  updated_by: { name: 'updated_by', label: '修改人', type: 'integer' },
  version: { name: 'version', label: '版本', type: 'integer' },
};

/** Fields (and system columns) of a definition by name, plus children by name. */
export function fieldMap(def) {
  const m = { ...SYSTEM_COLUMNS };
  for (const f of def.fields) m[f.name] = f;
  return m;
}

const dtf = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});
export function datetime(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : dtf.format(d).replace(/\//g, '-');
}

export function money(v) {
  if (v === null || v === undefined || v === '') return '';
  const [i, f = '00'] = String(v).split('.');
  return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + f.padEnd(2, '0');
}

/** Whether a field can be a sort key (filter.h: not files, geo, json, sensitive or secret). */
export function sortable(f) {
  return !!f && !['files', 'geo', 'json'].includes(f.type) && f.class !== 'sensitive' && f.class !== 'secret';
}
