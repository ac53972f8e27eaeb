// The task boxes' counts (GET /api/v1/flow/boxes), polled every 60 s while the workbench is open:
// the header's badge, the box page's tabs and the unread reminders (抄送, 督办) read them here.
// The server may answer more boxes than today's {todo, done}; each box is read under any of its
// known names and left out while the server does not answer it.
import { defineStore } from 'pinia';
import { api } from '@/api';

/**
 * The boxes in the order they are shown; name: the box of GET /api/v1/flow/tasks?box= (drafts: GET
 * /api/v1/flow/drafts); keys: the names the server may use for the count.
 */
export const BOXES = [
  { name: 'drafts', label: '拟件箱', keys: ['drafts', 'draft'] },
  { name: 'todo', label: '待办箱', keys: ['todo'] },
  { name: 'correction', label: '补正箱', keys: ['correction', 'corrections'] },
  { name: 'done', label: '已办箱', keys: ['done'] },
  { name: 'finished', label: '办结箱', keys: ['finished'] },
  { name: 'copies', label: '抄送我的', keys: ['copies', 'cc'] },
];

const POLL_MS = 60000;

/** A count as a number: the server may send n, or {total, unread}. */
function num(v) {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof v.total === 'number') return v.total;
  return null;
}

export const useBoxes = defineStore('boxes', {
  state: () => ({ raw: null, loadedAt: 0, timer: null }),
  getters: {
    /** [{name, label, count}] for the boxes the server answers. */
    boxes: (s) => {
      if (!s.raw) return [];
      const out = [];
      for (const b of BOXES) {
        const k = b.keys.find((key) => num(s.raw[key]) !== null);
        if (k) out.push({ name: b.name, key: k, label: b.label, count: num(s.raw[k]) });
      }
      return out;
    },
    todo: (s) => (s.raw ? num(s.raw.todo) ?? 0 : 0),
    /** Unread reminders: 抄送 not read yet, 督办 (supervision) notices, when the server counts them. */
    reminders: (s) => {
      const r = s.raw || {};
      const pick = (...names) => {
        for (const n of names) {
          const v = r[n];
          if (typeof v === 'number') return v;
          if (v && typeof v === 'object' && typeof v.unread === 'number') return v.unread;
        }
        return null;
      };
      const items = [];
      const cc = pick('copies_unread', 'cc_unread');
      if (cc !== null) items.push({ name: 'copies', label: '未读抄送', count: cc });
      const sv = pick('supervise_unread', 'supervised_unread', 'supervise', 'supervised', 'urged');
      if (sv !== null) items.push({ name: 'supervise', label: '督办提醒', count: sv });
      const ov = pick('overdue');
      if (ov !== null) items.push({ name: 'todo', label: '超期待办', count: ov });
      return items;
    },
    unread() { return this.reminders.reduce((a, r) => a + r.count, 0); },
  },
  actions: {
    async refresh() {
      try {
        this.raw = await api.get('/api/v1/flow/boxes', { quiet: true });
        this.loadedAt = Date.now();
      } catch { /* the next poll tries again; a 401 is handled by api.js */ }
    },
    start() {
      if (this.timer) return;
      this.refresh();
      this.timer = setInterval(() => { if (!document.hidden) this.refresh(); }, POLL_MS);
    },
    stop() {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.raw = null;
    },
  },
});
