// The one way the workbench talks to the API: JSON in and out, the session's CSRF token on every
// write (header X-CSRF-Token, identity.c), errors ({"error":{code,message,fields}}) shown as
// Element Plus messages, and a 401 sends the user to the login page.
import { ElMessage } from 'element-plus';
import 'element-plus/es/components/message/style/css';

let csrfToken = '';
let onUnauthorized = () => {};
let onPasswordChange = () => {};

export function setCsrf(token) { csrfToken = token || ''; }
export function csrf() { return csrfToken; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }
export function setPasswordChangeHandler(fn) { onPasswordChange = fn; }

/** An API failure: status, code, Chinese message, field errors. */
export class ApiError extends Error {
  constructor(status, code, message, fields, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.detail = detail || {}; // the whole error object (e.g. an import's "report")
  }
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Builds "path?k=v" from an object, skipping empty values. */
export function withQuery(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * request(method, path, { body, query, quiet, raw })
 *   body: JSON-encoded; FormData is sent as is (uploads).
 *   quiet: true, or a list of error codes / statuses the caller handles itself (no message shown).
 *   raw: return the Response (downloads) instead of parsed JSON.
 */
export async function request(method, path, { body, query, quiet = false, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (WRITE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  // The connection failed, or an answer was cut off while being read: the same message either way.
  const lost = () => {
    const err = new ApiError(0, 'network', '无法连接服务器，请检查网络后重试');
    if (quiet !== true) ElMessage.error(err.message);
    return err;
  };
  let resp;
  try {
    resp = await fetch(withQuery(path, query), { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw lost();
  }
  if (resp.ok) {
    if (raw) return resp;
    if (resp.status === 204) return null;
    try {
      return await resp.json();
    } catch {
      throw lost();
    }
  }
  let code = 'http_' + resp.status, message = `请求失败（${resp.status}）`, fields, detail;
  try {
    const j = await resp.json();
    if (j && j.error) ({ code, message, fields } = j.error);
    detail = j && j.error;
  } catch { /* not JSON */ }
  const err = new ApiError(resp.status, code, message, fields, detail);
  const handled = quiet === true || (Array.isArray(quiet) && (quiet.includes(code) || quiet.includes(resp.status)));
  if (resp.status === 401 && !handled) {
    onUnauthorized();
  } else if (code === 'password_change_required' && !handled) {
    onPasswordChange(); // the password expired while working: the password page first
  } else if (!handled) {
    ElMessage.error({ message, grouping: true });
  }
  throw err;
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
};

/** Downloads a GET answer (e.g. export.xlsx) as a file, with the server's file name. */
export async function download(path, query, fallbackName) {
  const resp = await request('GET', path, { query, raw: true });
  const blob = await resp.blob();
  const cd = resp.headers.get('Content-Disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="([^"]+)"/i.exec(cd);
  const name = m ? decodeURIComponent(m[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}
