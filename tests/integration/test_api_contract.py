"""docs/api-contract.md, rule by rule, against the fixtures loaded through the
real importer; every response is also validated against docs/openapi.json."""
import gzip
import json
import urllib.parse

import pytest

TV = "/api/v1/tvshows"
# the Rails contract's keys, in its order, then the ones added since
EP_KEYS = ["id", "name", "season", "episode_number", "type", "runtime", "rating", "summary",
           "image_medium", "image_original", "airdate", "airtime", "airstamp", "url", "show",
           "premiere", "season_finale", "time_known"]
SHOW_BASE = ["id", "name", "type", "language", "status", "rating", "genres", "image_medium",
             "image_original", "network", "web_channel", "url"]
SHOW_ADDED = ["distributor", "externals", "next_episode"]
SHOW_KEYS = SHOW_BASE + SHOW_ADDED


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


def all_pages(srv, per_page, **params):
    """Every page of a query, concatenated, with the totals of each page."""
    out, page, totals = [], 1, set()
    while True:
        body = srv.get(q(TV, page=page, per_page=per_page, **params)).json()
        totals.add((body["pagination"]["total_count"], body["pagination"]["total_pages"]))
        if not body["data"]:
            break
        out.extend(body["data"])
        page += 1
    return out, totals


# ---- errors, exactly as the contract words them ----

@pytest.mark.parametrize("params", [{}, {"date_from": "2026-07-03"}, {"date_to": "2026-07-03"},
                                    {"date_from": "", "date_to": "2026-07-03"},
                                    {"date_from": "  ", "date_to": "2026-07-03"}])
def test_missing_or_blank_dates(loaded, params):
    r = loaded.server.get(q(TV, **params))
    assert r.status == 400
    assert r.json() == {"error": "date_from and date_to parameters are required"}
    assert r.header("Cache-Control") == "no-store"


@pytest.mark.parametrize("bad", ["2025-02-30", "2025-13-01", "20250609", " 2025-06-09",
                                 "2025-6-9", "2025-06-09T00:00", "yesterday"])
def test_invalid_date_format_echoes_the_value(loaded, bad):
    r = loaded.server.get(q(TV, date_from=bad, date_to="2026-01-01"))
    assert r.status == 400
    assert r.json() == {"error": "Invalid date format: %s" % bad}


def test_invalid_date_echo_is_truncated_and_escaped(loaded):
    bad = "<script>" + "x" * 500
    r = loaded.server.get(q(TV, date_from="2026-01-01", date_to=bad))
    msg = r.json()["error"]
    assert r.status == 400 and msg.startswith("Invalid date format: <script>xxx")
    assert len(msg) < 120


def test_start_after_end(loaded):
    r = loaded.server.get(q(TV, date_from="2026-07-05", date_to="2026-07-04"))
    assert (r.status, r.json()) == (400, {"error": "Start date cannot be after end date"})


def test_range_of_366_days_is_allowed_and_367_is_not(loaded):
    assert loaded.server.get(q(TV, date_from="2025-01-01", date_to="2026-01-01")).status == 200
    r = loaded.server.get(q(TV, date_from="2024-01-01", date_to="2025-01-01"))
    assert (r.status, r.json()) == (400, {"error": "Date range cannot exceed 366 days"})


@pytest.mark.parametrize("params,name", [
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "1.5"}, "page"),
    ({"page": "abc"}, "page"), ({"per_page": "0"}, "per_page"), ({"per_page": "101"}, "per_page"),
    ({"per_page": "1e2"}, "per_page"), ({"rating": "11"}, "rating"), ({"rating": "-1"}, "rating"),
    ({"rating": "high"}, "rating"), ({"page": "99999999999999999999"}, "page"),
])
def test_bad_numbers_are_400_naming_the_parameter(loaded, params, name):
    r = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-07", **params))
    assert r.status == 400
    assert r.json()["error"] == "Invalid parameter: %s" % name


# ---- the data ----

def test_a_week_matches_the_model_in_order_and_content(loaded):
    expected = loaded.model.schedule("2026-07-03", "2026-07-09")
    got, totals = all_pages(loaded.server, 7, date_from="2026-07-03", date_to="2026-07-09")
    assert totals == {(len(expected), -(-len(expected) // 7))}
    assert [e["url"] for e in got] == [e["url"] for e in expected]
    assert len({e["id"] for e in got}) == len(got)  # pages never overlap
    for e in got:
        assert list(e) == EP_KEYS and list(e["show"]) == SHOW_KEYS


def test_episode_fields_are_mapped_from_the_upstream(loaded):
    body = loaded.server.get(q(TV, date_from="2026-07-04", date_to="2026-07-04", per_page=100)).json()
    by_url = {e["url"]: e for e in body["data"]}
    model = {e["url"]: e for e in loaded.model.schedule("2026-07-04", "2026-07-04")}
    assert by_url.keys() == model.keys()
    for url, e in by_url.items():
        m = model[url]
        show = loaded.model.show_of(m)
        assert e["name"] == m["name"] and e["season"] == m["season"]
        assert e["episode_number"] == m["number"] and e["airdate"] == m["airdate"]
        assert e["airtime"] == m["airtime"] and e["runtime"] == m["runtime"]
        assert e["summary"] == m["summary"] and e["type"] == m.get("type")
        assert e["show"]["name"] == show["name"] and e["show"]["genres"] == show["genres"]
        assert e["show"]["rating"] == (show.get("rating") or {}).get("average")
        net = loaded.model.dist("network", show.get("network"))
        assert (e["show"]["network"] or {}).get("name") == (net or {}).get("name")


def test_after_midnight_airstamp_is_utc_and_airtime_is_local(loaded):
    r = loaded.server.get(q(TV, date_from="2026-07-04", date_to="2026-07-04", per_page=100)).json()
    wimbledon = [e for e in r["data"] if e["url"].endswith("/3656616/today-at-wimbledon-2026-07-04-day-6")]
    assert len(wimbledon) == 1
    e = wimbledon[0]
    assert (e["airdate"], e["airtime"], e["airstamp"]) == ("2026-07-04", "00:00", "2026-07-04T23:00:00Z")


def test_web_channels_are_included_with_a_global_channel_having_no_country(loaded):
    body = loaded.server.get(q(TV, date_from="2020-12-04", date_to="2020-12-04", per_page=100,
                               distributor="Netflix")).json()
    assert body["pagination"]["total_count"] == len(
        loaded.model.schedule("2020-12-04", "2020-12-04", distributor="Netflix")) > 0
    wc = body["data"][0]["show"]["web_channel"]
    assert wc["name"] == "Netflix" and wc["country"] is None and wc["country_code"] is None
    assert wc["kind"] == "web" and wc["timezone"] is None


def test_a_web_only_show_names_its_web_channel_as_its_network(loaded):
    # the deliberate change of the contract (item 6): clients of the Rails
    # contract read show.network alone, and used to label every streaming
    # show "Unknown Network"; kind and web_channel keep the distinction
    got, _ = all_pages(loaded.server, 100, date_from="2020-12-04", date_to="2020-12-04")
    web_only = [e["show"] for e in got if loaded.model.dists_of(
        loaded.model.shows[int(e["show"]["url"].split("/shows/")[1].split("/")[0])])[0] is None]
    on_tv = [e["show"] for e in got if e["show"] not in web_only]
    assert web_only and on_tv
    for s in web_only:
        assert s["network"] == s["web_channel"] == s["distributor"]
        assert s["network"]["kind"] == "web"
    for s in on_tv:
        assert s["network"]["kind"] == "network" and s["distributor"] == s["network"]


def test_unknown_airtime_sorts_last_in_the_day(loaded):
    got, _ = all_pages(loaded.server, 100, date_from="2020-12-04", date_to="2020-12-04")
    times = [e["airtime"] for e in got]
    assert "" in times and times.index("") > 0
    first_unknown = times.index("")
    assert all(t == "" for t in times[first_unknown:])
    assert times[:first_unknown] == sorted(times[:first_unknown])


def test_specials_have_a_null_episode_number(loaded):
    got, _ = all_pages(loaded.server, 100, date_from="2020-12-25", date_to="2020-12-25")
    specials = [e for e in got if e["type"] in ("significant_special", "insignificant_special")]
    assert specials and all(e["episode_number"] is None for e in specials)


# Windows and filters whose matches are dense or sparse among the days'
# episodes, so that both ways of reading a page (a scan of the schedule, or
# the filter's shows first) and every page boundary are compared.
@pytest.mark.parametrize("window,filters", [
    (("2026-07-03", "2026-07-07"), {}),
    (("2026-07-03", "2026-07-07"), {"rating": 6.5}),
    (("2026-07-03", "2026-07-07"), {"country": "gb"}),
    (("2026-07-03", "2026-07-07"), {"distributor": "Channel 4"}),
    (("2026-07-03", "2026-07-07"), {"distributor": "BBC Two", "rating": 5}),
    (("2026-07-03", "2026-07-07"), {"distributor": "ITV1", "country": "United Kingdom"}),
    (("2026-07-03", "2026-07-07"), {"distributor": "ITV1", "country": "US"}),
    (("2026-07-05", "2026-07-05"), {"distributor": "5"}),
    (("2020-11-01", "2021-01-31"), {"distributor": "Netflix"}),
    (("2020-11-01", "2021-01-31"), {"distributor": "CBS"}),
    (("2020-11-01", "2021-01-31"), {"country": "US", "rating": 7}),
    (("2020-01-01", "2020-12-31"), {"country": "Japan"}),
    (("2023-12-30", "2024-01-02"), {"distributor": "Иви"}),
])
@pytest.mark.parametrize("per_page", [1, 4, 25])
def test_every_page_and_total_count_match_the_model(loaded, window, filters, per_page):
    expected = loaded.model.schedule(*window, **filters)
    got, totals = all_pages(loaded.server, per_page, date_from=window[0], date_to=window[1],
                            **filters)
    assert [e["url"] for e in got] == [e["url"] for e in expected]
    assert totals == {(len(expected), -(-len(expected) // per_page))}


@pytest.mark.parametrize("name", ["Иви", "BBC iPlayer", "HBO Max", "ITV1", "Netflix", "CBS"])
def test_distributor_filter_matches_the_model(loaded, name):
    expected = loaded.model.schedule("2020-01-01", "2026-12-31", distributor=name)
    assert expected, name
    got, _ = all_pages(loaded.server, 100, date_from="2020-01-01", date_to="2020-12-31",
                       distributor=name)
    got2, _ = all_pages(loaded.server, 100, date_from="2021-01-01", date_to="2021-12-31",
                        distributor=name)
    in_range = [e for e in expected if e["airdate"] <= "2020-12-31"]
    assert [e["url"] for e in got] == [e["url"] for e in in_range]


def test_non_ascii_distributor_percent_encoded_by_hand(loaded):
    raw = TV + "?date_from=2024-01-01&date_to=2024-01-01&distributor=%D0%98%D0%B2%D0%B8"
    body = loaded.server.get(raw).json()
    expected = loaded.model.schedule("2024-01-01", "2024-01-01", distributor="Иви")
    assert expected and body["pagination"]["total_count"] == len(expected)


@pytest.mark.parametrize("country", ["United Kingdom", "GB", "gb", "United States", "US",
                                     "Russian Federation", "KR"])
def test_country_by_name_or_code(loaded, country):
    expected = loaded.model.schedule("2020-01-01", "2026-12-31", country=country)
    got = []
    for a, b in (("2020-01-01", "2020-12-31"), ("2024-01-01", "2024-12-31"),
                 ("2026-01-01", "2026-12-31")):
        got += all_pages(loaded.server, 100, date_from=a, date_to=b, country=country)[0]
    assert expected and [e["url"] for e in got] == [e["url"] for e in expected]


@pytest.mark.parametrize("rating", ["7", "7.0", "8.5", "0"])
def test_minimum_rating(loaded, rating):
    expected = loaded.model.schedule("2020-12-01", "2020-12-31", rating=float(rating))
    got, _ = all_pages(loaded.server, 100, date_from="2020-12-01", date_to="2020-12-31",
                       rating=rating)
    assert [e["url"] for e in got] == [e["url"] for e in expected]
    assert all(e["show"]["rating"] >= float(rating) for e in got)


def test_filters_combine(loaded):
    expected = loaded.model.schedule("2026-07-01", "2026-07-31", country="GB", distributor="BBC iPlayer")
    got, _ = all_pages(loaded.server, 100, date_from="2026-07-01", date_to="2026-07-31",
                       country="GB", distributor="BBC iPlayer")
    assert expected and [e["url"] for e in got] == [e["url"] for e in expected]


def test_empty_optional_parameters_are_ignored(loaded):
    a = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-05")).json()
    b = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-05", rating="",
                            distributor="", country="", page="", per_page="")).json()
    assert a == b


def test_repeated_parameters_last_wins_and_unknown_are_ignored(loaded):
    a = loaded.server.get(TV + "?date_from=2026-07-03&date_to=2026-07-05&per_page=3").json()
    b = loaded.server.get(TV + "?date_from=2020-01-01&date_from=2026-07-03&date_to=2026-07-05"
                               "&per_page=50&per_page=3&bogus=1").json()
    assert a == b and a["pagination"]["per_page"] == 3


def test_page_past_the_end_and_zero_results(loaded):
    n = len(loaded.model.schedule("2026-07-03", "2026-07-07"))
    body = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-07", page=999)).json()
    assert body["data"] == []
    assert body["pagination"] == {"current_page": 999, "total_pages": -(-n // 25),
                                  "total_count": n, "per_page": 25}
    body = loaded.server.get(q(TV, date_from="1999-01-01", date_to="1999-01-07")).json()
    assert body == {"data": [], "pagination": {"current_page": 1, "total_pages": 0,
                                               "total_count": 0, "per_page": 25}}


def test_per_page_bounds(loaded):
    for pp in (1, 100):
        body = loaded.server.get(q(TV, date_from="2020-12-04", date_to="2020-12-04", per_page=pp)).json()
        assert len(body["data"]) == pp and body["pagination"]["per_page"] == pp


# ---- HTTP behaviour of the 200s ----

def test_cache_headers_etag_and_304(loaded):
    url = q(TV, date_from="2026-07-03", date_to="2026-07-05")
    r = loaded.server.get(url)
    assert r.header("Cache-Control") == "public, max-age=3600"
    assert "Accept-Encoding" in r.header("Vary")
    etag = r.header("ETag")
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    r2 = loaded.server.get(url, headers={"If-None-Match": etag})
    assert r2.status == 304 and r2.body == b"" and r2.header("ETag") == etag
    r3 = loaded.server.get(url, headers={"If-None-Match": '"nope", ' + etag})
    assert r3.status == 304
    r4 = loaded.server.get(url, headers={"If-None-Match": '"other"'})
    assert r4.status == 200 and r4.body == r.body


def test_gzip_body_decompresses_to_the_identity_body(loaded):
    url = q(TV, date_from="2020-12-04", date_to="2020-12-04", per_page=100)
    plain = loaded.server.get(url)
    gz = loaded.server.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.header("Content-Encoding") is None
    assert gz.header("Content-Encoding") == "gzip"
    assert gzip.decompress(gz.body) == plain.body
    assert len(gz.body) < len(plain.body)
    assert gz.header("ETag") != plain.header("ETag")  # two representations
    # either tag revalidates either representation
    assert loaded.server.get(url, headers={"If-None-Match": gz.header("ETag")}).status == 304
    refused = loaded.server.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.header("Content-Encoding") is None and refused.body == plain.body


def test_head_equals_get_minus_body(loaded):
    url = q(TV, date_from="2026-07-03", date_to="2026-07-05")
    g = loaded.server.get(url)
    h = loaded.server.request("HEAD", url)
    assert h.status == g.status and h.body == b""
    for name in ("Content-Length", "ETag", "Cache-Control", "Content-Type"):
        assert h.header(name) == g.header(name)


def test_cors_preflight_and_simple_request(loaded):
    r = loaded.server.request("OPTIONS", TV, headers={"Origin": "http://localhost:3000",
                                                      "Access-Control-Request-Method": "GET"})
    assert r.status == 204
    assert r.header("Access-Control-Allow-Origin") == "http://localhost:3000"
    assert "GET" in r.header("Access-Control-Allow-Methods")
    r = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-03"),
                          headers={"Origin": "http://localhost:3001"})
    assert r.header("Access-Control-Allow-Origin") == "http://localhost:3001"
    r = loaded.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-03"),
                          headers={"Origin": "https://evil.example"})
    assert r.header("Access-Control-Allow-Origin") is None


def test_every_response_has_a_request_id_and_errors_are_not_cached(loaded):
    for path in ("/up", TV, "/nope", "/api/v1/shows/0"):
        r = loaded.server.get(path)
        assert r.header("X-Request-Id")
        if r.status >= 400:
            assert r.header("Cache-Control") == "no-store"
    assert loaded.server.get("/up", headers={"X-Request-Id": "req-42"}).header("X-Request-Id") == "req-42"


# ---- shows, networks, countries ----

def test_shows_are_those_with_episodes_ordered_by_name(loaded):
    expected = loaded.model.shows_with_episodes()
    got, page = [], 1
    while True:
        body = loaded.server.get("/api/v1/shows?page=%d" % page).json()
        assert body["pagination"]["per_page"] == 50
        assert body["pagination"]["total_count"] == len(expected)
        if not body["data"]:
            break
        got += body["data"]
        page += 1
    assert [s["url"] for s in got] == [s["url"] for s in expected]
    assert all(list(s) == SHOW_KEYS for s in got)


def test_show_detail_and_its_episodes(loaded):
    body = loaded.server.get(q(TV, date_from="2026-07-04", date_to="2026-07-04", per_page=100)).json()
    f1 = next(e for e in body["data"] if e["show"]["name"] == "Formula 1")
    sid = f1["show"]["id"]
    detail = loaded.server.get("/api/v1/shows/%d" % sid).json()["data"]
    assert list(detail) == SHOW_BASE + ["runtime", "premiered", "ended", "official_site",
                                        "schedule", "summary"] + SHOW_ADDED
    show = loaded.model.shows[int(f1["show"]["url"].split("/shows/")[1].split("/")[0])]
    assert detail["premiered"] == show["premiered"] and detail["runtime"] == show["runtime"]
    assert detail["schedule"] == {"time": show["schedule"]["time"], "days": show["schedule"]["days"]}
    eps = loaded.server.get("/api/v1/shows/%d/episodes" % sid).json()
    assert eps["show"]["id"] == sid and list(eps) == ["show", "data", "pagination"]
    keys = [(e["airdate"], e["season"], e["episode_number"] or 0) for e in eps["data"]]
    assert keys == sorted(keys, reverse=True)
    model_eps = [e for e in loaded.model.episodes.values() if loaded.model.show_of(e) is show]
    assert eps["pagination"]["total_count"] == len(model_eps)


@pytest.mark.parametrize("sid", ["999999", "0", "abc", "12abc", "-1", "%31"])
def test_unknown_or_non_numeric_show_is_404(loaded, sid):
    for path in ("/api/v1/shows/%s" % sid, "/api/v1/shows/%s/episodes" % sid):
        r = loaded.server.get(path)
        assert r.status == 404
        assert r.json() == {"error": "Resource not found",
                            "details": "Couldn't find TvShow with 'id'=%s" % sid}


def test_networks_and_countries(loaded):
    assert loaded.server.get("/api/v1/networks").json() == {"data": loaded.model.distributor_names()}
    assert loaded.server.get("/api/v1/countries").json() == {"data": loaded.model.country_names()}


def test_openapi_document_is_served(loaded):
    r = loaded.server.get("/api/v1/openapi.json")
    doc = json.loads(r.body)
    assert doc["openapi"].startswith("3.1") and "/api/v1/tvshows" in doc["paths"]
