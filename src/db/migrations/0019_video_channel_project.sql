-- Video channels bound to projects (construction sites), issue 8: a channel belongs to at most one
-- project and is then in the data scope of that project (the project's org_code; enterprises
-- through project_party). Unbound channels are seen by province scope only. site_longitude and
-- site_latitude place the camera at the site (degrees, WGS-84; the channel's own
-- Catalog longitude/latitude, often 0, stay as the device reported them). `jianguan video`'s
-- catalog upserts never touch these columns.
ALTER TABLE video_channel ADD COLUMN project_id {{bigint}};
ALTER TABLE video_channel ADD COLUMN site_longitude {{real}};
ALTER TABLE video_channel ADD COLUMN site_latitude {{real}};
ALTER TABLE video_channel ADD COLUMN bound_at TEXT;
CREATE INDEX video_channel_project ON video_channel (project_id);
