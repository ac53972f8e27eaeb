// The side menu of the workbench. Each item shows only when the user holds its permission
// ("a|b": any of them; none: every logged-in user). The business records group is filled from
// GET /api/v1/entities (the kinds the user may read). Add pages here as they are built.
export const MENU = [
  { path: '/', title: '工作台', icon: 'HomeFilled' },
  { path: '/tasks', title: '我的任务', icon: 'Tickets' },
  { path: '/flow/stats', title: '效能统计', icon: 'DataAnalysis', permission: 'flow.stats' },
  { group: 'records', title: '业务办理', icon: 'Document' },
  { path: '/registration/stats', title: '报监统计', icon: 'PieChart', permission: 'registration.read' },
  { key: 'scoring', title: '记分与信用', icon: 'TrendCharts', children: [
    { path: '/scoring/rankings', title: '实时排名', permission: 'score.read' },
    { path: '/scoring/units', title: '单位记分', permission: 'score.read' },
    { path: '/scoring/persons', title: '项目人员周期记分', permission: 'score.read' },
    { path: '/scoring/credit', title: '信用评价', permission: 'score.read' },
    { path: '/scoring/owner-quarterly', title: '建设单位首要责任通报', permission: 'owner_quarterly.read' },
  ] },
  { path: '/projects', title: '在监项目', icon: 'OfficeBuilding', permission: 'project.read' },
  { path: '/video', title: '视频监控', icon: 'VideoCamera', permission: 'video.view' },
  { path: '/public', title: '项目公示', icon: 'Notification' },
  { path: '/password', title: '修改密码', icon: 'Lock' },
  // 系统管理: each page by its own permission; the group shows when one of them does
  { key: 'admin', title: '系统管理', icon: 'Setting', children: [
    { path: '/admin/users', title: '用户管理', permission: 'user.manage|role.manage' },
    { path: '/admin/roles', title: '角色与权限', permission: 'role.manage|user.manage' },
    { path: '/admin/dictionaries', title: '数据字典', permission: 'dict.manage' },
    { path: '/admin/orgs', title: '行政区划与部门', permission: 'user.manage|role.manage|dict.manage' },
    { path: '/admin/audit', title: '审计日志', permission: 'audit.read' },
    { path: '/designer', title: '业务定制（流程设计）', permission: 'flow.deploy' },
    { path: '/customize', title: '业务定制（表单设计）', permission: 'platform.customize' },
  ] },
];
