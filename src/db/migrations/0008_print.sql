-- Printed documents (records_print.c): one row per print, found by the code in its QR code.
-- signature is the platform print key's SM2 signature (r | s, 128 hex digits, user ID
-- 1234567812345678) over "jg-print-v1|code|entity|record_id|template|record_version|digest|printed_at";
-- digest is the SM3 (hex) of the canonical JSON of the printed values (docs/entities.md).
CREATE TABLE print_code (
    code TEXT PRIMARY KEY,            -- 16 characters of base32 (A-Z, 2-7): 80 random bits
    entity TEXT NOT NULL,
    record_id {{bigint}} NOT NULL,
    template TEXT NOT NULL,
    record_version {{bigint}} NOT NULL,
    digest TEXT NOT NULL,
    signature TEXT NOT NULL,
    printed_by {{bigint}} NOT NULL,
    printed_at TEXT NOT NULL          -- ISO-8601 UTC
);
CREATE INDEX print_code_record ON print_code (entity, record_id);
