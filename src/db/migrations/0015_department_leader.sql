-- The leader (负责人) of a department: the person a workflow step with jg:level="leader" goes to when
-- someone of that department hands it on (src/engine/flow/run.c). Set by PUT
-- /api/v1/orgs/departments/{id}/leader (src/platform/orgs.c); NULL: none named.
ALTER TABLE department ADD COLUMN leader_id {{bigint}};
