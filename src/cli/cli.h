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

/* Shared by the commands: opens the store named by DATABASE_URL or prints
 * "tvshows: DATABASE_URL: …" and returns NULL. */
struct store;
struct store *cli_open_store(const char *url, const char *app_name, const config *cfg);
/* Fails (prints, returns -1) when a PostgreSQL schema is behind this binary;
 * migrates a SQLite database in place. */
int cli_check_schema(struct store *st, int auto_migrate);

#endif
