-- Per-device media transport (数据流传输模式): how `jianguan video` asks a device to send RTP when
-- a stream of it is opened without an explicit transport (a live URL's transport= still wins).
-- NULL: the node's video_media_transport. Set through PUT /api/v1/video/devices/{gb_id}/settings,
-- which bumps settings_at so a running service picks it up at its next settings poll.
ALTER TABLE video_device ADD COLUMN media_transport TEXT; -- NULL | udp | tcp | tcp-active
