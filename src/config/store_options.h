/* store_options.h — how each part of the program opens the database: one
 * table of roles (application name, statement timeout, slow-query log, plan
 * caching, and the event loop of the API's threads) instead of options
 * built by hand at each store_open().
 * Pure functions of the configuration; nothing is allocated. */
#ifndef TVSHOWS_STORE_OPTIONS_H
#define TVSHOWS_STORE_OPTIONS_H

#include "config/config.h"
#include "store/store.h"

typedef enum {
    STORE_ROLE_API,       /* the API's loop threads: bounded statements, generic plans */
    STORE_ROLE_REFRESH,   /* the API's poller (generation, keys): bounded, not logged slow */
    STORE_ROLE_REPLICA,   /* analytics reports on a replica: six times the API's bound */
    STORE_ROLE_CLI,       /* an operator's command: bounded like the API */
    STORE_ROLE_REPORT,    /* `tvshows analytics`: as long as the report takes */
    STORE_ROLE_IMPORT,    /* `tvshows import`'s threads: unbounded */
    STORE_ROLE_WORKER,    /* the job worker and its database queue: unbounded */
    STORE_ROLE_SCHEDULER, /* the scheduler thread: unbounded */
} store_role;

/* The options of a role; last_connect_us is the caller's to set. */
store_options store_options_for(const config *cfg, store_role role);
/* The same for a store on an event loop (the API's loop threads, roles
 * STORE_ROLE_API and STORE_ROLE_REPLICA): its statements are sent from
 * tasks that yield to the loop (store.h). loop NULL: a blocking store, as
 * store_options_for() gives (SQLite, or a thread without a loop). */
store_options store_options_on_loop(const config *cfg, store_role role, const task_loop *loop);

#endif
