-- Catalog queries that are retried until SumNum is reached (src/video/catalog.c): the state of the
-- device's last catalog round, the queries sent in it, and the distinct channels received.
-- catalog_state: '' (never queried) | querying | complete | incomplete (gave up after the tries).
ALTER TABLE video_device ADD COLUMN catalog_state TEXT NOT NULL DEFAULT '';
ALTER TABLE video_device ADD COLUMN catalog_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE video_device ADD COLUMN catalog_got INTEGER;
