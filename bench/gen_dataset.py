#!/usr/bin/python3
"""Seeded generator of a large, realistic TVmaze schedule dataset.

Expands the recorded TVmaze schedule responses (tests/fixtures/tvmaze) into
files laid out exactly as tests/support/fake_tvmaze.py serves them:

    schedule-CC-YYYY-MM-DD.json   GET /schedule?country=CC&date=...  (show at item.show)
    schedule-web-YYYY-MM-DD.json  GET /schedule/web?date=...         (show at item._embedded.show)

for every requested country and every day of the window start..start+days-1.

The output keeps the quirks of the real service (see docs/tvmaze-api.md):
web rows without an airtime and a 12:00-local placeholder airstamp, specials
with number null, mostly-null ratings, null runtime/summary/image, HTML
summaries, year-numbered seasons, non-ASCII names, after-midnight airings
labelled with the previous day (listed in two consecutive country days),
several episodes of one show on one day, shows with both a network and a web
channel, global web channels with country null, local web-channel shows listed
in both the country and the web schedule, and the older key sets of the shows
taken over from the 2020/2021 recordings.

Output is a pure function of (fixtures, arguments): the same seed gives
byte-identical files. Only the Python standard library is used.

The data is derived from TVmaze data and is licensed CC BY-SA 4.0.
"""

import argparse
import datetime as dt
import glob
import json
import os
import random
import re
import sys
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURES = os.path.normpath(os.path.join(HERE, "..", "tests", "fixtures", "tvmaze"))

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

# Episode ids of generated episodes start above the largest id seen upstream so
# far, so they never clash with ids that appear in fixture _links.
EPISODE_ID_BASE = 3_700_000
# After-midnight slots: an airtime before this hour belongs to the previous
# broadcast day (airdate D, real instant on D+1).
AFTER_MIDNIGHT_HOUR = 5

# ---------------------------------------------------------------------------
# Time zones: the single representative zone TVmaze attaches to each country,
# with a self-contained DST model so output never depends on the host tzdata.
# ---------------------------------------------------------------------------

# zone -> (standard UTC offset in minutes, DST rule or None)
TZ_RULES = {
    "America/New_York": (-300, "US"),
    "America/Halifax": (-240, "US"),
    "America/Mexico_City": (-360, None),
    "America/Noronha": (-120, None),
    "America/Argentina/Buenos_Aires": (-180, None),
    "Europe/London": (0, "EU"),
    "Europe/Dublin": (0, "EU"),
    "Europe/Lisbon": (0, "EU"),
    "Atlantic/Reykjavik": (0, None),
    "Europe/Amsterdam": (60, "EU"),
    "Europe/Brussels": (60, "EU"),
    "Europe/Busingen": (60, "EU"),
    "Europe/Paris": (60, "EU"),
    "Europe/Madrid": (60, "EU"),
    "Europe/Rome": (60, "EU"),
    "Europe/Oslo": (60, "EU"),
    "Europe/Stockholm": (60, "EU"),
    "Europe/Copenhagen": (60, "EU"),
    "Europe/Warsaw": (60, "EU"),
    "Europe/Budapest": (60, "EU"),
    "Europe/Helsinki": (120, "EU"),
    "Europe/Kyiv": (120, "EU"),
    "Europe/Istanbul": (180, None),
    "Asia/Kolkata": (330, None),
    "Asia/Qyzylorda": (300, None),
    "Asia/Bangkok": (420, None),
    "Asia/Shanghai": (480, None),
    "Asia/Taipei": (480, None),
    "Asia/Manila": (480, None),
    "Asia/Kuching": (480, None),
    "Asia/Seoul": (540, None),
    "Asia/Tokyo": (540, None),
    "Australia/Sydney": (600, "AU"),
    "Asia/Kamchatka": (720, None),
    "Pacific/Auckland": (720, "NZ"),
}

# code -> (country name as TVmaze spells it, zone, main language, script group)
COUNTRIES = {
    "US": ("United States", "America/New_York", "English", "en"),
    "GB": ("United Kingdom", "Europe/London", "English", "en"),
    "CA": ("Canada", "America/Halifax", "English", "en"),
    "AU": ("Australia", "Australia/Sydney", "English", "en"),
    "NZ": ("New Zealand", "Pacific/Auckland", "English", "en"),
    "IE": ("Ireland", "Europe/Dublin", "English", "en"),
    "IN": ("India", "Asia/Kolkata", "Hindi", "en"),
    "PH": ("Philippines", "Asia/Manila", "Tagalog", "en"),
    "MY": ("Malaysia", "Asia/Kuching", "Malay", "en"),
    "TH": ("Thailand", "Asia/Bangkok", "Thai", "en"),
    "RU": ("Russian Federation", "Asia/Kamchatka", "Russian", "ru"),
    "UA": ("Ukraine", "Europe/Kyiv", "Ukrainian", "ru"),
    "KZ": ("Kazakhstan", "Asia/Qyzylorda", "Russian", "ru"),
    "CN": ("China", "Asia/Shanghai", "Chinese", "zh"),
    "TW": ("Taiwan, Province of China", "Asia/Taipei", "Chinese", "zh"),
    "KR": ("Korea, Republic of", "Asia/Seoul", "Korean", "ko"),
    "JP": ("Japan", "Asia/Tokyo", "Japanese", "ja"),
    "FR": ("France", "Europe/Paris", "French", "lat"),
    "DE": ("Germany", "Europe/Busingen", "German", "lat"),
    "ES": ("Spain", "Europe/Madrid", "Spanish", "lat"),
    "MX": ("Mexico", "America/Mexico_City", "Spanish", "lat"),
    "AR": ("Argentina", "America/Argentina/Buenos_Aires", "Spanish", "lat"),
    "PT": ("Portugal", "Europe/Lisbon", "Portuguese", "lat"),
    "BR": ("Brazil", "America/Noronha", "Portuguese", "lat"),
    "IT": ("Italy", "Europe/Rome", "Italian", "lat"),
    "NL": ("Netherlands", "Europe/Amsterdam", "Dutch", "lat"),
    "BE": ("Belgium", "Europe/Brussels", "Dutch", "lat"),
    "NO": ("Norway", "Europe/Oslo", "Norwegian", "lat"),
    "SE": ("Sweden", "Europe/Stockholm", "Swedish", "lat"),
    "DK": ("Denmark", "Europe/Copenhagen", "Danish", "lat"),
    "FI": ("Finland", "Europe/Helsinki", "Finnish", "lat"),
    "PL": ("Poland", "Europe/Warsaw", "Polish", "lat"),
    "HU": ("Hungary", "Europe/Budapest", "Hungarian", "lat"),
    "TR": ("Turkey", "Europe/Istanbul", "Turkish", "lat"),
    "IS": ("Iceland", "Atlantic/Reykjavik", "Icelandic", "lat"),
}

# Share of the country schedules' episodes per country (relative weights).
COUNTRY_WEIGHT = {"US": 3.0, "GB": 2.0}
DEFAULT_COUNTRY_WEIGHT = 1.5
# How much local streaming each country contributes to the web schedule.
WEB_COUNTRY_WEIGHT = {"US": 8.0, "RU": 6.0, "CN": 6.0, "GB": 3.0, "KR": 4.0, "NO": 2.0,
                      "CA": 2.0, "AU": 2.0, "ES": 2.0, "SE": 1.5, "DE": 1.5, "FR": 1.5}
# Fraction of distinct episodes that come from web-only shows.
WEB_SHARE = 0.5


def _nth_sunday(year, month, n):
    """n-th Sunday of a month (n=-1: last Sunday)."""
    if n > 0:
        d = dt.date(year, month, 1)
        d += dt.timedelta(days=(6 - d.weekday()) % 7)
        return d + dt.timedelta(weeks=n - 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - 6) % 7)


def _utc_offset(zone, utc):
    """UTC offset (minutes) of zone at the naive UTC datetime utc."""
    std, rule = TZ_RULES[zone]
    if rule is None:
        return std
    y = utc.year
    if rule == "EU":
        start = dt.datetime.combine(_nth_sunday(y, 3, -1), dt.time(1))
        end = dt.datetime.combine(_nth_sunday(y, 10, -1), dt.time(1))
        return std + 60 if start <= utc < end else std
    if rule == "US":
        start = dt.datetime.combine(_nth_sunday(y, 3, 2), dt.time(2)) - dt.timedelta(minutes=std)
        end = dt.datetime.combine(_nth_sunday(y, 11, 1), dt.time(2)) - dt.timedelta(minutes=std + 60)
        return std + 60 if start <= utc < end else std
    if rule == "AU":  # southern hemisphere: DST from October to April
        end = dt.datetime.combine(_nth_sunday(y, 4, 1), dt.time(3)) - dt.timedelta(minutes=std + 60)
        start = dt.datetime.combine(_nth_sunday(y, 10, 1), dt.time(2)) - dt.timedelta(minutes=std)
        return std if end <= utc < start else std + 60
    if rule == "NZ":
        end = dt.datetime.combine(_nth_sunday(y, 4, 1), dt.time(3)) - dt.timedelta(minutes=std + 60)
        start = dt.datetime.combine(_nth_sunday(y, 9, -1), dt.time(2)) - dt.timedelta(minutes=std)
        return std if end <= utc < start else std + 60
    raise ValueError(rule)


def local_to_utc(day, hhmm, zone):
    """Naive UTC datetime of local wall time (day, "HH:MM") in zone."""
    hh, mm = int(hhmm[:2]), int(hhmm[3:5])
    local = dt.datetime(day.year, day.month, day.day, hh, mm)
    guess = local - dt.timedelta(minutes=TZ_RULES[zone][0])
    off = _utc_offset(zone, guess)
    return local - dt.timedelta(minutes=off)


def utc_to_local_date(utc, zone):
    return (utc + dt.timedelta(minutes=_utc_offset(zone, utc))).date()


def fmt_stamp(utc):
    return utc.strftime("%Y-%m-%dT%H:%M:%S+00:00")


# ---------------------------------------------------------------------------
# Names, slugs and text
# ---------------------------------------------------------------------------

CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "i", "є": "e",
    "ґ": "g",
}
LATIN_EXTRA = {"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "œ": "oe", "þ": "th",
               "ð": "d"}

EN_ADJ = ["Silent", "Broken", "Golden", "Hidden", "Last", "Lost", "Wild", "Secret", "Dark",
          "Bright", "Little", "Great", "Northern", "Southern", "Crimson", "Electric", "Hollow",
          "Iron", "Lucky", "Midnight", "Modern", "New", "Perfect", "Quiet", "Rising", "Royal",
          "Savage", "Sharp", "Strange", "Sweet", "True", "Urban", "Wicked", "Young", "Frozen",
          "Burning", "Final", "Happy", "Honest", "Loud", "Open", "Rough", "Second", "Simple",
          "Stolen", "Twisted", "Blue", "Fierce", "Gentle", "Restless"]
EN_NOUN = ["Kingdom", "Harbor", "Empire", "Garden", "Island", "Street", "River", "Kitchen",
           "House", "Road", "Station", "Valley", "Hospital", "Academy", "Court", "Line", "Game",
           "Family", "Season", "Hour", "Border", "Coast", "City", "Village", "Crew", "Bakery",
           "Market", "Farm", "Ranch", "Detective", "Doctor", "Witness", "Heist", "Legacy",
           "Secrets", "Lives", "Hearts", "Files", "Dreams", "Stories", "Affair", "Alliance",
           "Circle", "Code", "Dynasty", "Estate", "Frontier", "Hunt", "Journey", "Rivals", "Tides",
           "Trials", "Wolves", "Saints", "Sinners", "Signals", "Bridges", "Echoes", "Stars", "Roots"]
EN_FIRST = ["Alice", "Ben", "Chloe", "Dev", "Ellie", "Frank", "Grace", "Hugo", "Iris", "Jack",
            "Kate", "Leo", "Maya", "Noah", "Olive", "Priya", "Quinn", "Rosa", "Sam", "Tom", "Uma",
            "Vince", "Wren", "Zoe", "Marcus", "Nadia", "Oscar", "Ruby"]
EN_PLACE = ["Brooklyn", "Yorkshire", "Dallas", "Cornwall", "Chicago", "Glasgow", "Miami", "Belfast",
            "Texas", "Alaska", "Vegas", "Boston", "Hollywood", "Manchester", "Dublin", "Oxford",
            "Malibu", "Nashville", "Sydney", "Vancouver", "Wales", "Detroit", "Orkney", "Atlanta"]
EN_TOPIC = ["Cooking", "Property", "Wildlife", "Fishing", "Car", "Garden", "Dating", "Fashion",
            "Money", "Travel", "Baking", "Antiques", "Survival", "Football", "Comedy", "Music",
            "Science", "History", "Crime", "Weather", "Bargain", "Wedding", "Tattoo", "Pet"]
EN_FORMAT = ["Live", "Tonight", "Today", "Weekly", "Unfiltered", "Uncovered", "Rescue", "Wars",
             "Challenge", "Masters", "Showdown", "Diaries", "Nation", "Club", "Hour", "Report",
             "Extra", "After Dark", "Confidential", "Revealed", "SOS", "Hunters", "Academy"]
RU_A = ["Тайны", "Хроники", "Дело", "Секреты", "Голос", "Дом", "Город", "Сердце", "Звёзды",
        "Тени", "Дороги", "Истории", "Игры", "Законы", "Огни", "Кухня", "Вкус", "Легенды"]
RU_B = ["Москвы", "прошлого", "следствия", "Сибири", "моря", "ночи", "семьи", "севера",
        "большого города", "океана", "времени", "любви", "улиц", "удачи", "Петербурга", "Урала"]
RU_ONE = ["Нежность", "Метод", "Вызов", "Родина", "Ловушка", "Тоннель", "Пансионат", "Контакт",
          "Граница", "Чернобыль", "Надежда", "Шторм", "Весна", "Пёс", "Отель", "Ёлки"]
ZH = [("龙", "long"), ("凤", "feng"), ("天", "tian"), ("下", "xia"), ("江", "jiang"), ("湖", "hu"),
      ("山", "shan"), ("河", "he"), ("花", "hua"), ("月", "yue"), ("风", "feng"), ("云", "yun"),
      ("剑", "jian"), ("心", "xin"), ("梦", "meng"), ("春", "chun"), ("秋", "qiu"), ("雪", "xue"),
      ("星", "xing"), ("光", "guang"), ("长", "chang"), ("安", "an"), ("少", "shao"),
      ("年", "nian"), ("传", "zhuan"), ("爱", "ai"), ("情", "qing"), ("家", "jia"), ("国", "guo"),
      ("王", "wang"), ("英", "ying"), ("雄", "xiong"), ("锦", "jin"), ("绣", "xiu"), ("尊", "zun"),
      ("灵", "ling")]
KO = [("사랑", "sarang"), ("우리", "uri"), ("하늘", "haneul"), ("바다", "bada"), ("별", "byeol"),
      ("꽃", "kkot"), ("비밀", "bimil"), ("가족", "gajok"), ("청춘", "cheongchun"),
      ("여름", "yeoreum"), ("겨울", "gyeoul"), ("마음", "maeum"), ("도시", "dosi"),
      ("학교", "hakgyo"), ("이야기", "iyagi"), ("결혼", "gyeolhon"), ("왕", "wang"),
      ("의사", "uisa"), ("변호사", "byeonhosa"), ("식당", "sikdang")]
JA = [("東京", "tokyo"), ("夜", "yoru"), ("猫", "neko"), ("恋", "koi"), ("空", "sora"), ("海", "umi"),
      ("桜", "sakura"), ("食堂", "shokudo"), ("探偵", "tantei"), ("物語", "monogatari"),
      ("学園", "gakuen"), ("家族", "kazoku")]
LAT_WORDS = ["Krøniken", "Unité", "Señales", "Crônicas", "Frères", "Hôtel", "Café", "Mañana",
             "Ærlig", "Sommerhuset", "Kärlek", "Öde", "Brücke", "Grenzgänger", "Märchen", "Niño",
             "Corazón", "Paraíso", "Século", "Nação", "Família", "Liberté", "Rivière", "Côte",
             "Été", "Søstre", "Fjell", "Skärgård", "Jäger", "Vérité", "Años", "Cidade", "Lágrimas",
             "Estação", "Hjem", "Øya", "Gyilkos", "Szerelem", "Aşk", "Yalı", "Miłość", "Łowcy",
             "Dziedzictwo", "Ystävät", "Kotiin", "Mãe", "Irmãs", "Città", "Perché", "Ciudad"]
LAT_WORDS += ["Vida", "Amor", "Familie", "Hjem", "Casa", "Noche", "Sommer", "Bror", "Liebe",
              "Mord", "Polis", "Hotel", "Kvinder", "Rosa", "Tierra", "Sangue", "Ponte", "Stad",
              "Gangster", "Bonus", "Domino", "Luna", "Verano", "Mistero", "Vennene", "Marido"]
LAT_ART = ["La", "Les", "El", "Die", "Den", "Det", "O", "A", "Il", "De", "Der"]

# (subject, takes the plural verb form)
SUBJ = [("A retired detective", False), ("Two estranged sisters", True),
        ("A group of friends", False), ("The host", False), ("A young chef", False),
        ("An ambitious lawyer", False), ("The team", False), ("A small-town doctor", False),
        ("Contestants", True), ("Experts", True), ("A former soldier", False),
        ("The family", False), ("Celebrity guests", True), ("A teenage hacker", False),
        ("The crew", False), ("A widowed farmer", False), ("Four strangers", True),
        ("The presenters", True)]
VERB = ["uncover", "face", "investigate", "travel to", "compete in", "return to", "fight for",
        "search for", "take on", "rebuild", "explore", "discover", "prepare for", "celebrate"]
OBJ = ["a decades-old secret", "the challenge of a lifetime",
       "a series of mysterious disappearances", "the biggest competition of the year",
       "a crumbling family business", "the truth behind a scandal", "life off the grid",
       "a dangerous conspiracy", "the best dishes in the country", "an unexpected inheritance",
       "the city's hidden history", "a high-stakes heist", "new friendships",
       "a world of magic", "the final round", "a storm that changes everything"]
WHERE = ["in {place}", "across the country", "on a remote island", "at the heart of {place}",
         "behind closed doors", "in the middle of nowhere", "", ""]


def slugify(text):
    out = []
    for ch in text.lower():
        if ch in CYR:
            out.append(CYR[ch])
        elif ch in LATIN_EXTRA:
            out.append(LATIN_EXTRA[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in base if not unicodedata.combining(c))
            out.append(base if base.isascii() else " ")
    s = re.sub(r"[^a-z0-9]+", "-", "".join(out))
    return s.strip("-")


def ordinal(n):
    if 10 <= n % 100 <= 20:
        return "%dth" % n
    return "%d%s" % (n, {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


class Names:
    """Show names (with their URL slugs) by script group."""

    def __init__(self, rng):
        self.rng = rng

    def show_name(self, group):
        r = self.rng
        if group == "ru":
            if r.random() < 0.3:
                name = r.choice(RU_ONE)
            else:
                name = "%s %s" % (r.choice(RU_A), r.choice(RU_B))
            return name, slugify(name)
        if group == "zh":
            parts = r.sample(ZH, r.choice((2, 3, 3, 4)))
            if r.random() < 0.5:
                return "".join(p[0] for p in parts), "-".join(p[1] for p in parts)
            name = " ".join(p[1].capitalize() for p in parts)
            return name, slugify(name)
        if group == "ko":
            a, b = r.sample(KO, 2)
            if r.random() < 0.5:
                return "%s의 %s" % (a[0], b[0]), "%s-ui-%s" % (a[1], b[1])
            name = "%s %s" % (a[1].capitalize(), b[1].capitalize())
            return name, slugify(name)
        if group == "ja":
            a, b = r.sample(JA, 2)
            if r.random() < 0.6:
                return "%sの%s" % (a[0], b[0]), "%s-no-%s" % (a[1], b[1])
            name = "%s no %s" % (a[1].capitalize(), b[1].capitalize())
            return name, slugify(name)
        if group == "lat":
            x = r.random()
            if x < 0.35:
                name = r.choice(LAT_WORDS)
            elif x < 0.7:
                name = "%s %s" % (r.choice(LAT_ART), r.choice(LAT_WORDS))
            else:
                name = "%s %s" % tuple(r.sample(LAT_WORDS, 2))
            return name, slugify(name)
        x = r.random()
        if x < 0.2:
            name = "The %s %s" % (r.choice(EN_ADJ), r.choice(EN_NOUN))
        elif x < 0.35:
            name = "%s %s" % (r.choice(EN_ADJ), r.choice(EN_NOUN))
        elif x < 0.47:
            name = "%s %s" % (r.choice(EN_PLACE), r.choice(EN_NOUN))
        elif x < 0.6:
            name = "%s %s" % (r.choice(EN_TOPIC), r.choice(EN_FORMAT))
        elif x < 0.7:
            name = "%s %s %s" % (r.choice(EN_PLACE), r.choice(EN_TOPIC), r.choice(EN_FORMAT))
        elif x < 0.78:
            name = "%s & %s" % tuple(r.sample(EN_FIRST, 2))
        elif x < 0.86:
            name = "%s's %s" % (r.choice(EN_FIRST), r.choice(EN_NOUN))
        elif x < 0.94:
            name = "The %s: %s" % (r.choice(EN_NOUN), r.choice(EN_PLACE))
        elif x < 0.97:
            name = "%s of %s" % (r.choice(EN_NOUN), r.choice(EN_PLACE))
        else:
            name = "I ♥ %s" % r.choice(EN_PLACE)
        return name, slugify(name)

    def sentence(self):
        r = self.rng
        where = r.choice(WHERE).format(place=r.choice(EN_PLACE))
        subject, plural = r.choice(SUBJ)
        verb = r.choice(VERB)
        if not plural:
            head, _, rest = verb.partition(" ")
            head += "es" if head.endswith(("ch", "sh")) else "s"
            verb = (head + " " + rest).rstrip()
        s = "%s %s %s" % (subject, verb, r.choice(OBJ))
        return (s + " " + where).rstrip() + "."

    def html_summary(self, title, paragraphs):
        r = self.rng
        out = []
        for i in range(paragraphs):
            sents = [self.sentence() for _ in range(r.randint(1, 3))]
            if i == 0 and title and r.random() < 0.6:
                sents[0] = "In <b>%s</b>, %s" % (title.replace("&", "&amp;"),
                                                sents[0][0].lower() + sents[0][1:])
            text = " ".join(sents)
            x = r.random()
            if x < 0.1:
                text += " Hosted by %s &amp; %s." % tuple(r.sample(EN_FIRST, 2))
            elif x < 0.18:
                text += "<br><i>%s</i>" % self.sentence()
            elif x < 0.22:
                text += " <strong>Season finale.</strong>"
            out.append("<p>%s</p>" % text)
        return ("\n" if r.random() < 0.3 else "").join(out)


def generic_episode_name(group, lang, n):
    """(name, slug) of a numbered episode name in the show's language."""
    if group == "ru":
        return ("Серия %d" % n, "seria-%d" % n) if n % 3 else ("Выпуск %d" % n, "vypusk-%d" % n)
    if group == "zh":
        return "第%d集" % n, "di%dji" % n
    if group == "ko":
        return ("%d회" % n, "%dhoe" % n) if n % 2 else ("제%d화" % n, "je%dhwa" % n)
    if group == "ja":
        return "第%d話" % n, "dai%dwa" % n
    word = {"French": "Épisode", "Spanish": "Capítulo", "Portuguese": "Episódio",
            "German": "Folge", "Italian": "Episodio", "Polish": "Odcinek", "Turkish": "Bölüm",
            "Dutch": "Aflevering", "Swedish": "Avsnitt", "Hungarian": "Epizód"}.get(lang, "Episode")
    if lang == "Turkish":
        name = "%d. Bölüm" % n
    else:
        name = "%s %d" % (word, n)
    return name, slugify(name)


def date_episode_name(day, style):
    if style == 0:
        name = "%s %s %s" % (WEEKDAYS[day.weekday()], ordinal(day.day), MONTHS[day.month - 1])
    elif style == 1:
        name = day.strftime("%d/%m/%Y")
    else:
        name = "%s %d, %d" % (MONTHS[day.month - 1], day.day, day.year)
    return name, slugify(name)


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

def _script_group(text):
    for ch in text:
        o = ord(ch)
        if 0x0400 <= o <= 0x04FF:
            return "ru"
        if 0xAC00 <= o <= 0xD7AF:
            return "ko"
        if 0x3040 <= o <= 0x30FF:
            return "ja"
        if 0x4E00 <= o <= 0x9FFF:
            return "zh"
    return "en"


_EP_CODE_RE = re.compile(r"^(?:\d+x\d+|s\d+-special|\d{4}-special|\d{4}-\d{2}-\d{2})(?:-(.*))?$")


class Fixtures:
    """What the generator takes over from the recorded responses."""

    def __init__(self, directory):
        files = sorted(glob.glob(os.path.join(directory, "schedule-*.json")))
        if not files:
            raise SystemExit("no schedule-*.json fixtures in %s (use --fixtures)" % directory)
        self.shows = {}            # id -> payload with the newest 'updated'
        self.networks = {}         # id -> distributor object
        self.web_channels = {}
        self.dist_updated = {}
        self.countries = {}        # code -> country object
        self.titles = {}           # script group -> [(name, slug)]
        self.ep_summaries = []
        self.genres = []
        self.types = []
        self.ep_runtimes = []
        for path in files:
            with open(path, encoding="utf-8") as fh:
                items = json.load(fh)
            for item in items:
                show = item.get("show") or item["_embedded"]["show"]
                old = self.shows.get(show["id"])
                if old is None or show["updated"] > old["updated"]:
                    self.shows[show["id"]] = show
                for key, table in (("network", self.networks), ("webChannel", self.web_channels)):
                    ch = show.get(key)
                    if not ch:
                        continue
                    tag = (key, ch["id"])
                    if ch["id"] not in table or show["updated"] > self.dist_updated[tag]:
                        table[ch["id"]] = ch
                        self.dist_updated[tag] = show["updated"]
                    if ch.get("country"):
                        self.countries.setdefault(ch["country"]["code"], ch["country"])
                self._take_title(item, show)
                if item.get("summary"):
                    self.ep_summaries.append(item["summary"])
                if item.get("runtime"):
                    self.ep_runtimes.append(item["runtime"])
        for show in self.shows.values():
            self.genres.append(list(show["genres"]))
            self.types.append(show["type"])
        for key in list(self.titles):
            self.titles[key] = sorted(set(self.titles[key]))
        self.ep_summaries = sorted(set(self.ep_summaries))

    def _take_title(self, item, show):
        name = item.get("name") or ""
        if re.match(r"^(Episode|Серия|Выпуск|Day) \d+$|^第\d+集$", name) or re.search(
                r"\d+/\d+/\d+|\b(19|20)\d\d\b", name):
            return  # generic and dated names are generated, not sampled
        show_slug = show["url"].rsplit("/", 1)[-1]
        ep_slug = item["url"].rsplit("/", 1)[-1]
        if not ep_slug.startswith(show_slug + "-"):
            return
        m = _EP_CODE_RE.match(ep_slug[len(show_slug) + 1:])
        if not m:
            return
        self.titles.setdefault(_script_group(name), []).append((name, m.group(1) or ""))


# ---------------------------------------------------------------------------
# Distributors (networks, local web channels, global web channels)
# ---------------------------------------------------------------------------

NET_STEMS = {
    "en": ["Apex", "Beacon", "Harbor", "Summit", "Pioneer", "Liberty", "Horizon", "Vista",
           "Keystone", "Lakeshore", "Redwood", "Sunrise", "Metro", "Frontier", "Cascade",
           "Granite", "Heartland", "Coastal", "Prairie", "Skyline", "Meridian", "Evergreen"],
    "ru": ["Звезда", "Север", "Восток", "Рассвет", "Волна", "Столица", "Орбита", "Радуга",
           "Прима", "Сфера"],
    "zh": ["星空", "东方", "金鹰", "长江", "南方", "黄河", "青春", "都市"],
    "ko": ["한빛", "누리", "하나", "미래", "온누리", "새봄"],
    "ja": ["日の出", "さくら", "みらい", "あおぞら"],
    "lat": ["Lumière", "Sól", "Norte", "Nación", "Ørn", "Kanal Süd", "Río", "Cinéma", "Brisa",
            "Fjord", "Aurora", "Estrela"],
}
NET_SUFFIX = [" TV", " Network", " One", " 2", "+", " Plus", " HD", " Kids", " News", " Sports",
              " Life", " Drama", " Comedy", " 24", " Channel", ""]
WEB_SUFFIX = [" Play", " Go", "+", " Stream", " Now", " Video", " On Demand", " Max", " TV App"]
GLOBAL_WEB = ["Streamly", "Vidora", "Flixwave", "Binge Box", "Showcase+", "Tubeline", "Kanvas",
              "Reelhouse", "Nebula Play", "Lumenflix", "Popcorn Club", "Marquee", "Prism TV",
              "Orbit Stream", "Palette", "Halo Video", "Anime Lane", "DramaBox", "Shortz",
              "Docuverse", "Kids Cloud", "Rewind", "Cinemoo", "Loop TV"]
# Hidden home zone of global web channels: where their airtimes are meant.
ASIAN_GLOBAL = {"iQIYI", "WeTV", "Viki", "LINE TV", "GagaOOLala", "Anime Lane", "DramaBox"}


class Distributors:
    def __init__(self, rng, fx, countries):
        self.rng = rng
        self.country_objs = {}
        for code in sorted(COUNTRIES):
            name, zone, _, _ = COUNTRIES[code]
            self.country_objs[code] = fx.countries.get(code) or {"name": name, "code": code,
                                                                 "timezone": zone}
        for code, obj in fx.countries.items():
            if code not in COUNTRIES:
                raise SystemExit("fixture country %s has no entry in COUNTRIES" % code)
            if obj["timezone"] not in TZ_RULES:
                raise SystemExit("fixture time zone %s has no entry in TZ_RULES" % obj["timezone"])
        self.networks = {}      # country code -> [obj]
        self.local_web = {}     # country code -> [obj]
        self.global_web = []
        self.home_zone = {}     # id(obj) of global channels -> zone
        for nid in sorted(fx.networks):
            ch = fx.networks[nid]
            code = (ch.get("country") or {}).get("code")
            if code:
                self.networks.setdefault(code, []).append(ch)
        for wid in sorted(fx.web_channels):
            ch = fx.web_channels[wid]
            code = (ch.get("country") or {}).get("code")
            if code:
                self.local_web.setdefault(code, []).append(ch)
            else:
                self.global_web.append(ch)

        used_net = set(fx.networks)
        used_web = set(fx.web_channels)
        next_net = [1800]
        next_web = [700]

        def new_id(used, counter):
            while True:
                counter[0] += rng.randint(1, 9)
                if counter[0] not in used:
                    used.add(counter[0])
                    return counter[0]

        def site(name):
            if rng.random() < 0.3:
                return None
            return "https://www.%s.%s/" % (slugify(name).replace("-", "") or "tv%d" % rng.randint(1, 999),
                                           rng.choice(("com", "tv", "net")))

        # Synthetic distributors: every country gets some, requested ones more.
        for code in sorted(COUNTRIES):
            group = COUNTRIES[code][3]
            n_net = 24 if code in countries else 3
            n_web = 10 if code in countries else 2
            names = set(ch["name"] for ch in self.networks.get(code, []) + self.local_web.get(code, []))
            for kind, n, table, used, counter, suffixes in (
                    ("net", n_net, self.networks, used_net, next_net, NET_SUFFIX),
                    ("web", n_web, self.local_web, used_web, next_web, WEB_SUFFIX)):
                made = 0
                tries = 0
                while made < n and tries < n * 20:
                    tries += 1
                    if group == "en" and kind == "net" and rng.random() < 0.25:
                        name = "%s%s%s%s" % (rng.choice("KW"), *rng.sample("ABCDEFGHJKLMNPRSTVXZ", 3))
                    else:
                        name = rng.choice(NET_STEMS[group]) + rng.choice(suffixes)
                    if name in names:
                        continue
                    names.add(name)
                    obj = {"id": new_id(used, counter), "name": name,
                           "country": self.country_objs[code], "officialSite": site(name)}
                    table.setdefault(code, []).append(obj)
                    made += 1
        for name in GLOBAL_WEB:
            self.global_web.append({"id": new_id(used_web, next_web), "name": name,
                                    "country": None, "officialSite": site(name)})
        for ch in self.global_web:
            self.home_zone[ch["id"]] = "Asia/Shanghai" if ch["name"] in ASIAN_GLOBAL else "America/New_York"

    def pick(self, table):
        """Popularity by rank: a few big channels carry many shows, a long tail few.
        Channels from the recordings come first in every table."""
        weights = [1.0 / (1 + rank) ** 0.6 for rank in range(len(table))]
        return self.rng.choices(table, weights=weights)[0]

    def zone_of(self, ch):
        if ch.get("country"):
            return ch["country"]["timezone"]
        return self.home_zone.get(ch["id"], "America/New_York")


# ---------------------------------------------------------------------------
# Shows and their episodes
# ---------------------------------------------------------------------------

class Show:
    __slots__ = ("payload", "id", "name", "slug", "network", "web", "group", "lang",
                 "country_codes", "in_web", "zone", "untimed_stamp", "episodes", "json", "synthetic")


class Generator:
    def __init__(self, args, fx):
        self.args = args
        self.fx = fx
        self.rng = random.Random(args.seed)
        self.names = Names(self.rng)
        self.countries = args.countries
        self.start = args.start
        self.days = args.days
        self.end = args.start + dt.timedelta(days=args.days - 1)
        self.dist = Distributors(self.rng, fx, set(self.countries))
        self.next_show_id = 0
        self.taken_show_ids = set(fx.shows)
        self.next_ep_id = EPISODE_ID_BASE
        self.start_ts = int(dt.datetime(args.start.year, args.start.month, args.start.day,
                                        tzinfo=dt.timezone.utc).timestamp())
        self.shows = []
        self.episodes = 0
        self.web_episodes = 0
        self.country_episodes = {c: 0 for c in self.countries}
        wsum = sum(COUNTRY_WEIGHT.get(c, DEFAULT_COUNTRY_WEIGHT) for c in self.countries)
        self.country_target = {c: COUNTRY_WEIGHT.get(c, DEFAULT_COUNTRY_WEIGHT) / wsum
                               for c in self.countries}

    # -- ids -------------------------------------------------------------
    def new_show_id(self):
        while True:
            self.next_show_id += self.rng.randint(1, 7)
            if self.next_show_id not in self.taken_show_ids:
                self.taken_show_ids.add(self.next_show_id)
                return self.next_show_id

    # -- schedule patterns --------------------------------------------------
    def window_days(self, first=None, last=None):
        d = first or self.start
        last = last or self.end
        while d <= last:
            yield d
            d += dt.timedelta(days=1)

    def slot_time(self, family):
        r = self.rng
        if family == "web":
            return r.choices(
                ["00:00", "03:00", "06:00", "08:00", "09:00", "10:00", "12:00", "15:00", "17:00",
                 "18:00", "19:00", "20:00", "21:00", "22:00", "21:15", "19:30"],
                weights=[2, 1, 6, 5, 5, 6, 12, 6, 5, 8, 6, 12, 8, 6, 1, 2])[0]
        x = r.random()
        if x < 0.03:
            h, m = r.choice([(0, 0), (0, 5), (0, 35), (1, 0), (1, 30), (2, 0), (3, 0), (4, 0)])
        elif x < 0.22:
            h, m = r.randint(6, 11), r.choice((0, 0, 15, 30, 45))
        elif x < 0.40:
            h, m = r.randint(12, 17), r.choice((0, 0, 30))
        elif x < 0.52:
            h, m = r.randint(18, 19), r.choice((0, 0, 25, 30))
        elif x < 0.88:
            h, m = r.randint(20, 22), r.choice((0, 0, 0, 30))
        else:
            h, m = 23, r.choice((0, 5, 30, 35, 50))
        if r.random() < 0.04:
            m = r.randint(0, 59)
        return "%02d:%02d" % (h, m)

    def plus_minutes(self, hhmm, minutes):
        total = (int(hhmm[:2]) * 60 + int(hhmm[3:5]) + minutes) % (24 * 60)
        return "%02d:%02d" % (total // 60, total % 60)

    def run_range(self, full_prob):
        """(first, last) day of a show's run inside the window (+ day before start)."""
        r = self.rng
        if r.random() < full_prob:
            return self.start - dt.timedelta(days=1), self.end
        length = r.randint(7, 42)
        first = self.start + dt.timedelta(days=r.randint(-length // 2, self.days - 1))
        return max(first, self.start - dt.timedelta(days=1)), min(first + dt.timedelta(days=length), self.end)

    def plan_slots(self, pattern, airtime, days_of_week, carry_over):
        """List of (airdate, airtime) for a pattern, inside the window. With
        carry_over, after-midnight airings labelled the day before the window
        are kept too (upstream lists them on the first day)."""
        slots = self._plan_slots(pattern, airtime, days_of_week)
        before = self.start - dt.timedelta(days=1)
        return [(d, t) for d, t in slots
                if self.start <= d <= self.end
                or (carry_over and d == before and t and int(t[:2]) < AFTER_MIDNIGHT_HOUR)]

    def _plan_slots(self, pattern, airtime, days_of_week):
        r = self.rng
        slots = []
        if pattern in ("daily", "weekday", "multi"):
            first, last = self.run_range(0.5 if pattern != "multi" else 0.4)
            per_day = 1
            if r.random() < 0.12:
                per_day = r.randint(2, 4)
            step = r.choice((15, 30, 30, 60, 0))
            for d in self.window_days(first, last):
                if WEEKDAYS[d.weekday()] not in days_of_week:
                    continue
                for k in range(per_day):
                    slots.append((d, self.plus_minutes(airtime, k * step) if airtime else ""))
        elif pattern in ("weekly", "weekly_double", "web_weekly"):
            season_len = r.choice((6, 8, 8, 10, 10, 12, 13, 16, 22))
            weekday = WEEKDAYS.index(days_of_week[0])
            offset = r.randint(-season_len * 7 + 7, self.days - 1)
            first = self.start + dt.timedelta(days=offset)
            first += dt.timedelta(days=(weekday - first.weekday()) % 7)
            for w in range(season_len):
                d = first + dt.timedelta(weeks=w)
                if self.start <= d <= self.end:
                    slots.append((d, airtime))
                    if pattern == "weekly_double":
                        same = r.random() < 0.3
                        slots.append((d, airtime if same or not airtime else self.plus_minutes(airtime, 30)))
        elif pattern == "stripped":
            first = self.start + dt.timedelta(days=r.randint(0, self.days - 1))
            for k in range(r.randint(2, 5)):
                d = first + dt.timedelta(days=k)
                if d <= self.end:
                    slots.append((d, airtime))
        elif pattern in ("special", "web_special"):
            slots.append((self.start + dt.timedelta(days=r.randint(0, self.days - 1)), airtime))
        elif pattern == "sports":
            first = self.start + dt.timedelta(days=r.randint(-7, self.days - 1))
            n_days = r.choice((1, 2, 3, 3, 5, 7, 14))
            sessions = r.choice((1, 1, 2, 3))
            times = sorted(set([airtime] + ["%02d:00" % r.randint(9, 21) for _ in range(sessions - 1)]))
            for k in range(n_days):
                d = first + dt.timedelta(days=k)
                if self.start <= d <= self.end:
                    for t in times:
                        slots.append((d, t))
        elif pattern == "binge":
            d = self.start + dt.timedelta(days=r.randint(0, self.days - 1))
            n = r.choice((2, 3, 4, 6, 6, 8, 8, 10, 12))
            slots.extend((d, airtime) for _ in range(n))
            if r.random() < 0.15:  # "part 2" drop a few weeks later
                d2 = d + dt.timedelta(weeks=r.randint(2, 6))
                if d2 <= self.end:
                    slots.extend((d2, airtime) for _ in range(r.randint(2, 5)))
        elif pattern == "web_daily":
            first, last = self.run_range(0.2)
            first = max(first, self.start)
            per_day = r.choice((1, 2, 2, 3))
            season_len = r.choice((24, 30, 36, 40, 60))
            for d in self.window_days(first, last):
                if WEEKDAYS[d.weekday()] in days_of_week:
                    slots.extend((d, airtime) for _ in range(per_day))
                if len(slots) >= season_len:
                    break
        return slots

    def choose_pattern(self, family):
        r = self.rng
        if family == "net":
            pattern = r.choices(
                ["daily", "weekday", "multi", "weekly", "weekly_double", "stripped", "special", "sports"],
                weights=[1.2, 2.5, 3, 46, 5, 20, 11, 6])[0]
        else:
            pattern = r.choices(["binge", "web_weekly", "web_daily", "web_special", "multi"],
                                weights=[40, 38, 2.5, 12, 4])[0]
        if pattern == "daily":
            days = WEEKDAYS[:]
        elif pattern == "weekday":
            days = WEEKDAYS[:5]
        elif pattern == "multi":
            days = r.choice([WEEKDAYS[:4], ["Monday", "Wednesday"], ["Tuesday", "Thursday"],
                             WEEKDAYS[2:5], ["Saturday", "Sunday"]])
        elif pattern == "web_daily":
            days = r.choice([WEEKDAYS[:4], WEEKDAYS[:5], WEEKDAYS[:], ["Wednesday", "Thursday"]])
        elif pattern in ("weekly", "weekly_double", "web_weekly"):
            days = [r.choice(WEEKDAYS)]
        else:
            days = []
        return pattern, days

    # -- show construction ---------------------------------------------------
    def choose_channels(self):
        """(family, network, webChannel, in_web) for a new synthetic show."""
        r = self.rng
        d = self.dist
        web_behind = self.episodes == 0 or self.web_episodes / self.episodes < WEB_SHARE
        if not web_behind:
            # The requested country furthest below its share of country episodes.
            total = sum(self.country_episodes.values()) or 1
            code = min(self.countries,
                       key=lambda c: (self.country_episodes[c] / total - self.country_target[c], c))
            x = r.random()
            if x < 0.80:
                net = d.pick(d.networks[code])
                web = None
                y = r.random()
                if y < 0.08:
                    web = d.pick(d.local_web[code])
                elif y < 0.10:
                    web = d.pick(d.global_web)
                elif y < 0.105:
                    other = r.choice(sorted(d.local_web))
                    web = d.pick(d.local_web[other])
                return "net", net, web, web is not None and r.random() < 0.5
            # Local streaming service of a requested country: listed in the
            # country schedule when timed, and in the web schedule.
            return "localweb", None, d.pick(d.local_web[code]), True
        x = r.random()
        if x < 0.45:
            return "web", None, d.pick(d.global_web), True
        if x < 0.90:
            codes = sorted(d.local_web)
            code = r.choices(codes, weights=[WEB_COUNTRY_WEIGHT.get(c, 1.0) for c in codes])[0]
            return "web", None, d.pick(d.local_web[code]), True
        if x < 0.975:
            code = r.choice(sorted(d.networks))
            net = d.pick(d.networks[code])
            y = r.random()
            web = d.pick(d.global_web) if y < 0.4 else d.pick(d.local_web.get(code) or d.global_web)
            return "web", net, web, True
        code = r.choice(sorted(set(d.networks) - set(self.countries)))
        return "web", d.pick(d.networks[code]), None, True

    def make_show(self, network, web, family, pattern, days, airtime, runtime, existing=None):
        r = self.rng
        s = Show()
        s.network, s.web = network, web
        s.in_web = None
        s.synthetic = existing is None
        primary = network or web
        code = (primary.get("country") or {}).get("code")
        if code:
            s.lang, s.group = COUNTRIES[code][2], COUNTRIES[code][3]
        else:
            s.group = r.choices(["en", "ko", "zh", "ja", "lat", "ru"], weights=[60, 10, 10, 5, 10, 5])[0]
            s.lang = {"en": "English", "ko": "Korean", "zh": "Chinese", "ja": "Japanese",
                      "ru": "Russian"}.get(s.group) or r.choice(["Spanish", "French", "Portuguese", "German"])
        s.zone = self.dist.zone_of(primary)
        if web is not None and web.get("country") is None:
            s.untimed_stamp = r.choices(["12:00", "17:00", "00:00"], weights=[95, 4, 1])[0]
        else:
            s.untimed_stamp = None
        s.country_codes = []
        for ch in (network, web):
            c = (ch or {}).get("country") or {}
            if c.get("code") in self.countries and c["code"] not in s.country_codes:
                s.country_codes.append(c["code"])
        if existing is not None:
            s.payload = existing
            s.id, s.name = existing["id"], existing["name"]
            s.slug = existing["url"].rsplit("/", 1)[-1]
            return s
        s.id = self.new_show_id()
        s.name, s.slug = self.names.show_name(s.group)
        if not s.slug:
            s.slug = "show-%d" % s.id
        status = "Running"
        if pattern in ("stripped", "binge", "special", "web_special") and r.random() < 0.5:
            status = "Ended"
        elif r.random() < 0.1:
            status = "To Be Determined"
        elif r.random() < 0.01:
            status = "In Development"
        kind = {"daily": ["News", "Talk Show", "Variety", "Scripted"],
                "weekday": ["Talk Show", "Scripted", "Game Show", "News", "Animation", "Reality"],
                "sports": ["Sports"]}.get(pattern)
        show_type = r.choice(kind) if kind else r.choice(self.fx.types)
        genres = r.choice(self.fx.genres)
        if show_type == "Sports":
            genres = ["Sports"] if r.random() < 0.6 else []
        premiered = None
        if r.random() < 0.995:
            premiered = (self.start - dt.timedelta(days=r.randint(0, 20 * 365))).isoformat()
        img = r.randint(1000, 640000)
        payload = {
            "id": s.id,
            "url": "https://www.tvmaze.com/shows/%d/%s" % (s.id, s.slug),
            "name": s.name,
            "type": show_type,
            "language": s.lang if r.random() > 0.02 else None,
            "genres": genres,
            "status": status,
            "runtime": runtime if (runtime and r.random() < 0.6) else None,
            "averageRuntime": (runtime + r.choice((0, 0, 1, -1, 2, 3)) if runtime else None)
            if r.random() < 0.9 else None,
            "premiered": premiered,
            "ended": None,
            "officialSite": None if r.random() < 0.1 else "https://www.%s.com/shows/%s" % (
                slugify(primary["name"]).replace("-", "") or "tv", s.slug),
            "schedule": {"time": airtime, "days": days},
            "rating": {"average": None if r.random() < 0.77 else round(r.uniform(4.5, 9.4), 1)},
            "weight": min(100, int(r.paretovariate(1.2) * 8)),
            "network": network,
            "webChannel": web,
            "dvdCountry": self.dist.country_objs[r.choice(sorted(self.dist.country_objs))]
            if r.random() < 0.003 else None,
            "externals": {
                "tvrage": r.randint(1000, 50000) if r.random() < 0.15 else None,
                "thetvdb": r.randint(70000, 450000) if r.random() < 0.6 else None,
                "imdb": "tt%d" % r.randint(1000000, 39999999) if r.random() < 0.6 else None,
            },
            "image": None if r.random() < 0.045 else {
                "medium": "https://static.tvmaze.com/uploads/images/medium_portrait/%d/%d.jpg" % (img // 2500, img),
                "original": "https://static.tvmaze.com/uploads/images/original_untouched/%d/%d.jpg" % (img // 2500, img),
            },
            "summary": None,
            "updated": self.start_ts - r.randint(3600, 400 * 86400),
            "_links": {"self": {"href": "https://api.tvmaze.com/shows/%d" % s.id}},
        }
        if r.random() < 0.11:
            payload["summary"] = None
        else:
            payload["summary"] = self.names.html_summary(s.name, r.choice((1, 1, 2, 3)))
        s.payload = payload
        return s

    def make_episodes(self, s, slots, pattern, runtime, family):
        """Turn (airdate, airtime) slots into episode dicts, in airing order."""
        r = self.rng
        def airing_order(slot):
            day, t = slot
            if not t:
                return (day, 99, 0)
            h = int(t[:2])
            return (day, h + 24 if h < AFTER_MIDNIGHT_HOUR else h, int(t[3:5]))
        slots.sort(key=airing_order)
        year_season = pattern in ("daily", "weekday", "sports") and r.random() < 0.7
        if pattern in ("daily", "weekday") and not year_season and r.random() < 0.5:
            season, number = r.randint(5, 60), r.randint(50, 250)
        elif pattern in ("special", "web_special"):
            season, number = r.randint(1, 12), None
        else:
            season = r.choices(range(1, 13), weights=[40, 18, 12, 8, 6, 5, 3, 2, 2, 2, 1, 1])[0]
            number = 1 if r.random() < 0.45 else r.randint(2, 12)
        name_style = r.random()
        date_style = r.randint(0, 2)
        episodes = []
        last_year = None
        for airdate, airtime in slots:
            special = pattern in ("special", "web_special") or r.random() < 0.008
            if year_season:
                season = airdate.year
                if last_year != airdate.year:
                    number = (airdate - dt.date(airdate.year, 1, 1)).days + 1 if pattern != "sports" \
                        else r.randint(1, 20)
                last_year = airdate.year
            ep_number = None if special else number
            # Name
            if special:
                ep_type = "significant_special" if r.random() < 0.4 else "insignificant_special"
                name, slug = self.title(s.group)
                if r.random() < 0.3:
                    name, slug = r.choice([("Christmas Special", "christmas-special"),
                                           ("Behind the Scenes", "behind-the-scenes"),
                                           ("Reunion", "reunion"), ("Bloopers", "bloopers"),
                                           ("Making Of", "making-of"), ("Live Final", "live-final")])
            else:
                ep_type = "regular"
                if pattern == "sports":
                    name = "Day %d" % number if r.random() < 0.5 else "%s %s" % (
                        r.choice(EN_PLACE), r.choice(("Qualifying", "Race", "Highlights", "Final", "Round %d" % number)))
                    slug = slugify(name)
                elif pattern in ("daily", "weekday") and name_style < 0.45:
                    name, slug = date_episode_name(airdate, date_style)
                elif name_style < 0.75 or s.group in ("zh", "ru") and name_style < 0.9:
                    name, slug = generic_episode_name(s.group, s.lang, number)
                else:
                    name, slug = self.title(s.group)
                    if number == 1 and season == 1 and r.random() < 0.3:
                        name, slug = "Pilot", "pilot"
            # URL code as upstream builds it
            if special:
                code = "%d-special" % season if season >= 1900 else "s%02d-special" % season
            elif season >= 1900:
                code = airdate.isoformat()
            else:
                code = "%dx%02d" % (season, number)
            ep_id = self.next_ep_id
            self.next_ep_id += 1
            url = "https://www.tvmaze.com/episodes/%d/%s-%s" % (ep_id, s.slug, code)
            if slug:
                url += "-" + slug
            if airtime:
                instant_day = airdate + dt.timedelta(days=1) if int(airtime[:2]) < AFTER_MIDNIGHT_HOUR else airdate
                utc = local_to_utc(instant_day, airtime, s.zone)
            elif s.untimed_stamp:
                utc = dt.datetime.combine(airdate, dt.time(int(s.untimed_stamp[:2])))
            else:
                utc = local_to_utc(airdate, "12:00", s.zone)
            ep_runtime = runtime
            if ep_runtime is None or r.random() < (0.1 if family != "net" else 0.01):
                ep_runtime = None
            elif pattern in ("binge", "web_daily", "web_weekly") and r.random() < 0.3:
                ep_runtime = max(3, runtime + r.randint(-8, 8))
            rated = r.random() < (0.03 if family == "net" else 0.14)
            has_img = r.random() < (0.12 if family == "net" else 0.38)
            img = r.randint(1000, 1700000)
            x = r.random()
            if x < (0.55 if family != "net" else 0.5):
                summary = None
            elif x < 0.8 and self.fx.ep_summaries:
                summary = r.choice(self.fx.ep_summaries)
            else:
                summary = self.names.html_summary(None, 1)
            ep = {
                "id": ep_id,
                "url": url,
                "name": name,
                "season": season,
                "number": ep_number,
                "type": ep_type,
                "airdate": airdate.isoformat(),
                "airtime": airtime,
                "airstamp": fmt_stamp(utc),
                "runtime": ep_runtime,
                "rating": {"average": round(r.uniform(5.0, 9.6), 1) if rated else None},
                "image": {
                    "medium": "https://static.tvmaze.com/uploads/images/medium_landscape/%d/%d.jpg" % (img // 2500, img),
                    "original": "https://static.tvmaze.com/uploads/images/original_untouched/%d/%d.jpg" % (img // 2500, img),
                } if has_img else None,
                "summary": summary,
            }
            episodes.append((ep, utc))
            if not special:
                number += 1
        return episodes

    def title(self, group):
        r = self.rng
        pool = self.fx.titles.get("en" if group == "lat" else group)
        if pool and r.random() < 0.7:
            return r.choice(pool)
        if group == "en" and self.fx.titles.get("en") and r.random() < 0.5:
            return r.choice(self.fx.titles["en"])
        x = r.random()
        if x < 0.3:
            name = "The %s" % r.choice(EN_NOUN)
        elif x < 0.55:
            name = "%s %s" % (r.choice(EN_ADJ), r.choice(EN_NOUN))
        elif x < 0.7:
            name = r.choice(EN_FIRST)
        elif x < 0.85:
            name = "%s's %s" % (r.choice(EN_FIRST), r.choice(EN_NOUN))
        else:
            name = "Chapter %d: The %s" % (r.randint(1, 12), r.choice(EN_NOUN))
        return name, slugify(name)

    def finish_show(self, s, episodes):
        """Attach episodes and the show's _links, account the episode budget."""
        s.episodes = episodes
        p = s.payload
        if s.synthetic:  # recorded payloads are kept exactly as they are
            r = self.rng
            links = {"self": {"href": "https://api.tvmaze.com/shows/%d" % s.id}}
            if r.random() < 0.95:
                links["previousepisode"] = {
                    "href": "https://api.tvmaze.com/episodes/%d" % r.randint(10000, EPISODE_ID_BASE - 1),
                    "name": generic_episode_name("en", "English", r.randint(1, 40))[0]}
            if episodes and p["status"] != "Ended":
                first = episodes[0][0]
                links["nextepisode"] = {"href": "https://api.tvmaze.com/episodes/%d" % first["id"],
                                        "name": first["name"]}
            p["_links"] = links
            if p["status"] == "Ended" and episodes:
                p["ended"] = episodes[-1][0]["airdate"]
        s.json = json.dumps(p, ensure_ascii=False, separators=(",", ":"))

    def add(self, s, episodes, family):
        n = len(episodes)
        self.finish_show(s, episodes)
        self.shows.append(s)
        self.episodes += n
        if s.country_codes and (family in ("net", "localweb")):
            for c in s.country_codes:
                self.country_episodes[c] += n / len(s.country_codes)
        if family == "web" or not s.country_codes:
            self.web_episodes += n

    # -- the whole dataset -----------------------------------------------------
    def build(self):
        target = self.args.episodes
        r = self.rng
        # 1. The real shows from the recordings, with their real payloads.
        for sid in sorted(self.fx.shows):
            if self.episodes >= target:
                break
            payload = self.fx.shows[sid]
            net, web = payload.get("network"), payload.get("webChannel")
            codes = [((ch or {}).get("country") or {}).get("code") for ch in (net, web)]
            in_country = any(c in self.countries for c in codes if c)
            if not in_country and web is None:
                continue  # a foreign network-only show appears in no requested feed
            family = "net" if net is not None and in_country else ("localweb" if in_country else "web")
            sched = payload.get("schedule") or {}
            days = list(sched.get("days") or [])
            airtime = sched.get("time") or ""
            if family == "net":
                if not airtime:
                    airtime = self.slot_time("net")
                if len(days) == 7:
                    pattern = "daily"
                elif len(days) >= 4:
                    pattern = "weekday" if days == WEEKDAYS[:5] else "multi"
                elif len(days) >= 2:
                    pattern = "multi"
                elif len(days) == 1:
                    pattern = "weekly"
                else:
                    pattern, days = self.choose_pattern("net")
            else:
                if len(days) >= 3:
                    pattern = "web_daily"
                elif len(days) >= 1:
                    pattern, days = "web_weekly", days[:1]
                else:
                    pattern = r.choice(("binge", "binge", "web_special"))
                if family == "localweb" and not airtime and r.random() < 0.5:
                    airtime = self.slot_time("web")
            runtime = payload.get("averageRuntime") or payload.get("runtime")
            s = self.make_show(net, web, family, pattern, days, airtime, runtime, existing=payload)
            slots = self.plan_slots(pattern, airtime, days or [r.choice(WEEKDAYS)],
                                    carry_over=bool(s.country_codes))
            if not slots:
                continue
            slots = slots[: target - self.episodes]
            self.add(s, self.make_episodes(s, slots, pattern, runtime, family), family)

        # 2. Synthetic shows until the episode budget is spent.
        while self.episodes < target:
            family, net, web, in_web = self.choose_channels()
            pattern, days = self.choose_pattern("net" if family == "net" else "web")
            if family == "net":
                airtime = self.slot_time("net")
            elif r.random() < 0.62:
                airtime = ""
            else:
                airtime = self.slot_time("web")
            if pattern in ("daily", "weekday"):
                runtime = r.choice((10, 15, 27, 30, 30, 60, 60, 90, 120, 180))
            elif pattern == "sports":
                runtime = r.choice((60, 90, 120, 150, 180))
            elif family == "net":
                runtime = r.choice((22, 25, 30, 30, 45, 60, 60, 60, 90))
            else:
                runtime = r.choice((5, 12, 20, 24, 30, 40, 45, 50, 55, 60))
            s = self.make_show(net, web, family, pattern, days, airtime, runtime)
            s.in_web = in_web
            slots = self.plan_slots(pattern, airtime, days or [r.choice(WEEKDAYS)],
                                    carry_over=bool(s.country_codes))
            if not slots:
                continue
            slots = slots[: target - self.episodes]
            self.add(s, self.make_episodes(s, slots, pattern, runtime, family), family)

    # -- output -----------------------------------------------------------------
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        country_rows = {(c, d): [] for c in self.countries for d in self.window_days()}
        web_rows = {d: [] for d in self.window_days()}
        window = set(self.window_days())
        rows = 0
        for s in self.shows:
            in_web = s.in_web
            if in_web is None:
                in_web = s.web is not None or not s.country_codes
            show_href = "https://api.tvmaze.com/shows/%d" % s.id
            for ep, utc in s.episodes:
                head = json.dumps(ep, ensure_ascii=False, separators=(",", ":"))[:-1]
                links = json.dumps({"self": {"href": "https://api.tvmaze.com/episodes/%d" % ep["id"]},
                                    "show": {"href": show_href, "name": s.name}},
                                   ensure_ascii=False, separators=(",", ":"))
                key = (ep["airstamp"], ep["id"])
                airdate = dt.date.fromisoformat(ep["airdate"])
                if ep["airtime"]:
                    for code in s.country_codes:
                        zone = COUNTRIES[code][1]
                        days = {airdate, utc_to_local_date(utc, zone)}
                        row = None
                        for d in sorted(days):
                            if d in window:
                                if row is None:
                                    row = '%s,"show":%s,"_links":%s}' % (head, s.json, links)
                                country_rows[(code, d)].append((key, row))
                                rows += 1
                if in_web and airdate in window:
                    web_rows[airdate].append(
                        (key, '%s,"_links":%s,"_embedded":{"show":%s}}' % (head, links, s.json)))
                    rows += 1
        files = 0
        size = 0
        for (code, d), items in country_rows.items():
            size += self._write_file(out, "schedule-%s-%s.json" % (code, d.isoformat()), items)
            files += 1
        for d, items in web_rows.items():
            size += self._write_file(out, "schedule-web-%s.json" % d.isoformat(), items)
            files += 1
        return files, rows, size

    @staticmethod
    def _write_file(out, name, items):
        items.sort(key=lambda x: x[0])
        data = ("[" + ",".join(row for _, row in items) + "]").encode("utf-8")
        path = os.path.join(out, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return len(data)

    def summary_counts(self):
        kinds = {"network": set(), "local web channel": set(), "global web channel": set()}
        for s in self.shows:
            if not s.episodes:
                continue
            if s.network:
                kinds["network"].add(s.network["id"])
            if s.web:
                kinds["local web channel" if s.web.get("country") else "global web channel"].add(s.web["id"])
        return {k: len(v) for k, v in kinds.items()}


def parse_args(argv):
    p = argparse.ArgumentParser(description="Generate a seeded TVmaze-like schedule dataset.")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--start", required=True, help="first day YYYY-MM-DD")
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--episodes", type=int, default=100000, help="distinct episodes in total")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--countries", default="US,GB", help="comma-separated ISO codes")
    p.add_argument("--fixtures", default=DEFAULT_FIXTURES,
                   help="recorded TVmaze responses to expand (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        args.start = dt.date.fromisoformat(args.start)
    except ValueError:
        p.error("--start must be YYYY-MM-DD")
    if args.days < 1:
        p.error("--days must be >= 1")
    if args.episodes < 1:
        p.error("--episodes must be >= 1")
    codes = []
    for c in args.countries.split(","):
        c = c.strip().upper()
        if not c:
            continue
        if c not in COUNTRIES:
            p.error("unsupported country %s (known: %s)" % (c, ",".join(sorted(COUNTRIES))))
        if c not in codes:
            codes.append(c)
    if not codes:
        p.error("--countries is empty")
    args.countries = codes
    return args


def main(argv=None):
    t0 = time.monotonic()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fx = Fixtures(args.fixtures)
    gen = Generator(args, fx)
    gen.build()
    files, rows, size = gen.write(args.out)
    shows = sum(1 for s in gen.shows if s.episodes)
    kinds = gen.summary_counts()
    print("gen_dataset: %d files, %d episodes (%d rows), %d distinct shows, "
          "distributors: %d networks, %d local web channels, %d global web channels; "
          "%.1f MB in %.1f s" % (files, gen.episodes, rows, shows, kinds["network"],
                                 kinds["local web channel"], kinds["global web channel"],
                                 size / 1e6, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
