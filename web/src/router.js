// Routes: pages load on demand (code-split); every page but login and 公示 needs a session.
import { createRouter, createWebHistory } from 'vue-router';
import { useSession } from '@/stores/session';
import { prefetchRoute } from '@/lib/prefetch';

const routes = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: '登录' } },
  { path: '/public', name: 'public', component: () => import('@/views/PublicView.vue'), meta: { public: true, title: '在监项目公示' } },
  { path: '/public/owner-quarterly', name: 'public-owner-quarterly', component: () => import('@/views/scoring/PublicOwnerRanking.vue'), meta: { public: true, title: '建设单位首要责任季度评价公布' } },
  {
    path: '/',
    component: () => import('@/views/LayoutView.vue'),
    children: [
      { path: '', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { title: '工作台' } },
      { path: 'password', name: 'password', component: () => import('@/views/PasswordView.vue'), meta: { title: '修改密码' } },
      { path: 'projects', name: 'projects', component: () => import('@/views/ProjectsView.vue'), meta: { title: '在监项目', permission: 'project.read' } },
      { path: 'records/:entity', name: 'records', component: () => import('@/views/RecordList.vue'), meta: { title: '业务记录' } },
      { path: 'records/:entity/new', name: 'record-new', component: () => import('@/views/RecordForm.vue'), meta: { title: '新建' } },
      { path: 'records/:entity/:id(\\d+)', name: 'record', component: () => import('@/views/RecordDetail.vue'), meta: { title: '详情' } },
      { path: 'records/:entity/:id(\\d+)/edit', name: 'record-edit', component: () => import('@/views/RecordForm.vue'), meta: { title: '修改' } },
      { path: 'tasks', name: 'tasks', component: () => import('@/views/flow/TaskBoxes.vue'), meta: { title: '我的任务' } },
      { path: 'tasks/instance/:id(\\d+)', name: 'task', component: () => import('@/views/flow/TaskHandle.vue'), meta: { title: '任务办理' } },
      { path: 'flow/stats', name: 'flow-stats', component: () => import('@/views/flow/FlowStats.vue'), meta: { title: '办件效能统计', permission: 'flow.stats' } },
      { path: 'registration/stats', name: 'registration-stats', component: () => import('@/views/registration/RegistrationStats.vue'), meta: { title: '项目报监统计', permission: 'registration.read' } },
      { path: 'scoring/rankings', name: 'scoring-rankings', component: () => import('@/views/scoring/RankingView.vue'), meta: { title: '实时排名', permission: 'score.read' } },
      { path: 'scoring/units', name: 'scoring-units', component: () => import('@/views/scoring/UnitPointsView.vue'), meta: { title: '单位记分', permission: 'score.read' } },
      { path: 'scoring/persons', name: 'scoring-persons', component: () => import('@/views/scoring/ProjectPersonsView.vue'), meta: { title: '项目人员周期记分', permission: 'score.read' } },
      { path: 'scoring/credit', name: 'scoring-credit', component: () => import('@/views/scoring/CreditView.vue'), meta: { title: '信用评价', permission: 'score.read' } },
      { path: 'scoring/owner-quarterly', name: 'owner-quarterly', component: () => import('@/views/scoring/OwnerQuarterlyView.vue'), meta: { title: '建设单位首要责任季度通报', permission: 'owner_quarterly.read' } },
      { path: 'video', name: 'video', component: () => import('@/views/video/VideoWall.vue'), meta: { title: '视频监控', permission: 'video.view' } },
      { path: 'search', name: 'search', component: () => import('@/views/SearchView.vue'), meta: { title: '全局搜索' } },
      { path: 'admin/users', name: 'admin-users', component: () => import('@/views/admin/UsersView.vue'), meta: { title: '用户管理', permission: 'user.manage|role.manage' } },
      { path: 'admin/roles', name: 'admin-roles', component: () => import('@/views/admin/RolesView.vue'), meta: { title: '角色与权限', permission: 'role.manage|user.manage' } },
      { path: 'admin/dictionaries', name: 'admin-dicts', component: () => import('@/views/admin/DictsView.vue'), meta: { title: '数据字典', permission: 'dict.manage' } },
      { path: 'admin/orgs', name: 'admin-orgs', component: () => import('@/views/admin/OrgsView.vue'), meta: { title: '行政区划与部门', permission: 'user.manage|role.manage|dict.manage' } },
      { path: 'admin/audit', name: 'admin-audit', component: () => import('@/views/admin/AuditView.vue'), meta: { title: '审计日志', permission: 'audit.read' } },
      { path: 'designer/:key?', name: 'designer', component: () => import('@/views/designer/DesignerPage.vue'), meta: { title: '业务定制', permission: 'flow.deploy|flow.read' } },
      { path: 'customize/:entity?', name: 'customize', component: () => import('@/views/customize/CustomizeView.vue'), meta: { title: '业务定制（表单设计）', permission: 'platform.customize' } },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('@/views/NotFound.vue'), meta: { title: '页面不存在' } },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true; // login and 公示: no need to ask who is logged in
  const session = useSession();
  prefetchRoute(to, session.loggedIn); // the page's code and first requests, alongside /auth/me (lib/prefetch.js)
  if (!session.loaded) await session.load();
  if (!session.loggedIn) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  if (session.user.must_change_password && to.name !== 'password') return { name: 'password' };
  if (to.meta.permission && !session.can(to.meta.permission)) return { name: 'home' };
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title ? to.meta.title + ' - ' : ''}福建省建设工程监管一体化平台`;
});
