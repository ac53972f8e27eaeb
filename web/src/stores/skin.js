// Skin: light or dark, and the theme colour; remembered in localStorage.
import { defineStore } from 'pinia';

const KEY = 'jianguan.skin';
export const THEME_COLORS = [
  { value: '#1f5fbf', label: '政务蓝' },
  { value: '#0e7c66', label: '青绿' },
  { value: '#b3261e', label: '中国红' },
  { value: '#6b4fbb', label: '紫' },
  { value: '#4a5568', label: '石墨' },
];

function mix(hex, other, weight) {
  const a = hex.match(/\w\w/g).map((x) => parseInt(x, 16));
  const b = other.match(/\w\w/g).map((x) => parseInt(x, 16));
  return '#' + a.map((v, i) => Math.round(v * (1 - weight) + b[i] * weight).toString(16).padStart(2, '0')).join('');
}

function read() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || '{}');
    return {
      dark: s.dark === true,
      color: THEME_COLORS.some((c) => c.value === s.color) ? s.color : THEME_COLORS[0].value,
    };
  } catch {
    return { dark: false, color: THEME_COLORS[0].value };
  }
}

export const useSkin = defineStore('skin', {
  state: read,
  actions: {
    apply() {
      const root = document.documentElement;
      root.classList.toggle('dark', this.dark);
      const base = this.dark ? '#141414' : '#ffffff';
      root.style.setProperty('--el-color-primary', this.color);
      for (const n of [3, 5, 7, 8, 9]) root.style.setProperty(`--el-color-primary-light-${n}`, mix(this.color, base, n / 10));
      root.style.setProperty('--el-color-primary-dark-2', mix(this.color, this.dark ? '#ffffff' : '#000000', 0.2));
      try { localStorage.setItem(KEY, JSON.stringify({ dark: this.dark, color: this.color })); } catch { /* private mode */ }
    },
    setDark(v) { this.dark = !!v; this.apply(); },
    setColor(c) { if (THEME_COLORS.some((x) => x.value === c)) { this.color = c; this.apply(); } },
  },
});
