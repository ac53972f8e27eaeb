-- registration.item_check: a 新增申报项 (additional item) is declared on a registered project of the
-- same region. Run by registration_item.bpmn at submission; facts.gathered (src/modules/registration):
--   project = { id, state, project_name, org_code } of facts.record.registration_id, or nil when
--   that declaration does not exist (or was deleted).
-- Returns { ok = true } or { refuse = { {field, message} } } (docs/flow.md, "Rules as steps").
local g = facts.gathered or {}
local p = g.project
local id = tostring(facts.record and facts.record.registration_id or '')
local problems = {}
if p == nil then
  problems[#problems + 1] = { field = 'registration_id', message = '报监项目（编号 ' .. id .. '）不存在' }
elseif p.state ~= 'registered' then
  problems[#problems + 1] = { field = 'registration_id',
    message = '报监项目“' .. (p.project_name or '') .. '”（编号 ' .. id .. '）尚未登记，不能申报新增事项' }
elseif facts.record.org_code ~= p.org_code then
  problems[#problems + 1] = { field = 'org_code', message = '项目所在地应与报监项目“' .. (p.project_name or '') .. '”一致' }
end
for _, x in ipairs(problems) do explain(x.field, nil, x.message) end
if #problems > 0 then return { refuse = problems } end
explain('registration.item_check', nil, '新增申报项校验通过')
return { ok = true }
