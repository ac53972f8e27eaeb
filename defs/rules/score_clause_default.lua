-- score.clause_default: the default scoring arithmetic (DOMAIN.md, 2015 text, article 17).
--
-- facts.items: the points of one period, one line per clause found in an inspection:
--   { company = "<credit code>", project = "<project id>", inspection = "<inspection id>",
--     clause = "1.1.1", points = 8 }
-- facts.evaluated (optional): { company = ..., project = ... } for every project of a company
--   evaluated in the period, so projects without points count in the company's average.
-- params.decimals: rounding of the scores (default 2).
--
-- 1. A clause found in several inspections of a project scores the average over those inspections
--    (points of the same clause within one inspection add up first).
-- 2. A project's score is the sum over its clauses.
-- 3. A company's period score is its projects' total divided by the number of its projects
--    evaluated in the period.
-- Returns { companies = { [company] = { score, total, projects = <count>, by_project = { [project] = score } } } }.
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

-- company -> project -> clause -> inspection -> points
local tree = {}
local function node(t, k)
  local n = t[k]
  if n == nil then n = {}; t[k] = n end
  return n
end
for i = 1, #(facts.items or {}) do
  local it = facts.items[i]
  if type(it.company) ~= "string" or type(it.project) ~= "string" or type(it.clause) ~= "string"
      or type(it.points) ~= "number" then
    error("第 " .. i .. " 条记分数据不完整（需要 company、project、clause、points）")
  end
  local insp = node(node(node(tree, it.company), it.project), it.clause)
  local key = tostring(it.inspection or i)
  insp[key] = (insp[key] or 0) + it.points
end
for i = 1, #(facts.evaluated or {}) do
  local e = facts.evaluated[i]
  node(node(tree, e.company), e.project)
end

local companies = {}
for _, company in ipairs(sorted_keys(tree)) do
  local total, n, by_project = 0, 0, {}
  for _, project in ipairs(sorted_keys(tree[company])) do
    local score = 0
    for _, clause in ipairs(sorted_keys(tree[company][project])) do
      local sum, times = 0, 0
      for _, p in pairs(tree[company][project][clause]) do
        sum = sum + p
        times = times + 1
      end
      local avg = sum / times
      score = score + avg
      explain(project .. "/" .. clause, round(avg),
        string.format("条款 %s 在 %d 次检查中记分，合计 %s，取平均", clause, times, num(round(sum))))
    end
    by_project[project] = round(score)
    explain(project, round(score), "项目记分：各条款得分之和")
    total = total + score
    n = n + 1
  end
  local avg = n > 0 and total / n or 0
  companies[company] = { score = round(avg), total = round(total), projects = n, by_project = by_project }
  explain(company, round(avg), string.format("企业记分：%d 个项目合计 %s ÷ 项目数 %d", n, num(round(total)), n))
end
return { companies = companies }
