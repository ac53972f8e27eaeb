-- score.company: a responsible unit's period score from its projects' scores (DOMAIN.md, 2015 text,
-- article 17, and docs/rules.md "Scoring rules").
--
-- facts.projects: columns { project = { "12", ... }, city = { "3501", ... }, domain = { "房建", ... },
--   score = { 9.5, ... } } for every project of
--   the unit evaluated in the period (the scores come from score.project).
-- params.decimals: rounding (default 2).
--
-- The period score is the projects' total divided by the number of projects evaluated in the period;
-- the same is given per city (by_city: the unit's projects in that city) and per domain (by_domain:
-- 房建 and 市政 kept apart, for credit).
-- Returns { score, total, projects, by_city = { ["3501"] = { score, total, projects } }, by_domain = {...} }.
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function num(x) return string.format("%.10g", x) end
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end
local function average(group)
  return { score = round(group.n > 0 and group.total / group.n or 0), total = round(group.total), projects = group.n }
end

local all = { total = 0, n = 0 }
local cities, domains = {}, {}
local cols = facts.projects or {}
local PP, PC, PD, PS = cols.project or {}, cols.city or {}, cols.domain or {}, cols.score or {}
for i = 1, #PS do
  local p = { project = PP[i], city = PC[i], domain = PD[i], score = PS[i] }
  if type(p.score) ~= "number" then error("第 " .. i .. " 个项目没有得分") end
  all.total = all.total + p.score
  all.n = all.n + 1
  for _, pair in ipairs({ { cities, p.city }, { domains, p.domain } }) do
    local t, k = pair[1], pair[2]
    if k ~= nil then
      local g = t[k]
      if g == nil then g = { total = 0, n = 0 }; t[k] = g end
      g.total = g.total + p.score
      g.n = g.n + 1
    end
  end
end

local result = average(all)
result.by_city, result.by_domain = {}, {}
for _, k in ipairs(sorted_keys(cities)) do result.by_city[k] = average(cities[k]) end
for _, k in ipairs(sorted_keys(domains)) do
  result.by_domain[k] = average(domains[k])
  explain("专业 " .. k, result.by_domain[k].score,
    string.format("%d 个项目合计 %s ÷ %d", domains[k].n, num(round(domains[k].total)), domains[k].n))
end
explain("企业", result.score,
  string.format("企业周期记分：%d 个项目合计 %s ÷ 项目数 %d", all.n, num(round(all.total)), all.n))
return result
