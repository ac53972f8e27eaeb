-- credit.person_default: a responsible person's quarterly credit score in one domain (房建 or 市政,
-- kept apart) from the person's period score (docs/rules.md "Scoring rules"). No person formula is
-- public (DOMAIN.md): this default takes the period points off a full score.
--
-- facts: { domain = "房建", period = "2026Q1", role = "project_manager", points = 7 }
-- params: base (100), per_point (1): what one scoring point takes off (the score stays within
--   0..base), decimals (2).
-- Returns { score, points }.
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function num(x) return string.format("%.10g", x) end
local base = params.base or 100
local per_point = params.per_point or 1
local points = facts.points or 0
local score = math.min(base, math.max(0, base - points * per_point))
explain("信用分", round(score), string.format("%s − 周期记分 %s × %s", num(base), num(points), num(per_point)))
return { score = round(score), points = points }
