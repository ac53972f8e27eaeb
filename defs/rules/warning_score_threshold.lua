-- warning.score_threshold: the warnings (预警) a subject's scores trigger (docs/api/README.md "Score
-- warnings", docs/manual/scoring.md §5). Run by the scoring module after a subject's period scores
-- change (a notice becoming effective, or the full recomputation), once per subject, role and period.
--
-- facts: { subject_kind = "enterprise" | "person", role = "contractor", period = "2026" | "2026Q1",
--          period_kind = "year" | "quarter", points = 17, cumulative = 23 }
--   points: the subject's score for the period (score_subject, all projects, area 35);
--   cumulative: the sum of its quarter scores in that role up to the period's last quarter.
-- params.steps: [{ subject ("enterprise" | "person" | "*"), roles ([codes] or ["*"]), period
--   ("year" | "quarter" | "*"), measure ("points" | "cumulative"), op (">=" or ">"), threshold,
--   level (1..4), consequence, source }]; params.decimals (2).
-- Returns { warnings = [{ level, consequence, threshold, points, measure, source, explanation }] }:
-- for each level the step with the highest threshold crossed (one warning per level), by level.
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function num(x) return string.format("%.10g", x) end
local function has(list, v)
  if list == nil then return true end
  for _, x in ipairs(list) do
    if x == "*" or x == v then return true end
  end
  return false
end
local measures = { points = "周期记分", cumulative = "累计记分" }
local periods = { year = "年度", quarter = "季度" }

local best = {}
local steps = params.steps or {}
for i = 1, #steps do
  local s = steps[i]
  local subj = s.subject or "*"
  local per = s.period or "*"
  if (subj == "*" or subj == facts.subject_kind) and has(s.roles, facts.role)
      and (per == "*" or per == facts.period_kind) then
    local measure = s.measure or "points"
    local value = round(facts[measure] or 0)
    local op = s.op or ">="
    local hit
    if op == ">" then hit = value > s.threshold else hit = value >= s.threshold end
    if hit then
      local b = best[s.level]
      if b == nil or s.threshold > b.threshold then
        best[s.level] = { step = s, value = value, measure = measure, op = op, threshold = s.threshold }
      end
    end
  end
end

local levels = {}
for level in pairs(best) do levels[#levels + 1] = level end
table.sort(levels)
local out = {}
for _, level in ipairs(levels) do
  local b = best[level]
  local text = string.format("%s%s %s 分%s %s 分（%s），%s", periods[facts.period_kind] or "",
    measures[b.measure] or b.measure, num(b.value), b.op == ">" and "超过" or "达到", num(b.threshold),
    b.step.source or "预警规则", b.step.consequence)
  explain("预警" .. level .. "级", b.value, text)
  out[#out + 1] = { level = level, consequence = b.step.consequence, threshold = b.threshold, points = b.value,
    measure = b.measure, source = b.step.source or "", explanation = text }
end
if #out == 0 then
  explain("预警", round(facts.points or 0), "未达到任何预警阈值")
end
return { warnings = out }
