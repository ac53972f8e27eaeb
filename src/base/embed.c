/* Lookup in the tables of embedded files. */
#include "base/embed.h"

#include <string.h>

const jg_embedded_file *jg_embedded_find(const jg_embedded_file *files, const char *name)
{
    for (const jg_embedded_file *f = files; f->name != NULL; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}
