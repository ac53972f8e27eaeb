// The search highlight splitter of the workbench (web/src/lib/highlight.js): ranges are counted in
// code points as the server counts them, clipped to the text, overlaps merged; the pieces are
// plain text for the template (no HTML is built).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segments } from '../../web/src/lib/highlight.js';

const marked = (parts) => parts.map((p) => (p.hit ? `[${p.text}]` : p.text)).join('');

test('ranges mark code points, not UTF-16 units', () => {
  assert.equal(marked(segments('福州市鼓楼区某某综合楼', [[3, 2]])), '福州市[鼓楼]区某某综合楼');
  // 𠀀 (U+20000) is one code point and two UTF-16 units: the range after it still lands on 鼓楼
  assert.equal(marked(segments('𠀀福州鼓楼', [[3, 2]])), '𠀀福州[鼓楼]');
  assert.equal(marked(segments('…福州市鼓楼区五四路 88 号', [[4, 2]])), '…福州市[鼓楼]区五四路 88 号');
});

test('overlapping and touching ranges merge; out-of-range and malformed ones are clipped or ignored', () => {
  assert.equal(marked(segments('abcdef', [[0, 2], [1, 2], [3, 1]])), '[abcd]ef');
  assert.equal(marked(segments('abc', [[2, 10]])), 'ab[c]');
  assert.equal(marked(segments('abc', [[-5, 1]])), '[a]bc');
  assert.equal(marked(segments('abc', [[9, 1], 'x', null, [1]])), 'abc');
  assert.deepEqual(segments('', [[0, 3]]), []);
  assert.deepEqual(segments(null, null), []);
});

test('user text stays text: the pieces carry the characters as typed', () => {
  const text = '测试<img src=x onerror=alert(1)>楼';
  const parts = segments(text, [[0, 2]]);
  assert.deepEqual(parts, [{ text: '测试', hit: true }, { text: '<img src=x onerror=alert(1)>楼', hit: false }]);
  assert.equal(parts.map((p) => p.text).join(''), text);
});
