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
} mapper;

/* TVmaze ids are positive and far below 2^53 (the batch index keys them in
 * 56 bits): anything else is not an id of theirs. */
static int id_in_range(const json_t *v)
{
    json_int_t id = json_integer_value(v);

    return id > 0 && id < ((json_int_t)1 << 53);
}

/* A string member, copied into the batch; NULL when absent, null or not a
 * string (quirk 9: keys missing by API generation). */
static const char *str_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        return NULL;
    return arena_strndup(&m->b->mem, json_string_value(v), json_string_length(v));
}

static int int_of(const json_t *obj, const char *key, int32_t *out)
{
    const json_t *v = json_object_get(obj, key);
    json_int_t i;

    if (!json_is_integer(v))
        return 0;
    i = json_integer_value(v);
    if (i < INT32_MIN || i > INT32_MAX)
        return 0;
    *out = (int32_t)i;
    return 1;
}

/* {"average": number|null}, or the whole key absent (quirks 9, 14) */
static int rating_of(const json_t *obj, double *out)
{
    const json_t *avg = json_object_get(json_object_get(obj, "rating"), "average");

    if (!json_is_number(avg))
        return 0;
    *out = json_number_value(avg);
    return 1;
}

/* A link (url, officialSite, images): kept only when it is http or https.
 * The API hands these to browsers as links and image sources, where a
 * javascript: or data: URL from a tampered upstream would run. */
static const char *link_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);

    if (!s || (strncasecmp(s, "https://", 8) && strncasecmp(s, "http://", 7)))
        return NULL;
    return arena_strndup(&m->b->mem, s, json_string_length(v));
}

static void image_of(mapper *m, const json_t *obj, const char **medium, const char **original)
{
    const json_t *img = json_object_get(obj, "image");

    *medium = json_is_object(img) ? link_of(m, img, "medium") : NULL;
    *original = json_is_object(img) ? link_of(m, img, "original") : NULL;
}

/* A JSON array of strings re-serialised by our writer (genres, days): what
 * the API will send, so it is rendered once here and never again. */
static const char *string_array_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *arr = json_object_get(obj, key);
    jw_writer w;
    buf out;
    const char *res;
    size_t i;
    json_t *v;

    buf_init(&out, 1 << 20);
    jw_begin(&w, &out);
    jw_arr_open(&w);
    if (json_is_array(arr)) {
        json_array_foreach(arr, i, v)
        {
            if (json_is_string(v))
                jw_strn(&w, json_string_value(v), json_string_length(v));
        }
    }
    jw_arr_close(&w);
    res = jw_end(&w) == 0 ? arena_strndup(&m->b->mem, out.data, out.len) : NULL;
    buf_free(&out);
    return res ? res : "[]";
}

/* "YYYY-MM-DD" or NULL (quirk 7: "" when unknown) */
static const char *date_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    int32_t days;

    if (!json_is_string(v) || date_parse(json_string_value(v), json_string_length(v), &days))
        return NULL;
    return arena_strndup(&m->b->mem, json_string_value(v), 10);
}

/* "HH:MM" or "" (quirk 5: "" means not announced) */
static const char *time_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    int minutes;

    if (!json_is_string(v) ||
        time_parse_hhmm(json_string_value(v), json_string_length(v), &minutes))
        return "";
    return arena_strndup(&m->b->mem, json_string_value(v), 5);
}

/* Any ISO-8601 offset, normalised to UTC "…Z" (quirk 8); NULL when absent */
static const char *instant_of(mapper *m, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    char out[INSTANT_LEN + 1];
    int64_t t;

    if (!json_is_string(v) || instant_parse(json_string_value(v), json_string_length(v), &t))
        return NULL;
    instant_format(t, out);
    return arena_strndup(&m->b->mem, out, INSTANT_LEN);
}

/* A network or web channel (quirks 12, 13: either, both, and a global
 * channel with country null). */
static tv_distributor *distributor_of(mapper *m, const json_t *obj, dist_kind kind, int64_t updated)
{
    const json_t *country;
    tv_distributor *d;
    int is_new;

    if (!json_is_object(obj) || !json_is_integer(json_object_get(obj, "id")) ||
        !id_in_range(json_object_get(obj, "id")))
        return NULL;
    d = tv_batch_distributor(m->b, kind, json_integer_value(json_object_get(obj, "id")), &is_new);
    if (!d)
        return NULL;
    /* channels have no timestamp of their own: the newest show payload
     * carrying one wins (a renamed channel, "ivi" -> "Иви") */
    if (!is_new && updated < d->updated)
        return d;
    d->updated = updated;
    d->name = str_of(m, obj, "name");
    if (!d->name)
        d->name = "";
    country = json_object_get(obj, "country");
    d->country_code = json_is_object(country) ? str_of(m, country, "code") : NULL;
    d->country_name = json_is_object(country) ? str_of(m, country, "name") : NULL;
    d->country_timezone = json_is_object(country) ? str_of(m, country, "timezone") : NULL;
    d->official_site = link_of(m, obj, "officialSite");
    return d;
}

/* externals: {"tvrage": id|null, "thetvdb": id|null, "imdb": "tt…"|null} */
static void externals_of(mapper *m, const json_t *obj, tv_show *s)
{
    const json_t *ext = json_object_get(obj, "externals"), *tvdb = json_object_get(ext, "thetvdb");
    const char *imdb = str_of(m, ext, "imdb");

    s->imdb = imdb && imdb[0] ? imdb : NULL;
    s->has_thetvdb = json_is_integer(tvdb) && id_in_range(tvdb);
    s->thetvdb = s->has_thetvdb ? json_integer_value(tvdb) : 0;
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

static int show_of(mapper *m, const json_t *obj, tv_show **out)
{
    const json_t *sched = json_object_get(obj, "schedule");
    json_int_t updated = 0;
    tv_show *s;
    int is_new;

    if (!json_is_object(obj) || !json_is_integer(json_object_get(obj, "id")) ||
        !id_in_range(json_object_get(obj, "id"))) {
        snprintf(m->err, m->errlen, "a show without a numeric id in range");
        return -1;
    }
    if (json_is_integer(json_object_get(obj, "updated")))
        updated = json_integer_value(json_object_get(obj, "updated"));
    s = tv_batch_show(m->b, json_integer_value(json_object_get(obj, "id")), &is_new);
    if (!s) {
        snprintf(m->err, m->errlen, "out of memory");
        return -1;
    }
    *out = s;
    /* quirk 11: the same show many times; the newest payload wins */
    if (!is_new && updated < s->updated)
        return 0;
    s->updated = updated;
    s->name = str_of(m, obj, "name");
    s->search_name = search_name_of(m, s->name);
    externals_of(m, obj, s);
    s->url = link_of(m, obj, "url");
    s->type = str_of(m, obj, "type");
    s->language = str_of(m, obj, "language");
    s->status = str_of(m, obj, "status");
    s->premiered = date_of(m, obj, "premiered");
    s->ended = date_of(m, obj, "ended");
    s->official_site = link_of(m, obj, "officialSite");
    s->summary = str_of(m, obj, "summary");
    s->has_runtime = int_of(obj, "runtime", &s->runtime);
    s->has_average_runtime = int_of(obj, "averageRuntime", &s->average_runtime);
    s->has_weight = int_of(obj, "weight", &s->weight);
    s->has_rating = rating_of(obj, &s->rating);
    image_of(m, obj, &s->image_medium, &s->image_original);
    s->genres_json = string_array_of(m, obj, "genres");
    s->schedule_time = json_is_object(sched) ? time_of(m, sched, "time") : "";
    s->schedule_days_json = string_array_of(m, sched, "days");
    s->network = distributor_of(m, json_object_get(obj, "network"), DIST_NETWORK, updated);
    s->web_channel = distributor_of(m, json_object_get(obj, "webChannel"), DIST_WEB, updated);
    return 0;
}

static int episode_of(mapper *m, const json_t *item, size_t index, tvmaze_map_info *info)
{
    const json_t *show_obj = json_object_get(item, "show");
    tv_episode *e;
    tv_show *s;
    int is_new;

    if (!json_is_object(item) || !json_is_integer(json_object_get(item, "id"))) {
        snprintf(m->err, m->errlen, "item %zu is not an episode object with a numeric id", index);
        return -1;
    }
    if (!id_in_range(json_object_get(item, "id"))) {
        snprintf(m->err, m->errlen, "item %zu has an id out of range", index);
        return -1;
    }
    /* quirk 1: the show at item.show (/schedule) or item._embedded.show */
    if (json_is_object(show_obj)) {
        if (info->shape == TVMAZE_SHAPE_EMPTY)
            info->shape = TVMAZE_SHAPE_COUNTRY;
    } else {
        show_obj = json_object_get(json_object_get(item, "_embedded"), "show");
        if (!json_is_object(show_obj)) {
            snprintf(m->err, m->errlen, "episode %lld has no show",
                     (long long)json_integer_value(json_object_get(item, "id")));
            return -1;
        }
        if (info->shape == TVMAZE_SHAPE_EMPTY)
            info->shape = TVMAZE_SHAPE_EMBEDDED;
    }
    if (show_of(m, show_obj, &s) != 0)
        return -1;
    e = tv_batch_episode(m->b, json_integer_value(json_object_get(item, "id")), &is_new);
    if (!e) {
        snprintf(m->err, m->errlen, "out of memory");
        return -1;
    }
    e->show = s;
    e->name = str_of(m, item, "name");
    e->url = link_of(m, item, "url");
    e->type = str_of(m, item, "type");
    e->airdate = date_of(m, item, "airdate");
    e->airtime = time_of(m, item, "airtime");
    e->airstamp = instant_of(m, item, "airstamp");
    e->summary = str_of(m, item, "summary");
    e->has_season = int_of(item, "season", &e->season);
    e->has_number = int_of(item, "number", &e->number); /* quirk 10: null for specials */
    e->has_runtime = int_of(item, "runtime", &e->runtime);
    e->has_rating = rating_of(item, &e->rating);
    image_of(m, item, &e->image_medium, &e->image_original);
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
            while (i < n && p[i] != '"')
                i += p[i] == '\\' ? 2 : 1;
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

    if (check_size(json, n, err, errlen) != 0)
        return NULL;
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

int tvmaze_map_schedule(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info, char *err,
                        size_t errlen)
{
    mapper m = {b, err, errlen};
    json_t *root, *item;
    arena *dom = thread_dom(); /* NULL (out of memory): plain malloc */
    size_t i;
    int rc = TVMAZE_EBODY;

    memset(info, 0, sizeof(*info));
    if (!(root = parse_body(json, n, dom, err, errlen))) {
        if (dom)
            arena_rewind(dom, DOM_KEEP);
        return TVMAZE_EBODY;
    }
    if (!json_is_array(root)) {
        snprintf(err, errlen, "expected a JSON array of episodes, got %s", json_kind(root));
        goto done;
    }
    json_array_foreach(root, i, item)
    {
        if (episode_of(&m, item, i, info) != 0)
            goto done;
        info->items++;
    }
    /* counted at the end: a later copy of an episode may add or drop a date */
    for (i = 0; i < b->nepisodes; i++)
        info->undated += !b->episodes[i]->airdate;
    rc = TVMAZE_OK;
done:
    /* a DOM in the arena goes with it: walking it to free nothing is waste */
    if (!dom)
        json_decref(root);
    else
        arena_rewind(dom, DOM_KEEP);
    return rc;
}

/* ---- a show's seasons ---- */

/* "YYYY-MM-DD" into out, or "" (TVmaze sends null until it is known). */
static void season_date(const json_t *obj, const char *key, char out[11])
{
    const json_t *v = json_object_get(obj, key);
    int32_t days;

    out[0] = '\0';
    if (json_is_string(v) && json_string_length(v) == 10 &&
        date_parse(json_string_value(v), 10, &days) == 0)
        memcpy(out, json_string_value(v), 11);
}

static void season_of(const json_t *obj, tv_season *s)
{
    int32_t order = 0;

    memset(s, 0, sizeof(*s));
    s->tvmaze_id = id_in_range(json_object_get(obj, "id"))
                       ? (int64_t)json_integer_value(json_object_get(obj, "id"))
                       : 0;
    int_of(obj, "number", &s->number);
    /* null until the network announces the order; a count otherwise */
    if (int_of(obj, "episodeOrder", &order) && order > 0 && order <= 100000)
        s->episode_order = order;
    season_date(obj, "premiereDate", s->premiere_date);
    season_date(obj, "endDate", s->end_date);
}

int tvmaze_map_seasons(const char *json, size_t len, tv_season **out, size_t *n, char *err,
                       size_t errlen)
{
    arena *dom = thread_dom(); /* NULL (out of memory): plain malloc */
    tv_season *v = NULL;
    json_t *root;
    size_t count;
    int rc = TVMAZE_EBODY;

    *out = NULL;
    *n = 0;
    if (!(root = parse_body(json, len, dom, err, errlen))) {
        if (dom)
            arena_rewind(dom, DOM_KEEP);
        return TVMAZE_EBODY;
    }
    if (!json_is_array(root)) {
        snprintf(err, errlen, "expected a JSON array of seasons, got %s", json_kind(root));
        goto done;
    }
    if ((count = json_array_size(root)) > TVMAZE_MAX_SEASONS) {
        snprintf(err, errlen, "more than %d seasons", TVMAZE_MAX_SEASONS);
        goto done;
    }
    if (count && !(v = calloc(count, sizeof(*v)))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *item = json_array_get(root, i);
        if (!json_is_object(item)) {
            snprintf(err, errlen, "season %zu is %s, not an object", i, json_kind(item));
            goto done;
        }
        season_of(item, &v[*n]);
        if (v[*n].number > 0 && v[*n].number < 100000)
            (*n)++;
    }
    *out = v;
    v = NULL;
    rc = TVMAZE_OK;
done:
    free(v);
    if (rc != TVMAZE_OK)
        *n = 0;
    if (!dom)
        json_decref(root);
    else
        arena_rewind(dom, DOM_KEEP);
    return rc;
}
