// The logged-in user: GET /api/v1/auth/me at start, login with the SM2-encrypted password,
// forced password change, logout. The CSRF token goes to api.js for every write.
import { defineStore } from 'pinia';
import { api, setCsrf } from '@/api';
import { clearMeta, setRegistryAccess } from '@/lib/meta';
import roles from '@defs/platform/roles.json';

let sm2 = null;
async function encryptor() {
  // sm-crypto is loaded with the login page only (it is not needed afterwards).
  if (!sm2) sm2 = (await import('sm-crypto')).default.sm2;
  return sm2;
}

export const LEVELS = { province: '省级', city: '市级', county: '县级' };

export const useSession = defineStore('session', {
  state: () => ({ user: null, loaded: false, loginKey: null }),
  getters: {
    loggedIn: (s) => s.user !== null,
    roleName: (s) => (s.user && roles.roles[s.user.role] ? roles.roles[s.user.role].name : s.user?.role || ''),
  },
  actions: {
    /** Asks the server who is logged in (401: nobody). */
    async load() {
      try {
        const r = await api.get('/api/v1/auth/me', { quiet: true });
        this.setUser(r);
      } catch {
        this.setUser(null);
      }
      this.loaded = true;
    },
    setUser(r) {
      this.user = r ? r.user : null;
      setCsrf(r ? r.csrf_token : '');
      setRegistryAccess(this.user);
    },
    can(permission) {
      if (!permission) return true;
      return !!this.user && permission.split('|').some((p) => this.user.permissions.includes(p));
    },
    /** GET /api/v1/auth/login-key: { public_key, cipher_mode, captcha, sms_login }. */
    async fetchLoginKey() {
      this.loginKey = await api.get('/api/v1/auth/login-key');
      return this.loginKey;
    },
    /** The password as the hex SM2 ciphertext the server expects (C1C3C2: cipher mode 1). */
    async encrypt(text) {
      const key = this.loginKey || (await this.fetchLoginKey());
      const s = await encryptor();
      return s.doEncrypt(text, key.public_key, key.cipher_mode === 'C1C2C3' ? 0 : 1);
    },
    /** POST /api/v1/auth/login; errors are thrown (ApiError) for the login page to show. */
    async login(username, password, captcha) {
      const body = { username, password: await this.encrypt(password) };
      if (captcha) Object.assign(body, captcha);
      const r = await api.post('/api/v1/auth/login', body, { quiet: true });
      clearMeta();
      this.setUser(r);
      this.loaded = true;
      return r.user;
    },
    async changePassword(oldPassword, newPassword) {
      await api.post('/api/v1/auth/password', {
        old_password: await this.encrypt(oldPassword), new_password: await this.encrypt(newPassword),
      }, { quiet: true });
      await this.load();
    },
    async logout() {
      try { await api.post('/api/v1/auth/logout', undefined, { quiet: true }); } catch { /* the session may be gone already */ }
      clearMeta();
      this.setUser(null);
    },
  },
});
