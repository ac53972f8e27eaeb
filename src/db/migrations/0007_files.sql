-- Uploaded files (attachments). The content is stored once per SM3 under
-- data_dir/files/<ab>/<cd>/<sm3>; each upload has its own row, so the same content uploaded
-- twice is one file on disk and two rows.
CREATE TABLE file (
    id {{id}},
    sm3 TEXT NOT NULL,                -- 64 lower-case hex digits of the content's SM3
    size {{bigint}} NOT NULL,
    kind TEXT NOT NULL,               -- pdf|ofd|jpg|png|docx|xlsx|zip|mp4, detected from the content
    name TEXT NOT NULL,               -- the original file name, path parts stripped, <= 200 chars
    uploaded_by {{bigint}} NOT NULL REFERENCES app_user (id),
    uploaded_at TEXT NOT NULL,
    org_code TEXT                     -- the uploader's org_code, if any
);
CREATE INDEX file_sm3 ON file (sm3);
CREATE INDEX file_uploaded_by ON file (uploaded_by);
