// The side menu of the workbench. Each item shows only when the user holds its permission
// ("a|b": any of them; none: every logged-in user). The business records group is filled from
// GET /api/v1/entities (the kinds the user may read). Add pages here as they are built.
export const MENU = [
  { path: '/', title: '工作台', icon: 'HomeFilled' },
  { group: 'records', title: '业务办理', icon: 'Document' },
  { path: '/projects', title: '在监项目', icon: 'OfficeBuilding', permission: 'project.read' },
  { path: '/public', title: '项目公示', icon: 'Notification' },
  { path: '/password', title: '修改密码', icon: 'Lock' },
];
