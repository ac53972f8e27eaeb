// Builds the JSON filter language of record lists (src/engine/entity/filter.h) from the simple
// inputs of a list page: one value (or a range) per field.

/** like pattern matching `text` anywhere: %, _ and \ typed by the user are made literal. */
export function containsPattern(text) {
  return '%' + String(text).replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/** The kind of input a field gets in the filter bar, or null when it cannot be filtered. */
export function filterKind(field) {
  if (!field || field.class === 'sensitive' || field.class === 'secret') return null;
  switch (field.type) {
    case 'string': case 'text': return 'text';
    case 'enum': return 'enum';
    case 'region': return 'region';
    case 'enterprise': case 'person': return 'refname';
    case 'date': return 'daterange';
    case 'integer': case 'decimal': case 'money': return 'numrange';
    case 'boolean': return 'boolean';
    case 'state': return 'state';
    default: return null;
  }
}

function empty(v) {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * values: { field: value } where value is text, a code, [from, to] for ranges (either end may be
 * empty). fields: the definition's fields by name (plus a pseudo field "state").
 * Returns the filter object, or null when nothing is set.
 */
export function buildFilter(values, fields) {
  const conds = [];
  for (const [name, v] of Object.entries(values)) {
    const f = fields[name];
    const kind = filterKind(f);
    if (!kind) continue;
    switch (kind) {
      case 'text':
        if (!empty(v) && String(v).trim()) conds.push({ field: name, op: 'like', value: containsPattern(String(v).trim()) });
        break;
      case 'refname':
        if (!empty(v) && String(v).trim()) conds.push({ field: name + '.name', op: 'like', value: containsPattern(String(v).trim()) });
        break;
      case 'enum': case 'state':
        if (!empty(v)) conds.push({ field: name, op: 'eq', value: v });
        break;
      case 'region':
        // a region and everything below it: codes are prefixes (35, 3501, 350102)
        if (!empty(v)) conds.push({ field: name, op: 'like', value: String(v) + '%' });
        break;
      case 'boolean':
        if (v === true || v === false) conds.push({ field: name, op: 'eq', value: v });
        break;
      case 'daterange': case 'numrange': {
        if (!Array.isArray(v)) break;
        const [lo, hi] = v;
        const num = (x) => (f.type === 'integer' ? Number(x) : String(x));
        if (!empty(lo)) conds.push({ field: name, op: 'ge', value: num(lo) });
        if (!empty(hi)) conds.push({ field: name, op: 'le', value: num(hi) });
        break;
      }
      default:
    }
  }
  if (conds.length === 0) return null;
  return conds.length === 1 ? conds[0] : { and: conds };
}
