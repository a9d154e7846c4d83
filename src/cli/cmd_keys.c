/* tvshows keys: API keys. The key itself is shown once, at creation; only
 * its SHA-256 is stored. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "middleware/auth.h"
#include "store/store.h"
#include "store/store_admin.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/num.h"

static void fmt_time(int64_t t, char out[INSTANT_LEN + 1])
{
    if (t)
        instant_format(t, out);
    else
        snprintf(out, INSTANT_LEN + 1, "-");
}

static int key_create(store *st, const char *name)
{
    char key[64], hex[SHA256_HEX_LEN + 1], prefix[12];
    int64_t id;

    if (!*name || strlen(name) > 100) {
        fprintf(stderr, "tvshows: keys create: NAME must be 1 to 100 characters\n");
        return EXIT_USAGE;
    }
    if (auth_new_key(key) != 0 || hash_sha256_hex(key, strlen(key), hex) != 0) {
        fprintf(stderr, "tvshows: keys create: no randomness\n");
        return 1;
    }
    snprintf(prefix, sizeof(prefix), "%.10s", key);
    if (store_key_create(st, name, prefix, hex, &id) != STORE_OK) {
        fprintf(stderr, "tvshows: keys create: %s\n", store_errmsg(st));
        return 1;
    }
    printf("%s\n", key);
    fprintf(stderr, "key %lld created for \"%s\"; it is shown only this once\n", (long long)id,
            name);
    return 0;
}

static int key_list(store *st)
{
    arena mem;
    store_page page;
    int rc = 1;

    arena_init(&mem, 16 * 1024);
    if (store_key_list(st, 0, &mem, &page) != STORE_OK) {
        fprintf(stderr, "tvshows: keys list: %s\n", store_errmsg(st));
        goto done;
    }
    printf("%-6s %-24s %-12s %-20s %-20s %s\n", "ID", "NAME", "PREFIX", "CREATED", "LAST USED",
           "REVOKED");
    for (size_t i = 0; i < page.n; i++) {
        const store_key *k = page.rows[i];
        char c[INSTANT_LEN + 1], u[INSTANT_LEN + 1], r[INSTANT_LEN + 1];
        fmt_time(k->created_at, c);
        fmt_time(k->last_used_at, u);
        fmt_time(k->revoked_at, r);
        printf("%-6lld %-24.24s %-12s %-20s %-20s %s\n", (long long)k->id, k->name, k->prefix, c, u,
               r);
    }
    rc = 0;
done:
    arena_free(&mem);
    return rc;
}

static int key_revoke(store *st, const char *arg)
{
    int64_t id;
    int rc;

    if (num_parse_i64(arg, strlen(arg), &id) != 0 || id < 1) {
        fprintf(stderr, "tvshows: keys revoke: ID must be a key number (see keys list)\n");
        return EXIT_USAGE;
    }
    rc = store_key_revoke(st, id);
    if (rc == STORE_ENOTFOUND) {
        fprintf(stderr, "tvshows: keys revoke: no active key %lld\n", (long long)id);
        return 1;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "tvshows: keys revoke: %s\n", store_errmsg(st));
        return 1;
    }
    printf("key %lld revoked\n", (long long)id);
    return 0;
}

int cmd_keys(config *cfg)
{
    const char *what = cfg->nargs ? cfg->args[0] : "";
    store *st;
    int rc;

    if (!((!strcmp(what, "create") && cfg->nargs == 2) ||
          (!strcmp(what, "list") && cfg->nargs == 1) ||
          (!strcmp(what, "revoke") && cfg->nargs == 2))) {
        fprintf(stderr, "tvshows: keys: expected create NAME, list or revoke ID\n");
        return EXIT_USAGE;
    }
    if (!(st = cli_open_store(cfg->database_url, "tvshows-keys", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0) {
        store_close(st);
        return EXIT_USAGE;
    }
    rc = !strcmp(what, "create") ? key_create(st, cfg->args[1])
         : !strcmp(what, "list") ? key_list(st)
                                 : key_revoke(st, cfg->args[1]);
    store_close(st);
    return rc;
}
