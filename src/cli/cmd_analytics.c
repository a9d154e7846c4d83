/* tvshows analytics NAME: one report, as a table, JSON or CSV. Reads from
 * DATABASE_REPLICA_URL when set (falling back to the primary). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/store_options.h"
#include "cli/cli.h"
#include "services/analytics.h"
#include "store/store.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"

int cmd_analytics(config *cfg)
{
    report_kind kind;
    store *st = NULL;
    arena mem;
    report r;
    buf out;
    int rc = 1;

    if (cfg->nargs != 1 || analytics_find(cfg->args[0], &kind) != 0) {
        fprintf(stderr, "tvshows: analytics: expected networks, genres or schedule-density\n");
        return EXIT_USAGE;
    }
    /* the first replica that answers, else the primary */
    for (size_t i = 0; !st && cfg->database_replica_url[0]; i++) {
        store_options opt = store_options_for(cfg, STORE_ROLE_REPORT);
        char url[4096], err[256];
        if (config_list_item(cfg->database_replica_url, i, url, sizeof(url)) != 0) {
            log_warn("no replica answered, reading from the primary", LF_I("replicas", (int64_t)i));
            metrics_inc(M_DB_REPLICA_FALLBACKS);
            break;
        }
        if (store_open(&st, url, &opt, err, sizeof(err)) != STORE_OK) {
            log_warn("replica unavailable", LF_I("replica", (int64_t)i), LF_S("error", err));
            st = NULL;
        }
    }
    if (!st && !(st = cli_open_store(cfg->database_url, "tvshows-analytics", cfg)))
        return EXIT_USAGE;
    arena_init(&mem, 64 * 1024);
    buf_init(&out, (size_t)64 << 20);
    if (analytics_run(st, kind, date_today_utc(), &mem, &r) != STORE_OK) {
        fprintf(stderr, "tvshows: analytics: %s\n", store_errmsg(st));
        goto done;
    }
    if (!strcmp(cfg->format, "json")) {
        analytics_json(&r, time(NULL), &out);
        buf_putc(&out, '\n');
    } else if (!strcmp(cfg->format, "csv")) {
        analytics_csv(&r, &out);
    } else {
        analytics_text(&r, &out);
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    rc = 0;
done:
    buf_free(&out);
    arena_free(&mem);
    store_close(st);
    return rc;
}
