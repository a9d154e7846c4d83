"""The schedule files the browser tests import, written into a folder:

- the recorded fixtures and the derived ones of tests/support (around the
  daylight-saving changes, and the recorded GB week moved to around today,
  so that "today", "now", next episodes and the reports that look ahead
  have something to show);
- a showcase week: the five recorded GB days, moved to Monday 13 to Sunday 19
  July 2026 (Monday and Tuesday once more at the weekend), for the README's
  screenshot at a fixed clock;
- a show whose summary is hostile HTML (script, event handlers, links,
  styles) next to allowed formatting, for the sanitiser.

    fixtures.py OUT_DIR
Prints OUT_DIR. Every derived item has its own ids (far above the recorded
ones), dates and airstamps computed in the distributor's zone.
"""
import copy
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import derived_fixtures  # noqa: E402

RECORDED = os.path.join(ROOT, "tests", "fixtures", "tvmaze")
SHOWCASE = [("2026-07-03", "2026-07-17"), ("2026-07-04", "2026-07-18"), ("2026-07-05", "2026-07-19"),
            ("2026-07-06", "2026-07-13"), ("2026-07-07", "2026-07-14"), ("2026-07-06", "2026-07-15"),
            ("2026-07-07", "2026-07-16")]
HOSTILE_SUMMARY = (
    '<p>A <b>bold</b> and <i>brave</i> summary of Tom &amp; Jerry&#8217;s &lt;b&gt;.'
    '<script>window.__pwned = 1</script></p><<script>script>window.__pwned = 5<</script>/script>'
    '<img src="x" onerror="window.__pwned = 2"><p onclick="window.__pwned = 3">'
    '<a href="javascript:window.__pwned = 4">a link</a> <style>body{display:none}</style>'
    '<iframe src="https://example.invalid/"></iframe>end.</p>')
HOSTILE_SHOW_ID = 97_000_001


def zone_of(item):
    show = derived_fixtures._show(item)
    return ((show.get("network") or show.get("webChannel") or {}).get("country") or {}).get(
        "timezone") or "Europe/London"


def main():
    out = sys.argv[1]
    today = datetime.datetime.now(datetime.timezone.utc).date()
    d = derived_fixtures.Deriver(RECORDED, out)
    d.next_id = 96_000_000  # apart from the ids derive() hands out
    for recorded_day, day in SHOWCASE:
        for it in derived_fixtures._load(RECORDED, "schedule-GB-%s.json" % recorded_day):
            d.add("GB", day, d.item(it, day, it["airtime"], zone_of(it)))
    base = derived_fixtures._load(RECORDED, "schedule-GB-2026-07-06.json")[0]
    hostile = d.item(base, "2026-07-08", "20:00", "Europe/London")
    show = copy.deepcopy(derived_fixtures._show(hostile))
    show.update({"id": HOSTILE_SHOW_ID, "name": "Summary Sanitiser Test", "summary": HOSTILE_SUMMARY,
                 "url": "https://www.tvmaze.com/shows/%d/derived" % HOSTILE_SHOW_ID, "image": None,
                 "externals": {"tvrage": None, "thetvdb": None, "imdb": None}})
    hostile["show"] = show
    d.add("GB", "2026-07-08", hostile)
    # derive() copies the recorded files and writes its own; the showcase
    # and the hostile show go beside them under names of days it leaves alone
    derived_fixtures.derive(RECORDED, out, today=today)
    for name, items in d.files.items():
        path = os.path.join(out, name)
        if os.path.exists(path):
            items = json.load(open(path, encoding="utf-8")) + items
        with open(path, "w", encoding="utf-8") as f:
            json.dump(items, f, ensure_ascii=False)
    print(out)


main()
