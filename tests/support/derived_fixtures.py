"""Schedule files derived from the recorded TVmaze fixtures, for what the
recordings do not happen to hold: episodes around the daylight-saving
changes, a late-night episode after midnight in New York, a show named in
Japanese, and a week that lies around today (for "next" and "from now").

Every derived item is a recorded item with its dates, times, ids or name
changed; airstamps are computed from the distributor's own time zone with
Python's zoneinfo, as TVmaze computes them. The files are named as saved
responses are (schedule-CC-DATE.json, schedule-web-DATE.json), so both the
importer and tests/support/fixture_model.py read them like the recordings.
"""
import copy
import datetime
import glob
import json
import os
import shutil
from zoneinfo import ZoneInfo

DERIVED_ID_BASE = 90_000_000  # far above the recorded episode and show ids


def _load(folder, name):
    return json.load(open(os.path.join(folder, name), encoding="utf-8"))


def _show(item):
    return item.get("show") or item["_embedded"]["show"]


def _stamp(date, time, zone):
    local = datetime.datetime.fromisoformat("%sT%s" % (date, time)).replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class Deriver:
    def __init__(self, recorded, out):
        self.recorded = recorded
        self.out = out
        self.next_id = DERIVED_ID_BASE
        self.files = {}

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def item(self, base, date, time, zone, **changes):
        """A copy of base on date at time (local to zone), with a new id."""
        it = copy.deepcopy(base)
        it["id"] = self.new_id()
        it["url"] = "https://www.tvmaze.com/episodes/%d/derived" % it["id"]
        it["airdate"] = date
        it["airtime"] = time
        it["airstamp"] = _stamp(date, time or "12:00", zone)
        it.update(changes)
        return it

    def add(self, source, date, item):
        self.files.setdefault("schedule-%s-%s.json" % (source, date), []).append(item)

    def write(self):
        os.makedirs(self.out, exist_ok=True)
        for path in glob.glob(os.path.join(self.recorded, "schedule-*.json")):
            shutil.copy(path, self.out)
        for name, items in self.files.items():
            with open(os.path.join(self.out, name), "w", encoding="utf-8") as f:
                json.dump(items, f, ensure_ascii=False)
        return self.out


def _pick(items, network):
    return next(i for i in items if ((_show(i).get("network") or {}).get("name") == network))


def derive(recorded, out, today=None):
    """Writes the recorded files plus the derived ones into out; returns it."""
    d = Deriver(recorded, out)
    us = _load(recorded, "schedule-US-2020-12-01.json")
    gb = _load(recorded, "schedule-GB-2026-07-04.json")
    late = _pick(us, "CBS")
    bbc = _pick(gb, "BBC Two")

    # 00:35 in New York is 21:35 the day before in Los Angeles
    d.add("US", "2020-12-02", d.item(late, "2020-12-02", "00:35", "America/New_York"))
    # around the changes of 2026: the US on 8 March and 1 November, Europe
    # on 29 March and 25 October (London and Berlin move together)
    for date, times in (("2026-03-08", ("00:30", "01:30", "03:30", "23:30")),
                        ("2026-11-01", ("00:30", "02:30", "23:30"))):
        for t in times:
            d.add("US", date, d.item(late, date, t, "America/New_York"))
    for date, times in (("2026-03-29", ("00:30", "02:30", "23:30")),
                        ("2026-10-25", ("00:30", "02:30", "23:30"))):
        for t in times:
            d.add("GB", date, d.item(bbc, date, t, "Europe/London"))
    # an episode without an announced time on a change day
    d.add("GB", "2026-03-29", d.item(bbc, "2026-03-29", "", "Europe/London"))

    # a show named in Japanese, on a web channel
    web = _load(recorded, "schedule-web-2024-01-01.json")
    base = copy.deepcopy(web[0])
    show = base["_embedded"]["show"]
    show.update({"id": d.new_id(), "name": "進撃の巨人",
                 "url": "https://www.tvmaze.com/shows/%d/derived" % d.next_id,
                 "externals": {"tvrage": None, "thetvdb": 267440, "imdb": "tt2560140"}})
    d.add("web", "2024-01-02", d.item(base, "2024-01-02", "10:00", "Asia/Tokyo"))

    # the recorded GB week moved to around today: from yesterday on
    if today is not None:
        for k, day in enumerate(("2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06",
                                 "2026-07-07")):
            date = (today + datetime.timedelta(days=k - 1)).isoformat()
            for it in _load(recorded, "schedule-GB-%s.json" % day):
                zone = (_show(it).get("network") or _show(it).get("webChannel")
                        or {}).get("country", {}).get("timezone") or "Europe/London"
                d.add("GB", date, d.item(it, date, it["airtime"], zone,
                                         season=it.get("season"), number=it.get("number")))
    return d.write()
