-- credit.owner_quarterly: the total score of a 建设单位首要责任季度评价 (owner_quarterly, defs/credit/), the
-- default formula: the sum of the indicator scores; an indicator not filled in scores its full marks less
-- the deductions itemised for it (never below 0).
--
-- facts: the record: { ind_procedure = "18.0", ind_site = nil, ...,
--          deductions = { { indicator = "site", points = "2.5", fact = "..." }, ... } }
-- params: indicators: { { code = "procedure", field = "ind_procedure", label = "依法履行建设程序", full = 20 },
--   ... } in the order explained; decimals (1).
-- Returns { total = 92.5, scores = { procedure = 18, ... } }, or { refuse = { { field, message } } } when an
-- indicator score is above its full marks or a deduction names no indicator of the rule.
local decimals = params.decimals or 1
local scale = 10 ^ decimals
local function round(x) return math.floor(x * scale + 0.5) / scale end
local function num(x) return string.format("%." .. decimals .. "f", x) end
local list = params.indicators or {}
local known = {}
for i = 1, #list do known[list[i].code] = list[i] end

local deducted, refuse = {}, {}
local rows = facts.deductions or {}
for i = 1, #rows do
  local d = rows[i]
  local p = tonumber(d.points) or 0
  if known[d.indicator] == nil then
    refuse[#refuse + 1] = { field = "deductions[" .. (i - 1) .. "].indicator",
      message = "扣分明细第 " .. i .. " 行的评价指标不在评价规则中" }
  else
    deducted[d.indicator] = (deducted[d.indicator] or 0) + p
  end
end

local total, scores = 0, {}
for i = 1, #list do
  local ind = list[i]
  local full = ind.full or 0
  local given = tonumber(facts[ind.field])
  local score
  if given ~= nil then
    if given > full then
      refuse[#refuse + 1] = { field = ind.field,
        message = ind.label .. "得分 " .. num(given) .. " 超过满分 " .. num(full) }
    end
    score = given
    explain(ind.label, round(score), "填报得分（满分 " .. num(full) .. "）")
  else
    local minus = deducted[ind.code] or 0
    score = math.max(0, full - minus)
    explain(ind.label, round(score), "满分 " .. num(full) .. " − 扣分 " .. num(minus))
  end
  scores[ind.code] = round(score)
  total = total + score
end
if #refuse > 0 then return { refuse = refuse } end
explain("综合得分", round(total), "各项指标得分之和")
return { total = round(total), scores = scores }
