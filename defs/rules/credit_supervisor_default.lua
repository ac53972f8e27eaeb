-- credit.supervisor_default: a supervising firm's (监理单位) quarterly credit score in one domain (房建
-- or 市政, kept apart like contractors).
--
-- ASSUMPTION: the supervising firms' credit formula is not public (DOMAIN.md, "Not public — design as
-- configurable"). This default mirrors the contractor formula (credit.contractor_default):
--   通常行为 × 40 % + 合同履约 × 15 % + 监理履职行为 × 45 %,
-- where 监理履职行为 is the full score less the firm's dynamic-supervision points of the period in the
-- domain (the ledger rows with enterprise role supervisor_firm). The authorities change the weights,
-- the base and the points' weight through the rule API (PUT /api/v1/rules/credit.supervisor_default)
-- or replace the formula altogether; jianguan keeps the version used with every credit row.
--
-- facts: { domain = "房建", period = "2026Q1", role = "supervisor_firm",
--          points = 4.5,                      -- the firm's period score in the domain
--          general = 90, contract = 100 }     -- optional part scores (0..100)
-- params: weights { general = 0.40, contract = 0.15, duty = 0.45 }; base (100) the full score of a
--   part; per_point (1): what one scoring point takes off the 监理履职行为 part (not below 0);
--   domain_per_point { ["市政"] = 1 }: per_point by domain when set; general_default and
--   contract_default (100): the part scores used when facts have none (no such data is kept in
--   jianguan yet); decimals (2).
-- Returns { score, general, contract, duty, weights }.
local decimals = params.decimals or 2
local scale = 10 ^ decimals
local function round(x)
  if x >= 0 then return math.floor(x * scale + 0.5) / scale end
  return -math.floor(-x * scale + 0.5) / scale
end
local function num(x) return string.format("%.10g", x) end
local w = params.weights or {}
local wg, wc, wd = w.general or 0.40, w.contract or 0.15, w.duty or 0.45
local base = params.base or 100
local per_point = params.per_point or 1
local by_domain = params.domain_per_point
if by_domain ~= nil and facts.domain ~= nil and by_domain[facts.domain] ~= nil then
  per_point = by_domain[facts.domain]
end
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
local duty = math.min(base, math.max(0, base - points * per_point))
explain("监理履职行为", round(duty),
  string.format("%s − 周期记分 %s × %s", num(base), num(points), num(per_point)))
local score = general * wg + contract * wc + duty * wd
explain("信用分", round(score), string.format("%s×%s + %s×%s + %s×%s（监理单位信用公式未公开，此为可配置的默认假设）",
  num(general), num(wg), num(contract), num(wc), num(round(duty)), num(wd)))
return { score = round(score), general = general, contract = contract, duty = round(duty),
  weights = { general = wg, contract = wc, duty = wd } }
