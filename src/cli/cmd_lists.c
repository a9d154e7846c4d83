/* tvshows lists: followed-show lists, for an operator. The same lists as
 * the API's, of any owner; a list made here belongs to --owner (an API
 * key's identity "key:<id>", a token's "sub:<subject>"). A feed token is
 * printed once, at creation and at rotation. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "services/lists.h"
#include "store/store.h"
#include "store/store_read.h"
#include "util/date.h"
#include "util/num.h"

static int parse_id(const char *what, const char *arg, int64_t *id)
{
    if (num_parse_i64(arg, strlen(arg), id) == 0 && *id > 0)
        return 0;
    fprintf(stderr, "tvshows: lists: %s must be a number (see lists list)\n", what);
    return -1;
}

static int failed(const char *what, store *st)
{
    fprintf(stderr, "tvshows: lists %s: %s\n", what, store_errmsg(st));
    return 1;
}

static void print_token(const lists_token *tok, int64_t id)
{
    printf("%s\n", tok->token);
    fprintf(stderr,
            "list %lld: its feeds are /feeds/%s.ics and /feeds/%s.json; the token is shown only "
            "this once\n",
            (long long)id, tok->token, tok->token);
}

static int lists_create(store *st, const config *cfg, const char *name)
{
    lists_token tok;
    int64_t id;

    if (!lists_name_ok(name, strlen(name))) {
        fprintf(stderr, "tvshows: lists create: NAME must be 1 to 100 characters\n");
        return EXIT_USAGE;
    }
    if (lists_new_token(&tok) != 0) {
        fprintf(stderr, "tvshows: lists create: no randomness\n");
        return 1;
    }
    if ((store_list_create(st, cfg->list_owner[0] ? cfg->list_owner : "operator", name, tok.sha256,
                           tok.prefix, LISTS_PER_OWNER, &id)) != STORE_OK)
        return failed("create", st);
    print_token(&tok, id);
    return 0;
}

static int lists_list(store *st, const config *cfg)
{
    store_page page;
    arena mem;

    arena_init(&mem, 16 * 1024);
    if (store_lists_of(st, cfg->list_owner[0] ? cfg->list_owner : NULL, &mem, &page) != STORE_OK) {
        arena_free(&mem);
        return failed("list", st);
    }
    printf("%-6s %-24s %-24s %-14s %s\n", "ID", "NAME", "OWNER", "TOKEN", "SHOWS");
    for (size_t i = 0; i < page.n; i++) {
        const store_list *l = page.rows[i];
        int64_t *ids;
        size_t n = 0;
        store_list_show_ids(st, l->id, &mem, &ids, &n);
        printf("%-6lld %-24.24s %-24.24s %-14s %zu\n", (long long)l->id, l->name, l->owner,
               l->feed_prefix, n);
    }
    arena_free(&mem);
    return 0;
}

static int lists_show(store *st, int64_t id)
{
    store_list *l;
    int64_t *ids;
    size_t n;
    arena mem;

    arena_init(&mem, 16 * 1024);
    if (store_list_get(st, id, NULL, &mem, &l) != STORE_OK ||
        store_list_show_ids(st, id, &mem, &ids, &n) != STORE_OK) {
        arena_free(&mem);
        return failed("show", st);
    }
    printf("list %lld \"%s\" of %s, feed token %s…, %zu shows\n", (long long)l->id, l->name,
           l->owner, l->feed_prefix, n);
    for (size_t i = 0; i < n; i++) {
        tv_show *s;
        if (store_get_show(st, ids[i], &mem, &s) == STORE_OK)
            printf("  %-8lld %s\n", (long long)s->id, s->name);
    }
    arena_free(&mem);
    return 0;
}

int cmd_lists(config *cfg)
{
    const char *what = cfg->nargs ? cfg->args[0] : "";
    int64_t id = 0, show = 0;
    store *st;
    int rc = EXIT_USAGE, args;

    args = !strcmp(what, "create") || !strcmp(what, "show") || !strcmp(what, "rotate") ||
                   !strcmp(what, "delete")
               ? 2
           : !strcmp(what, "add") || !strcmp(what, "remove") ? 3
           : !strcmp(what, "list")                           ? 1
                                                             : 0;
    if (!args || cfg->nargs != args) {
        fprintf(stderr, "tvshows: lists: expected create NAME [--owner OWNER], list [--owner "
                        "OWNER], show ID, add ID SHOW_ID, remove ID SHOW_ID, rotate ID or "
                        "delete ID\n");
        return EXIT_USAGE;
    }
    if (strcmp(what, "create") && strcmp(what, "list") && parse_id("ID", cfg->args[1], &id) != 0)
        return EXIT_USAGE;
    if (args == 3 && parse_id("SHOW_ID", cfg->args[2], &show) != 0)
        return EXIT_USAGE;
    if (!(st = cli_open_store(cfg->database_url, "tvshows-lists", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    if (!strcmp(what, "create")) {
        rc = lists_create(st, cfg, cfg->args[1]);
    } else if (!strcmp(what, "list")) {
        rc = lists_list(st, cfg);
    } else if (!strcmp(what, "show")) {
        rc = lists_show(st, id);
    } else if (!strcmp(what, "rotate")) {
        lists_token tok;
        if (lists_new_token(&tok) != 0 ||
            store_list_rotate(st, id, NULL, tok.sha256, tok.prefix) != STORE_OK) {
            rc = failed("rotate", st);
        } else {
            print_token(&tok, id);
            rc = 0;
        }
    } else if (!strcmp(what, "delete")) {
        rc = store_list_delete(st, id, NULL) == STORE_OK ? 0 : failed("delete", st);
        if (!rc)
            printf("list %lld deleted\n", (long long)id);
    } else if (!strcmp(what, "add")) {
        tv_show *s;
        arena mem;
        arena_init(&mem, 4096);
        if (store_get_show(st, show, &mem, &s) != STORE_OK) {
            fprintf(stderr, "tvshows: lists add: no show %lld\n", (long long)show);
            rc = 1;
        } else {
            rc = store_list_add_show(st, id, NULL, show, LISTS_SHOWS_MAX) == STORE_OK
                     ? 0
                     : failed("add", st);
        }
        arena_free(&mem);
    } else {
        rc = store_list_remove_show(st, id, NULL, show) == STORE_OK ? 0 : failed("remove", st);
    }
done:
    store_close(st);
    return rc;
}
