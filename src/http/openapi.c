/* The OpenAPI 3 document, generated from the registered routes. */
#include "http/http_int.h"

#include "base/mem.h"
#include "base/version.h"

#include <ctype.h>
#include <string.h>

static json_t *error_response(const char *description)
{
    return json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", description, "content", "application/json",
                     "schema", "$ref", "#/components/schemas/Error");
}

static json_t *operation(const jg_route *route)
{
    json_t *op = json_pack("{s:s, s:[s]}", "summary", route->summary ? route->summary : "", "tags",
                           route->tag ? route->tag : "platform");
    json_t *params = json_array();
    for (const char *p = strchr(route->pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (end == NULL)
            break;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in", "path",
                                                "required", 1, "schema", "type", "string"));
    }
    if (json_array_size(params) > 0)
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (route->flags & JG_ROUTE_JSON)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", "application/json",
                                      "schema", "type", "object"));
    json_t *responses = json_pack("{s:{s:s}}", "200", "description", "成功");
    json_object_set_new(responses, "400", error_response("请求不正确"));
    json_object_set_new(responses, "404", error_response("不存在"));
    json_object_set_new(responses, "503", error_response("数据库不可用"));
    json_object_set_new(op, "responses", responses);
    return op;
}

char *jg_openapi_build(const jg_router *r)
{
    json_t *paths = json_object();
    for (int i = 0; i < jg_router_count(r); i++) {
        const jg_route *route = jg_router_at(r, i);
        json_t *item = json_object_get(paths, route->pattern);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, route->pattern, item);
        }
        char method[16];
        size_t k;
        for (k = 0; route->method[k] != '\0' && k < sizeof(method) - 1; k++)
            method[k] = (char)tolower((unsigned char)route->method[k]);
        method[k] = '\0';
        json_object_set_new(item, method, operation(route));
    }
    json_t *error_schema = json_pack("{s:s, s:[s], s:{s:{s:s, s:[s], s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}",
                                     "type", "object", "required", "error", "properties", "error", "type",
                                     "object", "required", "code", "properties", "code", "type", "string",
                                     "message", "type", "string", "fields", "type", "object");
    json_t *doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:o}}}", "openapi", "3.0.3", "info", "title",
                            "建管 jianguan API", "version", JG_VERSION, "description",
                            "福建省建设工程监管一体化平台接口", "paths", paths, "components", "schemas",
                            "Error", error_schema);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text != NULL ? text : jg_xstrdup("{}");
}
