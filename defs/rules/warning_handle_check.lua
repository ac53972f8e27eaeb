-- warning.handle_check: the 处理 step of a score warning (defs/scoring/score_warning.bpmn) refuses
-- when the measure taken is not filled in (docs/api/README.md "Score warnings", docs/manual/scoring.md §5).
-- facts: { record = the score_warning record, ... } (the step runs on the 处理 way only)
-- params: min_chars (2): the shortest measure accepted.
local r = facts.record or {}
local m = r.measure_taken
if m == nil or utf8.len(m) == nil or utf8.len(m) < (params.min_chars or 2) then
  return { refuse = { { field = "measure_taken", message = "请填写采取的处理措施" } } }
end
explain("处理措施", m or "", "已填写处理措施")
return { refuse = {} }
