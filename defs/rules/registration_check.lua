-- registration.check: the cross-checks of a 项目报监 (or 桩基) declaration at submission.
--
-- Run by the process step jg:action="rule:registration.check". facts.record is the record;
-- facts.gathered is what src/modules/registration gathers from the database (the record cannot
-- show it):
--   today            "YYYY-MM-DD" (Beijing)
--   total_area       number or nil;   units: { {row, unit_name, area} }
--   persons          { {row, person_id, name, exists, person_role, party_role, certificate_no,
--                       certificates = { {kind, certificate_no, expires_on} },
--                       other_projects = { {id, project_name, state, planned_finish_on, person_role} }} }
--   enterprises      { {field, label, id, exists, name, credit_code,
--                       qualifications = { {category, grade, certificate_no, expires_on} }} }
--   parties          { {row, given_code, party_name, party_role, exists, name, qualifications} }
--
-- params (all optional):
--   exclusive_roles     roles one person may hold on one active project only
--   active_states       states of another declaration that count as active
--   finished_is_over    a registered project whose planned finish is past is no longer active
--   role_certificates   role -> certificate kinds of which one must be valid (when held at all)
--   qualified_fields    enterprise fields whose qualifications must not all be expired
--   area_tolerance      m² the units' areas may differ from the total area
--   area_tolerance_ratio  the same as a share of the total area (the larger of the two counts)
--
-- Returns { ok = true } or { refuse = { {field, message}, ... } }: the workflow engine then
-- refuses the submission with these as field errors (docs/flow.md, "Rules as steps").
local P = params
local g = facts.gathered or {}
local today = g.today or string.sub(now(), 1, 10)
local problems = {}

local function add(field, message)
  problems[#problems + 1] = { field = field, message = message }
  explain(field, nil, message)
end

local function set_of(list, default)
  local s = {}
  for _, v in ipairs(list or default) do s[v] = true end
  return s
end

local role_label = {
  project_manager = '项目经理', chief_supervisor = '总监理工程师', owner_lead = '建设单位项目负责人',
  technical_lead = '技术负责人', safety_officer = '专职安全员', quality_officer = '质量员',
  construction_officer = '施工员', chief_supervisor_deputy = '总监理工程师代表',
}
local state_label = { submitted = '已申报', accepted = '已受理', registered = '已登记', returned = '退回补正' }
local cert_label = {
  registered_constructor = '注册建造师证书', registered_supervisor = '注册监理工程师证书',
  safety_a = '安全生产考核合格证书（A证）', safety_b = '安全生产考核合格证书（B证）',
  safety_c = '安全生产考核合格证书（C证）',
}

local function person_name(p)
  return (role_label[p.person_role] or p.person_role or '人员') .. ' ' .. (p.name or ('编号' .. tostring(p.person_id)))
end

-- 0. What the station fills in is not the applicant's to give.
for _, f in ipairs({ 'registration_no', 'issued_on' }) do
  if facts.record and facts.record[f] ~= nil then
    add(f, (f == 'registration_no' and '监督登记号' or '结果下达日期') .. '由监督站登记时生成，申报时请留空')
  end
end

-- 1. One active project at a time for project managers and chief supervisors.
local exclusive = set_of(P.exclusive_roles, { 'project_manager', 'chief_supervisor' })
local active = set_of(P.active_states, { 'submitted', 'accepted', 'returned', 'registered' })
local finished_is_over = P.finished_is_over ~= false
for _, p in ipairs(g.persons or {}) do
  local field = 'persons[' .. p.row .. '].person_id'
  if not p.exists then
    add(field, '第 ' .. (p.row + 1) .. ' 行人员（编号 ' .. tostring(p.person_id) .. '）不在从业人员库中或已注销')
  elseif exclusive[p.person_role] then
    for _, o in ipairs(p.other_projects or {}) do
      local running = active[o.state]
      if running and o.state == 'registered' and finished_is_over and o.planned_finish_on and o.planned_finish_on < today then
        running = false
      end
      if running and exclusive[o.person_role] then
        add(field, person_name(p) .. ' 已在“' .. (o.project_name or '') .. '”（编号 ' .. o.id .. '，' ..
          (state_label[o.state] or o.state) .. '）担任' .. (role_label[o.person_role] or o.person_role) ..
          '，不能同时在本项目任职')
        break
      end
    end
  end
end

-- 2. Expired certificates of persons.
local role_certs = P.role_certificates or {
  project_manager = { 'registered_constructor', 'safety_b' },
  chief_supervisor = { 'registered_supervisor' },
  safety_officer = { 'safety_c' },
}
for _, p in ipairs(g.persons or {}) do
  if p.exists then
    local field = 'persons[' .. p.row .. '].certificate_no'
    local kinds = set_of(role_certs[p.person_role], {})
    local named, valid, expired = nil, false, nil
    for _, c in ipairs(p.certificates or {}) do
      if p.certificate_no and c.certificate_no == p.certificate_no then named = c end
      if kinds[c.kind] then
        if c.expires_on and c.expires_on >= today then valid = true
        elseif expired == nil or (c.expires_on or '') > (expired.expires_on or '') then expired = c end
      end
    end
    if named and named.expires_on and named.expires_on < today then
      add(field, person_name(p) .. ' 的' .. (cert_label[named.kind] or '证书') .. '（' .. named.certificate_no ..
        '）已于 ' .. named.expires_on .. ' 过期')
    elseif not valid and expired then
      add(field, person_name(p) .. ' 的' .. (cert_label[expired.kind] or '证书') .. '（' .. expired.certificate_no ..
        '）已于 ' .. expired.expires_on .. ' 过期')
    end
  end
end

-- 3. Enterprises: in the registry, qualifications not all expired.
local qualified = set_of(P.qualified_fields, { 'contractor_id', 'supervisor_firm_id', 'designer_id', 'surveyor_id' })
local function check_quals(field, label, e)
  local latest, valid = nil, false
  for _, q in ipairs(e.qualifications or {}) do
    if q.expires_on and q.expires_on >= today then valid = true
    elseif latest == nil or (q.expires_on or '') > (latest.expires_on or '') then latest = q end
  end
  if not valid and latest then
    add(field, label .. '“' .. (e.name or '') .. '”的资质（' .. (latest.category or '') .. (latest.grade or '') ..
      '，证书 ' .. (latest.certificate_no or '') .. '）已于 ' .. (latest.expires_on or '') .. ' 过期')
  end
end
for _, e in ipairs(g.enterprises or {}) do
  if not e.exists then
    add(e.field, e.label .. '（编号 ' .. tostring(e.id) .. '）不在企业库中或已注销')
  elseif qualified[e.field] then
    check_quals(e.field, e.label, e)
  end
end
local party_label = { owner = '建设单位', contractor = '施工单位', supervisor_firm = '监理单位', designer = '设计单位',
  surveyor = '勘察单位', lab = '检测机构' }
for _, p in ipairs(g.parties or {}) do
  local field = 'parties[' .. p.row .. '].credit_code'
  local label = party_label[p.party_role] or '参建单位'
  if not p.exists then
    add(field, label .. '“' .. (p.party_name or '') .. '”的统一社会信用代码 ' .. (p.given_code or '') .. ' 不在企业库中')
  else
    check_quals(field, label, p)
  end
end

-- 4. The units' areas add up to the total area.
local units = g.units or {}
if g.total_area ~= nil and #units > 0 then
  local sum = 0
  for _, u in ipairs(units) do sum = sum + (u.area or 0) end
  local tol = math.max(P.area_tolerance or 1, (P.area_tolerance_ratio or 0) * g.total_area)
  if math.abs(sum - g.total_area) > tol then
    add('total_area', string.format('各单体建筑面积之和 %.2f 平方米与总建筑面积 %.2f 平方米不一致（相差 %.2f，允许 %.2f）',
      sum, g.total_area, math.abs(sum - g.total_area), tol))
  end
end

if #problems > 0 then return { refuse = problems } end
explain('registration.check', nil, '申报校验通过')
return { ok = true }
