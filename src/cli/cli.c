#include "cli/cli.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "config/store_options.h"
#include "api/api.h"
#include "http/http.h"
#include "services/demo.h"
#include "services/import.h"
#include "store/store.h"
#include "store/store_admin.h"
#include "tvmaze/tvmaze.h"
#include "util/date.h"
#include "util/log.h"
#include "util/url.h"

typedef struct command {
    const char *name;
    unsigned mask;
    int (*run)(config *cfg);
    int max_args; /* positional arguments it takes; -1: it checks them itself */
    const char *usage;
    const char *summary;
} command;

/* Commands whose standard output is their result: logs go to stderr. */
static int output_is_data(unsigned mask)
{
    return mask & (CMD_ANALYTICS | CMD_JOBS | CMD_KEYS | CMD_HEALTHCHECK | CMD_VERSION);
}

/* The version, and what data the database holds when it is the demo
 * week. The database is only looked at: a SQLite file that does not exist
 * is not created, and a database that cannot be read is not an error. */
static int cmd_version(config *cfg)
{
    store_options opt = store_options_for(cfg, STORE_ROLE_CLI);
    char err[256], from[DATE_LEN + 1], to[DATE_LEN + 1];
    store *st = NULL;
    int32_t day;

    printf("tvshows %s\n", TVSHOWS_VERSION);
    if (!strncmp(cfg->database_url, "sqlite:", 7) && access(cfg->database_url + 7, F_OK) != 0)
        return 0;
    opt.application_name = "tvshows-version";
    if (store_open(&st, cfg->database_url, &opt, err, sizeof(err)) != STORE_OK)
        return 0;
    if (demo_loaded(st, &day) > 0) {
        date_format(day, from);
        date_format(day + 6, to);
        printf("data: the demo week, %s to %s (sample data; the first real import replaces it)\n",
               from, to);
    }
    store_close(st);
    return 0;
}

static const command commands[] = {
    {"serve", CMD_SERVE, cmd_serve, 0, "tvshows serve [options]",
     "HTTP API (and, unless --no-worker, the job worker and scheduler)"},
    {"migrate", CMD_MIGRATE, cmd_migrate, 0,
     "tvshows migrate [--to N]\n       tvshows migrate --status [--format table|json]",
     "apply schema migrations (idempotent; safe to run concurrently)"},
    {"import", CMD_IMPORT, cmd_import, -1,
     "tvshows import [--days N] [--from DATE] [--countries CC,…] [--web|--no-web]\n"
     "       tvshows import --full\n       tvshows import --file PATH…",
     "import schedules from TVmaze now, in the foreground (exit 1 when a day failed)"},
    {"worker", CMD_WORKER, cmd_worker, 0, "tvshows worker [options]",
     "run queued jobs and the import schedule (the worker service)"},
    {"jobs", CMD_JOBS, cmd_jobs, -1,
     "tvshows jobs stats|list|retry-dead [--format table|json|csv]\n"
     "       tvshows jobs enqueue import [--days N] [--from DATE] [--countries CC,…] "
     "[--no-web] [--full]",
     "look at and act on the job queue"},
    {"analytics", CMD_ANALYTICS, cmd_analytics, -1,
     "tvshows analytics networks|genres|schedule-density [--format table|json|csv]",
     "one analytical report (from the read replica when DATABASE_REPLICA_URL is set)"},
    {"lists", CMD_LISTS, cmd_lists, -1,
     "tvshows lists create NAME [--owner OWNER] | list [--owner OWNER] | show ID\n"
     "       tvshows lists add ID SHOW_ID | remove ID SHOW_ID | rotate ID | delete ID",
     "followed-show lists of any owner, and their feed tokens (printed once)"},
    {"webhooks", CMD_WEBHOOKS, cmd_webhooks, -1,
     "tvshows webhooks add URL [--secret S] [--filter QUERY] | list | remove ID | test ID\n"
     "       tvshows webhooks deliveries [--webhook ID] [--limit N]",
     "endpoints the change feed is POSTed to, signed; their deliveries"},
    {"keys", CMD_KEYS, cmd_keys, -1, "tvshows keys create NAME | list | revoke ID",
     "API keys: a new key is printed once; only its SHA-256 is stored"},
    {"healthcheck", CMD_HEALTHCHECK, cmd_healthcheck, 0, "tvshows healthcheck [--url URL]",
     "ask the local server's /up; exit 0 when it answers 200 (container health checks)"},
    {"version", CMD_VERSION, cmd_version, 0, "tvshows version",
     "print the version, and whether the database holds the demo week"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
    fprintf(out,
            "tvshows %s — a TV schedule service (data from TVmaze.com, CC BY-SA 4.0)\n\n"
            "Usage: tvshows COMMAND [options]\n\nCommands:\n",
            TVSHOWS_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-11s %s\n", "help", "this text; `tvshows help COMMAND` for its options");
    fprintf(out, "\nEvery option can also be set by the environment variable shown in the\n"
                 "command's help; flags override the environment.\n");
}

static void print_command_help(const command *c)
{
    printf("Usage: %s\n\n%s\n\nOptions:\n", c->usage, c->summary);
    config_print_help(stdout, c->mask);
}

/* -h or --help anywhere before "--": help, whatever else is wrong. */
static int asks_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

/* The one line for a command given more arguments than it takes. */
static int too_many_args(const command *c, const config *cfg)
{
    if (c->max_args < 0 || cfg->nargs <= c->max_args)
        return 0;
    fprintf(stderr, "tvshows: %s takes no arguments: unexpected \"%.64s\" (see tvshows help %s)\n",
            c->name, cfg->args[c->max_args], c->name);
    return 1;
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int cli_main(int argc, char **argv)
{
    const command *c;
    config cfg;
    char err[512];
    int rc;

    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc > 3) {
            fprintf(stderr, "tvshows: help takes one command: unexpected \"%.64s\"\n", argv[3]);
            return EXIT_USAGE;
        }
        if (argc > 2 && (c = find_command(argv[2]))) {
            print_command_help(c);
            return 0;
        }
        if (argc > 2) {
            fprintf(stderr, "tvshows: unknown command \"%.64s\" (see tvshows help)\n", argv[2]);
            return EXIT_USAGE;
        }
        print_usage(stdout);
        return 0;
    }
    if (!(c = find_command(strcmp(argv[1], "--version") ? argv[1] : "version"))) {
        fprintf(stderr, "tvshows: unknown command \"%.64s\" (see tvshows help)\n", argv[1]);
        return EXIT_USAGE;
    }
    if (asks_help(argc - 2, argv + 2)) {
        print_command_help(c);
        return 0;
    }
    if (config_load(&cfg, c->mask, argc - 2, argv + 2, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    if (cfg.help) {
        print_command_help(c);
        config_free(&cfg);
        return 0;
    }
    if (too_many_args(c, &cfg)) {
        config_free(&cfg);
        return EXIT_USAGE;
    }
    if (output_is_data(c->mask))
        log_set_fd(STDERR_FILENO);
    /* before any thread exists: curl's global setup is not thread-safe */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tvmaze_global_init();
    import_set_removal_warning(cfg.import_removal_warn_pct);
    import_set_change_retention(cfg.changes_retention_days);
    rc = c->run(&cfg);
    curl_global_cleanup();
    config_free(&cfg);
    return rc;
}

store *cli_open_store(const char *url, const char *app_name, const config *cfg)
{
    store_options opt = store_options_for(cfg, STORE_ROLE_CLI);
    char err[512];
    store *st;

    opt.application_name = app_name;
    if (store_open(&st, url, &opt, err, sizeof(err)) != STORE_OK) {
        url_scrub(err, sizeof(err), url); /* the driver's words may quote the URL */
        fprintf(stderr, "tvshows: DATABASE_URL: cannot open the database: %s\n", err);
        return NULL;
    }
    return st;
}

int cli_check_schema(store *st, int auto_migrate)
{
    int current, latest, applied;

    if (store_schema_version(st, &current, &latest) != STORE_OK) {
        fprintf(stderr, "tvshows: DATABASE_URL: cannot read the schema version: %s\n",
                store_errmsg(st));
        return -1;
    }
    if (current == latest)
        return 0;
    if (current > latest) {
        int compatible = 0;
        /* expand and contract: one version ahead is served when that
         * migration says the version before still works (a rollback, or an
         * old task during a rollout) */
        if (current == latest + 1 &&
            store_schema_compatible(st, current, &compatible) == STORE_OK && compatible) {
            log_warn("the schema is one version ahead of this binary, marked compatible: serving",
                     LF_I("database", current), LF_I("binary", latest));
            return 0;
        }
        fprintf(stderr,
                "tvshows: DATABASE_URL: the schema is at version %d, newer than this binary "
                "(%d) can serve: deploy the newer binary\n",
                current, latest);
        return -1;
    }
    if (!auto_migrate) {
        fprintf(stderr,
                "tvshows: DATABASE_URL: the schema is at version %d, this binary needs %d: run "
                "`tvshows migrate` first\n",
                current, latest);
        return -1;
    }
    if (store_migrate(st, &applied) != STORE_OK) {
        fprintf(stderr, "tvshows: DATABASE_URL: migration failed: %s\n", store_errmsg(st));
        return -1;
    }
    log_info("database migrated", LF_I("applied", applied), LF_I("version", latest));
    return 0;
}

void cli_block_signals(sigset_t *set)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

int cli_start_metrics(const config *cfg, http_server **out)
{
    http_server_config m = {
        .host = cfg->metrics_host,
        .port = cfg->metrics_port,
        .threads = 1,
        .max_connections = 64,
        .header_timeout_ms = 10000,
        .idle_timeout_ms = 75000,
        .shutdown_timeout_ms = 1000,
        .handler = api_handle_metrics,
        .thread_init = api_metrics_thread_new,
        .thread_fini = api_metrics_thread_free,
    };
    char err[256];

    *out = NULL;
    if (!cfg->metrics_port)
        return 0;
    if (http_server_start(out, &m, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: METRICS_PORT: %s\n", err);
        return -1;
    }
    return 0;
}

void cli_stop_metrics(http_server *srv)
{
    if (!srv)
        return;
    http_server_stop(srv);
    http_server_join(srv);
}
