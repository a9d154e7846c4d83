/* tvshows migrate: applies the schema's migrations (the migration task of a
 * deployment, run before new code takes traffic), creates the application's
 * least-privilege database role, or says where the schema stands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "store/store_admin.h"
#include "util/log.h"

/* The database's version, this binary's, the oldest binary that can serve
 * the database (one version behind it when its last migration is marked
 * compatible) and the migrations this binary would apply. */
static int print_status(store *st, const config *cfg)
{
    int current = 0, latest = 0, compatible = 0, oldest, pending;

    if (store_schema_version(st, &current, &latest) != STORE_OK ||
        (current > 0 && store_schema_compatible(st, current, &compatible) != STORE_OK)) {
        fprintf(stderr, "tvshows: migrate: %s\n", store_errmsg(st));
        return 1;
    }
    oldest = current > 0 && compatible ? current - 1 : current;
    pending = latest > current ? latest - current : 0;
    if (!strcmp(cfg->format, "json"))
        printf("{\"database\":%d,\"binary\":%d,\"oldest_compatible_binary\":%d,\"pending\":%d}\n",
               current, latest, oldest, pending);
    else
        printf("schema: database at version %d, this binary at %d, %d pending; binaries from "
               "version %d on can serve it\n",
               current, latest, pending, oldest);
    return 0;
}

int cmd_migrate(config *cfg)
{
    store *st = cli_open_store(cfg->database_url, "tvshows-migrate", cfg);
    int applied = 0, current = 0, latest = 0, rc = EXIT_USAGE;

    if (!st)
        return EXIT_USAGE;
    if (cfg->migrate_status) {
        rc = print_status(st, cfg);
        goto done;
    }
    if (store_migrate_to(st, cfg->migrate_to, &applied) != STORE_OK) {
        fprintf(stderr, "tvshows: migrate: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    store_schema_version(st, &current, &latest);
    log_info("migrations applied", LF_I("applied", applied), LF_I("version", current));
    if (cfg->database_app_role[0]) {
        if (store_app_role(st, cfg->database_app_role, cfg->database_app_password) != STORE_OK) {
            fprintf(stderr, "tvshows: migrate: DATABASE_APP_ROLE: %s\n", store_errmsg(st));
            rc = 1;
            goto done;
        }
        log_info(store_is_postgres(st) ? "application role ready"
                                       : "DATABASE_APP_ROLE ignored: SQLite has no roles",
                 LF_S("role", cfg->database_app_role));
    }
    rc = 0;
done:
    store_close(st);
    return rc;
}
