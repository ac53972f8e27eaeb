/* The app context: modules' routes and hooks, metrics and the OpenAPI document. */
#include "http/http_int.h"

#include "base/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_access_log(const char *where)
{
    if (strcmp(where, "off") == 0)
        return -1;
    if (strcmp(where, "-") == 0)
        return dup(STDOUT_FILENO);
    int fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        jg_error("cannot open access log %s", where);
    return fd;
}

jg_rc jg_app_init(jg_app *app, const jg_config *cfg, jg_db *db)
{
    memset(app, 0, sizeof(*app));
    app->access_fd = -1;
    app->cfg = cfg;
    app->db = db;
    app->router = jg_router_new();
    for (int m = 0; jg_modules[m] != NULL; m++) {
        for (const jg_route *r = jg_modules[m]->routes; r != NULL && r->method != NULL; r++) {
            jg_rc rc = jg_router_add(app->router, r);
            if (rc != JG_OK) {
                jg_error("module %s: cannot register %s %s", jg_modules[m]->name, r->method, r->pattern);
                return rc;
            }
        }
    }
    for (int m = 0; jg_modules[m] != NULL; m++) {
        if (jg_modules[m]->init == NULL)
            continue;
        jg_rc rc = jg_modules[m]->init(app);
        if (rc != JG_OK) {
            jg_error("module %s failed to start", jg_modules[m]->name);
            return rc;
        }
    }
    app->metrics = jg_metrics_new(jg_router_count(app->router));
    app->openapi = jg_openapi_build(app->router);
    app->access_fd = open_access_log(cfg->access_log);
    return JG_OK;
}

void jg_app_exit(jg_app *app)
{
    for (int m = 0; jg_modules[m] != NULL; m++)
        if (jg_modules[m]->exit != NULL)
            jg_modules[m]->exit(app);
    if (app->access_fd >= 0)
        close(app->access_fd);
    free(app->openapi);
    jg_metrics_free(app->metrics);
    jg_router_free(app->router);
    memset(app, 0, sizeof(*app));
    app->access_fd = -1;
}
