-- Registry records are never hard-deleted by users (data rules, ARCHITECTURE.md): a removed
-- qualification or certificate becomes status 'deleted', leaves the records' answers, and the
-- audit log keeps who removed it.
ALTER TABLE enterprise_qualification ADD COLUMN status TEXT NOT NULL DEFAULT 'active'; -- active | deleted
ALTER TABLE person_certificate ADD COLUMN status TEXT NOT NULL DEFAULT 'active';       -- active | deleted
