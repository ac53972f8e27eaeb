// The workbench: Vue 3 + Element Plus (components imported on demand) + Vue Router + Pinia.
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import 'element-plus/theme-chalk/base.css';
import 'element-plus/theme-chalk/dark/css-vars.css';
import App from './App.vue';
import { router } from './router';
import { setUnauthorizedHandler, setPasswordChangeHandler } from './api';
import { useSession } from './stores/session';
import { useSkin } from './stores/skin';
import './style.css';

const app = createApp(App);
app.use(createPinia());
app.use(router);
useSkin().apply();

// A 401 from any API call: the session ended; go to the login page, back here afterwards.
setUnauthorizedHandler(() => {
  const session = useSession();
  session.setUser(null);
  const current = router.currentRoute.value;
  if (!current.meta.public) router.replace({ name: 'login', query: { redirect: current.fullPath, expired: '1' } });
});

setPasswordChangeHandler(() => {
  const session = useSession();
  if (session.user) session.user.must_change_password = true;
  router.replace({ name: 'password' });
});

app.mount('#app');
