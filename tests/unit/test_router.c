/* Tests of the router (http_route_find, http_methods_format in src/http/http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

#define M(m) (1u << (m))

enum { R_ROOT, R_SHOWS, R_SHOW, R_EPISODES, R_EPISODE, R_SCHEDULE, R_REFRESH, R_DEEP };

static const http_route routes[] = {
    {"/", M(HTTP_GET), R_ROOT},
    {"/api/v1/shows", M(HTTP_GET), R_SHOWS},
    {"/api/v1/shows/:id", M(HTTP_GET) | M(HTTP_DELETE), R_SHOW},
    {"/api/v1/shows/:id/episodes", M(HTTP_GET), R_EPISODES},
    {"/api/v1/shows/:id/episodes/:number", M(HTTP_GET), R_EPISODE},
    {"/api/v1/schedule", M(HTTP_GET), R_SCHEDULE},
    {"/api/v1/schedule", M(HTTP_POST), R_REFRESH},
    {"/a/:b/:c/:d/:e", M(HTTP_GET), R_DEEP},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static int find(http_method m, const char *path, http_route_match *out)
{
    return http_route_find(routes, NROUTES, m, path, strlen(path), out);
}

static void assert_param(const http_route_match *mt, size_t i, const char *want)
{
    assert_true(i < mt->nparams);
    assert_int_equal(mt->param_lens[i], strlen(want));
    assert_memory_equal(mt->params[i], want, strlen(want));
}

static void test_router_matches_literal_path(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/api/v1/shows", &mt), 200);
    assert_int_equal(mt.route->id, R_SHOWS);
    assert_int_equal(mt.nparams, 0);
    assert_int_equal(find(HTTP_GET, "/", &mt), 200);
    assert_int_equal(mt.route->id, R_ROOT);
}

static void test_router_captures_path_params(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/82", &mt), 200);
    assert_int_equal(mt.route->id, R_SHOW);
    assert_int_equal(mt.nparams, 1);
    assert_param(&mt, 0, "82");
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/82/episodes/7", &mt), 200);
    assert_int_equal(mt.route->id, R_EPISODE);
    assert_int_equal(mt.nparams, 2);
    assert_param(&mt, 0, "82");
    assert_param(&mt, 1, "7");
    /* params are raw: no decoding */
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/a%20b", &mt), 200);
    assert_param(&mt, 0, "a%20b");
}

static void test_router_captures_up_to_max_params(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/a/1/2/3/4", &mt), 200);
    assert_int_equal(mt.nparams, ROUTER_MAX_PARAMS);
    assert_param(&mt, 3, "4");
}

static void test_router_answers_404_for_unknown_path(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/api/v2/shows", &mt), 404);
    assert_null(mt.route);
    assert_int_equal(mt.allowed, 0);
    assert_int_equal(find(HTTP_GET, "/api/v1/show", &mt), 404);
    assert_int_equal(find(HTTP_GET, "/api/v1/showsx", &mt), 404);
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/1/episodes/2/3", &mt), 404);
    assert_int_equal(find(HTTP_GET, "", &mt), 404);
    assert_int_equal(find(HTTP_GET, "api/v1/shows", &mt), 404);
}

static void test_router_answers_405_with_allowed_methods(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_PUT, "/api/v1/shows/5", &mt), 405);
    assert_null(mt.route);
    assert_int_equal(mt.allowed, M(HTTP_GET) | M(HTTP_DELETE));
    /* two routes on one path: the mask is their union */
    assert_int_equal(find(HTTP_DELETE, "/api/v1/schedule", &mt), 405);
    assert_int_equal(mt.allowed, M(HTTP_GET) | M(HTTP_POST));
    assert_int_equal(find(HTTP_OTHER, "/api/v1/shows", &mt), 405);
    assert_int_equal(mt.allowed, M(HTTP_GET));
}

static void test_router_picks_route_by_method(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_POST, "/api/v1/schedule", &mt), 200);
    assert_int_equal(mt.route->id, R_REFRESH);
    assert_int_equal(find(HTTP_GET, "/api/v1/schedule", &mt), 200);
    assert_int_equal(mt.route->id, R_SCHEDULE);
    assert_int_equal(find(HTTP_DELETE, "/api/v1/shows/9", &mt), 200);
    assert_int_equal(mt.route->id, R_SHOW);
}

static void test_router_matches_head_where_get_does(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_HEAD, "/api/v1/shows/82/episodes", &mt), 200);
    assert_int_equal(mt.route->id, R_EPISODES);
    assert_param(&mt, 0, "82");
    assert_int_equal(find(HTTP_HEAD, "/api/v1/schedule", &mt), 200);
    assert_int_equal(mt.route->id, R_SCHEDULE);
}

static void test_router_rejects_trailing_slash(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/", &mt), 404);
    assert_int_equal(find(HTTP_GET, "/api/v1/shows/82/", &mt), 404);
    assert_int_equal(find(HTTP_GET, "//", &mt), 404);
}

static void test_router_rejects_empty_segment(void **state)
{
    http_route_match mt;

    (void)state;
    assert_int_equal(find(HTTP_GET, "/api/v1/shows//episodes", &mt), 404);
    assert_int_equal(find(HTTP_GET, "/api//v1/shows", &mt), 404);
    assert_int_equal(find(HTTP_GET, "/a/1//3/4", &mt), 404);
}

static void test_router_uses_path_length_not_nul(void **state)
{
    http_route_match mt;
    const char path[] = "/api/v1/shows/82/episodes";

    (void)state;
    /* the path is a slice of the request buffer */
    assert_int_equal(http_route_find(routes, NROUTES, HTTP_GET, path, 16, &mt), 200);
    assert_int_equal(mt.route->id, R_SHOW);
    assert_param(&mt, 0, "82");
}

static void format(unsigned methods, const char *want)
{
    buf b;

    buf_init(&b, 0);
    http_methods_format(methods, &b);
    assert_string_equal(b.data ? b.data : "", want);
    buf_free(&b);
}

static void test_router_formats_allow_header(void **state)
{
    (void)state;
    format(M(HTTP_GET), "GET, HEAD");
    format(M(HTTP_GET) | M(HTTP_POST), "GET, HEAD, POST");
    format(M(HTTP_DELETE) | M(HTTP_GET) | M(HTTP_OPTIONS), "GET, HEAD, DELETE, OPTIONS");
    format(M(HTTP_POST), "POST");
    format(0, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_matches_literal_path),
        cmocka_unit_test(test_router_captures_path_params),
        cmocka_unit_test(test_router_captures_up_to_max_params),
        cmocka_unit_test(test_router_answers_404_for_unknown_path),
        cmocka_unit_test(test_router_answers_405_with_allowed_methods),
        cmocka_unit_test(test_router_picks_route_by_method),
        cmocka_unit_test(test_router_matches_head_where_get_does),
        cmocka_unit_test(test_router_rejects_trailing_slash),
        cmocka_unit_test(test_router_rejects_empty_segment),
        cmocka_unit_test(test_router_uses_path_length_not_nul),
        cmocka_unit_test(test_router_formats_allow_header),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
