-- score.person: a responsible person's period score (project managers and other persons): the sum of
-- the scores of the projects where the person was responsible (docs/rules.md "Scoring rules").
--
-- facts.projects: columns { project = { "12", ... }, city = { "3501", ... }, domain = { "房建", ... },
--   score = { 9.5, ... } } (from score.project).
-- params.decimals: rounding (default 2).
-- Returns { score, total, projects, by_city = { ["3501"] = { score, total, projects } }, by_domain = {...} }
-- (by_domain: 房建 and 市政 kept apart, for credit).
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local total, n, cities, domains = 0, 0, {}, {}
local cols = facts.projects or {}
local PP, PC, PD, PS = cols.project or {}, cols.city or {}, cols.domain or {}, cols.score or {}
for i = 1, #PS do
  local p = { project = PP[i], city = PC[i], domain = PD[i], score = PS[i] }
  if type(p.score) ~= "number" then error("第 " .. i .. " 个项目没有得分") end
  total = total + p.score
  n = n + 1
  local g = cities[p.city or "?"]
  if g == nil then g = { score = 0, total = 0, projects = 0 }; cities[p.city or "?"] = g end
  g.total = g.total + p.score
  g.projects = g.projects + 1
  local d = domains[p.domain or "房建"]
  if d == nil then d = { score = 0, total = 0, projects = 0 }; domains[p.domain or "房建"] = d end
  d.total = d.total + p.score
  d.projects = d.projects + 1
end
for _, g in pairs(domains) do
  g.total = round(g.total)
  g.score = g.total
end
for _, g in pairs(cities) do
  g.total = round(g.total)
  g.score = g.total
end
explain("人员", round(total), string.format("人员周期记分：%d 个项目记分之和", n))
return { score = round(total), total = round(total), projects = n, by_city = cities, by_domain = domains }
