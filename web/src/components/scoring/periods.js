// Scoring periods: quarters "2026Q3" and years "2026", in Beijing time as the server dates them.

/** The current quarter in Beijing time, e.g. "2026Q4". */
export function currentQuarter(now = Date.now()) {
  const d = new Date(now + 8 * 3600e3);
  return `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** "2026Q3" → "2026年第3季度"; "2026" → "2026年". */
export function periodLabel(p) {
  if (!p) return '';
  const m = /^(\d{4})Q([1-4])$/.exec(p);
  return m ? `${m[1]}年第${m[2]}季度` : `${p}年`;
}

/** The last n quarters, newest first ({value, label}), and their years when withYears. */
export function quarters(n = 8, withYears = false) {
  const out = [];
  let [y, q] = currentQuarter().split('Q').map(Number);
  const years = new Set();
  for (let i = 0; i < n; i++) {
    out.push({ value: `${y}Q${q}`, label: periodLabel(`${y}Q${q}`) });
    years.add(y);
    if (--q === 0) { q = 4; y--; }
  }
  if (withYears) for (const yr of years) out.push({ value: String(yr), label: `${yr}年（全年）` });
  return out;
}

/** The quarter before p ("2026Q1" → "2025Q4"). */
export function previousQuarter(p) {
  let [y, q] = p.split('Q').map(Number);
  if (--q === 0) { q = 4; y--; }
  return `${y}Q${q}`;
}
