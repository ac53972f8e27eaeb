// Video channels bound to projects (issue 8) and every video route in the caller's data scope: a
// county inspector sees only his county's sites' channels, a city its counties', unbound channels
// only the province. Binding (PUT/DELETE /api/v1/video/channels/{id}/project) needs video.control,
// a project in the caller's scope, and is audited with before and after. The tree of the video
// wall and the device list follow the same scope. Runs `jianguan video` and gbsim (no media).
//
// Environment: JIANGUAN_TEST_BIN as for the other API tests; JIANGUAN_TEST_GBSIM (default: gbsim
// beside the jianguan binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/harness.mjs';
import { dbExec, freePort, req } from './lib/checks.mjs';
import { session, as } from './lib/auth.mjs';
import { DEVICE, PASSWORD, gbsim as startGbsim, startVideo, until as waitUntil } from './lib/video.mjs';

const OTHER_DEVICE = '35010200001180000050';
const CH = [1, 2, 3, 4].map((i) => `3501020000131000000${i}`);
let srv, video, videoErr = '', sipPort, sims = [], ids = {}, projects = {}, users = {};

const sql = (q) => dbExec(srv.db.url, q).trim();

const until = (what, fn, ms) => waitUntil(what, fn, { ms, proc: video, log: () => videoErr });

function gbsim(args) {
  const sim = startGbsim(sipPort, null, args);
  sims.push(sim.child);
  return sim.child;
}

function project(code, name, org) {
  sql("INSERT INTO project (code, name, org_code, status, registered_on, created_at, updated_at) VALUES " +
    `('${code}', '${name}', '${org}', 'under_construction', '2026-02-01', '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z')`);
  return Number(sql(`SELECT id FROM project WHERE code = '${code}'`));
}

const bind = (who, id, body) => as(srv, users[who], `/api/v1/video/channels/${id}/project`, { method: 'PUT', body });
const unbind = (who, id) => as(srv, users[who], `/api/v1/video/channels/${id}/project`, { method: 'DELETE' });
const get = (who, path) => as(srv, users[who], path);
const channelsOf = async (who, q = '') => {
  const r = await get(who, `/api/v1/video/channels${q}`);
  assert.equal(r.status, 200, r.text);
  return r.json.items.map((c) => c.gb_id).sort();
};

before(async () => {
  const mediaPort = await freePort();
  srv = await startServer({
    projects: 5,
    env: {
      JIANGUAN_VIDEO_SIP_LISTEN: '127.0.0.1:0',
      JIANGUAN_VIDEO_SIP_PASSWORD: PASSWORD,
      JIANGUAN_VIDEO_MEDIA_LISTEN: `127.0.0.1:${mediaPort}`,
      JIANGUAN_VIDEO_KEEPALIVE_INTERVAL_S: '2',
      JIANGUAN_VIDEO_KEEPALIVE_FLUSH_S: '1',
    },
  });
  ({ proc: video, sipPort } = await startVideo(srv, (d) => { videoErr += d; }));
  gbsim(['--devices', '1', '--channels', '4']);
  gbsim(['--devices', '1', '--channels', '1', '--first-serial', '50', '--ip-base', '127.0.4.1']);
  await until('both devices online with their channels', () =>
    sql(`SELECT COUNT(*) FROM video_device WHERE online = 1`) === '2' && sql('SELECT COUNT(*) FROM video_channel') === '5');
  for (const gb of [...CH, '35010200001310000050']) ids[gb] = Number(sql(`SELECT id FROM video_channel WHERE gb_id = '${gb}'`));
  projects.gulou = project('VS-GL-1', '鼓楼区视频测试工地一', '350102');
  projects.gulou2 = project('VS-GL-2', '鼓楼区视频测试工地二', '350102');
  projects.taijiang = project('VS-TJ-1', '台江区视频测试工地', '350103');
  projects.xiamen = project('VS-XM-1', '思明区视频测试工地', '350203');
  for (const u of ['province', 'fuzhou', 'gulou', 'gulou_chief', 'xiamen', 'contractor']) users[u] = await session(srv, u);
});

after(async () => {
  for (const s of sims) if (s.exitCode === null) s.kill('SIGKILL');
  if (video && video.exitCode === null) video.kill('SIGKILL');
  if (srv) await srv.stop();
});

test('unbound channels are seen by the province only', async () => {
  assert.equal((await req(`${srv.url}/api/v1/video/channels`)).status, 401);
  assert.equal((await get('contractor', '/api/v1/video/channels')).status, 403);
  assert.deepEqual(await channelsOf('province'), [...CH, '35010200001310000050'].sort());
  assert.deepEqual(await channelsOf('province', '?unbound=1&size=2'), CH.slice(0, 2));
  assert.deepEqual(await channelsOf('gulou'), []);
  assert.deepEqual(await channelsOf('fuzhou'), []);
  assert.equal((await get('gulou', `/api/v1/video/channels/${ids[CH[0]]}/live`)).status, 404);
  assert.equal((await get('province', `/api/v1/video/channels/${ids[CH[0]]}/live`)).status, 200);
  assert.equal((await get('gulou', `/api/v1/video/devices/${DEVICE}`)).status, 404);
  const tree = await get('province', '/api/v1/video/tree');
  assert.equal(tree.status, 200, tree.text);
  assert.deepEqual(tree.json.items, [{ kind: 'unbound', name: '未绑定项目', channels: 5, online: 5 }]);
  assert.deepEqual((await get('gulou', '/api/v1/video/tree')).json.items, []);
  const bad = await get('province', '/api/v1/video/channels?project_id=x&online=2&device_gb_id=12&org_code=3');
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.json.error.fields).sort(), ['device_gb_id', 'online', 'org_code', 'project_id']);
});

test('binding: video.control, a project in the caller\'s scope, validated and audited', async () => {
  const id = ids[CH[0]];
  assert.equal((await bind('gulou', id, { project_id: projects.gulou })).status, 403); // inspector: view only
  // An unbound channel is outside the 鼓楼 chief's scope, so he cannot even find it.
  assert.equal((await bind('gulou_chief', id, { project_id: projects.gulou })).status, 404);
  assert.equal((await bind('province', 999999, { project_id: projects.gulou })).status, 404);
  let r = await bind('province', id, { project_id: 0, longitude: 119.3, colour: 1 });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(Object.keys(r.json.error.fields).sort(), ['colour', 'latitude', 'project_id']);
  r = await bind('province', id, { project_id: 999999, longitude: 200, latitude: 26 });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json.error.fields).sort(), ['longitude', 'project_id']);
  r = await bind('province', id, { project_id: projects.gulou, longitude: 119.2965, latitude: 26.0745 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.project_id, projects.gulou);
  assert.equal(r.json.project_name, '鼓楼区视频测试工地一');
  assert.equal(r.json.org_code, '350102');
  assert.equal(r.json.site_longitude, 119.2965);
  assert.equal(r.json.site_latitude, 26.0745);
  assert.ok(r.json.bound_at);
  for (const [gb, p] of [[CH[1], 'taijiang'], [CH[2], 'xiamen']])
    assert.equal((await bind('province', ids[gb], { project_id: projects[p] })).status, 200);
  const audit = sql(`SELECT detail FROM audit_log WHERE action = 'video.bind' AND record_id = '${id}'`);
  const detail = JSON.parse(audit);
  assert.equal(detail.before.project_id, null);
  assert.equal(detail.after.project_id, projects.gulou);
  assert.equal(detail.after.site_latitude, 26.0745);
  // The 鼓楼 chief may move his channel between his sites, but not to a 厦门 one.
  r = await bind('gulou_chief', id, { project_id: projects.xiamen });
  assert.equal(r.status, 400, r.text);
  assert.ok(r.json.error.fields.project_id);
  r = await bind('gulou_chief', id, { project_id: projects.gulou2 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.site_longitude, null);
  r = await bind('gulou_chief', id, { project_id: projects.gulou, longitude: 119.2965, latitude: 26.0745 });
  assert.equal(r.status, 200, r.text);
});

test('every video route follows the scope: county, city, another city, province', async () => {
  const [a, b, c, d] = CH.map((g) => ids[g]);
  assert.deepEqual(await channelsOf('gulou'), [CH[0]]);
  assert.deepEqual(await channelsOf('fuzhou'), [CH[0], CH[1]]);
  assert.deepEqual(await channelsOf('xiamen'), [CH[2]]);
  assert.deepEqual(await channelsOf('province', '?unbound=1'), [CH[3], '35010200001310000050']);
  assert.deepEqual(await channelsOf('province', `?project_id=${projects.taijiang}`), [CH[1]]);
  assert.deepEqual(await channelsOf('province', '?org_code=3501'), [CH[0], CH[1]]);
  assert.deepEqual(await channelsOf('fuzhou', '?keyword=%25'), []); // LIKE wildcards match literally
  // Live, PTZ, records, playback and playback control: 404 outside the scope, as if absent.
  const range = 'start=2026-11-25T08:00:00&end=2026-11-25T09:00:00';
  for (const id of [b, c, d]) {
    assert.equal((await get('gulou', `/api/v1/video/channels/${id}/live`)).status, 404, `live ${id}`);
    assert.equal((await get('gulou', `/api/v1/video/channels/${id}/records?${range}`)).status, 404);
    assert.equal((await get('gulou', `/api/v1/video/channels/${id}/playback?${range}`)).status, 404);
    const ptz = await as(srv, users.gulou_chief, `/api/v1/video/channels/${id}/ptz`, { method: 'POST', body: { command: 'up' } });
    assert.equal(ptz.status, 404, `ptz ${id}`);
    const pc = await as(srv, users.gulou, `/api/v1/video/channels/${id}/playback/control`,
      { method: 'POST', body: { start: '2026-11-25T08:00:00', end: '2026-11-25T09:00:00', action: 'pause' } });
    assert.equal(pc.status, 404);
  }
  const live = await get('gulou', `/api/v1/video/channels/${a}/live`);
  assert.equal(live.status, 200, live.text);
  assert.equal(live.json.gb_id, CH[0]);
  assert.equal((await get('xiamen', `/api/v1/video/channels/${c}/live`)).status, 200);
  assert.equal((await get('xiamen', `/api/v1/video/channels/${a}/live`)).status, 404);
  // Devices: visible with one channel in scope; a device with none is the province's alone.
  assert.equal((await get('gulou', `/api/v1/video/devices/${DEVICE}`)).status, 200);
  assert.equal((await get('gulou', `/api/v1/video/devices/${OTHER_DEVICE}`)).status, 404);
  assert.equal((await get('province', `/api/v1/video/devices/${OTHER_DEVICE}`)).status, 200);
  const devs = async (who) => (await get(who, '/api/v1/video/devices')).json.items.map((x) => x.gb_id);
  assert.deepEqual(await devs('gulou'), [DEVICE]);
  assert.deepEqual(await devs('xiamen'), [DEVICE]);
  assert.deepEqual(await devs('province'), [DEVICE, OTHER_DEVICE]);
  const dl = await get('province', '/api/v1/video/devices?online=1&size=1');
  assert.equal(dl.json.items.length, 1);
  assert.equal(dl.json.has_more, true);
  assert.equal(dl.json.items[0].channels, 4);
});

test('the video wall tree: cities, then their projects; unbound for the province', async () => {
  let r = await get('province', '/api/v1/video/tree');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.items.map((n) => [n.kind, n.code ?? null, n.name, n.channels]), [
    ['region', '3501', '福州市', 2], ['region', '3502', '厦门市', 1], ['unbound', null, '未绑定项目', 2]]);
  r = await get('gulou', '/api/v1/video/tree');
  assert.deepEqual(r.json.items.map((n) => [n.kind, n.code, n.channels, n.online]), [['region', '3501', 1, 1]]);
  r = await get('gulou', '/api/v1/video/tree?region=3501');
  assert.equal(r.json.items.length, 1);
  const p = r.json.items[0];
  assert.equal(p.kind, 'project');
  assert.equal(p.id, projects.gulou);
  assert.equal(p.name, '鼓楼区视频测试工地一');
  assert.equal(p.county, '鼓楼区');
  assert.equal(p.longitude, 119.2965);
  r = await get('fuzhou', '/api/v1/video/tree?region=3501');
  assert.deepEqual(r.json.items.map((n) => n.name), ['鼓楼区视频测试工地一', '台江区视频测试工地']);
  assert.deepEqual((await get('xiamen', '/api/v1/video/tree?region=3501')).json.items, []);
  assert.equal((await get('province', '/api/v1/video/tree?region=x')).status, 400);
});

test('unbinding takes a channel out of the county\'s scope; audited', async () => {
  const id = ids[CH[0]];
  const r = await unbind('gulou_chief', id);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.project_id, null);
  assert.equal((await get('gulou', `/api/v1/video/channels/${id}/live`)).status, 404);
  assert.equal((await unbind('gulou_chief', id)).status, 404);
  const detail = JSON.parse(sql(`SELECT detail FROM audit_log WHERE action = 'video.unbind' AND record_id = '${id}'`));
  assert.equal(detail.before.project_id, projects.gulou);
  assert.equal(detail.after.project_id, null);
});
