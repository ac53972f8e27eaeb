-- credit.contractor_default: a contractor's quarterly credit score in one domain (房建 or 市政, kept
-- apart), DOMAIN.md: 通常行为 × 40 % + 合同履约 × 15 % + 质量安全文明施工行为 × 45 % (the 45 % inferred).
--
-- facts: { domain = "房建", period = "2026Q1", points = 9.5,  -- the unit's period score in the domain
--          general = 90, contract = 100 }                    -- optional part scores (0..100)
-- params: weights { general = 0.40, contract = 0.15, quality = 0.45 }; base (100) the full score of
--   a part; per_point (1): what one scoring point takes off the 质量安全文明施工 part (not below 0);
--   general_default and contract_default (100): the part scores used when facts have none (no such
--   data is kept in jianguan yet); decimals (2).
-- Returns { score, general, contract, quality, weights }.
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function num(x) return string.format("%.10g", x) end
local w = params.weights or {}
local wg, wc, wq = w.general or 0.40, w.contract or 0.15, w.quality or 0.45
local base = params.base or 100
local per_point = params.per_point or 1
local general = facts.general
if general == nil then
  general = params.general_default or base
  explain("通常行为", general, "无通常行为评价数据，按默认分")
else
  explain("通常行为", general, "通常行为评价得分")
end
local contract = facts.contract
if contract == nil then
  contract = params.contract_default or base
  explain("合同履约", contract, "无合同履约评价数据，按默认分")
else
  explain("合同履约", contract, "合同履约评价得分")
end
local points = facts.points or 0
local quality = math.min(base, math.max(0, base - points * per_point))
explain("质量安全文明施工", round(quality),
  string.format("%s − 周期记分 %s × %s", num(base), num(points), num(per_point)))
local score = general * wg + contract * wc + quality * wq
explain("信用分", round(score), string.format("%s×%s + %s×%s + %s×%s", num(general), num(wg),
  num(contract), num(wc), num(round(quality)), num(wq)))
return { score = round(score), general = general, contract = contract, quality = round(quality),
  weights = { general = wg, contract = wc, quality = wq } }
