#include "util/backoff.h"

int64_t backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd)
{
    int64_t d = base_ms;

    for (int i = 1; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    return d / 2 + (d / 2 ? (int64_t)(rnd % (uint64_t)(d / 2 + 1)) : 0);
}
