#include "services/queue_job.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *queue_state_shown(const char *state, int64_t attempts)
{
    return !strcmp(state, "queued") && attempts > 0 ? "retrying" : state;
}

void queue_stats_add(queue_stats *s, const char *type, const char *state, int retrying, int64_t n)
{
    queue_stat *t = NULL;
    int64_t *slot, *total;

    for (size_t i = 0; i < s->ntypes; i++)
        if (!strcmp(s->types[i].type, type))
            t = &s->types[i];
    if (!t && s->ntypes < QUEUE_MAX_TYPES) {
        t = &s->types[s->ntypes++];
        snprintf(t->type, sizeof(t->type), "%s", type);
    }
    state = queue_state_shown(state, retrying);
    if (!strcmp(state, "running")) {
        slot = t ? &t->running : NULL;
        total = &s->running;
    } else if (!strcmp(state, "dead")) {
        slot = t ? &t->dead : NULL;
        total = &s->dead;
    } else if (!strcmp(state, "retrying")) {
        slot = t ? &t->retrying : NULL;
        total = &s->retrying;
    } else {
        slot = t ? &t->queued : NULL;
        total = &s->queued;
    }
    assert(s->ntypes <= QUEUE_MAX_TYPES);
    if (slot)
        *slot += n;
    *total += n;
}
