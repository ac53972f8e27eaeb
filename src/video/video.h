/* jianguan video: the GB/T 28181 signalling service (see README.md beside this file). */
#ifndef JG_VIDEO_H
#define JG_VIDEO_H
#include "base/config.h"
#include "base/rc.h"
#include "db/db.h"

#define JG_VIDEO_FIELD_KEY_LEN 32

/* Run the SIP service until SIGTERM or SIGINT: listen on cfg->video_sip_listen (UDP and TCP),
 * register devices, track keepalives, load catalogs, write state to db. field_key is the SM4
 * master key that sealed per-device passwords (NULL: only the default password works); it is
 * copied. Returns JG_OK after a clean stop, JG_INVALID for a bad configuration, JG_UNAVAILABLE
 * if it cannot listen or read the devices. */
jg_rc jg_video_run(const jg_config *cfg, jg_db *db, const unsigned char *field_key);

/* Set (password non-NULL) or clear (NULL: the default applies) the digest password of device
 * gb_id, creating its row when it has none; sealed with SM4 under field_key. A running service
 * picks the change up within video_keepalive_flush_s (it polls settings_at). JG_INVALID for a
 * bad ID or a password longer than 64 bytes. */
jg_rc jg_video_device_set_password(jg_db *db, const unsigned char *field_key, const char *gb_id,
                                   const char *password);

#endif
