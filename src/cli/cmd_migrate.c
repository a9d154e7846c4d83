#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/log.h"

int cmd_migrate(config *cfg)
{
    store *st = cli_open_store(cfg->database_url, "tvshows-migrate", cfg);
    int applied = 0, current = 0, latest = 0, rc = EXIT_USAGE;

    if (!st)
        return EXIT_USAGE;
    if (store_migrate_to(st, cfg->migrate_to, &applied) != STORE_OK) {
        fprintf(stderr, "tvshows: migrate: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    store_schema_version(st, &current, &latest);
    log_info("migrations applied", LF_I("applied", applied), LF_I("version", current));
    rc = 0;
done:
    store_close(st);
    return rc;
}
