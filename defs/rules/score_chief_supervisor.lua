-- score.chief_supervisor: a chief supervisor's period score (DOMAIN.md: a chief supervisor may hold up
-- to 3 projects in one city; the highest-scoring one counts), docs/rules.md "Scoring rules".
--
-- facts.projects: columns { project = { "12", ... }, city = { "3501", ... }, domain = { "房建", ... },
--   score = { 9.5, ... } } (from score.project).
-- params.decimals: rounding (default 2); params.max_per_city: projects one may hold in a city (3);
-- holding more is pointed out in the explanation, and the best of all of them still counts.
--
-- Per city the highest project score counts; the period score is the sum over cities. by_domain does
-- the same within each domain (房建 and 市政 kept apart, for credit).
-- Returns { score, total, projects, by_city = { ["3501"] = { score, total, projects, project } },
--   by_domain = { ["房建"] = { score, total, projects } } }.
local decimals = params.decimals or 2
local max_per_city = params.max_per_city or 3
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end
local cities, n, total, domains = {}, 0, 0, {}
local cols = facts.projects or {}
local PP, PC, PD, PS = cols.project or {}, cols.city or {}, cols.domain or {}, cols.score or {}
for i = 1, #PS do
  local p = { project = PP[i], city = PC[i], domain = PD[i], score = PS[i] }
  if type(p.score) ~= "number" then error("第 " .. i .. " 个项目没有得分") end
  local city = p.city or "?"
  local g = cities[city]
  if g == nil then g = { total = 0, projects = 0 }; cities[city] = g end
  g.projects = g.projects + 1
  g.total = g.total + p.score
  if g.best == nil or p.score > g.best or (p.score == g.best and p.project < g.project) then
    g.best, g.project = p.score, p.project
  end
  local dk = p.domain or "房建"
  local d = domains[dk]
  if d == nil then d = { total = 0, projects = 0, best = {} }; domains[dk] = d end
  d.total = d.total + p.score
  d.projects = d.projects + 1
  if d.best[city] == nil or p.score > d.best[city] then d.best[city] = p.score end
  n = n + 1
end
local by_city, score = {}, 0
for _, city in ipairs(sorted_keys(cities)) do
  local g = cities[city]
  by_city[city] = { score = round(g.best), total = round(g.total), projects = g.projects, project = g.project }
  score = score + g.best
  total = total + g.total
  local note = string.format("在 %s 的 %d 个项目中取最高分（项目 %s）", city, g.projects, g.project)
  if g.projects > max_per_city then
    note = note .. string.format("；在同一城市担任总监的项目超过 %d 个", max_per_city)
  end
  explain("城市 " .. city, round(g.best), note)
end
local by_domain = {}
for _, dk in ipairs(sorted_keys(domains)) do
  local d, s = domains[dk], 0
  for _, b in pairs(d.best) do s = s + b end
  by_domain[dk] = { score = round(s), total = round(d.total), projects = d.projects }
end
explain("总监", round(score), "总监周期记分：各城市最高项目得分之和")
return { score = round(score), total = round(total), projects = n, by_city = by_city, by_domain = by_domain }
