-- Process variables (src/engine/flow/actions.c): what the rule steps of an instance returned, as a
-- JSON object by rule (`{"check_cost": {"big": true}}`, the rule's code with '.' as '_'), read by
-- the conditions of later gateways as `vars.check_cost.big`. NULL: none yet.
ALTER TABLE flow_instance ADD COLUMN vars TEXT;
