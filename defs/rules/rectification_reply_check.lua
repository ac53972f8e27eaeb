-- rectification.reply_check: the 整改回复 step of a rectification order (defs/scoring/rectification_order.bpmn)
-- refuses while the unit's reply is not filled in (the record's reply_text, replied_on and reply_files,
-- which the step lets the unit change: docs/flow.md "Editable fields").
-- facts: { record = the rectification_order record, ... } (the step runs on the 提交整改回复 way only)
-- params: min_chars (4): the shortest reply text accepted; min_files (0): the fewest proof files.
local r = facts.record or {}
local refuse = {}
local text = r.reply_text
local len = type(text) == 'string' and utf8.len(text) or nil
if len == nil or len < (params.min_chars or 4) then
  refuse[#refuse + 1] = { field = 'reply_text', message = '请填写整改情况（不少于 ' .. (params.min_chars or 4) .. ' 个字）' }
end
if r.replied_on == nil or r.replied_on == '' then
  refuse[#refuse + 1] = { field = 'replied_on', message = '请填写整改完成日期' }
end
local files = type(r.reply_files) == 'table' and #r.reply_files or 0
if files < (params.min_files or 0) then
  refuse[#refuse + 1] = { field = 'reply_files', message = '请上传整改证明材料（至少 ' .. params.min_files .. ' 个）' }
end
if #refuse > 0 then
  return { refuse = refuse }
end
explain('整改情况', text, '已填写整改回复')
return { refuse = {} }
