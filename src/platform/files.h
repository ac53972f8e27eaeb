/* Uploaded files (attachments): kind detection by content and the content-addressed store.
 * Routes: POST /api/v1/files, GET /api/v1/files/{id} (module "files"). */
#ifndef JG_FILES_H
#define JG_FILES_H
#include "base/rc.h"

#include <stddef.h>

/* The kind of the content data (len bytes) judged by its magic bytes, never by its name: "pdf",
 * "ofd", "jpg", "png", "docx", "xlsx", "zip" or "mp4" (static strings), or NULL when unknown. A zip
 * is told apart (ofd, docx, xlsx) by the names in its central directory. Cannot fail. */
const char *jg_files_kind(const unsigned char *data, size_t len);
/* The MIME type of a kind from jg_files_kind ("application/octet-stream" for others). */
const char *jg_files_mime(const char *kind);
/* Store data under data_dir/files/<ab>/<cd>/<sm3hex> unless that file exists already (written to
 * a temporary file, fsync'ed, then renamed). sm3hex is 64 hex digits. JG_ERR (logged) on I/O. */
jg_rc jg_files_store(const char *data_dir, const char *sm3hex, const void *data, size_t len);

#endif
