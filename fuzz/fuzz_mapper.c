/* Fuzzes the TVmaze schedule mapper (src/tvmaze/tvmaze.h): the input is a
 * response body, mapped into a fresh batch that is freed after each run.
 * A body is either refused with a message, or mapped into a batch whose
 * every pointer is whole: each episode has a show of the batch, each show's
 * distributors are in the batch and of the right kind, and every date, time
 * and instant has the shape the model promises. The body is mapped twice,
 * by the mapper (which scans what it can, src/tvmaze/scan.h) and through
 * jansson's tree alone: both must give the same batch, or the same error. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tvmaze/tvmaze.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tvmaze_global_init();
    return 0;
}

static int in_array(void *const *arr, size_t n, const void *p)
{
    for (size_t i = 0; i < n; i++) {
        if (arr[i] == p)
            return 1;
    }
    return 0;
}

static void check_distributor(const tv_batch *b, const tv_distributor *d, dist_kind kind)
{
    if (!d)
        return;
    if (d->kind != kind || !d->name || !in_array((void *const *)b->dists, b->ndists, d))
        abort();
}

static void check_show(const tv_batch *b, const tv_show *s)
{
    if (!s || !in_array((void *const *)b->shows, b->nshows, s))
        abort();
    if (!s->genres_json || s->genres_json[0] != '[' || !s->schedule_days_json ||
        s->schedule_days_json[0] != '[' || !s->schedule_time)
        abort();
    if (*s->schedule_time && strlen(s->schedule_time) != 5)
        abort();
    if ((s->premiered && strlen(s->premiered) != 10) || (s->ended && strlen(s->ended) != 10))
        abort();
    check_distributor(b, s->network, DIST_NETWORK);
    check_distributor(b, s->web_channel, DIST_WEB);
}

static void check_batch(const tv_batch *b, const tvmaze_map_info *info)
{
    if (b->nepisodes > info->items || info->undated > b->nepisodes)
        abort();
    if ((info->items == 0) != (info->shape == TVMAZE_SHAPE_EMPTY))
        abort();
    for (size_t i = 0; i < b->nepisodes; i++) {
        const tv_episode *e = b->episodes[i];

        check_show(b, e->show);
        if (!e->airtime || (*e->airtime && strlen(e->airtime) != 5))
            abort();
        if (e->airdate && strlen(e->airdate) != 10)
            abort();
        if (e->airstamp && (strlen(e->airstamp) != 20 || e->airstamp[19] != 'Z'))
            abort();
    }
}

static void same_str(const char *a, const char *b)
{
    if ((!a) != (!b) || (a && strcmp(a, b)))
        abort();
}

static size_t position(void *const *arr, size_t n, const void *p)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i] == p)
            return i;
    return n; /* NULL */
}

static void same_distributor(const tv_distributor *x, const tv_distributor *y)
{
    if (x->tvmaze_id != y->tvmaze_id || x->kind != y->kind || x->updated != y->updated)
        abort();
    same_str(x->name, y->name);
    same_str(x->country_code, y->country_code);
    same_str(x->country_name, y->country_name);
    same_str(x->country_timezone, y->country_timezone);
    same_str(x->official_site, y->official_site);
}

static void same_show(const tv_batch *bx, const tv_show *x, const tv_batch *by, const tv_show *y)
{
    const char *const sx[] = {
        x->name,        x->url,          x->type,           x->language,      x->status,
        x->premiered,   x->ended,        x->official_site,  x->schedule_time, x->schedule_days_json,
        x->genres_json, x->image_medium, x->image_original, x->summary,       x->imdb,
        x->search_name};
    const char *const sy[] = {
        y->name,        y->url,          y->type,           y->language,      y->status,
        y->premiered,   y->ended,        y->official_site,  y->schedule_time, y->schedule_days_json,
        y->genres_json, y->image_medium, y->image_original, y->summary,       y->imdb,
        y->search_name};

    for (size_t i = 0; i < sizeof(sx) / sizeof(sx[0]); i++)
        same_str(sx[i], sy[i]);
    if (x->tvmaze_id != y->tvmaze_id || x->updated != y->updated ||
        x->has_runtime != y->has_runtime || x->runtime != y->runtime ||
        x->has_average_runtime != y->has_average_runtime ||
        x->average_runtime != y->average_runtime || x->has_weight != y->has_weight ||
        x->weight != y->weight || x->has_rating != y->has_rating ||
        memcmp(&x->rating, &y->rating, sizeof(x->rating)) || x->has_thetvdb != y->has_thetvdb ||
        x->thetvdb != y->thetvdb ||
        position((void *const *)bx->dists, bx->ndists, x->network) !=
            position((void *const *)by->dists, by->ndists, y->network) ||
        position((void *const *)bx->dists, bx->ndists, x->web_channel) !=
            position((void *const *)by->dists, by->ndists, y->web_channel))
        abort();
}

static void same_episode(const tv_batch *bx, const tv_episode *x, const tv_batch *by,
                         const tv_episode *y)
{
    same_str(x->name, y->name);
    same_str(x->type, y->type);
    same_str(x->airdate, y->airdate);
    same_str(x->airtime, y->airtime);
    same_str(x->airstamp, y->airstamp);
    same_str(x->url, y->url);
    same_str(x->summary, y->summary);
    same_str(x->image_medium, y->image_medium);
    same_str(x->image_original, y->image_original);
    if (x->tvmaze_id != y->tvmaze_id || x->has_season != y->has_season || x->season != y->season ||
        x->has_number != y->has_number || x->number != y->number ||
        x->has_runtime != y->has_runtime || x->runtime != y->runtime ||
        x->has_rating != y->has_rating || memcmp(&x->rating, &y->rating, sizeof(x->rating)) ||
        position((void *const *)bx->shows, bx->nshows, x->show) !=
            position((void *const *)by->shows, by->nshows, y->show))
        abort();
}

static void same_batch(const tv_batch *x, const tvmaze_map_info *ix, const tv_batch *y,
                       const tvmaze_map_info *iy)
{
    if (ix->shape != iy->shape || ix->items != iy->items || ix->undated != iy->undated ||
        x->ndists != y->ndists || x->nshows != y->nshows || x->nepisodes != y->nepisodes)
        abort();
    for (size_t i = 0; i < x->ndists; i++)
        same_distributor(x->dists[i], y->dists[i]);
    for (size_t i = 0; i < x->nshows; i++)
        same_show(x, x->shows[i], y, y->shows[i]);
    for (size_t i = 0; i < x->nepisodes; i++)
        same_episode(x, x->episodes[i], y, y->episodes[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tvmaze_map_info info, tree_info;
    tv_batch b, tree;
    char err[256], tree_err[256];
    int rc, tree_rc;

    tv_batch_init(&b);
    tv_batch_init(&tree);
    err[0] = tree_err[0] = '\0';
    rc = tvmaze_map_schedule((const char *)data, size, &b, &info, err, sizeof(err));
    if (rc == TVMAZE_OK)
        check_batch(&b, &info);
    else if (rc != TVMAZE_EBODY || !err[0])
        abort();
    tree_rc = tvmaze_map_schedule_tree((const char *)data, size, &tree, &tree_info, tree_err,
                                       sizeof(tree_err));
    if (rc == TVMAZE_OK && tree_rc == TVMAZE_OK)
        same_batch(&b, &info, &tree, &tree_info);
    /* the scanner needs no tree, so no tree's memory budget: what only the
     * budget refused may map */
    else if (rc == TVMAZE_OK && !strstr(tree_err, "MiB to parse"))
        abort();
    else if (rc != TVMAZE_OK && (tree_rc != rc || strcmp(err, tree_err)))
        abort();
    tv_batch_free(&b);
    tv_batch_free(&tree);
    return 0;
}
