'use strict';
// Peer server for bench/api_read.sh: the public project read API of jianguan,
// written the way a competent Node.js team would write and deploy it.
//
// Stack: fastify 5 + pg 8 (pure-JS driver, a pg.Pool per process), nothing else.
//   - Named (server-side prepared) queries, the same SQL jianguan runs.
//   - Response schemas, so fastify serialises with fast-json-stringify
//     (the idiomatic fastify way, faster than JSON.stringify).
//   - int8 (BIGSERIAL id) parsed to a JS number, as teams do for ids < 2^53.
//   - Request logging off (jianguan runs with its access log off in the bench).
//
// Deployment choice: the node `cluster` module with one worker per core
// (PEER_WORKERS, default = number of CPUs, i.e. 2 on the bench machine), the
// same thing `pm2 start -i max` does. That is what a Node team puts behind a
// load balancer on a 2-core box; a single process would leave a core idle.
// PEER_WORKERS=1 runs the plain single-process baseline (no cluster master).
// bench/api_read.sh measures both deployments and holds jianguan to the
// faster one: on a box whose 2 cores are shared with PostgreSQL and the load
// generator, the second worker does not always pay for itself.
//
// Environment:
//   PEER_LISTEN     host:port to listen on (default 127.0.0.1:18081)
//   DATABASE_URL    postgresql://user@host:port/db (required)
//   PEER_WORKERS    worker processes (default: os.availableParallelism())
//   PEER_POOL_MAX   pg.Pool size per worker (default 10, pg's own default)

const cluster = require('node:cluster');
const os = require('node:os');

const workers = parseInt(process.env.PEER_WORKERS || String(os.availableParallelism()), 10);

if (workers > 1 && cluster.isPrimary) {
  let shuttingDown = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    if (!shuttingDown) {
      console.error(`peer: worker ${w.process.pid} died (${signal || code}), restarting`);
      cluster.fork();
    }
  });
  const stop = () => {
    shuttingDown = true;
    for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  startWorker();
}

function startWorker() {
  const Fastify = require('fastify');
  const pg = require('pg');

  pg.types.setTypeParser(20, (v) => parseInt(v, 10)); // int8 -> number

  const listen = process.env.PEER_LISTEN || '127.0.0.1:18081';
  const sep = listen.lastIndexOf(':');
  const host = listen.slice(0, sep);
  const port = parseInt(listen.slice(sep + 1), 10);

  if (!process.env.DATABASE_URL) {
    console.error('peer: DATABASE_URL is not set');
    process.exit(2);
  }
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: parseInt(process.env.PEER_POOL_MAX || '10', 10),
  });
  pool.on('error', (err) => console.error('peer: idle client error', err.message));

  const COLS = 'id, code, name, org_code, address, owner_name, contractor_name, ' +
    'supervisor_firm_name, status, registered_on, area_m2, cost_wan, updated_at, version';

  const Q_BY_ID = `SELECT ${COLS} FROM project WHERE id = $1`;
  // The same deferred join as jianguan: ids from the index, then only the page's rows.
  const DESC = 'ORDER BY registered_on DESC, id DESC';
  const ASC = 'ORDER BY registered_on ASC, id ASC';
  const Q_LIST = {
    'desc:status': `SELECT ${COLS} FROM project WHERE id IN (SELECT id FROM project WHERE status IN ($1) ${DESC} LIMIT $2 OFFSET $3) ${DESC}`,
    'asc:status': `SELECT ${COLS} FROM project WHERE id IN (SELECT id FROM project WHERE status IN ($1) ${ASC} LIMIT $2 OFFSET $3) ${ASC}`,
    'desc:all': `SELECT ${COLS} FROM project WHERE id IN (SELECT id FROM project ${DESC} LIMIT $1 OFFSET $2) ${DESC}`,
    'asc:all': `SELECT ${COLS} FROM project WHERE id IN (SELECT id FROM project ${ASC} LIMIT $1 OFFSET $2) ${ASC}`,
  };

  const projectSchema = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      code: { type: 'string' },
      name: { type: 'string' },
      org_code: { type: 'string' },
      address: { type: 'string' },
      owner_name: { type: 'string' },
      contractor_name: { type: 'string' },
      supervisor_firm_name: { type: 'string' },
      status: { type: 'string' },
      registered_on: { type: 'string' },
      area_m2: { type: ['number', 'null'] },
      cost_wan: { type: ['number', 'null'] },
      updated_at: { type: 'string' },
      version: { type: 'integer' },
    },
  };
  const errorSchema = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  };
  const notFound = { error: { code: 'not_found', message: '记录不存在' } };
  const badRequest = (message) => ({ error: { code: 'invalid_argument', message } });

  const app = Fastify({ logger: false });

  app.setErrorHandler((err, req, reply) => {
    console.error('peer: request failed:', err.message);
    reply.code(500).send({ error: { code: 'internal', message: '服务器内部错误' } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/api/v1/public/projects/:id', {
    schema: { response: { 200: projectSchema, 404: errorSchema } },
  }, async (req, reply) => {
    const raw = req.params.id;
    if (!/^[0-9]{1,18}$/.test(raw)) return reply.code(404).send(notFound);
    const { rows } = await pool.query({ name: 'project_by_id', text: Q_BY_ID, values: [raw] });
    if (rows.length === 0) return reply.code(404).send(notFound);
    return rows[0];
  });

  app.get('/api/v1/public/projects', {
    schema: {
      response: {
        200: {
          type: 'object',
          properties: {
            items: { type: 'array', items: projectSchema },
            page: { type: 'integer' },
            size: { type: 'integer' },
            has_more: { type: 'boolean' },
          },
        },
        400: errorSchema,
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const page = q.page === undefined ? 1 : Number(q.page);
    const size = q.size === undefined ? 20 : Number(q.size);
    if (!Number.isInteger(page) || page < 1 || page > 100000) return reply.code(400).send(badRequest('page 参数无效'));
    if (!Number.isInteger(size) || size < 1 || size > 100) return reply.code(400).send(badRequest('size 参数无效'));
    const sort = q.sort === undefined ? '-registered_on' : q.sort;
    let dir;
    if (sort === '-registered_on') dir = 'desc';
    else if (sort === 'registered_on') dir = 'asc';
    else return reply.code(400).send(badRequest('sort 参数无效'));

    const key = `${dir}:${q.status === undefined ? 'all' : 'status'}`;
    const limit = size + 1;
    const offset = (page - 1) * size;
    const values = q.status === undefined ? [limit, offset] : [String(q.status), limit, offset];
    const { rows } = await pool.query({ name: `project_list_${key}`, text: Q_LIST[key], values });
    const hasMore = rows.length > size;
    if (hasMore) rows.length = size;
    return { items: rows, page, size, has_more: hasMore };
  });

  const close = async () => {
    try { await app.close(); await pool.end(); } finally { process.exit(0); }
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);

  app.listen({ host, port }).catch((err) => {
    console.error('peer: listen failed:', err.message);
    process.exit(1);
  });
}
