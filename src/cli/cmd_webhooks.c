/* tvshows webhooks: where the change feed is POSTed (see
 * services/webhooks.h), and what came of it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "services/webhooks.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "store/store_read.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/num.h"

#define SECRET_MIN 16

static int parse_id(const char *arg, int64_t *id)
{
    if (num_parse_i64(arg, strlen(arg), id) == 0 && *id > 0)
        return 0;
    fprintf(stderr, "tvshows: webhooks: ID must be a number (see webhooks list)\n");
    return -1;
}

static int hook_add(store *st, const config *cfg, const char *url)
{
    char why[256], secret[SHA256_HEX_LEN + 1];
    const char *s = cfg->webhook_secret;
    int64_t id;

    if (!webhooks_url_ok(url)) {
        fprintf(stderr, "tvshows: webhooks add: URL must be an http:// or https:// URL\n");
        return EXIT_USAGE;
    }
    if (webhooks_filter_ok(cfg->webhook_filter, why, sizeof(why)) != 0) {
        fprintf(stderr, "tvshows: webhooks add: --filter: %s\n", why);
        return EXIT_USAGE;
    }
    if (s[0] && strlen(s) < SECRET_MIN) {
        fprintf(stderr, "tvshows: webhooks add: --secret must be at least %d characters\n",
                SECRET_MIN);
        return EXIT_USAGE;
    }
    if (!s[0]) { /* none given: one is made, and shown this once */
        unsigned char raw[32];
        if (hash_random(raw, sizeof(raw)) != 0) {
            fprintf(stderr, "tvshows: webhooks add: no randomness\n");
            return 1;
        }
        hash_hex(raw, sizeof(raw), secret);
        s = secret;
    }
    if (store_webhook_add(st, url, s, cfg->webhook_filter, &id) != STORE_OK) {
        fprintf(stderr, "tvshows: webhooks add: %s\n", store_errmsg(st));
        return 1;
    }
    printf("webhook %lld added\n", (long long)id);
    if (s == secret)
        printf("secret: %s\n", secret);
    return 0;
}

static int hook_list(store *st)
{
    store_page page;
    arena a;

    arena_init(&a, 16 * 1024);
    if (store_webhooks_all(st, &a, &page) != STORE_OK) {
        fprintf(stderr, "tvshows: webhooks list: %s\n", store_errmsg(st));
        arena_free(&a);
        return 1;
    }
    printf("%-4s %-20s %-17s %-40s %s\n", "ID", "CREATED", "CURSOR", "URL", "FILTER");
    for (size_t i = 0; i < page.n; i++) {
        const store_webhook *h = page.rows[i];
        char at[INSTANT_LEN + 1], cursor[STORE_CURSOR_LEN + 1];
        instant_format(h->created_at, at);
        store_change_cursor(h->cursor, cursor);
        printf("%-4lld %-20s %-17s %-40.40s %s\n", (long long)h->id, at, cursor, h->url,
               h->filter[0] ? h->filter : "-");
    }
    arena_free(&a);
    return 0;
}

static int hook_deliveries(store *st, const config *cfg)
{
    store_page page;
    arena a;

    arena_init(&a, 16 * 1024);
    if (store_webhook_deliveries(st, cfg->webhook_id, cfg->webhook_limit, &a, &page) != STORE_OK) {
        fprintf(stderr, "tvshows: webhooks deliveries: %s\n", store_errmsg(st));
        arena_free(&a);
        return 1;
    }
    printf("%-20s %-7s %-32s %-9s %7s %6s %6s  %s\n", "AT", "WEBHOOK", "DELIVERY", "STATUS",
           "CHANGES", "HTTP", "MS", "ERROR");
    for (size_t i = 0; i < page.n; i++) {
        const store_delivery *d = page.rows[i];
        char at[INSTANT_LEN + 1];
        instant_format(d->created_at, at);
        printf("%-20s %-7lld %-32s %-9s %7d %6d %6d  %s\n", at, (long long)d->webhook_id,
               d->delivery_id, d->status, d->changes, d->http_status, d->duration_ms,
               d->error ? d->error : "");
    }
    arena_free(&a);
    return 0;
}

static int hook_test(store *st, int64_t id)
{
    char err[512];
    int status;

    if (webhooks_ping(st, id, &status, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: webhooks test: %s\n", err);
        return 1;
    }
    printf("webhook %lld answered the ping with HTTP %d\n", (long long)id, status);
    return 0;
}

int cmd_webhooks(config *cfg)
{
    const char *what = cfg->nargs ? cfg->args[0] : "";
    int64_t id = 0;
    store *st;
    int rc = EXIT_USAGE;

    if (!((!strcmp(what, "add") && cfg->nargs == 2) ||
          ((!strcmp(what, "list") || !strcmp(what, "deliveries")) && cfg->nargs == 1) ||
          ((!strcmp(what, "remove") || !strcmp(what, "test")) && cfg->nargs == 2))) {
        fprintf(stderr, "tvshows: webhooks: expected add URL [--secret S] [--filter QUERY], "
                        "list, remove ID, test ID or deliveries [--webhook ID] [--limit N]\n");
        return EXIT_USAGE;
    }
    if ((!strcmp(what, "remove") || !strcmp(what, "test")) && parse_id(cfg->args[1], &id) != 0)
        return EXIT_USAGE;
    if (!(st = cli_open_store(cfg->database_url, "tvshows-webhooks", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    if (!strcmp(what, "add")) {
        rc = hook_add(st, cfg, cfg->args[1]);
    } else if (!strcmp(what, "list")) {
        rc = hook_list(st);
    } else if (!strcmp(what, "deliveries")) {
        rc = hook_deliveries(st, cfg);
    } else if (!strcmp(what, "test")) {
        rc = hook_test(st, id);
    } else if (store_webhook_remove(st, id) != STORE_OK) {
        fprintf(stderr, "tvshows: webhooks remove: %s\n", store_errmsg(st));
        rc = 1;
    } else {
        printf("webhook %lld removed\n", (long long)id);
        rc = 0;
    }
done:
    store_close(st);
    return rc;
}
