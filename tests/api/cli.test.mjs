// The command line: verbs, arguments, configuration, migrations, seed, backup and restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, dbKind, freshDatabase } from './lib/harness.mjs';
import { run, dbExec, spawnServe, req } from './lib/checks.mjs';

let top;
let template; // a migrated and seeded database that seeded() copies (seeding hashes passwords: slow under ASan)
const TEMPLATE_PROJECTS = 30;
const drops = [];
let serial = 0;
/** A fresh, empty database (of the suite's backend) and a working directory for it. */
function fresh() {
  const dir = join(top, `db${++serial}`);
  mkdirSync(dir);
  const db = freshDatabase(dir);
  drops.push(db);
  return { dir, url: db.url, env: { JIANGUAN_DATABASE: db.url, JIANGUAN_LOG_LEVEL: 'warn' } };
}
/** A copy of the template: migrated, seeded with TEMPLATE_PROJECTS projects. */
function seeded() {
  const dir = join(top, `db${++serial}`);
  mkdirSync(dir);
  let url;
  if (dbKind === 'sqlite') {
    url = `sqlite:${join(dir, 'jianguan.db')}`;
    copyFileSync(template.url.slice('sqlite:'.length), url.slice('sqlite:'.length));
  } else {
    const admin = template.url.slice(0, template.url.lastIndexOf('/'));
    const name = 'jgt_' + randomBytes(6).toString('hex');
    execFileSync('psql', [admin + '/postgres', '-qAtXc', `CREATE DATABASE ${name} TEMPLATE ${template.url.slice(admin.length + 1)}`]);
    url = `${admin}/${name}`;
    drops.push({ drop() { try { execFileSync('psql', [admin + '/postgres', '-qAtXc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); } catch { /* best effort */ } } });
  }
  assert.equal(count(url, 'SELECT COUNT(*) FROM project'), TEMPLATE_PROJECTS);
  return { dir, url, env: { JIANGUAN_DATABASE: url, JIANGUAN_LOG_LEVEL: 'warn' } };
}
const count = (url, sql) => Number(dbExec(url, sql).trim());

before(() => {
  top = mkdtempSync(join(tmpdir(), 'jianguan-cli-'));
  const f = fresh();
  assert.equal(run(f.env, ['migrate'], { cwd: f.dir }).status, 0);
  const s = run(f.env, ['seed-demo', '--projects', String(TEMPLATE_PROJECTS)], { cwd: f.dir });
  assert.equal(s.status, 0, s.stderr);
  template = { ...f, seedOutput: s.stdout };
});
after(() => {
  for (const d of drops) d.drop();
  rmSync(top, { recursive: true, force: true });
});

/** Configuration keys as declared in src/base/config.c: [{ key, numeric }]. */
function declaredKeys() {
  const src = readFileSync(join(root, 'src/base/config.c'), 'utf8');
  const keys = [...src.matchAll(/^\s*([SEN])\((\w+),/gm)].map((m) => ({ key: m[2], numeric: m[1] === 'N' }));
  assert.ok(keys.length >= 10, 'config.c declares its keys with S(...) / E(...) / N(...) rows');
  return keys;
}
/** `help config` as { key: default }. */
function helpConfig() {
  const r = run({}, ['help', 'config'], { cwd: top });
  assert.equal(r.status, 0);
  const out = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const m = /^(\w+)\s+default\s+(\S+)\s+\S/.exec(line);
    assert.ok(m, `a key line: ${line}`);
    out[m[1]] = m[2];
  }
  return out;
}

test('bad command lines exit 2 with the usage on stderr, before touching the database', () => {
  const env = { JIANGUAN_DATABASE: `sqlite:${top}/never/never.db` };
  const lines = [[], ['frobnicate'], ['--frob'], ['--frob', 'version'], ['--config'], ['-x', 'migrate'], ['migrate', 'extra'],
    ['serve', '--port', '1'], ['version', 'x'], ['backup'], ['backup', 'a', 'b'], ['backup', '--file'], ['restore', '-x'],
    ['seed-demo', '--projects'], ['seed-demo', '--projects', 'abc'], ['seed-demo', '--projects', '-1'], ['seed-demo', '--projects', '1.5'],
    ['seed-demo', '--bogus'], ['seed-demo', '5'], ['SERVE']];
  for (const args of lines) {
    const r = run(env, args, { cwd: top });
    assert.equal(r.status, 2, `jianguan ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage: jianguan/, `usage for: ${args.join(' ')}`);
    assert.equal(r.stdout, '', `nothing on stdout for: ${args.join(' ')}`);
  }
  assert.ok(!existsSync(join(top, 'never')), 'no database was created');
});

test('seed-demo --projects abc exits 2', () => {
  const f = fresh();
  assert.equal(run(f.env, ['migrate'], { cwd: f.dir }).status, 0);
  const r = run(f.env, ['seed-demo', '--projects', 'abc'], { cwd: f.dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /seed-demo/);
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), 0);
});

test('--help, -h and help print the usage on stdout and exit 0', () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = run({}, args, { cwd: top });
    assert.equal(r.status, 0, args.join(' '));
    assert.match(r.stdout, /usage: jianguan/);
    for (const verb of ['serve', 'migrate', 'seed-demo', 'backup', 'restore', 'version', 'help']) assert.match(r.stdout, new RegExp(`^  ${verb}\\b`, 'm'));
  }
});

test('version names the schema the binary was built with', () => {
  const r = run({}, ['version'], { cwd: top });
  assert.equal(r.status, 0);
  const m = /^jianguan (\S+) \((\S+)\), schema (\d+)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const latest = Math.max(...readdirSync(join(root, 'src/db/migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).map((f) => Number(f.slice(0, 4))));
  assert.equal(Number(m[3]), latest);
});

test('help config lists every configuration key with its default', () => {
  const listed = helpConfig();
  assert.deepEqual(Object.keys(listed), declaredKeys().map((k) => k.key));
});

const confDoc = join(root, 'docs/configuration.md');
test('every key of help config is documented in docs/configuration.md as JIANGUAN_<KEY>', () => {
  const doc = readFileSync(confDoc, 'utf8');
  const missing = [];
  for (const [key, def] of Object.entries(helpConfig())) {
    const env = 'JIANGUAN_' + key.toUpperCase();
    const line = doc.split('\n').find((l) => new RegExp(`\\b${env}\\b`).test(l) && l.startsWith('|'));
    if (!line) { missing.push(env); continue; }
    assert.ok(line.includes(def), `the documented default of ${env} is ${def}: ${line}`);
  }
  assert.deepEqual(missing, []);
});

test('every numeric JIANGUAN_* variable is read: a bad value exits 2 naming it', () => {
  for (const { key, numeric } of declaredKeys()) {
    if (!numeric) continue;
    const name = 'JIANGUAN_' + key.toUpperCase();
    for (const bad of ['x', '99999999999']) {
      const r = run({ JIANGUAN_DATABASE: `sqlite:${top}/never/x.db`, [name]: bad }, ['migrate'], { cwd: top });
      assert.equal(r.status, 2, `${name}=${bad}`);
      assert.match(r.stderr, new RegExp(name), `${name}=${bad}: ${r.stderr}`);
    }
  }
});

test('migrate twice is idempotent, and seed-demo twice adds nothing twice', () => {
  const f = fresh();
  let r = run(f.env, ['migrate'], { cwd: f.dir });
  assert.equal(r.status, 0, r.stderr);
  const m = /schema at version (\d+) \((\d+) migrations applied\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[2]) >= 1);
  const rows = count(f.url, 'SELECT COUNT(*) FROM schema_migrations');
  assert.equal(rows, Number(m[2]));
  r = run(f.env, ['migrate'], { cwd: f.dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`schema at version ${m[1]} \\(0 migrations applied\\)`));
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM schema_migrations'), rows);
  for (let i = 0; i < 2; i++) assert.equal(run(f.env, ['seed-demo', '--projects', '25'], { cwd: f.dir }).status, 0);
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), 25);
  assert.equal(count(f.url, "SELECT COUNT(*) FROM app_user WHERE username = 'admin'"), 1);
});

test('serve on a database that was never migrated refuses and says to migrate', () => {
  const f = fresh();
  const r = run({ ...f.env, JIANGUAN_LISTEN: '127.0.0.1:0', JIANGUAN_LOG_LEVEL: 'info' }, ['serve'], { cwd: f.dir });
  assert.ok(r.status !== 0 && r.status !== null, `exit status ${r.status} (${r.signal})`);
  assert.match(r.stderr, /migrate/);
  assert.doesNotMatch(r.stderr, /listening on/);
});

test('serve and migrate refuse a database newer than the binary', () => {
  const f = seeded();
  dbExec(f.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '2030-01-01T00:00:00Z')");
  const s = run({ ...f.env, JIANGUAN_LISTEN: '127.0.0.1:0' }, ['serve'], { cwd: f.dir });
  assert.ok(s.status !== 0 && s.status !== null, `serve exit status ${s.status} (${s.signal})`);
  assert.match(s.stderr, /newer/);
  assert.doesNotMatch(s.stderr, /listening on/);
  const m = run(f.env, ['migrate'], { cwd: f.dir });
  assert.ok(m.status !== 0 && m.status !== null, `migrate exit status ${m.status}`);
  assert.match(m.stderr, /newer/);
  assert.equal(count(f.url, 'SELECT MAX(version) FROM schema_migrations'), 9999);
});

/** Rows of the first markdown table in text whose header has all of cols: [{col: value}]. */
function markdownTable(text, cols) {
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1])) continue;
    const cells = (l) => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim().replace(/^`|`$/g, ''));
    const head = cells(lines[i]);
    if (!cols.every((c) => head.includes(c))) continue;
    const rows = [];
    for (let k = i + 2; k < lines.length && lines[k].startsWith('|'); k++) {
      const c = cells(lines[k]);
      rows.push(Object.fromEntries(cols.map((col) => [col, c[head.indexOf(col)]])));
    }
    return rows;
  }
  return null;
}

const accountsDoc = join(root, 'docs/demo-accounts.md');
test('seed-demo prints the accounts of docs/demo-accounts.md', () => {
  const cols = ['username', 'password', 'role', 'org_code'];
  const printed = markdownTable(template.seedOutput, cols);
  assert.ok(printed && printed.length >= 1, 'seed-demo prints an accounts table: ' + template.seedOutput);
  const documented = markdownTable(readFileSync(accountsDoc, 'utf8'), cols);
  assert.ok(documented, 'docs/demo-accounts.md has a table with ' + cols.join(', '));
  assert.deepEqual(documented, printed);
  // and those accounts are in the database
  for (const a of printed) assert.equal(dbExec(template.url, `SELECT role || ' ' || org_code FROM app_user WHERE username = '${a.username}'`).trim(), `${a.role} ${a.org_code}`);
});

test('backup, delete, restore: the rows are back', () => {
  const f = seeded();
  const file = join(f.dir, 'backup.bin');
  let r = run(f.env, ['backup', file], { cwd: f.dir });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(file).length > 0);
  const before = dbExec(f.url, 'SELECT id, code, name FROM project ORDER BY id');
  dbExec(f.url, 'DELETE FROM project WHERE id <= 10');
  dbExec(f.url, "UPDATE project SET name = 'changed' WHERE id = 20");
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), TEMPLATE_PROJECTS - 10);
  r = run(f.env, ['restore', file], { cwd: f.dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), TEMPLATE_PROJECTS);
  assert.equal(dbExec(f.url, 'SELECT id, code, name FROM project ORDER BY id'), before);
  // and the server starts on the restored database
  r = run(f.env, ['migrate'], { cwd: f.dir });
  assert.match(r.stdout, /\(0 migrations applied\)/);
});

test('backup and restore fail cleanly on bad files', () => {
  const f = seeded();
  let r = run(f.env, ['backup', join(f.dir, 'no/such/dir/backup.bin')], { cwd: f.dir });
  assert.ok(r.status !== 0, 'backup into a missing directory fails');
  const garbage = join(f.dir, 'garbage.bin');
  writeFileSync(garbage, 'this is not a backup\n'.repeat(100));
  r = run(f.env, ['restore', garbage], { cwd: f.dir });
  assert.ok(r.status !== 0, 'restore from garbage fails');
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), TEMPLATE_PROJECTS, 'and leaves the data alone');
  r = run(f.env, ['restore', join(f.dir, 'missing.bin')], { cwd: f.dir });
  assert.ok(r.status !== 0, 'restore from a missing file fails');
  assert.equal(count(f.url, 'SELECT COUNT(*) FROM project'), TEMPLATE_PROJECTS);
});

test('--config FILE is honoured and JIANGUAN_* variables override it', async () => {
  const f = seeded();
  const conf = join(f.dir, 'test.conf');
  writeFileSync(conf, [
    '# test configuration',
    'listen = 127.0.0.1:0',
    `database = ${f.url}`,
    `web_dir = ${f.dir}`,
    'access_log = off',
    '',
    '  threads   =   3  ',
    'max_page_size = 5',
  ].join('\n') + '\n');
  let s = await spawnServe({}, ['--config', conf, 'serve'], { cwd: f.dir });
  try {
    assert.match(s.stderr(), /listening on http:\/\/127\.0\.0\.1:\d+ \(3 threads/);
    assert.equal((await req(s.url + '/api/v1/public/projects?size=5')).status, 200);
    assert.equal((await req(s.url + '/api/v1/public/projects?size=6')).status, 400);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  s = await spawnServe({ JIANGUAN_THREADS: '2', JIANGUAN_MAX_PAGE_SIZE: '7' }, ['--config', conf, 'serve'], { cwd: f.dir });
  try {
    assert.match(s.stderr(), /\(2 threads/);
    assert.equal((await req(s.url + '/api/v1/public/projects?size=7')).status, 200);
    assert.equal((await req(s.url + '/api/v1/public/projects?size=8')).status, 400);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('configuration file errors exit 2 and say where', () => {
  const dir = join(top, 'conf');
  mkdirSync(dir, { recursive: true });
  const cases = [
    ['listen = 127.0.0.1:0\nbogus_key = 1\n', /bogus_key/, /:2\b/],
    ['threads = many\n', /threads/, /:1\b/],
    ['threads = 0\n', /threads/, /:1\b/],
    ['# ok\nlisten 127.0.0.1:0\n', /key = value|=/, /:2\b/],
    ['LISTEN = 127.0.0.1:0\n', /LISTEN/, /:1\b/],
  ];
  for (const [i, [text, what, where]] of cases.entries()) {
    const conf = join(dir, `bad${i}.conf`);
    writeFileSync(conf, text);
    const r = run({ JIANGUAN_DATABASE: `sqlite:${dir}/never.db` }, ['--config', conf, 'migrate'], { cwd: dir });
    assert.equal(r.status, 2, JSON.stringify(text));
    assert.match(r.stderr, what, r.stderr);
    assert.match(r.stderr, new RegExp(conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + where.source), r.stderr);
  }
  const r = run({}, ['--config', join(dir, 'missing.conf'), 'migrate'], { cwd: dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing\.conf/);
  assert.ok(!existsSync(join(dir, 'never.db')));
});

test('./jianguan.conf is read when there is no --config', () => {
  const dir = join(top, 'cwdconf');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'jianguan.conf'), 'not_a_key = 1\n');
  const r = run({ JIANGUAN_DATABASE: `sqlite:${dir}/x.db` }, ['migrate'], { cwd: dir });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /jianguan\.conf:1: unknown key not_a_key/);
});
