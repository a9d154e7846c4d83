/* The schedule's filters from query parameters: the API's (tvshows,
 * upcoming, calendars, changes) and a webhook's saved filter read them the
 * same way, with the same messages. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schedule/schedule.h"
#include "util/json.h"
#include "util/num.h"

#define NAME_MAX_LEN 200
#define WORD_MAX_LEN 60

/* TVmaze's genres, a closed list (their site's filter): a name outside it
 * is a typo, answered with the list rather than with nothing. */
static const char *const genres[] = {
    "Action",   "Adult",   "Adventure", "Anime",           "Children", "Comedy",
    "Crime",    "DIY",     "Drama",     "Espionage",       "Family",   "Fantasy",
    "Food",     "History", "Horror",    "Legal",           "Medical",  "Music",
    "Mystery",  "Nature",  "Romance",   "Science-Fiction", "Sports",   "Supernatural",
    "Thriller", "Travel",  "War",       "Western"};
static const char *const statuses[] = {"Running", "Ended", "To Be Determined", "In Development"};

#define GENRES_WHY                                                                                 \
    "must be TVmaze genres separated by commas: Action, Adult, Adventure, Anime, Children, "       \
    "Comedy, Crime, DIY, Drama, Espionage, Family, Fantasy, Food, History, Horror, Legal, "        \
    "Medical, Music, Mystery, Nature, Romance, Science-Fiction, Sports, Supernatural, Thriller, "  \
    "Travel, War, Western"
#define STATUS_WHY "must be Running, Ended, To Be Determined or In Development"

enum { TEXT_OK, TEXT_ABSENT, TEXT_BAD };

static int bad(sched_error *e, const char *param, const char *why)
{
    e->param = param;
    e->why = why;
    return -1;
}

/* A text parameter: absent or empty, or UTF-8 of at most max bytes with no
 * control characters. */
static int text_param(const query *params, const char *key, size_t max, const char **v, size_t *n)
{
    const char *s = query_get(params, key, n);

    if (!s || !*n)
        return TEXT_ABSENT;
    if (*n > max || !utf8_valid(s, *n))
        return TEXT_BAD;
    for (size_t i = 0; i < *n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return TEXT_BAD;
    *v = s;
    return TEXT_OK;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Splits a comma-separated value into trimmed, non-empty parts. */
static int split_list(const char *v, size_t n, sched_text *out, size_t max, size_t *count)
{
    size_t k = 0, i = 0;

    while (i <= n) {
        size_t j = i, a, b;
        while (j < n && v[j] != ',')
            j++;
        for (a = i; a < j && v[a] == ' '; a++)
            ;
        for (b = j; b > a && v[b - 1] == ' '; b--)
            ;
        if (b > a) {
            if (k == max)
                return -1;
            out[k].s = v + a;
            out[k++].n = b - a;
        }
        i = j + 1;
    }
    *count = k;
    return k ? 0 : -1;
}

/* One of a closed list, case-insensitively; the canonical spelling. */
static const char *one_of(const char *const *names, size_t n, const sched_text *t)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == t->n && !strncasecmp(names[i], t->s, t->n))
            return names[i];
    return NULL;
}

static int parse_genres(const query *params, sched_error *e, const char *key, sched_text *out,
                        size_t *count)
{
    const char *v;
    size_t n;
    int rc = text_param(params, key, NAME_MAX_LEN * 4, &v, &n);

    if (rc == TEXT_ABSENT)
        return 0;
    if (rc != TEXT_OK || split_list(v, n, out, SCHEDULE_MAX_NAMES, count) != 0)
        return bad(e, key, GENRES_WHY);
    for (size_t i = 0; i < *count; i++) {
        const char *canon = one_of(genres, sizeof(genres) / sizeof(genres[0]), &out[i]);
        if (!canon)
            return bad(e, key, GENRES_WHY);
        out[i] = (sched_text){canon, strlen(canon)};
    }
    return 0;
}

static int parse_word(const query *params, sched_error *e, const char *key, const char *why,
                      sched_text *out)
{
    int rc = text_param(params, key, WORD_MAX_LEN, &out->s, &out->n);

    if (rc == TEXT_ABSENT) {
        out->s = NULL;
        return 0;
    }
    return rc == TEXT_OK && !blank(out->s, out->n) ? 0 : bad(e, key, why);
}

static int parse_premieres(const query *params, sched_error *e, sched_query *q)
{
    static const char why[] =
        "must be series, season, any or finale (or several, separated by commas)";
    sched_text parts[4];
    const char *v;
    size_t n, k;
    int rc = text_param(params, "premieres", 64, &v, &n);

    if (rc == TEXT_ABSENT)
        return 0;
    if (rc != TEXT_OK || split_list(v, n, parts, 4, &k) != 0)
        return bad(e, "premieres", why);
    for (size_t i = 0; i < k; i++) {
        if (parts[i].n == 6 && !strncasecmp(parts[i].s, "series", 6))
            q->premieres |= SCHED_KEEP_SERIES;
        else if (parts[i].n == 6 && !strncasecmp(parts[i].s, "season", 6))
            q->premieres |= SCHED_KEEP_SEASON;
        else if (parts[i].n == 3 && !strncasecmp(parts[i].s, "any", 3))
            q->premieres |= SCHED_KEEP_SERIES | SCHED_KEEP_SEASON;
        else if (parts[i].n == 6 && !strncasecmp(parts[i].s, "finale", 6))
            q->premieres |= SCHED_KEEP_FINALE;
        else
            return bad(e, "premieres", why);
    }
    return 0;
}

static int parse_bool(const query *params, sched_error *e, const char *key, int *out)
{
    size_t n;
    const char *v = query_get(params, key, &n);

    *out = 0;
    if (!v || !n)
        return 0;
    if ((n == 4 && !strncasecmp(v, "true", 4)) || (n == 1 && v[0] == '1'))
        *out = 1;
    else if (!((n == 5 && !strncasecmp(v, "false", 5)) || (n == 1 && v[0] == '0')))
        return bad(e, key, "must be true or false");
    return 0;
}

/* tz=: an IANA zone; absent is NULL (airdates), which is not UTC. */
static int parse_tz(const query *params, sched_error *e, const tz_zone **out)
{
    const char *v;
    size_t n;
    int rc = text_param(params, "tz", TZ_NAME_MAX, &v, &n);

    *out = NULL;
    if (rc == TEXT_ABSENT || (rc == TEXT_OK && (*out = tz_find(v, n))))
        return 0;
    return bad(e, "tz",
               "must be an IANA time zone name such as Europe/Berlin or "
               "America/New_York");
}

static int parse_distributor(const query *params, sched_error *e, sched_query *q)
{
    const char *v;
    size_t n;
    int rc = text_param(params, "distributor", NAME_MAX_LEN * SCHEDULE_MAX_NAMES, &v, &n);

    if (rc == TEXT_ABSENT)
        return 0;
    if (rc == TEXT_OK &&
        split_list(v, n, q->distributors, SCHEDULE_MAX_NAMES, &q->ndistributors) == 0) {
        size_t i;
        for (i = 0; i < q->ndistributors && q->distributors[i].n <= NAME_MAX_LEN; i++)
            ;
        if (i == q->ndistributors) {
            q->distributor_whole = (sched_text){v, n};
            return 0;
        }
    }
    return bad(e, "distributor",
               "must be a name of at most 200 characters, or up to 16 names separated by "
               "commas");
}

static int parse_rating(const query *params, sched_error *e, sched_query *q)
{
    size_t n;
    const char *s = query_get(params, "rating", &n);

    if (!s || !n)
        return 0;
    if (num_parse_decimal(s, n, &q->min_rating) != 0 || q->min_rating < 0 || q->min_rating > 10)
        return bad(e, "rating", "must be a number from 0 to 10");
    q->has_min_rating = 1;
    return 0;
}

static int parse_kind(const query *params, sched_error *e, sched_query *q)
{
    sched_text kind = {0};

    if (parse_word(params, e, "kind", "must be network or web", &kind) != 0)
        return -1;
    if (!kind.s)
        return 0;
    if (kind.n == 7 && !strncasecmp(kind.s, "network", 7))
        q->kind = DIST_NETWORK;
    else if (kind.n == 3 && !strncasecmp(kind.s, "web", 3))
        q->kind = DIST_WEB;
    else
        return bad(e, "kind", "must be network or web");
    return 0;
}

int sched_parse_filters(const query *params, sched_query *q, sched_error *e)
{
    int rc;

    if (parse_tz(params, e, &q->tz) || parse_distributor(params, e, q))
        return -1;
    rc = text_param(params, "country", NAME_MAX_LEN, &q->country.s, &q->country.n);
    if (rc == TEXT_BAD)
        return bad(e, "country", "must be a country name or ISO code");
    if (rc == TEXT_ABSENT)
        q->country.s = NULL;
    if (parse_rating(params, e, q) || parse_genres(params, e, "genre", q->genres, &q->ngenres) ||
        parse_genres(params, e, "exclude_genre", q->exclude_genres, &q->nexclude_genres) ||
        parse_word(params, e, "language", "must be a language name such as English",
                   &q->language) ||
        parse_word(params, e, "type", "must be a show type such as Scripted or Reality",
                   &q->type) ||
        parse_kind(params, e, q) || parse_word(params, e, "status", STATUS_WHY, &q->status) ||
        parse_premieres(params, e, q) || parse_bool(params, e, "new_shows", &q->new_shows))
        return -1;
    if (q->status.s) {
        const char *canon = one_of(statuses, sizeof(statuses) / sizeof(statuses[0]), &q->status);
        if (!canon)
            return bad(e, "status", STATUS_WHY);
        q->status = (sched_text){canon, strlen(canon)};
    }
    return 0;
}
