// jianguan-video.js — a small JavaScript SDK for the video API of the 建设工程监管平台 (issue 8).
// One ES module, no dependencies, for browsers and Node.js 18+ (global fetch).
//
// Two ways to call the API (docs/api/README.md):
//   * an app client (server to server): every request signed with X-App-Key, X-Timestamp, X-Nonce
//     and X-Signature = hex HMAC-SM3(secret, canonical request). Needs SM3, so Node.js (node:crypto,
//     OpenSSL 3 with SM3) or your own `sm3` / `hmacSm3` functions. Never put an app secret in a
//     browser page.
//   * a session: in the platform's own pages (same origin, the jg_session cookie) the SDK reads the
//     CSRF token from /api/v1/auth/me; elsewhere JianguanVideo.login() signs in with a user name and a
//     password encrypted with the server's SM2 key (pass sm-crypto's sm2.doEncrypt as `encrypt`).
//
// Channels are read in the caller's data scope (a channel is bound to a project; unbound channels
// are the province's). Live and playback URLs are signed, expire after video_live_url_ttl_s and
// point at the media node (HTTP-FLV: play with mpegts.js or flv.js). Times are Beijing time
// "YYYY-MM-DDTHH:MM:SS", as the devices keep them.
//
//   import { JianguanVideo } from './jianguan-video.js';
//   const jv = new JianguanVideo({ baseUrl: 'https://jg.example.gov.cn', appKey, appSecret });
//   const { items } = await jv.channels({ online: 1 });
//   const { url } = await jv.liveUrl(items[0].id);           // http(s)://…/live/D/C.flv?exp=&sig=
//   (ws_url: the same stream as WebSocket-FLV, ws(s)://…/live/D/C.flv?exp=&sig=, for mpegts.js)
//   await jv.ptz(items[0].id, 'left', { speed: 100 }); await jv.ptz(items[0].id, 'stop');
//   const recs = await jv.records(items[0].id, '2026-11-25T08:00:00', '2026-11-25T18:00:00');

/** An error answer of the API: status, code and the Chinese message (and field errors). */
export class JianguanError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.name = 'JianguanError';
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

const enc = (s, keepSlash = false) => {
  let out = '';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
};

function canonicalQuery(rawQuery) {
  const pairs = [...new URLSearchParams(rawQuery)].map(([k, v], i) => ({ k: enc(k), v: enc(v), i }));
  pairs.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  return pairs.map((p) => `${p.k}=${p.v}`).join('&');
}

function query(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? '?' + s : '';
}

async function nodeSm3() {
  const { createHash, createHmac, randomBytes } = await import('node:crypto');
  return {
    sm3: (data) => createHash('sm3').update(data).digest('hex'),
    hmacSm3: (key, data) => createHmac('sm3', key).update(data).digest('hex'),
    nonce: () => randomBytes(16).toString('hex'),
  };
}

export class JianguanVideo {
  /**
   * baseUrl: the platform ('' for the same origin). appKey + appSecret: an app client's key and
   * secret (64 hex digits). sm3 / hmacSm3: hex SM3 and HMAC-SM3 where node:crypto is not there.
   * fetch: a fetch implementation (default: the global one).
   */
  constructor({ baseUrl = '', appKey, appSecret, sm3, hmacSm3, fetch: f } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.appKey = appKey;
    this.appSecret = appSecret;
    this.crypto = sm3 && hmacSm3 ? { sm3, hmacSm3, nonce: () => randomHex(16) } : null;
    this.fetch = f || globalThis.fetch.bind(globalThis);
    this.cookie = ''; // Node.js sessions: the jg_session cookie
    this.csrf = '';
  }

  /** A session for a user: encrypt(password, publicKeyHex) must return sm-crypto's C1C3C2 hex. */
  static async login({ baseUrl = '', username, password, encrypt, fetch: f }) {
    const jv = new JianguanVideo({ baseUrl, fetch: f });
    const key = await jv.request('GET', '/api/v1/auth/login-key');
    const r = await jv.request('POST', '/api/v1/auth/login', { username, password: encrypt(password, key.public_key) }, true);
    jv.csrf = r.body.csrf_token;
    const setCookie = r.headers.get('set-cookie');
    if (setCookie) jv.cookie = setCookie.split(';')[0];
    return jv;
  }

  /** The session of the page the SDK runs in (same origin): fetches the CSRF token for writes. */
  static async fromPageSession({ baseUrl = '' } = {}) {
    const jv = new JianguanVideo({ baseUrl });
    const me = await jv.request('GET', '/api/v1/auth/me');
    jv.csrf = me.csrf_token || '';
    return jv;
  }

  async headersFor(method, target, body) {
    const h = { Accept: 'application/json' };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (this.appKey) {
      if (!this.crypto) this.crypto = await nodeSm3();
      const [path, raw = ''] = target.split('?');
      const timestamp = String(Math.floor(Date.now() / 1000)), nonce = this.crypto.nonce();
      const canonical = [method, enc(decodeURIComponent(path), true), canonicalQuery(raw), timestamp, nonce,
        this.crypto.sm3(body ?? '')].join('\n');
      Object.assign(h, { 'X-App-Key': this.appKey, 'X-Timestamp': timestamp, 'X-Nonce': nonce,
        'X-Signature': this.crypto.hmacSm3(this.appSecret, canonical) });
    } else {
      if (this.cookie) h.Cookie = this.cookie;
      if (method !== 'GET' && this.csrf) h['X-CSRF-Token'] = this.csrf;
    }
    return h;
  }

  /** One API call: the parsed JSON answer, or a JianguanError. */
  async request(method, target, json, whole = false) {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const resp = await this.fetch(this.baseUrl + target, {
      method, body, headers: await this.headersFor(method, target, body), credentials: 'same-origin',
    });
    const text = await resp.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (!resp.ok) {
      const e = (parsed && parsed.error) || {};
      throw new JianguanError(resp.status, e.code || `http_${resp.status}`, e.message || `请求失败（${resp.status}）`, e.fields);
    }
    return whole ? { body: parsed, headers: resp.headers } : parsed;
  }

  /** Devices with a channel in scope: {items, page, size, has_more}. */
  devices({ online, page, size } = {}) { return this.request('GET', '/api/v1/video/devices' + query({ online, page, size })); }
  /** A device's registration, keepalive and catalog state. */
  device(gbId) { return this.request('GET', `/api/v1/video/devices/${encodeURIComponent(gbId)}`); }
  /** Channels in scope; filters: project_id, unbound (1), device_gb_id, org_code, online, keyword, page, size. */
  channels(filters = {}) { return this.request('GET', '/api/v1/video/channels' + query(filters)); }
  /** The video wall's tree: cities (no region) or the projects of a region. */
  tree(region) { return this.request('GET', '/api/v1/video/tree' + query({ region })); }
  /** A signed, expiring HTTP-FLV URL of the channel's live view: {url, expires_at, …}. */
  liveUrl(channelId) { return this.request('GET', `/api/v1/video/channels/${channelId}/live`); }
  /**
   * PTZ: command one of stop left right up down upleft upright downleft downright zoomin zoomout
   * focusnear focusfar irisopen irisclose preset_set preset_call preset_delete; opts speed (0-255),
   * zoom_speed (0-15), preset (1-255). Needs video.control. Answers once the device accepted it.
   */
  ptz(channelId, command, opts = {}) { return this.request('POST', `/api/v1/video/channels/${channelId}/ptz`, { command, ...opts }); }
  /** The device's recordings between start and end (RecordInfo): {items: [{start_time, end_time, …}], complete}. */
  records(channelId, start, end) { return this.request('GET', `/api/v1/video/channels/${channelId}/records` + query({ start, end })); }
  /** A signed HTTP-FLV URL playing back the recordings between start and end. */
  playbackUrl(channelId, start, end) { return this.request('GET', `/api/v1/video/channels/${channelId}/playback` + query({ start, end })); }
  /** Pause, resume, seek (value: seconds from start) or speed (0.25 … 4) of a running playback. */
  playbackControl(channelId, { start, end, action, value }) {
    return this.request('POST', `/api/v1/video/channels/${channelId}/playback/control`, value === undefined ? { start, end, action } : { start, end, action, value });
  }
  /** Bind a channel to a project (construction site), with the camera's coordinates; video.control. */
  bindProject(channelId, projectId, { longitude, latitude } = {}) {
    const body = { project_id: projectId };
    if (longitude !== undefined) Object.assign(body, { longitude, latitude });
    return this.request('PUT', `/api/v1/video/channels/${channelId}/project`, body);
  }
  unbindProject(channelId) { return this.request('DELETE', `/api/v1/video/channels/${channelId}/project`); }
  /**
   * DeviceControl of a channel: cmd record | stop_record | guard | reset_guard | iframe; video.control.
   * Answers {result: 'OK'} with the device's result, or 'accepted' when it sent none.
   */
  control(channelId, cmd) { return this.request('POST', `/api/v1/video/channels/${channelId}/control`, { cmd }); }
  /** Reboot a device (TeleBoot); video.control. */
  reboot(gbId) { return this.request('POST', `/api/v1/video/devices/${encodeURIComponent(gbId)}/reboot`); }
  /** Ask a device for its status now (DeviceStatus): {device_status: {online, encode, record, …}}. */
  refreshStatus(gbId) { return this.request('POST', `/api/v1/video/devices/${encodeURIComponent(gbId)}/status/refresh`); }
  /** Alarms of devices in scope, newest first; filters: device_gb_id, priority (1-4), since, until, page, size. */
  alarms(filters = {}) { return this.request('GET', '/api/v1/video/alarms' + query(filters)); }
  /** The channel's latest MobilePosition reports, newest first (limit 1-1000, default 100). */
  positions(channelId, limit) { return this.request('GET', `/api/v1/video/channels/${channelId}/positions` + query({ limit })); }
  /** Snapshots are not offered by the platform yet (src/video/README.md, later steps). */
  /** The signed URL of the channel's latest key frame as JPEG (the media node decodes it). */
  async snapshotUrl(channelId) { return (await this.liveUrl(channelId)).snapshot_url; }
  /**
   * The signed WebSocket-FLV URL (ws:// or wss://) of a channel's live view: the same FLV bytes as url,
   * in binary WebSocket messages; play it with mpegts.js ({type: 'flv', isLive: true, url}).
   */
  async wsUrl(channelId) { return (await this.liveUrl(channelId)).ws_url; }
}

function randomHex(n) {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

export default JianguanVideo;
