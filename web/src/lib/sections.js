// The form layout of a definition (docs/entities.md, "Form layout"): sections of fields or a
// child table; fields not placed follow in a last section.
export function sections(def) {
  const byName = Object.fromEntries(def.fields.map((f) => [f.name, f]));
  const children = Object.fromEntries((def.children || []).map((c) => [c.name, c]));
  const placed = new Set();
  const out = [];
  for (const s of def.form?.sections || []) {
    if (s.child) {
      if (children[s.child]) { out.push({ label: s.label, help: s.help, child: children[s.child] }); placed.add('child:' + s.child); }
    } else {
      const fields = (s.fields || []).map((n) => byName[n]).filter(Boolean);
      fields.forEach((f) => placed.add(f.name));
      out.push({ label: s.label, help: s.help, columns: s.columns || 2, fields });
    }
  }
  const rest = def.fields.filter((f) => !placed.has(f.name) && f.class !== 'secret');
  if (rest.length) out.push({ label: out.length ? '其他信息' : '基本信息', columns: 2, fields: rest });
  for (const c of def.children || []) if (!placed.has('child:' + c.name)) out.push({ label: c.label, help: c.help, child: c });
  return out;
}
