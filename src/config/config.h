/* config.h — process-wide configuration: environment variables (12-factor),
 * overridden by command-line flags, validated once at start.
 *
 * Every option has one entry in a table (config.c) naming its variable, its
 * flag, its default, its range and the commands it applies to; the help text
 * is generated from the same table.
 * Errors: config_load() returns 0, or -1 after writing one line that names
 * the variable (or flag) and what is wrong into err.
 * Ownership: strings in struct config are owned by it; config_free().
 * Thread-safety: filled before any thread starts, read-only afterwards. */
#ifndef TVSHOWS_CONFIG_H
#define TVSHOWS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* commands, as a bit mask of where an option applies */
enum {
    CMD_SERVE = 1 << 0,
    CMD_WORKER = 1 << 1,
    CMD_MIGRATE = 1 << 2,
    CMD_IMPORT = 1 << 3,
    CMD_ANALYTICS = 1 << 4,
    CMD_KEYS = 1 << 5,
    CMD_JOBS = 1 << 6,
    CMD_HEALTHCHECK = 1 << 7,
    CMD_LISTS = 1 << 8,
    CMD_WEBHOOKS = 1 << 9,
    CMD_VERSION = 1 << 10,
    CMD_ALL = 0xffff
};

typedef enum { AUTH_NONE, AUTH_API_KEY, AUTH_JWT, AUTH_ANY } auth_mode;

typedef struct config {
    /* storage */
    char *database_url;
    char *database_replica_url;
    char *redis_url;
    int db_statement_timeout_ms;
    int slow_query_ms;
    /* HTTP */
    char *host;
    int port;
    int threads;
    int max_connections;
    int header_timeout_s;
    int idle_timeout_s;
    int body_timeout_s;
    int shutdown_timeout_s;
    char *metrics_host;
    int metrics_port;
    char *cors_origins;
    int cache_ttl;
    int cache_mb;
    int search_index_mb;
    /* import */
    char *tvmaze_base_url;
    int import_days;
    char *import_countries;
    int import_web;
    char *import_schedule;
    int import_rate;
    int import_retries;
    char *import_from;
    int import_full;
    int import_files; /* --file: the positional arguments are saved responses */
    int demo;         /* --demo: load the demo week (services/demo.h) */
    int import_timeout_s;
    int import_backoff_ms;
    int import_pause_s;     /* first pause of imports while TVmaze is unreachable */
    int import_seasons_max; /* shows whose seasons one step asks for (services/seasons.h) */
    int import_removal_warn_pct;
    int changes_retention_days;
    char *metrics_environment, *metrics_service;
    char *list_owner; /* lists --owner: "" for lists list of everybody's, "operator" made */
    char *webhook_secret, *webhook_filter; /* webhooks add */
    int webhook_id, webhook_limit;         /* webhooks deliveries */
    int migrate_to;                        /* migrate --to: the last version to apply, 0 for all */
    int migrate_status; /* migrate --status: apply nothing, say where the schema stands */
    char *database_app_role, *database_app_password;
    /* jobs */
    int concurrency;
    int serve_worker; /* serve also runs the worker and scheduler */
    int job_visibility_s;
    int job_max_attempts;
    int job_backoff_ms;
    /* security */
    char *auth_mode_name;
    auth_mode auth;
    char *api_keys_sha256;
    char *jwt_jwks_url;
    char *jwt_jwks_file;
    char *jwt_issuer;
    char *jwt_audience;
    int rate_limit_ip_per_min;
    int rate_limit_key_per_hour;
    int rate_limit_ipv6_prefix;
    char *blocklist;
    char *trusted_proxies;
    /* observability */
    char *log_level;
    char *log_format;
    int log_emf;
    int emf_interval_s;
    char *otel_endpoint;     /* OTLP/HTTP collector: "" records no traces */
    char *otel_sampler_arg;  /* "" for the default (util/trace.h) */
    char *otel_service_name; /* "" for tvshows-<role> */
    /* command specifics */
    char *format;
    char *url;
    int help;
    /* positional arguments after the command: the array is owned, the
     * strings are borrowed from argv */
    const char **args;
    int nargs;
} config;

/* Defaults, then the environment, then argv (argv[0] is the first flag or
 * argument after the command name). */
int config_load(config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen);
void config_free(config *cfg);
/* Writes the options of cmd, with their variables and defaults. */
void config_print_help(FILE *out, unsigned cmd);

/* The i-th item (from 0) of a comma-separated list such as
 * DATABASE_REPLICA_URL, trimmed, into out; -1 past the last (or when it
 * does not fit in n). */
int config_list_item(const char *list, size_t i, char *out, size_t n);

#endif
