/* unit_db.h — a temporary SQLite database for the unit tests that need a
 * real store: made before the tests, removed after them. Include after
 * cmocka.h; one per program. */
#ifndef TVSHOWS_UNIT_DB_H
#define TVSHOWS_UNIT_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

static char unit_db_url[4096];
static char unit_db_dir[64];

/* A new directory under /tmp named for the program; its database URL is
 * unit_db_url. -1 when it cannot be made. */
static int unit_db_make(const char *name)
{
    snprintf(unit_db_dir, sizeof(unit_db_dir), "/tmp/tvshows-%s-XXXXXX", name);
    if (!mkdtemp(unit_db_dir))
        return -1;
    snprintf(unit_db_url, sizeof(unit_db_url), "sqlite:%s/t.db", unit_db_dir);
    return 0;
}

static void unit_db_remove(void)
{
    const char *const ext[] = {"", "-wal", "-shm"};
    char path[128];

    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/t.db%s", unit_db_dir, ext[i]);
        unlink(path);
    }
    rmdir(unit_db_dir);
}

/* A store on unit_db_url; fails the test when it cannot be opened. */
static store *unit_db_open(void)
{
    store *st = NULL;
    char err[512];

    if (store_open(&st, unit_db_url, NULL, err, sizeof(err)) != STORE_OK)
        fail_msg("store_open: %s", err);
    return st;
}

#endif
