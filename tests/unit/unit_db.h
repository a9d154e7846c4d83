/* unit_db.h — a temporary SQLite database for the unit tests that need a
 * real store: made before the tests, removed after them. Include after
 * cmocka.h; one per program. */
#ifndef TVSHOWS_UNIT_DB_H
#define TVSHOWS_UNIT_DB_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

static char unit_db_url[512];
static char unit_db_dir[64];

/* A new directory under /tmp named for the program; its database URL is
 * unit_db_url. -1 when it cannot be made. */
static inline int unit_db_make(const char *name)
{
    snprintf(unit_db_dir, sizeof(unit_db_dir), "/tmp/tvshows-%s-XXXXXX", name);
    if (!mkdtemp(unit_db_dir))
        return -1;
    snprintf(unit_db_url, sizeof(unit_db_url), "sqlite:%s/t.db", unit_db_dir);
    return 0;
}

/* The database's files (whatever SQLite left), then their folder. */
static inline void unit_db_remove(void)
{
    DIR *d = opendir(unit_db_dir);
    struct dirent *e;
    char file[sizeof(unit_db_dir) + sizeof(e->d_name) + 1];

    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(file, sizeof(file), "%s/%s", unit_db_dir, e->d_name);
            unlink(file);
        }
    if (d)
        closedir(d);
    rmdir(unit_db_dir);
}

/* A store on unit_db_url; fails the test when it cannot be opened. */
static inline store *unit_db_open(void)
{
    store *st = NULL;
    char err[512];

    if (store_open(&st, unit_db_url, NULL, err, sizeof(err)) != STORE_OK)
        fail_msg("store_open: %s", err);
    return st;
}

#endif
