-- score.edition: which edition of the clause library applies to an inspection (DOMAIN.md: the 2018
-- edition before the 2025 trial edition, chosen by date; docs/rules.md "Scoring rules").
--
-- facts: { inspected_on = "2025-06-30" }
-- params.editions: { { edition = "2018", from = "2018-01-01" }, { edition = "2025", from = "2025-07-01" } }
--   in any order; the edition with the latest `from` not after the inspection date applies.
-- Returns { edition = "2018" }, or { edition = nil } when none applies.
local day = facts.inspected_on
if type(day) ~= "string" or #day ~= 10 then error("检查日期不正确") end
local best
local list = params.editions or {}
for i = 1, #list do
  local e = list[i]
  if e.from <= day and (best == nil or e.from > best.from) then best = e end
end
if best == nil then
  explain("检查日期", day, "没有适用的条款库版本")
  return { edition = nil }
end
explain("检查日期", day, "自 " .. best.from .. " 起适用 " .. best.edition .. " 版条款库")
return { edition = best.edition }
