/* Unit tests for src/http/message.c: the rc -> status mapping, the error body, header/query/param
 * lookups, and rows written as JSON. */
#include "http/http_int.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static void status_of_every_rc(void **state)
{
    (void)state;
    static const struct {
        jg_rc rc;
        int status;
    } map[] = {
        {JG_OK, 200},           {JG_ERR, 500},      {JG_NOMEM, 500},     {JG_INVALID, 400},
        {JG_NOTFOUND, 404},     {JG_CONFLICT, 409}, {JG_DENIED, 403},    {JG_UNAUTHORIZED, 401},
        {JG_TOOLARGE, 413},     {JG_UNSUPPORTED, 415}, {JG_BUSY, 503},   {JG_UNAVAILABLE, 503},
        {JG_TIMEOUT, 504},
    };
    assert_int_equal(sizeof(map) / sizeof(map[0]), JG_TIMEOUT + 1); /* every rc is listed */
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (jg_http_status_of(map[i].rc) != map[i].status)
            fail_msg("%s maps to %d, not %d", jg_rc_name(map[i].rc), jg_http_status_of(map[i].rc), map[i].status);
    assert_int_equal(jg_http_status_of((jg_rc)99), 500);
}

static void new_req(jg_req *req, jg_resp *resp)
{
    memset(req, 0, sizeof(*req));
    memset(resp, 0, sizeof(*resp));
    req->arena = jg_arena_new();
    req->route = JG_ROUTE_NONE;
    resp->fd = -1;
}

/* Parse the response body; the caller decrefs. */
static json_t *body_json(const jg_resp *resp)
{
    assert_non_null(resp->body);
    assert_int_equal(strlen(resp->body), resp->body_len);
    json_error_t e;
    json_t *j = json_loadb(resp->body, resp->body_len, 0, &e);
    if (j == NULL)
        fail_msg("body is not JSON (%s): %s", e.text, resp->body);
    return j;
}

static void error_body(json_t *j, const char *code, const char *message)
{
    json_t *err = json_object_get(j, "error");
    assert_true(json_is_object(err));
    assert_string_equal(json_string_value(json_object_get(err, "code")), code);
    assert_string_equal(json_string_value(json_object_get(err, "message")), message);
}

static void error_with_default_messages(void **state)
{
    (void)state;
    static const struct {
        jg_rc rc;
        int status;
        const char *code, *message;
    } cases[] = {
        {JG_INVALID, 400, "invalid", "请求参数不正确"},
        {JG_UNAUTHORIZED, 401, "unauthorized", "请先登录"},
        {JG_DENIED, 403, "forbidden", "没有权限执行此操作"},
        {JG_NOTFOUND, 404, "not_found", "记录不存在"},
        {JG_CONFLICT, 409, "conflict", "数据已被修改或与现有记录冲突，请刷新后重试"},
        {JG_TOOLARGE, 413, "too_large", "请求内容过大"},
        {JG_UNSUPPORTED, 415, "unsupported_media_type", "不支持的内容类型"},
        {JG_BUSY, 503, "busy", "系统繁忙，请稍后重试"},
        {JG_UNAVAILABLE, 503, "unavailable", "数据库暂时不可用，请稍后重试"},
        {JG_TIMEOUT, 504, "timeout", "处理超时，请稍后重试"},
        {JG_ERR, 500, "internal", "服务器内部错误"},
        {JG_NOMEM, 500, "out_of_memory", "服务器内部错误"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jg_req req;
        jg_resp resp;
        new_req(&req, &resp);
        assert_int_equal(jg_resp_error(&req, &resp, cases[i].rc, NULL), cases[i].rc);
        assert_int_equal(resp.status, cases[i].status);
        assert_string_equal(resp.content_type, "application/json; charset=utf-8");
        json_t *j = body_json(&resp);
        error_body(j, cases[i].code, cases[i].message);
        assert_int_equal(json_object_size(j), 1);
        assert_int_equal(json_object_size(json_object_get(j, "error")), 2); /* no "fields" */
        json_decref(j);
        jg_arena_free(req.arena);
    }
    /* The exact bytes of one, as clients see them. */
    jg_req req;
    jg_resp resp;
    new_req(&req, &resp);
    jg_resp_error(&req, &resp, JG_NOTFOUND, NULL);
    assert_string_equal(resp.body, "{\"error\":{\"code\":\"not_found\",\"message\":\"记录不存在\"}}");
    jg_arena_free(req.arena);
}

static void error_with_message_and_fields(void **state)
{
    (void)state;
    jg_req req;
    jg_resp resp;
    new_req(&req, &resp);
    json_t *fields = json_pack("{s:s, s:s}", "page", "页码应为正整数", "org_code", "行政区划代码应为 2、4 或 6 位数字");
    assert_int_equal(jg_resp_error_fields(&req, &resp, JG_INVALID, "查询条件不正确", fields), JG_INVALID);
    assert_int_equal(resp.status, 400);
    json_t *j = body_json(&resp);
    error_body(j, "invalid", "查询条件不正确");
    json_t *f = json_object_get(json_object_get(j, "error"), "fields");
    assert_string_equal(json_string_value(json_object_get(f, "page")), "页码应为正整数");
    assert_string_equal(json_string_value(json_object_get(f, "org_code")), "行政区划代码应为 2、4 或 6 位数字");
    json_decref(j);
    jg_arena_free(req.arena);

    new_req(&req, &resp);
    jg_resp_status_error(&req, &resp, 431, "header_too_large", "请求头过大", NULL);
    assert_int_equal(resp.status, 431);
    j = body_json(&resp);
    error_body(j, "header_too_large", "请求头过大");
    json_decref(j);
    jg_arena_free(req.arena);
}

static void unknown_fields_and_answer(void **state)
{
    (void)state;
    static const char *const allowed[] = {"name", "version", NULL};
    json_t *body = json_pack("{s:s, s:i, s:s, s:b}", "name", "甲", "version", 1, "role", "x", "admin", 1);
    json_t *fields = json_pack("{s:s}", "role", "先有的错误");
    jg_field_unknown(body, allowed, fields);
    assert_int_equal(json_object_size(fields), 2);
    assert_string_equal(json_string_value(json_object_get(fields, "role")), "先有的错误"); /* first kept */
    assert_string_equal(json_string_value(json_object_get(fields, "admin")), "不支持的字段");
    json_decref(body);

    jg_req req;
    jg_resp resp;
    new_req(&req, &resp);
    assert_int_equal(jg_resp_fields(&req, &resp, "信息不正确", fields), JG_INVALID);
    assert_int_equal(resp.status, 400);
    json_t *j = body_json(&resp);
    error_body(j, "invalid", "信息不正确");
    json_t *f = json_object_get(json_object_get(j, "error"), "fields");
    assert_string_equal(json_string_value(json_object_get(f, "admin")), "不支持的字段");
    json_decref(j);
    jg_arena_free(req.arena);

    /* Nothing wrong: no answer, and the (empty) fields are freed (ASan would see a leak). */
    new_req(&req, &resp);
    fields = json_object();
    body = json_pack("{s:s}", "name", "乙");
    jg_field_unknown(body, allowed, fields);
    json_decref(body);
    assert_int_equal(jg_resp_fields(&req, &resp, "信息不正确", fields), JG_OK);
    assert_int_equal(resp.status, 0);
    assert_null(resp.body);
    jg_arena_free(req.arena);
}

static void resp_json_and_headers(void **state)
{
    (void)state;
    jg_req req;
    jg_resp resp;
    new_req(&req, &resp);
    assert_int_equal(jg_resp_json(&req, &resp, 201, json_pack("{s:i, s:s}", "id", 7, "名称", "鼓楼")), JG_OK);
    assert_int_equal(resp.status, 201);
    assert_string_equal(resp.body, "{\"id\":7,\"名称\":\"鼓楼\"}");
    assert_int_equal(resp.body_len, strlen(resp.body));
    /* A NULL document (json_pack failed) still gives a body. */
    assert_int_equal(jg_resp_json(&req, &resp, 200, NULL), JG_OK);
    assert_string_equal(resp.body, "{}");

    char value[16] = "copied";
    jg_resp_header(&req, &resp, "X-Test", value);
    memset(value, 0, sizeof(value));
    assert_int_equal(resp.nheaders, 1);
    assert_string_equal(resp.headers[0].key, "X-Test");
    assert_string_equal(resp.headers[0].value, "copied"); /* copied into the arena */
    for (int i = 0; i < JG_RESP_MAX_HEADERS + 5; i++)
        jg_resp_header(&req, &resp, "X-Many", "v");
    assert_int_equal(resp.nheaders, JG_RESP_MAX_HEADERS); /* extra headers are dropped, not overflowed */
    jg_arena_free(req.arena);
}

static void request_lookups(void **state)
{
    (void)state;
    jg_kv headers[] = {{"Content-Type", "application/json"}, {"X-Dup", "first"}, {"x-dup", "second"}};
    jg_kv query[] = {{"status", "registered"}, {"Status", "completed"}, {"status", "suspended"}, {"empty", ""}};
    jg_kv params[] = {{"id", "42"}};
    jg_req req;
    memset(&req, 0, sizeof(req));
    req.headers = headers;
    req.nheaders = 3;
    req.query = query;
    req.nquery = 4;
    req.params = params;
    req.nparams = 1;
    /* Header names are case-insensitive; the first match wins. */
    assert_string_equal(jg_req_header(&req, "content-type"), "application/json");
    assert_string_equal(jg_req_header(&req, "CONTENT-TYPE"), "application/json");
    assert_string_equal(jg_req_header(&req, "x-DUP"), "first");
    assert_null(jg_req_header(&req, "Accept"));
    /* Query names are case-sensitive; the first match wins. */
    assert_string_equal(jg_req_query(&req, "status"), "registered");
    assert_string_equal(jg_req_query(&req, "Status"), "completed");
    assert_string_equal(jg_req_query(&req, "empty"), "");
    assert_null(jg_req_query(&req, "STATUS"));
    assert_string_equal(jg_req_param(&req, "id"), "42");
    assert_null(jg_req_param(&req, "ID"));
    /* No lists at all. */
    jg_req none;
    memset(&none, 0, sizeof(none));
    assert_null(jg_req_header(&none, "a"));
    assert_null(jg_req_query(&none, "a"));
    assert_null(jg_req_param(&none, "a"));
}

/* ---- rows as JSON ---- */

static tmpdb t;
static jg_db *db;

static int db_setup(void **state)
{
    (void)state;
    tmpdb_make(&t);
    db = tmpdb_open(&t, 1);
    return 0;
}

static int db_teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    tmpdir_remove(t.dir);
    return 0;
}

static jg_rows *query(const char *sql)
{
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_int_equal(jg_db_query(c, sql, NULL, 0, &r), JG_OK);
    jg_db_release(c);
    return r;
}

/* Write row 0 of sql as JSON and parse it back; the caller decrefs. */
static json_t *row_json(const char *sql, char *text, size_t textlen)
{
    jg_rows *r = query(sql);
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    jg_json_write_row(&b, r, 0);
    jg_rows_free(r);
    assert_false(b.overflowed);
    snprintf(text, textlen, "%s", b.data);
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, 0, &e);
    if (j == NULL)
        fail_msg("row is not JSON (%s): %s", e.text, b.data);
    jg_buf_free(&b);
    return j;
}

static void row_typing(void **state)
{
    (void)state;
    char text[512];
    json_t *j = row_json("SELECT 7 AS i, 2.5 AS r, 'x' AS t, NULL AS n, -3 AS neg, 145337.54 AS area,"
                         " 9007199254740993 AS big, '7' AS numtext, '福建' AS zh",
                         text, sizeof(text));
    assert_true(json_is_integer(json_object_get(j, "i")));
    assert_int_equal(json_integer_value(json_object_get(j, "i")), 7);
    assert_true(json_is_real(json_object_get(j, "r")));
    assert_true(json_real_value(json_object_get(j, "r")) == 2.5);
    assert_true(json_is_string(json_object_get(j, "t")));
    assert_string_equal(json_string_value(json_object_get(j, "t")), "x");
    assert_true(json_is_null(json_object_get(j, "n")));
    assert_true(json_integer_value(json_object_get(j, "neg")) == -3);
    assert_true(json_real_value(json_object_get(j, "area")) == 145337.54);
    assert_true(json_integer_value(json_object_get(j, "big")) == INT64_C(9007199254740993));
    /* Text that looks like a number stays a string. */
    assert_true(json_is_string(json_object_get(j, "numtext")));
    assert_string_equal(json_string_value(json_object_get(j, "zh")), "福建");
    assert_int_equal(json_object_size(j), 9);
    json_decref(j);
    /* Column order is kept and numbers are printed as the database gave them. */
    assert_string_equal(text, "{\"i\":7,\"r\":2.5,\"t\":\"x\",\"n\":null,\"neg\":-3,\"area\":145337.54,"
                              "\"big\":9007199254740993,\"numtext\":\"7\",\"zh\":\"福建\"}");
}

static void row_text_escapes_and_bad_utf8(void **state)
{
    (void)state;
    char text[512];
    json_t *j = row_json("SELECT 'a\"b\\c' || char(10) || char(9) || char(1) AS s, CAST(x'ff41' AS TEXT) AS bad,"
                         " 1e999 AS inf",
                         text, sizeof(text));
    assert_string_equal(json_string_value(json_object_get(j, "s")), "a\"b\\c\n\t\x01");
    /* Invalid UTF-8 cannot be a JSON string: null keeps the document valid. */
    assert_true(json_is_null(json_object_get(j, "bad")));
    /* Infinity is not a JSON number. */
    assert_true(json_is_null(json_object_get(j, "inf")));
    json_decref(j);
}

static void row_json_is_valid_whatever_the_column_names(void **state)
{
    (void)state;
    /* jsonw.h promises valid JSON; a column name that is not UTF-8 must not become a bare null key. */
    jg_rows *r = query("SELECT 1 AS \"a\xff\", 2 AS ok");
    jg_buf b;
    jg_buf_init(&b, 1024);
    jg_json_write_row(&b, r, 0);
    jg_rows_free(r);
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, 0, &e);
    if (j == NULL)
        fail_msg("row with a non-UTF-8 column name is not JSON: %s", b.data);
    assert_int_equal(json_integer_value(json_object_get(j, "ok")), 2);
    json_decref(j);
    jg_buf_free(&b);
}

static void resp_json_buf(void **state)
{
    (void)state;
    jg_req req;
    jg_resp resp;
    new_req(&req, &resp);
    jg_rows *r = query("SELECT 1 AS a, 'x' AS b");
    jg_buf b;
    jg_buf_init(&b, 1024);
    jg_json_write_row(&b, r, 0);
    assert_int_equal(jg_resp_json_buf(&req, &resp, 200, &b), JG_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json; charset=utf-8");
    assert_string_equal(resp.body, "{\"a\":1,\"b\":\"x\"}");
    assert_int_equal(resp.body_len, strlen("{\"a\":1,\"b\":\"x\"}"));
    assert_null(b.data); /* taken over */
    jg_arena_free(req.arena);

    /* Overflow while writing: a 500 error, never a truncated document. */
    new_req(&req, &resp);
    jg_buf_init(&b, 8);
    jg_json_write_row(&b, r, 0);
    assert_true(b.overflowed);
    assert_int_equal(jg_resp_json_buf(&req, &resp, 200, &b), JG_TOOLARGE);
    assert_int_equal(resp.status, 500);
    json_t *j = body_json(&resp);
    error_body(j, "internal", "返回数据过大，请缩小查询范围");
    json_decref(j);
    assert_null(b.data);
    jg_arena_free(req.arena);
    jg_rows_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_of_every_rc),
        cmocka_unit_test(error_with_default_messages),
        cmocka_unit_test(error_with_message_and_fields),
        cmocka_unit_test(unknown_fields_and_answer),
        cmocka_unit_test(resp_json_and_headers),
        cmocka_unit_test(request_lookups),
        cmocka_unit_test_setup_teardown(row_typing, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(row_text_escapes_and_bad_utf8, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(row_json_is_valid_whatever_the_column_names, db_setup, db_teardown),
        cmocka_unit_test_setup_teardown(resp_json_buf, db_setup, db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
