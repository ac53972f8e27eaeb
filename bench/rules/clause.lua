-- bench/rules part (a): json-rules-engine's rule format, evaluated in the jianguan sandbox.
-- params.rules: the same rules.json the peer loads; facts: one finding. Returns the points of the
-- rules that fire, explaining each.
local ops = {
  equal = function(a, b) return a == b end,
  notEqual = function(a, b) return a ~= b end,
  greaterThan = function(a, b) return a ~= nil and a > b end,
  greaterThanInclusive = function(a, b) return a ~= nil and a >= b end,
  lessThan = function(a, b) return a ~= nil and a < b end,
  lessThanInclusive = function(a, b) return a ~= nil and a <= b end,
}
local test
local function all(list)
  for i = 1, #list do if not test(list[i]) then return false end end
  return true
end
local function any(list)
  for i = 1, #list do if test(list[i]) then return true end end
  return false
end
test = function(c)
  if c.all then return all(c.all) end
  if c.any then return any(c.any) end
  return ops[c.operator](facts[c.fact], c.value)
end
local points = 0
local rules = params.rules
for i = 1, #rules do
  local r = rules[i]
  if test(r.conditions) then
    local p = r.event.params
    points = points + p.points
    explain(p.clause, p.points, r.name)
  end
end
return points
