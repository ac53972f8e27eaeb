/* Files compiled into the binary by tools/embed (migrations, defs/platform, entity definitions). */
#ifndef JG_EMBED_H
#define JG_EMBED_H
#include <stddef.h>

typedef struct {
    const char *name;          /* "0001_core.sql"; defs/platform files by base name ("roles.json"),
                                * other definitions by <subsystem>/<file> ("registration/registration.json") */
    const unsigned char *data; /* contents, NUL-terminated */
    size_t len;                /* length without the NUL */
} jg_embedded_file;

/* Sorted by name, terminated by an entry with name == NULL. */
extern const jg_embedded_file jg_embedded_migrations[];
extern const jg_embedded_file jg_embedded_defs[];

/* The embedded file called name in files, or NULL. */
const jg_embedded_file *jg_embedded_find(const jg_embedded_file *files, const char *name);

#endif
