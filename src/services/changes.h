/* changes.h — one change of the change feed as JSON, the same in the API
 * (/api/v1/changes) and in webhook deliveries:
 *   {"cursor","kind","at","episode":{"id","tvmaze_id","name","season","number"},
 *    "before","after", …
 * left open for the caller to add its "show" and close. Pure; thread-safe. */
#ifndef TVSHOWS_CHANGES_H
#define TVSHOWS_CHANGES_H

#include "store/store.h"
#include "store/store_read.h"
#include "util/json.h"

void changes_render_open(jw_writer *w, const store_change *c);

#endif
