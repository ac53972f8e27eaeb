-- score.project: the points of projects in one period for one responsible unit or person (DOMAIN.md,
-- 2015 text, article 17, and docs/rules.md "Scoring rules").
--
-- facts.lines: the clauses found in inspections, as columns of equal length (one entry per clause of
--   an inspection of a project; the ledger's points of that clause in that inspection added up, a
--   correction's reversals included):
--   { project = { "12", ... }, clause = { "1.1.1", ... }, inspection = { "JC-2026-001", ... },
--     points = { 8, ... } }
-- params.decimals: rounding (default 2).
--
-- 1. A clause found in several inspections of a project scores the average over those inspections.
--    An inspection whose points for the clause net to 0 (withdrawn by a correction) is not counted.
-- 2. A project's score is the sum over its clauses.
-- Returns { projects = { ["12"] = { score = 9.5, clauses = { ["1.1.1"] = 5.5 } } } }, and explains each
-- project with its clauses ("1.1.1：2 次检查合计 11，平均 5.5").
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

local lines = facts.lines or {}
local P, C, I, V = lines.project or {}, lines.clause or {}, lines.inspection or {}, lines.points or {}
local n = #V
if #P ~= n or #C ~= n then error("记分数据的列长度不一致（project、clause、points）") end
-- project -> clause -> inspection -> points
local tree = {}
for i = 1, n do
  local project, clause, points = P[i], C[i], V[i]
  if type(project) ~= "string" or type(clause) ~= "string" or type(points) ~= "number" then
    error("第 " .. i .. " 条记分数据不完整（需要 project、clause、points）")
  end
  local p = tree[project]
  if p == nil then p = {}; tree[project] = p end
  local c = p[clause]
  if c == nil then c = {}; p[clause] = c end
  local key = I[i] or i
  c[key] = (c[key] or 0) + points
end

local projects = {}
for _, project in ipairs(sorted_keys(tree)) do
  local score, clauses, text = 0, {}, {}
  for _, clause in ipairs(sorted_keys(tree[project])) do
    local sum, times = 0, 0
    for _, p in pairs(tree[project][clause]) do
      if p ~= 0 then
        sum = sum + p
        times = times + 1
      end
    end
    local avg = times > 0 and sum / times or 0
    clauses[clause] = round(avg)
    score = score + avg
    text[#text + 1] = string.format("%s：%d 次检查合计 %s，平均 %s", clause, times, num(round(sum)), num(round(avg)))
  end
  projects[project] = { score = round(score), clauses = clauses }
  explain("项目 " .. project, round(score), "各条款得分之和（同一条款多次检查取平均）：" .. table.concat(text, "；"))
end
return { projects = projects }
