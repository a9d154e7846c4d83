"""Self-test of openapi_check against docs/openapi.json.

Run: /usr/bin/python3 -m pytest tests/support/test_openapi_check.py -q
"""

import copy
import gzip
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.json")
sys.path.insert(0, HERE)

import openapi_check  # noqa: E402

# The example of GET /api/v1/tvshows, verbatim from docs/api-contract.md.
CONTRACT_TVSHOWS = """{
  "data": [
    {
      "id": 86,
      "name": "Henry Winkler, Monica Barbaro",
      "season": 2025,
      "episode_number": 56,
      "type": "regular",
      "runtime": 60,
      "rating": 7.5,
      "summary": "<p>…</p>",
      "image_medium": "https://static.tvmaze.com/…jpg",
      "image_original": "https://static.tvmaze.com/…jpg",
      "airdate": "2025-06-09",
      "airtime": "00:35",
      "airstamp": "2025-06-09T04:35:00Z",
      "url": "https://www.tvmaze.com/episodes/…",
      "show": {
        "id": 12,
        "name": "Late Night with Seth Meyers",
        "type": "Talk Show",
        "language": "English",
        "status": "Running",
        "rating": 6.9,
        "genres": ["Comedy"],
        "image_medium": "https://…",
        "image_original": "https://…",
        "network": {"id": 3, "name": "NBC", "country": "United States", "country_code": "US",
                    "kind": "network", "timezone": "America/New_York"},
        "web_channel": null,
        "url": "https://www.tvmaze.com/shows/…",
        "distributor": {"id": 3, "name": "NBC", "country": "United States", "country_code": "US",
                        "kind": "network", "timezone": "America/New_York"},
        "externals": {"tvmaze": 62, "imdb": "tt3513388", "thetvdb": 270262},
        "next_episode": {"id": 90, "season": 2025, "number": 57, "name": "Gwyneth Paltrow",
                         "airdate": "2025-06-10", "airstamp": "2025-06-10T04:35:00Z"}
      },
      "premiere": null,
      "season_finale": null,
      "time_known": true
    }
  ],
  "pagination": {"current_page": 1, "total_pages": 10, "total_count": 243, "per_page": 25}
}""".encode("utf-8")

OK_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "public, max-age=3600",
    "ETag": '"a1b2c3"',
    "Vary": "Accept-Encoding",
    "X-Request-Id": "req-1",
}
ERROR_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Request-Id": "req-2",
}

TVSHOWS = "/api/v1/tvshows?date_from=2025-06-09&date_to=2025-06-09"


@pytest.fixture(scope="module")
def spec():
    return openapi_check.load(SPEC_PATH)


def contract_page():
    return json.loads(CONTRACT_TVSHOWS)


def show_detail(spec):
    return copy.deepcopy(spec.document["components"]["schemas"]["ShowDetail"]["examples"][0])


def rejects(spec, *args, match=None, **kwargs):
    with pytest.raises(AssertionError) as info:
        spec.validate_response(*args, **kwargs)
    if match:
        assert match in str(info.value), str(info.value)
    return str(info.value)


def concrete(template):
    return template.replace("{id}", "12")


def all_examples(spec):
    """(method, path, status, value) for every response example in the document."""
    for template, item in spec.document["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                response = spec.resolve(response)
                for kind, media in (response.get("content") or {}).items():
                    if "example" in media:
                        yield method, concrete(template), status, media["example"], kind
                    for example in (media.get("examples") or {}).values():
                        yield (method, concrete(template), status, spec.resolve(example)["value"],
                               kind)


# -- the document itself ------------------------------------------------------


def test_document_is_openapi_3_1(spec):
    doc = spec.document
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["license"]["identifier"] == "MIT"
    assert "CC BY-SA 4.0" in doc["info"]["description"]
    assert doc["servers"][0]["url"] == "http://127.0.0.1:3000"
    for name in ("Episode", "Show", "ShowDetail", "Distributor", "Pagination", "Error", "Health", "Ready"):
        assert name in doc["components"]["schemas"], name


def test_strict_schemas_require_every_key(spec):
    schemas = spec.document["components"]["schemas"]
    for name in ("Episode", "Show", "ShowDetail", "Distributor", "Pagination"):
        assert schemas[name]["additionalProperties"] is False, name
        # local_date and local_time come with tz= only
        assert schemas[name]["required"] == [k for k in schemas[name]["properties"]
                                             if k not in ("local_date", "local_time")], name
    assert schemas["Error"]["additionalProperties"] is False
    assert list(schemas["Error"]["properties"]) == ["error", "details", "retry_after"]
    # the Rails contract's keys in its order, then the ones added since
    rails_episode = ["id", "name", "season", "episode_number", "type", "runtime", "rating",
                     "summary", "image_medium", "image_original", "airdate", "airtime", "airstamp",
                     "url", "show"]
    assert list(schemas["Episode"]["properties"]) == rails_episode + [
        "premiere", "season_finale", "time_known", "local_date", "local_time"]
    rails_show = ["id", "name", "type", "language", "status", "rating", "genres", "image_medium",
                  "image_original", "network", "web_channel", "url"]
    added = ["distributor", "externals", "next_episode"]
    assert list(schemas["Show"]["properties"]) == rails_show + added
    assert list(schemas["ShowDetail"]["properties"]) == rails_show + [
        "runtime", "premiered", "ended", "official_site", "schedule", "summary"] + added


def test_security_tags_and_parameter_defaults(spec):
    paths = spec.document["paths"]
    optional = [{}, {"ApiKeyAuth": []}, {"BearerAuth": []}]
    identity = [{"ApiKeyAuth": []}, {"BearerAuth": []}]
    for template, item in paths.items():
        for method, op in item.items():
            op = spec.resolve(op)
            if template.startswith("/api/v1/lists"):
                # the API's writes, and the lists, need an identity even when
                # reads are open
                assert op["security"] == identity, (template, method)
            elif template.startswith("/feeds/"):
                assert op["security"] == [{}], template  # the token is the credential
            elif template.startswith("/api/v1/"):
                assert op["security"] == optional, template
            else:
                assert op["security"] == [], template
        if template.startswith("/api/v1/analytics/"):
            assert item["get"]["tags"] == ["analytics"], template

    def per_page_default(template):
        for param in paths[template]["get"]["parameters"]:
            param = spec.resolve(param)
            if param["name"] == "per_page":
                return param["schema"]["default"]

    assert per_page_default("/api/v1/tvshows") == 25
    assert per_page_default("/api/v1/shows/{id}/episodes") == 25
    assert per_page_default("/api/v1/shows") == 50


def test_every_example_in_the_document_validates(spec):
    count = 0
    for method, path, status, value, kind in all_examples(spec):
        if kind.endswith("json"):
            spec.validate_response(method, path, int(status), value)
        else:
            spec.validate_response(method, path, int(status), value,
                                   dict(OK_HEADERS, **{"Content-Type": kind}))
        count += 1
    assert count >= 25
    for name, schema in spec.document["components"]["schemas"].items():
        for value in schema.get("examples", ()):
            spec.validate_value({"$ref": f"#/components/schemas/{name}"}, value, name)


# -- accepted responses ---------------------------------------------------------


def test_contract_tvshows_example_is_accepted(spec):
    response = spec.validate_response("GET", TVSHOWS, 200, CONTRACT_TVSHOWS, OK_HEADERS)
    assert "application/json" in response["content"]


def test_accepts_bytes_str_and_parsed_bodies(spec):
    spec.validate_response("GET", TVSHOWS, 200, CONTRACT_TVSHOWS.decode("utf-8"))
    spec.validate_response("GET", TVSHOWS, 200, contract_page())


def test_accepts_gzip_body(spec):
    headers = dict(OK_HEADERS, **{"Content-Encoding": "gzip"})
    spec.validate_response("GET", TVSHOWS, 200, gzip.compress(CONTRACT_TVSHOWS), headers)


def test_accepts_nullable_fields_and_web_channel(spec):
    page = contract_page()
    episode = page["data"][0]
    for key in ("type", "runtime", "rating", "summary", "image_medium", "image_original",
                "airstamp", "url", "episode_number"):
        episode[key] = None
    episode["airtime"] = ""
    show = episode["show"]
    for key in ("type", "language", "status", "rating", "image_medium", "image_original", "url"):
        show[key] = None
    show["genres"] = []
    show["network"] = None
    show["web_channel"] = {"id": 1, "name": "Netflix", "country": None, "country_code": None,
                           "kind": "web", "timezone": None}
    spec.validate_response("GET", TVSHOWS, 200, page)


def test_accepts_empty_page(spec):
    body = {"data": [], "pagination": {"current_page": 3, "total_pages": 0, "total_count": 0, "per_page": 25}}
    spec.validate_response("GET", TVSHOWS, 200, body)


def test_path_templates_match_concrete_paths(spec):
    assert spec.match_path("/api/v1/shows/12") == "/api/v1/shows/{id}"
    assert spec.match_path("/api/v1/shows/12/episodes?page=2") == "/api/v1/shows/{id}/episodes"
    assert spec.match_path("/api/v1/shows") == "/api/v1/shows"
    assert spec.match_path("/api/v1/shows/12/cast") is None
    spec.validate_response("GET", "/api/v1/shows/12", 200, {"data": show_detail(spec)}, OK_HEADERS)
    page = contract_page()
    body = {"show": page["data"][0]["show"], "data": page["data"], "pagination": page["pagination"]}
    spec.validate_response("GET", "/api/v1/shows/12/episodes?per_page=25", 200, body)


def test_error_responses(spec):
    spec.validate_response("GET", TVSHOWS, 400, {"error": "Start date cannot be after end date"}, ERROR_HEADERS)
    spec.validate_response("GET", "/api/v1/shows/abc", 404,
                           {"error": "Resource not found", "details": "Couldn't find TvShow with 'id'=abc"})
    headers = dict(ERROR_HEADERS, **{"Retry-After": "42", "RateLimit-Limit": "100",
                                     "RateLimit-Remaining": "0", "RateLimit-Reset": "42"})
    spec.validate_response("GET", "/api/v1/networks", 429, {"error": "Rate limit exceeded", "retry_after": 42}, headers)
    spec.validate_response("GET", "/api/v1/countries", 401, {"error": "Invalid API key"},
                           dict(ERROR_HEADERS, **{"WWW-Authenticate": "Bearer"}))
    spec.validate_response("GET", "/api/v1/shows", 503, {"error": "Service unavailable"}, ERROR_HEADERS)


def test_health_and_readiness(spec):
    spec.validate_response("GET", "/up", 200, b'{"status":"ok"}',
                           {"X-Request-Id": "x", "Content-Type": "application/json; charset=utf-8"})
    rejects(spec, "GET", "/up", 200, b'{"status":"ok"}', {"Content-Type": "application/json"},
            match="missing required header X-Request-Id")
    spec.validate_response("GET", "/ready", 200, {"status": "ok", "database": "ok", "redis": "disabled"})
    spec.validate_response("GET", "/ready", 503, {"status": "unavailable", "database": "down", "redis": "ok"})
    rejects(spec, "GET", "/ready", 200, {"status": "ok", "database": "down", "redis": "ok"}, match="$.database")
    rejects(spec, "GET", "/ready", 503, {"status": "ok", "database": "down", "redis": "ok"}, match="$.status")
    rejects(spec, "GET", "/up", 200, {"status": "ok", "uptime": 3}, match="uptime")
    rejects(spec, "GET", "/up", 503, {"error": "Service unavailable"}, match="not documented")


ANALYTICS_ROWS = {
    "networks": {"rank": 1, "distributor": "NBC", "kind": "network", "country": "United States",
                 "episodes": 12, "peak_7d": 5, "avg_7d": 1.5},
    "genres": {"genre": "Action", "shows": 12, "episodes": 20, "upcoming_episodes": 0,
               "upcoming_share": 0, "avg_show_rating": 8.2, "avg_episode_rating": 9,
               "rating_quartile": 1},
    "schedule-density": {"day_type": "weekday", "day_part": "morning", "episodes": 0,
                         "per_day": 0, "busiest": False},
}


@pytest.mark.parametrize("report", sorted(ANALYTICS_ROWS))
def test_analytics_reports(spec, report):
    path = "/api/v1/analytics/" + report
    row = ANALYTICS_ROWS[report]
    spec.validate_response("GET", path, 200, {"data": [row], "generated_at": "2025-06-09T12:00:00Z"},
                           OK_HEADERS)
    rejects(spec, "GET", path, 200, {"data": []}, match="generated_at")
    rejects(spec, "GET", path, 200, {"data": [1], "generated_at": "2025-06-09T12:00:00Z"}, match="$.data[0]")
    extra = dict(row, anything=[1, 2])
    rejects(spec, "GET", path, 200, {"data": [extra], "generated_at": "2025-06-09T12:00:00Z"},
            match="anything")


def test_openapi_document_endpoint(spec):
    with open(SPEC_PATH, "rb") as f:
        spec.validate_response("GET", "/api/v1/openapi.json", 200, f.read(), OK_HEADERS)
    rejects(spec, "GET", "/api/v1/openapi.json", 200, {"swagger": "2.0"}, match="openapi")


def test_conditional_head_options_and_fallbacks(spec):
    spec.validate_response("GET", "/api/v1/shows", 304, b"", {"X-Request-Id": "r", "ETag": '"abc"'})
    rejects(spec, "GET", "/api/v1/shows", 304, b'{"data":[]}', match="no body")
    spec.validate_response("HEAD", TVSHOWS, 200, b"", OK_HEADERS)
    spec.validate_response("HEAD", "/up", 200, None)
    rejects(spec, "HEAD", TVSHOWS, 200, CONTRACT_TVSHOWS, match="HEAD response has no body")
    rejects(spec, "HEAD", "/up", 201, b"", match="not documented")
    spec.validate_response("OPTIONS", "/api/v1/tvshows", 204, b"", {"X-Request-Id": "r"})
    rejects(spec, "OPTIONS", "/api/v1/tvshows", 200, b"", match="204")
    spec.validate_response("POST", "/api/v1/shows", 405, {"error": "Method not allowed"},
                           dict(ERROR_HEADERS, Allow="GET, HEAD"))
    rejects(spec, "POST", "/api/v1/shows", 405, {"error": "Method not allowed"}, ERROR_HEADERS, match="Allow")
    rejects(spec, "DELETE", "/api/v1/shows/12", 200, b"", match="only answer 405")
    spec.validate_response("GET", "/api/v2/nothing", 404, {"error": "Not found"}, ERROR_HEADERS)
    rejects(spec, "GET", "/api/v2/nothing", 200, {"error": "Not found"}, match="path is not documented")
    rejects(spec, "GET", "/api/v2/nothing", 404, "<html>Not found</html>", match="not UTF-8 JSON")


# -- rejected responses -----------------------------------------------------------


def _drop(key):
    def edit(page):
        del page["data"][0][key]
    return edit


def _set(*path_and_value):
    *path, value = path_and_value

    def edit(page):
        node = page
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return edit


def _reorder(page):
    episode = page["data"][0]
    page["data"][0] = {"name": episode.pop("name"), **episode}


def _reorder_show(page):
    show = page["data"][0]["show"]
    page["data"][0]["show"] = dict(reversed(list(show.items())))


BROKEN_PAGES = [
    ("missing episode key", _drop("airstamp"), "'airstamp' is a required property"),
    ("missing episode type", _drop("type"), "'type' is a required property"),
    ("missing show key", lambda p: p["data"][0]["show"].pop("web_channel"), "'web_channel' is a required property"),
    ("missing pagination", lambda p: p.pop("pagination"), "'pagination' is a required property"),
    ("missing distributor key", lambda p: p["data"][0]["show"]["network"].pop("country_code"), "country_code"),
    ("rating as string (the Rails bug)", _set("data", 0, "rating", "7.5"), "$.data[0].rating"),
    ("show rating as string", _set("data", 0, "show", "rating", "6.9"), "$.data[0].show.rating"),
    ("season null", _set("data", 0, "season", None), "$.data[0].season"),
    ("id as string", _set("data", 0, "id", "86"), "$.data[0].id"),
    ("genres null", _set("data", 0, "show", "genres", None), "$.data[0].show.genres"),
    ("genre not a string", _set("data", 0, "show", "genres", [1]), "$.data[0].show.genres[0]"),
    ("network as string", _set("data", 0, "show", "network", "NBC"), "$.data[0].show.network"),
    ("airtime 24:00", _set("data", 0, "airtime", "24:00"), "$.data[0].airtime"),
    ("airtime with seconds", _set("data", 0, "airtime", "00:35:00"), "$.data[0].airtime"),
    ("airdate not a date", _set("data", 0, "airdate", "2025-02-30"), "$.data[0].airdate"),
    ("airdate other format", _set("data", 0, "airdate", "09/06/2025"), "$.data[0].airdate"),
    ("airstamp not a date-time", _set("data", 0, "airstamp", "2025-06-09 04:35"), "$.data[0].airstamp"),
    ("extra episode key", _set("data", 0, "tvmaze_id", 1), "'tvmaze_id' was unexpected"),
    ("extra show key", _set("data", 0, "show", "network_id", 3), "'network_id' was unexpected"),
    ("extra distributor key", _set("data", 0, "show", "network", "slug", "nbc"), "'slug' was unexpected"),
    ("unknown distributor kind", _set("data", 0, "show", "network", "kind", "cable"), "$.data[0].show.network"),
    ("extra pagination key", _set("pagination", "next_page", 2), "'next_page' was unexpected"),
    ("extra top-level key", _set("meta", {}), "'meta' was unexpected"),
    ("per_page over 100", _set("pagination", "per_page", 500), "$.pagination.per_page"),
    ("current_page 0", _set("pagination", "current_page", 0), "$.pagination.current_page"),
    ("data not an array", _set("data", {}), "$.data"),
    ("episode keys out of order", _reorder, "out of order"),
    ("show keys out of order", _reorder_show, "$.data[0].show are out of order"),
]


@pytest.mark.parametrize("edit,expected", [(e, m) for _, e, m in BROKEN_PAGES], ids=[n for n, _, _ in BROKEN_PAGES])
def test_rejects_broken_tvshows_page(spec, edit, expected):
    page = contract_page()
    edit(page)
    rejects(spec, "GET", TVSHOWS, 200, page, match=expected)


def test_rejects_broken_show_detail(spec):
    detail = show_detail(spec)
    del detail["schedule"]
    rejects(spec, "GET", "/api/v1/shows/12", 200, {"data": detail}, match="'schedule' is a required property")
    detail = show_detail(spec)
    detail["schedule"]["timezone"] = "UTC"
    rejects(spec, "GET", "/api/v1/shows/12", 200, {"data": detail}, match="'timezone' was unexpected")
    detail = show_detail(spec)
    detail["premiered"] = "2014"
    rejects(spec, "GET", "/api/v1/shows/12", 200, {"data": detail}, match="$.data.premiered")
    # A plain Show object is not a ShowDetail.
    plain = contract_page()["data"][0]["show"]
    rejects(spec, "GET", "/api/v1/shows/12", 200, {"data": plain}, match="'runtime' is a required property")
    # And a ShowDetail is not a Show.
    rejects(spec, "GET", "/api/v1/shows", 200,
            {"data": [show_detail(spec)], "pagination": contract_page()["pagination"]}, match="unexpected")


def test_rejects_broken_error_bodies(spec):
    rejects(spec, "GET", TVSHOWS, 400, {"message": "bad"}, match="'error' is a required property")
    rejects(spec, "GET", TVSHOWS, 400, {"error": "bad", "trace": "x.c:12"}, match="'trace' was unexpected")
    rejects(spec, "GET", TVSHOWS, 400, {"error": 400}, match="$.error")
    rejects(spec, "GET", "/api/v1/networks", 429, {"error": "Rate limit exceeded", "retry_after": "42"}, match="retry_after")
    rejects(spec, "GET", TVSHOWS, 400, b"", match="body is empty")


@pytest.mark.parametrize("method,path,status", [
    ("GET", TVSHOWS, 500),
    ("GET", TVSHOWS, 201),
    ("GET", TVSHOWS, 404),
    ("GET", "/api/v1/networks", 400),
    ("GET", "/api/v1/shows/12", 400),
    ("GET", "/up", 429),
])
def test_rejects_undocumented_status(spec, method, path, status):
    rejects(spec, method, path, status, {"error": "Internal server error"}, match=f"status {status} is not documented")


def test_rejects_bad_headers(spec):
    body = CONTRACT_TVSHOWS
    for name in ("ETag", "Cache-Control", "Vary", "X-Request-Id"):
        headers = {k: v for k, v in OK_HEADERS.items() if k != name}
        rejects(spec, "GET", TVSHOWS, 200, body, headers, match=f"missing required header {name}")
    rejects(spec, "GET", TVSHOWS, 200, body, dict(OK_HEADERS, ETag='W/"a1"'), match="header ETag")
    rejects(spec, "GET", TVSHOWS, 200, body, dict(OK_HEADERS, **{"Cache-Control": "no-cache"}), match="header Cache-Control")
    rejects(spec, "GET", TVSHOWS, 200, body, dict(OK_HEADERS, **{"Content-Type": "text/html"}), match="Content-Type")
    rejects(spec, "GET", TVSHOWS, 200, body, {k: v for k, v in OK_HEADERS.items() if k != "Content-Type"},
            match="missing Content-Type")
    rejects(spec, "GET", TVSHOWS, 400, {"error": "x"}, dict(ERROR_HEADERS, **{"Cache-Control": "public, max-age=60"}),
            match="header Cache-Control")
    rejects(spec, "GET", "/api/v1/networks", 429, {"error": "Rate limit exceeded", "retry_after": 5}, ERROR_HEADERS,
            match="missing required header Retry-After")
    rejects(spec, "GET", "/api/v1/networks", 429, {"error": "Rate limit exceeded", "retry_after": 5},
            dict(ERROR_HEADERS, **{"Retry-After": "soon", "RateLimit-Limit": "1", "RateLimit-Remaining": "0",
                                   "RateLimit-Reset": "5"}), match="header Retry-After")
    # Header names are case-insensitive; a list of pairs works as well.
    spec.validate_response("GET", TVSHOWS, 200, body, [(k.lower(), v) for k, v in OK_HEADERS.items()])


def test_command_line(tmp_path):
    script = os.path.join(HERE, "openapi_check.py")
    good = tmp_path / "good.json"
    good.write_bytes(CONTRACT_TVSHOWS)
    run = subprocess.run([sys.executable, script, SPEC_PATH, "GET", TVSHOWS, "200", str(good)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, script, SPEC_PATH, "GET", "/api/v1/shows/1", "200"],
                         input='{"data": {}}', capture_output=True, text=True)
    assert run.returncode == 1
    assert "required property" in run.stderr
