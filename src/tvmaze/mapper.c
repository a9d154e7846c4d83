/* TVmaze schedule JSON -> domain structs. Every quirk handled here is listed
 * in docs/tvmaze-api.md §5 (numbers below refer to it). */
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tvmaze/scan.h"
#include "tvmaze/tvmaze.h"
#include "util/date.h"
#include "util/fold.h"
#include "util/json.h"

/* Parsing a schedule builds a DOM of a few hundred thousand small objects
 * that all die together right after mapping. While a parse runs on a
 * thread, jansson allocates from that thread's arena and its frees are
 * no-ops; the arena is dropped in one go afterwards. Every block carries a
 * header saying where it came from, so frees of ordinary allocations (other
 * threads, other uses of jansson) still reach free(). */
enum { FROM_HEAP = 0x48454150, FROM_ARENA = 0x4152454e };

typedef union alloc_header {
    max_align_t align;
    uint32_t from;
} alloc_header;

/* The parse running on this thread: where jansson allocates, and how much
 * more it may take. A real schedule's tree takes about 8 bytes per byte of
 * JSON; a parse gets DOM_PER_BYTE times its body (DOM_FLOOR at least) and
 * fails past that, whatever shape the body has. */
#define DOM_PER_BYTE 12
#define DOM_FLOOR    ((size_t)4 << 20)

static _Thread_local struct {
    int active;
    arena *arena; /* NULL: plain malloc (no arena could be made) */
    size_t left;
    int over; /* an allocation was refused: the body is too costly */
} parse;

/* Each thread keeps its parse arena between parses (rewound, not freed), so
 * the pages of a day's DOM are reused by the next day's instead of being
 * mapped, faulted in and unmapped again; freed when the thread ends. */
#define DOM_KEEP ((size_t)64 << 20)
static pthread_key_t dom_key;
static pthread_once_t dom_once = PTHREAD_ONCE_INIT;

static void dom_free(void *p)
{
    arena_free(p);
    free(p);
}

static void dom_key_make(void)
{
    pthread_key_create(&dom_key, dom_free);
}

static arena *thread_dom(void)
{
    arena *a;

    pthread_once(&dom_once, dom_key_make);
    if ((a = pthread_getspecific(dom_key)))
        return a;
    if (!(a = malloc(sizeof(*a))))
        return NULL;
    arena_init(a, 1 << 20);
    if (pthread_setspecific(dom_key, a) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

static void *parse_malloc(size_t n)
{
    alloc_header *h;

    if (n > SIZE_MAX - sizeof(*h))
        return NULL;
    if (parse.active) {
        if (sizeof(*h) + n > parse.left) {
            parse.over = 1;
            return NULL;
        }
        parse.left -= sizeof(*h) + n;
    }
    h = parse.active && parse.arena ? arena_alloc(parse.arena, sizeof(*h) + n)
                                    : malloc(sizeof(*h) + n);
    if (!h)
        return NULL;
    h->from = parse.active && parse.arena ? FROM_ARENA : FROM_HEAP;
    return h + 1;
}

static void parse_free(void *p)
{
    alloc_header *h = p ? (alloc_header *)p - 1 : NULL;

    if (h && h->from == FROM_HEAP)
        free(h);
}

void tvmaze_global_init(void)
{
    json_set_alloc_funcs(parse_malloc, parse_free);
}

typedef struct mapper {
    tv_batch *b;
    char *err;
    size_t errlen;
    tvmaze_map_info *info;
} mapper;

/* ---- the members the mapper reads ----
 * Each item is read into a fixed set of slots (scan.h), from jansson's tree
 * or by the scanner; the mapping below reads only the slots, so both ways
 * map a body alike. Slots of an object's members are set only when it is an
 * object; a slot left JV_ABSENT reads as a missing key. */
enum { CO_CODE, CO_NAME, CO_TIMEZONE, CO_N };
enum { DI_ID, DI_NAME, DI_SITE, DI_COUNTRY, DI_CO, DI_N = DI_CO + CO_N };
enum {
    SH_ID,
    SH_UPDATED,
    SH_NAME,
    SH_URL,
    SH_TYPE,
    SH_LANGUAGE,
    SH_STATUS,
    SH_PREMIERED,
    SH_ENDED,
    SH_SITE,
    SH_SUMMARY,
    SH_RUNTIME,
    SH_AVERAGE_RUNTIME,
    SH_WEIGHT,
    SH_RATING,
    SH_RATING_AVERAGE,
    SH_IMAGE,
    SH_IMAGE_MEDIUM,
    SH_IMAGE_ORIGINAL,
    SH_GENRES,
    SH_SCHEDULE,
    SH_SCHEDULE_TIME,
    SH_SCHEDULE_DAYS,
    SH_EXTERNALS,
    SH_IMDB,
    SH_THETVDB,
    SH_NETWORK,
    SH_NET,
    SH_WEB_CHANNEL = SH_NET + DI_N,
    SH_WEB,
    SH_N = SH_WEB + DI_N
};
enum {
    IT_ID,
    IT_NAME,
    IT_URL,
    IT_TYPE,
    IT_AIRDATE,
    IT_AIRTIME,
    IT_AIRSTAMP,
    IT_SUMMARY,
    IT_SEASON,
    IT_NUMBER,
    IT_RUNTIME,
    IT_RATING,
    IT_RATING_AVERAGE,
    IT_IMAGE,
    IT_IMAGE_MEDIUM,
    IT_IMAGE_ORIGINAL,
    IT_SHOW,
    IT_SH,
    IT_EMBEDDED = IT_SH + SH_N,
    IT_EMBEDDED_SHOW,
    IT_EMB_SH,
    IT_N = IT_EMB_SH + SH_N
};

static const scan_field country_fields[] = {{"code", CO_CODE, SLOT_VALUE, NULL, 0},
                                            {"name", CO_NAME, SLOT_VALUE, NULL, 0},
                                            {"timezone", CO_TIMEZONE, SLOT_VALUE, NULL, 0},
                                            {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field dist_fields[] = {
    {"id", DI_ID, SLOT_VALUE, NULL, 0},
    {"name", DI_NAME, SLOT_VALUE, NULL, 0},
    {"officialSite", DI_SITE, SLOT_VALUE, NULL, 0},
    {"country", DI_COUNTRY, SLOT_OBJECT, country_fields, DI_CO},
    {NULL, 0, SLOT_VALUE, NULL, 0}};
/* relative to the slot after the object's own */
static const scan_field rating_fields[] = {{"average", 0, SLOT_VALUE, NULL, 0},
                                           {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field image_fields[] = {{"medium", 0, SLOT_VALUE, NULL, 0},
                                          {"original", 1, SLOT_VALUE, NULL, 0},
                                          {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field schedule_fields[] = {{"time", 0, SLOT_VALUE, NULL, 0},
                                             {"days", 1, SLOT_STRINGS, NULL, 0},
                                             {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field externals_fields[] = {{"imdb", 0, SLOT_VALUE, NULL, 0},
                                              {"thetvdb", 1, SLOT_VALUE, NULL, 0},
                                              {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field show_fields[] = {
    {"id", SH_ID, SLOT_VALUE, NULL, 0},
    {"updated", SH_UPDATED, SLOT_VALUE, NULL, 0},
    {"name", SH_NAME, SLOT_VALUE, NULL, 0},
    {"url", SH_URL, SLOT_VALUE, NULL, 0},
    {"type", SH_TYPE, SLOT_VALUE, NULL, 0},
    {"language", SH_LANGUAGE, SLOT_VALUE, NULL, 0},
    {"status", SH_STATUS, SLOT_VALUE, NULL, 0},
    {"premiered", SH_PREMIERED, SLOT_VALUE, NULL, 0},
    {"ended", SH_ENDED, SLOT_VALUE, NULL, 0},
    {"officialSite", SH_SITE, SLOT_VALUE, NULL, 0},
    {"summary", SH_SUMMARY, SLOT_VALUE, NULL, 0},
    {"runtime", SH_RUNTIME, SLOT_VALUE, NULL, 0},
    {"averageRuntime", SH_AVERAGE_RUNTIME, SLOT_VALUE, NULL, 0},
    {"weight", SH_WEIGHT, SLOT_VALUE, NULL, 0},
    {"rating", SH_RATING, SLOT_OBJECT, rating_fields, SH_RATING_AVERAGE},
    {"image", SH_IMAGE, SLOT_OBJECT, image_fields, SH_IMAGE_MEDIUM},
    {"genres", SH_GENRES, SLOT_STRINGS, NULL, 0},
    {"schedule", SH_SCHEDULE, SLOT_OBJECT, schedule_fields, SH_SCHEDULE_TIME},
    {"externals", SH_EXTERNALS, SLOT_OBJECT, externals_fields, SH_IMDB},
    {"network", SH_NETWORK, SLOT_OBJECT, dist_fields, SH_NET},
    {"webChannel", SH_WEB_CHANNEL, SLOT_OBJECT, dist_fields, SH_WEB},
    {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field embedded_fields[] = {{"show", 0, SLOT_OBJECT, show_fields, 1},
                                             {NULL, 0, SLOT_VALUE, NULL, 0}};
static const scan_field item_fields[] = {
    {"id", IT_ID, SLOT_VALUE, NULL, 0},
    {"name", IT_NAME, SLOT_VALUE, NULL, 0},
    {"url", IT_URL, SLOT_VALUE, NULL, 0},
    {"type", IT_TYPE, SLOT_VALUE, NULL, 0},
    {"airdate", IT_AIRDATE, SLOT_VALUE, NULL, 0},
    {"airtime", IT_AIRTIME, SLOT_VALUE, NULL, 0},
    {"airstamp", IT_AIRSTAMP, SLOT_VALUE, NULL, 0},
    {"summary", IT_SUMMARY, SLOT_VALUE, NULL, 0},
    {"season", IT_SEASON, SLOT_VALUE, NULL, 0},
    {"number", IT_NUMBER, SLOT_VALUE, NULL, 0},
    {"runtime", IT_RUNTIME, SLOT_VALUE, NULL, 0},
    {"rating", IT_RATING, SLOT_OBJECT, rating_fields, IT_RATING_AVERAGE},
    {"image", IT_IMAGE, SLOT_OBJECT, image_fields, IT_IMAGE_MEDIUM},
    {"show", IT_SHOW, SLOT_OBJECT, show_fields, IT_SH},
    {"_embedded", IT_EMBEDDED, SLOT_OBJECT, embedded_fields, IT_EMBEDDED_SHOW},
    {NULL, 0, SLOT_VALUE, NULL, 0}};

/* jansson's value v (may be NULL: absent) as a slot. An array keeps the
 * tree's node, which string_array_of reads. */
static void dom_value(const json_t *v, jv *out)
{
    memset(out, 0, sizeof(*out));
    if (!v)
        return;
    switch (json_typeof(v)) {
    case JSON_STRING:
        out->t = JV_STR;
        out->s = json_string_value(v);
        out->len = json_string_length(v);
        break;
    case JSON_INTEGER:
        out->t = JV_INT;
        out->i = json_integer_value(v);
        break;
    case JSON_REAL:
        out->t = JV_REAL;
        out->d = json_real_value(v);
        break;
    case JSON_OBJECT:
        out->t = JV_OBJ;
        break;
    case JSON_ARRAY:
        out->t = JV_ARR;
        out->tree = v;
        break;
    default:
        out->t = JV_OTHER;
        break;
    }
}

/* The members of obj the table names, into base's slots. */
static void dom_fill(const json_t *obj, const scan_field *f, jv *base)
{
    for (; f->key; f++) {
        const json_t *v = json_object_get(obj, f->key);
        dom_value(v, base + f->slot);
        if (f->kind == SLOT_OBJECT && json_is_object(v))
            dom_fill(v, f->child, base + f->child_base);
    }
}

/* TVmaze ids are positive and far below 2^53 (the batch index keys them in
 * 56 bits): anything else is not an id of theirs. */
static int id_in_range(const jv *v)
{
    return v->t == JV_INT && v->i > 0 && v->i < ((int64_t)1 << 53);
}

/* A string member, copied into the batch; NULL when absent, null or not a
 * string (quirk 9: keys missing by API generation). */
static const char *str_of(mapper *m, const jv *v)
{
    if (v->t != JV_STR)
        return NULL;
    return arena_strndup(&m->b->mem, v->s, v->len);
}

static int int_of(const jv *v, int32_t *out)
{
    if (v->t != JV_INT || v->i < INT32_MIN || v->i > INT32_MAX)
        return 0;
    *out = (int32_t)v->i;
    return 1;
}

/* {"average": number|null}, or the whole key absent (quirks 9, 14) */
static int rating_of(const jv *avg, double *out)
{
    if (avg->t != JV_INT && avg->t != JV_REAL)
        return 0;
    *out = avg->t == JV_INT ? (double)avg->i : avg->d;
    return 1;
}

/* A link (url, officialSite, images): kept only when it is http or https.
 * The API hands these to browsers as links and image sources, where a
 * javascript: or data: URL from a tampered upstream would run. */
static const char *link_of(mapper *m, const jv *v)
{
    if (v->t != JV_STR || !((v->len >= 8 && !strncasecmp(v->s, "https://", 8)) ||
                            (v->len >= 7 && !strncasecmp(v->s, "http://", 7))))
        return NULL;
    return arena_strndup(&m->b->mem, v->s, v->len);
}

/* A JSON array of strings re-serialised by our writer (genres, days): what
 * the API will send, so it is rendered once here and never again. */
static const char *string_array_of(mapper *m, const jv *arr)
{
    jw_writer w;
    buf out;
    const char *res;
    size_t i;
    json_t *v;

    buf_init(&out, 1 << 20);
    jw_begin(&w, &out);
    jw_arr_open(&w);
    if (arr->t == JV_ARR && arr->tree) {
        const json_t *tree = arr->tree;
        json_array_foreach(tree, i, v)
        {
            if (json_is_string(v))
                jw_strn(&w, json_string_value(v), json_string_length(v));
        }
    } else if (arr->t == JV_ARR) {
        for (i = 0; i < arr->len; i++)
            jw_strn(&w, arr->items[i].s, arr->items[i].len);
    }
    jw_arr_close(&w);
    res = jw_end(&w) == 0 ? arena_strndup(&m->b->mem, out.data, out.len) : NULL;
    buf_free(&out);
    return res ? res : "[]";
}

/* "YYYY-MM-DD" or NULL (quirk 7: "" when unknown) */
static const char *date_of(mapper *m, const jv *v)
{
    int32_t days;

    if (v->t != JV_STR || date_parse(v->s, v->len, &days))
        return NULL;
    return arena_strndup(&m->b->mem, v->s, 10);
}

/* "HH:MM" or "" (quirk 5: "" means not announced) */
static const char *time_of(mapper *m, const jv *v)
{
    int minutes;

    if (v->t != JV_STR || time_parse_hhmm(v->s, v->len, &minutes))
        return "";
    return arena_strndup(&m->b->mem, v->s, 5);
}

/* Any ISO-8601 offset, normalised to UTC "…Z" (quirk 8); NULL when absent */
static const char *instant_of(mapper *m, const jv *v)
{
    char out[INSTANT_LEN + 1];
    int64_t t;

    if (v->t != JV_STR || instant_parse(v->s, v->len, &t))
        return NULL;
    instant_format(t, out);
    return arena_strndup(&m->b->mem, out, INSTANT_LEN);
}

/* A network or web channel (quirks 12, 13: either, both, and a global
 * channel with country null): obj is its slot, its members' follow. */
static tv_distributor *distributor_of(mapper *m, const jv *obj, dist_kind kind, int64_t updated)
{
    const jv *f = obj + 1;
    tv_distributor *d;
    int is_new;

    if (obj->t != JV_OBJ || !id_in_range(&f[DI_ID]))
        return NULL;
    d = tv_batch_distributor(m->b, kind, f[DI_ID].i, &is_new);
    if (!d)
        return NULL;
    /* channels have no timestamp of their own: the newest show payload
     * carrying one wins (a renamed channel, "ivi" -> "Иви") */
    if (!is_new && updated < d->updated)
        return d;
    d->updated = updated;
    d->name = str_of(m, &f[DI_NAME]);
    if (!d->name)
        d->name = "";
    d->country_code = str_of(m, &f[DI_CO + CO_CODE]);
    d->country_name = str_of(m, &f[DI_CO + CO_NAME]);
    d->country_timezone = str_of(m, &f[DI_CO + CO_TIMEZONE]);
    d->official_site = link_of(m, &f[DI_SITE]);
    return d;
}

/* externals: {"tvrage": id|null, "thetvdb": id|null, "imdb": "tt…"|null} */
static void externals_of(mapper *m, const jv *v, tv_show *s)
{
    const char *imdb = str_of(m, &v[SH_IMDB]);

    s->imdb = imdb && imdb[0] ? imdb : NULL;
    s->has_thetvdb = id_in_range(&v[SH_THETVDB]);
    s->thetvdb = s->has_thetvdb ? v[SH_THETVDB].i : 0;
}

/* The folded name search compares; "" for a name that does not fold (not
 * UTF-8: jansson lets none through, so only in theory). */
static const char *search_name_of(mapper *m, const char *name)
{
    char folded[FOLD_MAX * 4];
    size_t n;

    if (!name || text_fold(name, strlen(name), folded, sizeof(folded), &n) != 0)
        return "";
    return arena_strndup(&m->b->mem, folded, n);
}

/* v: a show object's member slots. */
static int show_of(mapper *m, const jv *v, tv_show **out)
{
    int64_t updated = v[SH_UPDATED].t == JV_INT ? v[SH_UPDATED].i : 0;
    tv_show *s;
    int is_new;

    if (!id_in_range(&v[SH_ID])) {
        snprintf(m->err, m->errlen, "a show without a numeric id in range");
        return -1;
    }
    s = tv_batch_show(m->b, v[SH_ID].i, &is_new);
    if (!s) {
        snprintf(m->err, m->errlen, "out of memory");
        return -1;
    }
    *out = s;
    /* quirk 11: the same show many times; the newest payload wins */
    if (!is_new && updated < s->updated)
        return 0;
    s->updated = updated;
    s->name = str_of(m, &v[SH_NAME]);
    s->search_name = search_name_of(m, s->name);
    externals_of(m, v, s);
    s->url = link_of(m, &v[SH_URL]);
    s->type = str_of(m, &v[SH_TYPE]);
    s->language = str_of(m, &v[SH_LANGUAGE]);
    s->status = str_of(m, &v[SH_STATUS]);
    s->premiered = date_of(m, &v[SH_PREMIERED]);
    s->ended = date_of(m, &v[SH_ENDED]);
    s->official_site = link_of(m, &v[SH_SITE]);
    s->summary = str_of(m, &v[SH_SUMMARY]);
    s->has_runtime = int_of(&v[SH_RUNTIME], &s->runtime);
    s->has_average_runtime = int_of(&v[SH_AVERAGE_RUNTIME], &s->average_runtime);
    s->has_weight = int_of(&v[SH_WEIGHT], &s->weight);
    s->has_rating = rating_of(&v[SH_RATING_AVERAGE], &s->rating);
    s->image_medium = link_of(m, &v[SH_IMAGE_MEDIUM]);
    s->image_original = link_of(m, &v[SH_IMAGE_ORIGINAL]);
    s->genres_json = string_array_of(m, &v[SH_GENRES]);
    s->schedule_time = time_of(m, &v[SH_SCHEDULE_TIME]);
    s->schedule_days_json = string_array_of(m, &v[SH_SCHEDULE_DAYS]);
    s->network = distributor_of(m, &v[SH_NETWORK], DIST_NETWORK, updated);
    s->web_channel = distributor_of(m, &v[SH_WEB_CHANNEL], DIST_WEB, updated);
    return 0;
}

/* v: an item object's member slots. */
static int episode_of(mapper *m, const jv *v, size_t index)
{
    tvmaze_map_info *info = m->info;
    const jv *show;
    tv_episode *e;
    tv_show *s;
    int is_new;

    if (v[IT_ID].t != JV_INT) {
        snprintf(m->err, m->errlen, "item %zu is not an episode object with a numeric id", index);
        return -1;
    }
    if (!id_in_range(&v[IT_ID])) {
        snprintf(m->err, m->errlen, "item %zu has an id out of range", index);
        return -1;
    }
    /* quirk 1: the show at item.show (/schedule) or item._embedded.show */
    if (v[IT_SHOW].t == JV_OBJ) {
        show = &v[IT_SH];
        if (info->shape == TVMAZE_SHAPE_EMPTY)
            info->shape = TVMAZE_SHAPE_COUNTRY;
    } else {
        if (v[IT_EMBEDDED_SHOW].t != JV_OBJ) {
            snprintf(m->err, m->errlen, "episode %lld has no show", (long long)v[IT_ID].i);
            return -1;
        }
        show = &v[IT_EMB_SH];
        if (info->shape == TVMAZE_SHAPE_EMPTY)
            info->shape = TVMAZE_SHAPE_EMBEDDED;
    }
    if (show_of(m, show, &s) != 0)
        return -1;
    e = tv_batch_episode(m->b, v[IT_ID].i, &is_new);
    if (!e) {
        snprintf(m->err, m->errlen, "out of memory");
        return -1;
    }
    e->show = s;
    e->name = str_of(m, &v[IT_NAME]);
    e->url = link_of(m, &v[IT_URL]);
    e->type = str_of(m, &v[IT_TYPE]);
    e->airdate = date_of(m, &v[IT_AIRDATE]);
    e->airtime = time_of(m, &v[IT_AIRTIME]);
    e->airstamp = instant_of(m, &v[IT_AIRSTAMP]);
    e->summary = str_of(m, &v[IT_SUMMARY]);
    e->has_season = int_of(&v[IT_SEASON], &e->season);
    e->has_number = int_of(&v[IT_NUMBER], &e->number); /* quirk 10: null for specials */
    e->has_runtime = int_of(&v[IT_RUNTIME], &e->runtime);
    e->has_rating = rating_of(&v[IT_RATING_AVERAGE], &e->rating);
    e->image_medium = link_of(m, &v[IT_IMAGE_MEDIUM]);
    e->image_original = link_of(m, &v[IT_IMAGE_ORIGINAL]);
    info->items++;
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Where the string that starts at p[start] ends: its closing quote, the
 * first one no backslash escapes (memchr finds candidates a vector at a
 * time: strings are most of a body); n when there is none. */
static size_t string_end(const char *p, size_t start, size_t n)
{
    size_t i = start;

    for (;;) {
        const char *q = i < n ? memchr(p + i, '"', n - i) : NULL;
        size_t slashes = 0;
        if (!q)
            return n;
        i = (size_t)(q - p);
        while (i - slashes > start && p[i - slashes - 1] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return i;
        i++;
    }
}

/* Looks at a body before jansson builds anything of it: the items of the
 * top-level array, and the longest string (escapes included, so never
 * shorter than the string it decodes to). Not a validator (jansson is): on
 * a malformed body the counts are approximate and the parse refuses it. */
static int check_size(const char *p, size_t n, char *err, size_t errlen)
{
    size_t depth = 0, items = 0; /* commas at depth 1: the items after the first */

    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '"': {
            size_t start = ++i;
            i = string_end(p, start, n);
            if (i - start > TVMAZE_MAX_STRING) {
                snprintf(err, errlen, "item %zu holds a string longer than %zu KiB", items,
                         TVMAZE_MAX_STRING >> 10);
                return -1;
            }
            break;
        }
        case '[':
        case '{':
            depth++;
            break;
        case ']':
        case '}':
            depth -= depth > 0;
            break;
        case ',':
            if (depth == 1 && ++items >= TVMAZE_MAX_ITEMS) {
                snprintf(err, errlen, "more than %d items", TVMAZE_MAX_ITEMS);
                return -1;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* jansson's tree of json[0..n), built in this thread's arena within the
 * memory budget; NULL with the reason in err. */
static json_t *parse_body(const char *json, size_t n, arena *dom, char *err, size_t errlen)
{
    size_t budget = n < DOM_FLOOR / DOM_PER_BYTE ? DOM_FLOOR : n * DOM_PER_BYTE;
    json_error_t jerr;
    json_t *root;

    parse.active = 1;
    parse.arena = dom;
    parse.left = budget;
    parse.over = 0;
    root = json_loadb(json, n, 0, &jerr);
    parse.active = 0;
    parse.arena = NULL;
    if (root)
        return root;
    if (parse.over)
        snprintf(err, errlen, "the body would take more than %zu MiB to parse", budget >> 20);
    else
        snprintf(err, errlen, "the body is not valid JSON (%s at line %d, column %d)%s", jerr.text,
                 jerr.line, jerr.column,
                 n && (json[0] == '<' || (n > 1 && json[1] == '<')) ? ": it looks like HTML" : "");
    return NULL;
}

/* The way every body can take: jansson's tree, then its items' members. */
static int map_tree(mapper *m, const char *json, size_t n, arena *dom)
{
    jv slots[IT_N];
    json_t *root, *item;
    size_t i;
    int rc = TVMAZE_EBODY;

    if (!(root = parse_body(json, n, dom, m->err, m->errlen)))
        return TVMAZE_EBODY;
    if (!json_is_array(root)) {
        snprintf(m->err, m->errlen, "expected a JSON array of episodes, got %s", json_kind(root));
        goto done;
    }
    json_array_foreach(root, i, item)
    {
        memset(slots, 0, sizeof(slots));
        if (json_is_object(item))
            dom_fill(item, item_fields, slots);
        if (episode_of(m, slots, i) != 0)
            goto done;
    }
    rc = TVMAZE_OK;
done:
    /* a DOM in the arena goes with it: walking it to free nothing is waste */
    if (!dom)
        json_decref(root);
    return rc;
}

static int scanned_item(void *ud, const jv *slots, size_t index)
{
    return episode_of(ud, slots, index);
}

/* tree: 1 to map through jansson's tree only (the reference), 0 to scan
 * first (scan.h) when the batch is empty. */
static int map_schedule(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info, char *err,
                        size_t errlen, int tree)
{
    mapper m = {b, err, errlen, info};
    arena *dom = thread_dom(); /* NULL (out of memory): plain malloc, no scan */
    int rc = TVMAZE_EBODY;

    memset(info, 0, sizeof(*info));
    if (check_size(json, n, err, errlen) != 0)
        return TVMAZE_EBODY;
    if (!tree && dom && !b->nepisodes && !b->nshows && !b->ndists) {
        if (scan_schedule(json, n, item_fields, IT_N, dom, scanned_item, &m) == 0)
            rc = TVMAZE_OK;
        else { /* not sure: from an empty batch again, the jansson way */
            tv_batch_free(b);
            tv_batch_init(b);
            memset(info, 0, sizeof(*info));
            arena_rewind(dom, DOM_KEEP);
        }
    }
    if (rc != TVMAZE_OK)
        rc = map_tree(&m, json, n, dom);
    if (dom)
        arena_rewind(dom, DOM_KEEP);
    if (rc != TVMAZE_OK)
        return rc;
    /* counted at the end: a later copy of an episode may add or drop a date */
    for (size_t i = 0; i < b->nepisodes; i++)
        info->undated += !b->episodes[i]->airdate;
    return TVMAZE_OK;
}

int tvmaze_map_schedule(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info, char *err,
                        size_t errlen)
{
    return map_schedule(json, n, b, info, err, errlen, 0);
}

int tvmaze_map_schedule_tree(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info,
                             char *err, size_t errlen)
{
    return map_schedule(json, n, b, info, err, errlen, 1);
}
