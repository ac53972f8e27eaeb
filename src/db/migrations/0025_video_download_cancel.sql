-- A download cancelled through the platform API (DELETE /api/v1/video/downloads/{id}): the media
-- node stopped its stream and removed its file; the row stays for the record and answers
-- "cancelled" without asking the node again.
ALTER TABLE video_download ADD COLUMN cancelled_at TEXT;
ALTER TABLE video_download ADD COLUMN cancelled_by INTEGER;    -- users.id of who cancelled
