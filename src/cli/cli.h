/* cli.h — the `tvshows` command line: one binary, several roles.
 *
 * cli_main() reads the command name, loads the configuration for it
 * (environment, then flags) and runs it. Exit status: 0 success, 1 the work
 * failed (for import: some days failed), 2 bad arguments or configuration
 * (one line on stderr naming the variable or flag). */
#ifndef TVSHOWS_CLI_H
#define TVSHOWS_CLI_H

#include "config/config.h"

#define EXIT_USAGE 2

int cli_main(int argc, char **argv);

/* the commands (cmd_*.c); each returns an exit status */
int cmd_serve(config *cfg);
int cmd_migrate(config *cfg);
int cmd_import(config *cfg);
int cmd_worker(config *cfg);
int cmd_jobs(config *cfg);
int cmd_keys(config *cfg);
int cmd_lists(config *cfg);
int cmd_webhooks(config *cfg);
int cmd_analytics(config *cfg);
int cmd_healthcheck(config *cfg);

/* Shared by the commands: opens the store named by DATABASE_URL or prints
 * "tvshows: DATABASE_URL: …" and returns NULL. */
struct store;
struct store *cli_open_store(const char *url, const char *app_name, const config *cfg);
/* Fails (prints, returns -1) when a PostgreSQL schema is behind this binary;
 * migrates a SQLite database in place. */
int cli_check_schema(struct store *st, int auto_migrate);

/* Blocks SIGTERM/SIGINT in every thread (the main thread takes them with
 * sigwait) and ignores SIGPIPE: a peer that leaves mid-write must never kill
 * the process. Call before starting threads. */
#include <signal.h>
void cli_block_signals(sigset_t *set);
/* The Prometheus listener on METRICS_HOST:METRICS_PORT (none when the port
 * is 0); prints the error and returns -1 when it cannot listen. */
struct http_server;
int cli_start_metrics(const config *cfg, struct http_server **out);
void cli_stop_metrics(struct http_server *srv); /* NULL is fine */

#endif
