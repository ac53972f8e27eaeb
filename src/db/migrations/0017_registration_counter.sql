-- The series of registration numbers (监督登记号) each station gives (src/modules/registration):
-- one row per series "<station county code>-<year>-<prefix>", its last number. Taken with one
-- upsert in the transaction of 结果下达, so two registrations at once never get the same number
-- (the row is locked until the transaction ends; SQLite writes one at a time anyway).
CREATE TABLE registration_counter (
    series TEXT PRIMARY KEY,
    last_no {{bigint}} NOT NULL
);
