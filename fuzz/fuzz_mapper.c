/* Fuzzes the TVmaze schedule mapper (src/tvmaze/tvmaze.h): the input is a
 * response body, mapped into a fresh batch that is freed after each run.
 * A body is either refused with a message, or mapped into a batch whose
 * every pointer is whole: each episode has a show of the batch, each show's
 * distributors are in the batch and of the right kind, and every date, time
 * and instant has the shape the model promises. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    int rc;

    tv_batch_init(&b);
    err[0] = '\0';
    rc = tvmaze_map_schedule((const char *)data, size, &b, &info, err, sizeof(err));
    if (rc == TVMAZE_OK)
        check_batch(&b, &info);
    else if (rc != TVMAZE_EBODY || !err[0])
        abort();
    tv_batch_free(&b);
    return 0;
}
