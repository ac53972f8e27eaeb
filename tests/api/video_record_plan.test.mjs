// Cloud recording plans through the platform API (issue 8): GET/PUT/DELETE
// /api/v1/video/channels/{id}/record-plan and GET /api/v1/video/record-plans. A plan set here is
// what `jianguan video` (src/video/record.c) reads: the test waits for it to actually record TS
// segments from gbsim's stream, and to stop when the plan is switched off. video.control, the
// channel in the caller's data scope, validated with Chinese field errors, audited before/after.
//
// Environment: as tests/api/video_live.test.mjs (needs ffmpeg to make the stream).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, dbExec } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, logTime, serviceTimePast, siteChannelId, stopWorld, until as waitUntil, videoWorld } from './lib/video.mjs';

let srv, video, videoErr = '', sipPort, mediaPort, psFile, sim;
const users = {};

const sql = (q) => dbExec(srv.db.url, q).trim();
const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });

/** The channel's id, bound to a new project of code in region org. */
const bind = (gbId, code, org) => siteChannelId(sql, until, gbId, code, `录像计划测试工地 ${code}`, org);

/** Wait until the video service's clock is 3 s (a 2 s segment and a second more) past the first line
 * of its log from mark on that includes text: had it gone on recording, a segment would be indexed. */
const segmentPast = (mark, text) => serviceTimePast(sql, until, logTime(videoErr.slice(mark), text) + 3000);

before(async () => {
  ({ srv, video, sipPort, mediaPort, psFile, sim } = await videoWorld({ onErr: (d) => { videoErr += d; } }));
  for (const u of ['gulou', 'gulou_chief', 'province']) users[u] = await session(srv, u);
});

after(() => stopWorld({ srv, video, sim }));

test('a plan set through the API records segments; switched off it stops; deleted it is gone; audited', async () => {
  const ch = '35010200001310000001';
  const id = await bind(ch, 'VIDEO-RP-GL', '350102');
  const path = `/api/v1/video/channels/${id}/record-plan`;
  const none = await as(srv, users.gulou_chief, path);
  assert.equal(none.status, 200, none.text);
  assert.equal(none.json.configured, false);
  assert.equal(none.json.enabled, false);
  assert.equal(none.json.segments, 0);
  // on: 2 s segments, kept 7 days
  const on = await as(srv, users.gulou_chief, path, { method: 'PUT', body: { enabled: true, segment_s: 2, retention_days: 7 } });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.configured, true);
  assert.equal(on.json.enabled, true);
  assert.equal(on.json.segment_s, 2);
  assert.equal(on.json.retention_days, 7);
  assert.equal(on.json.gb_id, ch);
  assert.equal(sql(`SELECT enabled || '|' || segment_s || '|' || retention_days FROM video_record_plan WHERE channel_gb_id = '${ch}'`), '1|2|7');
  // record.c reads it and records
  await until('the recording starts', () => new RegExp(`recording ${DEVICE}/${ch}`).test(videoErr), 15000);
  await until('2 segments indexed', () => Number(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`)) >= 2, 30000);
  const got = await as(srv, users.gulou_chief, path);
  assert.ok(got.json.segments >= 2 && got.json.segment_bytes > 0 && got.json.last_segment_end > 0, got.text);
  const audits = () => sql(`SELECT detail FROM audit_log WHERE action LIKE 'video.record_plan%' AND record_id = '${id}' ORDER BY id`).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  let a = audits();
  assert.equal(a.length, 1);
  assert.equal(a[0].before, null);
  assert.deepEqual(a[0].after, { enabled: true, segment_s: 2, retention_days: 7, schedule: null });
  // off: recording stops, the plan stays; the segments stay (retention is by age)
  const mark = videoErr.length;
  const off = await as(srv, users.gulou_chief, path, { method: 'PUT', body: { enabled: false } });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.enabled, false);
  assert.equal(off.json.segment_s, 600, 'segment_s absent: the default');
  assert.equal(off.json.retention_days, null);
  await until('the recording stops', () => new RegExp(`recording of ${DEVICE}/${ch} stops`).test(videoErr.slice(mark)), 10000);
  const n = Number(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`));
  await segmentPast(mark, `recording of ${DEVICE}/${ch} stops`);
  assert.ok(Number(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`)) <= n + 1, 'no new segments once off');
  a = audits();
  assert.equal(a.length, 2);
  assert.deepEqual(a[1].before, { enabled: true, segment_s: 2, retention_days: 7, schedule: null });
  assert.deepEqual(a[1].after, { enabled: false, segment_s: 600, retention_days: null, schedule: null });
  // delete
  const del = await as(srv, users.gulou_chief, path, { method: 'DELETE' });
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.configured, false);
  assert.equal(sql(`SELECT COUNT(*) FROM video_record_plan WHERE channel_gb_id = '${ch}'`), '0');
  a = audits();
  assert.equal(a.length, 3);
  assert.equal(a[2].after, null);
  const again = await as(srv, users.gulou_chief, path, { method: 'DELETE' });
  assert.equal(again.status, 404);
  assertError(again.json, 'not_found');
  assert.equal(audits().length, 3, 'nothing deleted, nothing audited');
});

test('a weekly schedule: outside its windows nothing records; inside it records; out again it pauses', async () => {
  const ch = '35010200001310000001';
  const id = await bind(ch, 'VIDEO-RP-GL', '350102');
  const path = `/api/v1/video/channels/${id}/record-plan`;
  const today = new Date(Date.now() + 8 * 3600 * 1000).getUTCDay() || 7; // Beijing time, Monday 1
  const other = (today % 7) + 1;
  const segs = () => Number(sql(`SELECT COUNT(*) FROM video_record_segment WHERE channel_gb_id = '${ch}'`));
  const before0 = segs();
  const mark = videoErr.length;
  const off = await as(srv, users.gulou_chief, path, { method: 'PUT', body: { enabled: true, segment_s: 2, schedule: [{ days: [other, other], start: '00:00', end: '24:00' }] } });
  assert.equal(off.status, 200, off.text);
  assert.deepEqual(off.json.schedule, [{ days: [other], start: '00:00', end: '24:00' }], 'days normalised');
  await until('paused outside its schedule', () => new RegExp(`recording of ${DEVICE}/${ch} paused \\(outside its schedule\\)`).test(videoErr.slice(mark)), 10000);
  await segmentPast(mark, `recording of ${DEVICE}/${ch} paused (outside its schedule)`);
  assert.equal(segs(), before0, 'nothing recorded outside the schedule');
  assert.doesNotMatch(videoErr.slice(mark), new RegExp(`video: recording ${DEVICE}/${ch}\\n`));
  // today all day (and a second window): it records
  const on = await as(srv, users.gulou_chief, path, { method: 'PUT', body: { enabled: true, segment_s: 2, schedule: [{ days: [today], start: '00:00', end: '24:00' }, { days: [other], start: '08:00', end: '09:30' }] } });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.schedule.length, 2);
  await until('2 segments in the schedule', () => segs() >= before0 + 2, 30000);
  // out of the schedule again: the open segment is closed and indexed, then nothing more
  const mark2 = videoErr.length;
  assert.equal((await as(srv, users.gulou_chief, path, { method: 'PUT', body: { enabled: true, segment_s: 2, schedule: [{ days: [other], start: '00:00', end: '24:00' }] } })).status, 200);
  await until('paused again', () => /paused \(outside its schedule\)/.test(videoErr.slice(mark2)), 10000);
  const n = segs();
  await segmentPast(mark2, 'paused (outside its schedule)');
  assert.ok(segs() <= n + 1, 'no new segments once paused');
  const audit = sql(`SELECT detail FROM audit_log WHERE action = 'video.record_plan' AND record_id = '${id}' ORDER BY id DESC LIMIT 1`);
  assert.deepEqual(JSON.parse(audit).after.schedule, [{ days: [other], start: '00:00', end: '24:00' }]);
  assert.equal((await as(srv, users.gulou_chief, path, { method: 'DELETE' })).status, 200);
  const list = await as(srv, users.gulou_chief, '/api/v1/video/record-plans');
  assert.equal(list.json.items.find((i) => i.gb_id === ch), undefined);
});

test('validation: 400 with Chinese field errors, nothing written', async () => {
  const id = await bind('35010200001310000002', 'VIDEO-RP-GL', '350102');
  const path = `/api/v1/video/channels/${id}/record-plan`;
  const cases = [
    [{}, 'enabled'],
    [{ enabled: 1 }, 'enabled'],
    [{ enabled: true, segment_s: 1 }, 'segment_s'],
    [{ enabled: true, segment_s: 3601 }, 'segment_s'],
    [{ enabled: true, segment_s: '60' }, 'segment_s'],
    [{ enabled: true, retention_days: 0 }, 'retention_days'],
    [{ enabled: true, retention_days: 3651 }, 'retention_days'],
    [{ enabled: true, schedule: [] }, 'schedule'],
    [{ enabled: true, schedule: {} }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [8], start: '08:00', end: '18:00' }] }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [], start: '08:00', end: '18:00' }] }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [1], start: '18:00', end: '08:00' }] }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [1], start: '8:00', end: '18:00' }] }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [1], start: '08:00', end: '24:01' }] }, 'schedule'],
    [{ enabled: true, schedule: [{ days: [1], start: '08:00', end: '18:00', note: 'x' }] }, 'schedule'],
    [{ enabled: true, schedule: Array.from({ length: 29 }, () => ({ days: [1], start: '08:00', end: '09:00' })) }, 'schedule'],
  ];
  for (const [body, field] of cases) {
    const r = await as(srv, users.gulou_chief, path, { method: 'PUT', body });
    assert.equal(r.status, 400, JSON.stringify(body) + r.text);
    const e = assertError(r.json, 'invalid');
    assert.ok(e.fields[field], JSON.stringify(e));
  }
  assert.equal(sql("SELECT COUNT(*) FROM video_record_plan WHERE channel_gb_id = '35010200001310000002'"), '0');
});

test('scope and permission: video.control only; a channel of another city 404; the list shows plans in scope', async () => {
  const gl = await bind('35010200001310000002', 'VIDEO-RP-GL', '350102');
  const xm = await bind('35010200001310000003', 'VIDEO-RP-XM', '350203');
  // the inspector may view video but not control it
  const insp = await as(srv, users.gulou, `/api/v1/video/channels/${gl}/record-plan`, { method: 'PUT', body: { enabled: false } });
  assert.equal(insp.status, 403, insp.text);
  assert.equal((await as(srv, users.gulou, '/api/v1/video/record-plans')).status, 403);
  // Xiamen's channel is not 鼓楼's
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const r = await as(srv, users.gulou_chief, `/api/v1/video/channels/${xm}/record-plan`, { method, body: method === 'PUT' ? { enabled: false } : undefined });
    assert.equal(r.status, 404, method + r.text);
    assertError(r.json, 'not_found');
  }
  // the province may set both (disabled plans: nothing records)
  for (const id of [gl, xm]) {
    const r = await as(srv, users.province, `/api/v1/video/channels/${id}/record-plan`, { method: 'PUT', body: { enabled: false, segment_s: 300 } });
    assert.equal(r.status, 200, r.text);
  }
  const mine = await as(srv, users.gulou_chief, '/api/v1/video/record-plans');
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(mine.json.items.map((i) => i.gb_id), ['35010200001310000002']);
  assert.equal(mine.json.items[0].segment_s, 300);
  assert.equal(mine.json.items[0].channel_id, gl);
  const all = await as(srv, users.province, '/api/v1/video/record-plans?enabled=0&size=1');
  assert.equal(all.status, 200);
  assert.equal(all.json.items.length, 1);
  assert.equal(all.json.has_more, true);
  const bad = await as(srv, users.province, '/api/v1/video/record-plans?enabled=2');
  assert.equal(bad.status, 400);
  assertError(bad.json, 'invalid');
});
