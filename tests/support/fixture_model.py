"""An independent model of what the recorded TVmaze fixtures should produce
through the API: computed in Python from the JSON files, not by the service's
SQL, so the tests compare two separate implementations of the contract."""
import datetime
import glob
import json
import os
import re
from zoneinfo import ZoneInfo

NAME = re.compile(r"schedule-(?:([A-Z]{2})|web)-(\d{4}-\d{2}-\d{2})\.json$")
TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def time_sort(airtime):
    if airtime and TIME.match(airtime):
        h, m = airtime.split(":")
        return int(h) * 60 + int(m)
    return 1440


class Model:
    def __init__(self, folder):
        self.episodes = {}   # tvmaze episode id -> item (last import wins)
        self.shows = {}      # tvmaze show id -> newest show payload
        self.dists = {}      # (kind, id) -> (updated, obj)
        self.listed_by = {}  # episode id -> set of (source, day)
        self.files = sorted(glob.glob(os.path.join(folder, "schedule-*.json")))
        for path in self.files:
            m = NAME.search(path)
            source = "country:%s" % m.group(1) if m.group(1) else "web"
            for item in json.load(open(path, encoding="utf-8")):
                self._add(item, source, m.group(2))

    def _add(self, item, source, day):
        show = item.get("show") or item["_embedded"]["show"]
        updated = show.get("updated") or 0
        old = self.shows.get(show["id"])
        if old is None or updated >= (old.get("updated") or 0):
            self.shows[show["id"]] = show
        for kind, key in (("network", "network"), ("web", "webChannel")):
            d = show.get(key)
            if d:
                prev = self.dists.get((kind, d["id"]))
                if prev is None or updated >= prev[0]:
                    self.dists[(kind, d["id"])] = (updated, d)
        if not (item.get("airdate") and DATE.match(item["airdate"])):
            return
        self.episodes[item["id"]] = item
        self.listed_by.setdefault(item["id"], set()).add((source, day))

    # ---- helpers over the model ----

    def show_of(self, ep):
        return self.shows[(ep.get("show") or ep["_embedded"]["show"])["id"]]

    def dist(self, kind, obj):
        if not obj:
            return None
        return self.dists[(kind, obj["id"])][1]

    def dists_of(self, show):
        return (self.dist("network", show.get("network")), self.dist("web", show.get("webChannel")))

    def sort_key(self, ep):
        show = self.show_of(ep)
        num = ep.get("number")
        return (ep["airdate"], time_sort(ep.get("airtime")), show["name"].encode("utf-8"),
                ep.get("season") or 0, 2147483647 if num is None else num)

    def names_of(self, distributor):
        """A comma-separated list of names, unless the whole is a name."""
        whole = {d["name"] for _, d in self.dists.values()}
        if distributor in whole or "," not in distributor:
            return {distributor}
        return {p.strip() for p in distributor.split(",") if p.strip()}

    @staticmethod
    def instant(ep):
        """The UTC instant of an episode whose time is announced, else None."""
        if not ep.get("airtime") or not ep.get("airstamp"):
            return None
        return datetime.datetime.fromisoformat(ep["airstamp"].replace("Z", "+00:00"))

    @staticmethod
    def premiere(ep):
        if ep.get("number") != 1:
            return None
        return "series" if ep.get("season") == 1 else "season"

    def local(self, ep, tz):
        """(local date, local time or None) of an episode in zone tz."""
        t = self.instant(ep)
        if t is None:
            return ep["airdate"], None
        lt = t.astimezone(ZoneInfo(tz))
        return lt.date().isoformat(), lt.strftime("%H:%M")

    def keeps(self, ep, date_from, date_to, distributor=None, country=None, rating=None,
              genre=None, exclude_genre=None, language=None, type=None, status=None, kind=None,
              premieres=None, new_shows=False):
        show = self.show_of(ep)
        net, web = self.dists_of(show)
        ds = [d for d in (net, web) if d]
        if distributor is not None:
            names = self.names_of(distributor)
            if not any(d["name"] in names for d in ds):
                return False
        if country is not None:
            def match(d):
                c = d.get("country") or {}
                return c.get("name") == country or (
                    len(country) == 2 and c.get("code") == country.upper())
            if not any(match(d) for d in ds):
                return False
        if rating is not None:
            r = (show.get("rating") or {}).get("average")
            if r is None or r < rating:
                return False
        genres = {g.lower() for g in show.get("genres") or []}
        if genre is not None and not genres & {g.strip().lower() for g in genre.split(",")}:
            return False
        if exclude_genre is not None and genres & {g.strip().lower() for g in exclude_genre.split(",")}:
            return False
        for value, key in ((language, "language"), (type, "type"), (status, "status")):
            if value is not None and (show.get(key) or "").lower() != value.lower():
                return False
        if kind == "network" and not net:
            return False
        if kind == "web" and (net or not web):
            return False
        if premieres is not None:
            want = set()
            for p in premieres.split(","):
                want |= {"series", "season"} if p == "any" else {p}
            if self.premiere(ep) not in want:
                return False
        if new_shows and not (show.get("premiered") and date_from <= show["premiered"] <= date_to):
            return False
        return True

    def schedule(self, date_from, date_to, tz=None, **filters):
        out = []
        for ep in self.episodes.values():
            day = self.local(ep, tz)[0] if tz else ep["airdate"]
            if date_from <= day <= date_to and self.keeps(ep, date_from, date_to, **filters):
                out.append(ep)
        if tz:
            def key(ep):
                show = self.show_of(ep)
                num = ep.get("number")
                t = self.instant(ep)
                return (self.local(ep, tz)[0], t is None, t.timestamp() if t else 0,
                        show["name"].encode("utf-8"), ep.get("season") or 0,
                        2147483647 if num is None else num)
            out.sort(key=key)
        else:
            out.sort(key=self.sort_key)
        return out

    def distributor_names(self):
        names = set()
        for ep in self.episodes.values():
            for d in self.dists_of(self.show_of(ep)):
                if d:
                    names.add(d["name"])
        return sorted(names, key=lambda s: s.encode("utf-8"))

    def country_names(self):
        names = set()
        for ep in self.episodes.values():
            for d in self.dists_of(self.show_of(ep)):
                if d and d.get("country") and d["country"].get("name"):
                    names.add(d["country"]["name"])
        return sorted(names, key=lambda s: s.encode("utf-8"))

    def shows_with_episodes(self):
        ids = {self.show_of(ep)["id"] for ep in self.episodes.values()}
        return sorted((self.shows[i] for i in ids), key=lambda s: s["name"].encode("utf-8"))
