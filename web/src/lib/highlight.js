// Search highlights (GET /api/v1/search): text plus ranges [start, length] counted in code points.
// Split into plain segments the template renders as text — never HTML built from user text.
/** [{text, hit}] covering the whole text; ranges out of bounds are clipped, overlaps merged. */
export function segments(text, ranges) {
  const chars = Array.from(String(text ?? '')); // code points, as the server counts
  const marks = new Array(chars.length).fill(false);
  for (const r of Array.isArray(ranges) ? ranges : []) {
    const start = Math.max(0, Number(r?.[0]) || 0);
    const end = Math.min(chars.length, start + Math.max(0, Number(r?.[1]) || 0));
    for (let i = start; i < end; i++) marks[i] = true;
  }
  const out = [];
  for (let i = 0; i < chars.length; i++) {
    const last = out[out.length - 1];
    if (last && last.hit === marks[i]) last.text += chars[i];
    else out.push({ text: chars[i], hit: marks[i] });
  }
  return out;
}
