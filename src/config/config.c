#include "config/config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tvmaze/tvmaze.h"
#include "util/cidr.h"
#include "util/cron.h"
#include "util/date.h"
#include "util/log.h"
#include "util/num.h"
#include "util/trace.h"
#include "util/url.h"

/* OPT_PATHS: a flag whose value (and any further bare arguments) are paths,
 * collected with the positional arguments: `--file a.json b.json`. */
typedef enum { OPT_STR, OPT_INT, OPT_BOOL, OPT_FLAG, OPT_PATHS } opt_type;

typedef int (*opt_check)(const char *value, char *why, size_t whylen);

typedef struct opt {
    const char *env;  /* NULL: flag only */
    const char *flag; /* without the leading "--" */
    opt_type type;
    size_t offset;
    const char *def;
    long min, max;
    opt_check check;
    unsigned cmds;
    const char *help;
    int secret; /* key material: its value is never printed */
} opt;

#define OFF(f) offsetof(config, f)

static int check_db_url(const char *v, char *why, size_t n)
{
    if (!strncmp(v, "sqlite:", 7) && v[7])
        return 0;
    if (!strncmp(v, "postgres://", 11) || !strncmp(v, "postgresql://", 13))
        return 0;
    snprintf(why, n, "must be sqlite:PATH or postgres://…");
    return -1;
}

/* One postgres:// URL or several, separated by commas. */
static int check_pg_urls(const char *v, char *why, size_t n)
{
    for (const char *p = v; *p;) {
        const char *e = strchr(p, ',');
        while (*p == ' ')
            p++;
        if (strncmp(p, "postgres://", 11) && strncmp(p, "postgresql://", 13)) {
            snprintf(why, n, "must be postgres:// URLs separated by commas");
            return -1;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

int config_list_item(const char *list, size_t i, char *out, size_t n)
{
    const char *p = list;

    for (size_t k = 0; *p; k++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if (k == i) {
            if (!len || len >= n)
                return -1;
            memcpy(out, p, len);
            out[len] = '\0';
            return 0;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return -1;
}

static int check_redis_url(const char *v, char *why, size_t n)
{
    if (!*v || !strncmp(v, "redis://", 8) || !strncmp(v, "rediss://", 9))
        return 0;
    snprintf(why, n, "must be redis://host:port/db or rediss://…");
    return -1;
}

static int check_http_url(const char *v, char *why, size_t n)
{
    if (!*v || !strncmp(v, "http://", 7) || !strncmp(v, "https://", 8))
        return 0;
    snprintf(why, n, "must be an http:// or https:// URL");
    return -1;
}

/* Keys that decide who gets in must not be readable or replaceable on the
 * way: https, or plain http to this machine. */
static int check_secure_url(const char *v, char *why, size_t n)
{
    if (!*v || url_is_secure(v))
        return 0;
    snprintf(why, n, "must be an https:// URL (http:// only to a loopback host)");
    return -1;
}

static int check_countries(const char *v, char *why, size_t n)
{
    const char *p = v;

    /* "" is allowed: web schedule only */
    while (*p) {
        if (!isupper((unsigned char)p[0]) || !isupper((unsigned char)p[1]) ||
            (p[2] && p[2] != ',') || (p[2] == ',' && !p[3])) {
            snprintf(why, n, "must be comma-separated ISO 3166 codes such as US,GB");
            return -1;
        }
        p += p[2] ? 3 : 2;
    }
    return 0;
}

static int check_cron(const char *v, char *why, size_t n)
{
    cron_expr c;

    if (cron_parse(&c, v) == 0)
        return 0;
    snprintf(why, n, "must be a 5-field cron expression such as \"0 2 * * *\"");
    return -1;
}

static int check_auth(const char *v, char *why, size_t n)
{
    if (!strcmp(v, "none") || !strcmp(v, "api_key") || !strcmp(v, "jwt") || !strcmp(v, "any"))
        return 0;
    snprintf(why, n, "must be none, api_key, jwt or any");
    return -1;
}

static int check_hashes(const char *v, char *why, size_t n)
{
    size_t run = 0;

    for (const char *p = v;; p++) {
        if (*p == ',' || !*p) {
            if (run != 64 && !(run == 0 && !*p && p == v)) {
                snprintf(why, n, "must be comma-separated SHA-256 hex digests");
                return -1;
            }
            run = 0;
            if (!*p)
                return 0;
        } else if (isxdigit((unsigned char)*p)) {
            run++;
        } else {
            snprintf(why, n, "must be comma-separated SHA-256 hex digests");
            return -1;
        }
    }
}

static int check_cidrs(const char *v, char *why, size_t n)
{
    cidr_list l;
    int rc = cidr_list_parse(&l, v);

    cidr_list_free(&l);
    if (rc == 0)
        return 0;
    snprintf(why, n, "must be comma-separated addresses or CIDR blocks (IPv4 or IPv6)");
    return -1;
}

static int check_level(const char *v, char *why, size_t n)
{
    if (!strcmp(v, "debug") || !strcmp(v, "info") || !strcmp(v, "warn") || !strcmp(v, "error"))
        return 0;
    snprintf(why, n, "must be debug, info, warn or error");
    return -1;
}

static int check_log_format(const char *v, char *why, size_t n)
{
    if (!strcmp(v, "auto") || !strcmp(v, "json") || !strcmp(v, "text"))
        return 0;
    snprintf(why, n, "must be auto, json or text");
    return -1;
}

/* A CloudWatch dimension value: 1 to 64 printable ASCII characters. */
static int check_dimension(const char *v, char *why, size_t n)
{
    size_t len = strlen(v);

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
            len = 0;
    if (len >= 1 && len <= 64)
        return 0;
    snprintf(why, n, "must be 1 to 64 printable characters without spaces");
    return -1;
}

static int check_dimension_or_empty(const char *v, char *why, size_t n)
{
    return v[0] ? check_dimension(v, why, n) : 0;
}

static int check_ratio(const char *v, char *why, size_t n)
{
    double r;

    if (!*v || trace_ratio_parse(v, &r) == 0)
        return 0;
    snprintf(why, n, "must be a number from 0 to 1");
    return -1;
}

static int check_format(const char *v, char *why, size_t n)
{
    if (!strcmp(v, "table") || !strcmp(v, "json") || !strcmp(v, "csv"))
        return 0;
    snprintf(why, n, "must be table, json or csv");
    return -1;
}

/* migrate --status: a sentence or an object; a table of one row is neither */
static int check_status_format(const char *v, char *why, size_t n)
{
    if (!strcmp(v, "table") || !strcmp(v, "json"))
        return 0;
    snprintf(why, n, "must be table or json");
    return -1;
}

static int check_date(const char *v, char *why, size_t n)
{
    int32_t days;

    if (!*v || date_parse(v, strlen(v), &days) == 0)
        return 0;
    snprintf(why, n, "must be a date YYYY-MM-DD");
    return -1;
}

#define SERVING (CMD_SERVE | CMD_WORKER)
#define DB_CMDS                                                                                    \
    (CMD_SERVE | CMD_WORKER | CMD_MIGRATE | CMD_IMPORT | CMD_ANALYTICS | CMD_KEYS | CMD_JOBS |     \
     CMD_LISTS | CMD_WEBHOOKS | CMD_VERSION)
#define IMPORTING (CMD_SERVE | CMD_WORKER | CMD_IMPORT | CMD_JOBS)

static const opt options[] = {
    {"DATABASE_URL", "database-url", OPT_STR, OFF(database_url), "sqlite:var/tvshows.db", 0, 0,
     check_db_url, DB_CMDS, "sqlite:PATH or postgres://user:pass@host:port/db"},
    {"DATABASE_REPLICA_URL", "database-replica-url", OPT_STR, OFF(database_replica_url), "", 0, 0,
     check_pg_urls, CMD_SERVE | CMD_ANALYTICS,
     "read replicas for analytics (PostgreSQL URLs, separated by commas); reads are spread over "
     "them, and go to the primary when none answers"},
    {"DB_STATEMENT_TIMEOUT_MS", "db-statement-timeout-ms", OPT_INT, OFF(db_statement_timeout_ms),
     "5000", 100, 3600000, NULL, SERVING, "PostgreSQL statement_timeout for API queries"},
    {"SLOW_QUERY_MS", "slow-query-ms", OPT_INT, OFF(slow_query_ms), "100", 0, 3600000, NULL,
     DB_CMDS, "log statements slower than this (0: never)"},
    {"REDIS_URL", "redis-url", OPT_STR, OFF(redis_url), "", 0, 0, check_redis_url,
     SERVING | CMD_IMPORT | CMD_JOBS | CMD_KEYS,
     "redis://host:port/db: shared queue, cache, limits"},
    {"HOST", "host", OPT_STR, OFF(host), "127.0.0.1", 0, 0, NULL, CMD_SERVE | CMD_HEALTHCHECK,
     "listen address"},
    {"PORT", "port", OPT_INT, OFF(port), "3000", 1, 65535, NULL, CMD_SERVE | CMD_HEALTHCHECK,
     "listen port"},
    {"THREADS", "threads", OPT_INT, OFF(threads), "0", 0, 256, NULL, CMD_SERVE,
     "event-loop threads (0: one per CPU)"},
    {"MAX_CONNECTIONS", "max-connections", OPT_INT, OFF(max_connections), "10000", 1, 1000000, NULL,
     CMD_SERVE, "open connections per process"},
    {"HEADER_TIMEOUT", "header-timeout", OPT_INT, OFF(header_timeout_s), "10", 1, 3600, NULL,
     CMD_SERVE, "seconds to receive a request's headers (408 after)"},
    {"IDLE_TIMEOUT", "idle-timeout", OPT_INT, OFF(idle_timeout_s), "75", 1, 86400, NULL, CMD_SERVE,
     "seconds an idle keep-alive connection stays open"},
    {"BODY_TIMEOUT", "body-timeout", OPT_INT, OFF(body_timeout_s), "5", 1, 3600, NULL, CMD_SERVE,
     "seconds to receive a request body once its headers are in (408 after)"},
    {"SHUTDOWN_TIMEOUT", "shutdown-timeout", OPT_INT, OFF(shutdown_timeout_s), "25", 1, 3600, NULL,
     SERVING, "seconds to finish in-flight work after SIGTERM"},
    {"METRICS_HOST", "metrics-host", OPT_STR, OFF(metrics_host), "127.0.0.1", 0, 0, NULL, SERVING,
     "metrics listener address"},
    {"METRICS_PORT", "metrics-port", OPT_INT, OFF(metrics_port), "0", 0, 65535, NULL, SERVING,
     "Prometheus /metrics port (0: off)"},
    {"CORS_ORIGINS", "cors-origins", OPT_STR, OFF(cors_origins),
     "http://localhost:3000,http://localhost:3001,http://127.0.0.1:3000,http://127.0.0.1:3001", 0,
     0, NULL, CMD_SERVE, "allowed CORS origins, comma-separated (* for any)"},
    {"CACHE_TTL", "cache-ttl", OPT_INT, OFF(cache_ttl), "3600", 0, 31536000, NULL, CMD_SERVE,
     "seconds, for Cache-Control and the response cache"},
    {"CACHE_MB", "cache-mb", OPT_INT, OFF(cache_mb), "32", 0, 65536, NULL, CMD_SERVE,
     "in-process response cache size (0: off)"},
    {"SEARCH_INDEX_MB", "search-index-mb", OPT_INT, OFF(search_index_mb), "64", 0, 65536, NULL,
     CMD_SERVE, "in-memory show-name index for search (0: the database's index answers)"},
    {"TVMAZE_BASE_URL", "tvmaze-base-url", OPT_STR, OFF(tvmaze_base_url), "https://api.tvmaze.com",
     0, 0, tvmaze_url_check, IMPORTING, "upstream API (https; plain http only to loopback)"},
    {"IMPORT_DAYS", "days", OPT_INT, OFF(import_days), "90", 1, 3660, NULL, IMPORTING,
     "days in the import window, from today UTC"},
    {"IMPORT_COUNTRIES", "countries", OPT_STR, OFF(import_countries), "US", 0, 0, check_countries,
     IMPORTING, "country schedules to import, comma-separated"},
    {"IMPORT_WEB", "web", OPT_BOOL, OFF(import_web), "true", 0, 0, NULL, IMPORTING,
     "also import the web/streaming schedule (--no-web: don't)"},
    {"IMPORT_SCHEDULE", "schedule", OPT_STR, OFF(import_schedule), "0 2 * * *", 0, 0, check_cron,
     SERVING, "cron expression (UTC) of the daily import"},
    {"IMPORT_RATE", "rate", OPT_INT, OFF(import_rate), "20", 0, 100000, NULL, IMPORTING,
     "upstream requests per 10 s (0: unlimited)"},
    {"IMPORT_RETRIES", "retries", OPT_INT, OFF(import_retries), "5", 0, 100, NULL, IMPORTING,
     "retries of a failed upstream request"},
    {"IMPORT_SEASONS_MAX", "seasons-max", OPT_INT, OFF(import_seasons_max), "200", 0, 100000, NULL,
     IMPORTING,
     "shows whose seasons (for season finales) are asked for after an import, soonest airing "
     "first; the rest wait for the next import (0: none)"},
    {NULL, "from", OPT_STR, OFF(import_from), "", 0, 0, check_date, CMD_IMPORT | CMD_JOBS,
     "first day of the window (default today UTC)"},
    {NULL, "full", OPT_FLAG, OFF(import_full), "false", 0, 0, NULL, CMD_IMPORT | CMD_JOBS,
     "read /schedule/full once instead of day by day"},
    {NULL, "file", OPT_PATHS, OFF(import_files), "false", 0, 0, NULL, CMD_IMPORT,
     "import saved responses (PATH…) instead of fetching: no network"},
    {NULL, "demo", OPT_FLAG, OFF(demo), "false", 0, 0, NULL, CMD_IMPORT | CMD_SERVE,
     "load the demo week: recorded TVmaze schedules moved into the coming seven days, built "
     "into the binary (no network); the first real import replaces it"},
    {"IMPORT_TIMEOUT", "timeout", OPT_INT, OFF(import_timeout_s), "30", 1, 3600, NULL, IMPORTING,
     "seconds for one upstream request"},
    {"IMPORT_BACKOFF_MS", "backoff-ms", OPT_INT, OFF(import_backoff_ms), "1000", 1, 600000, NULL,
     IMPORTING, "first retry delay; doubles per retry, at most 60 s"},
    {"IMPORT_PAUSE", "import-pause", OPT_INT, OFF(import_pause_s), "60", 1, 3600, NULL, IMPORTING,
     "seconds imports pause once TVmaze is unreachable (a few days in a row found nothing "
     "answering); doubles while it stays so, at most an hour"},
    {NULL, "to", OPT_INT, OFF(migrate_to), "0", 0, 100000, NULL, CMD_MIGRATE,
     "apply migrations up to this version only (0: all)"},
    {NULL, "status", OPT_FLAG, OFF(migrate_status), "false", 0, 0, NULL, CMD_MIGRATE,
     "apply nothing: print the database's schema version, this binary's, the oldest binary "
     "that can serve it and what is pending (--format json for machines)"},
    {"DATABASE_APP_ROLE", "app-role", OPT_STR, OFF(database_app_role), "", 0, 0, NULL, CMD_MIGRATE,
     "PostgreSQL: the least-privilege role the API and worker connect as; migrate creates it "
     "(or sets its password) and grants what they need"},
    {"DATABASE_APP_PASSWORD", "app-password", OPT_STR, OFF(database_app_password), "", 0, 0, NULL,
     CMD_MIGRATE, "the password of DATABASE_APP_ROLE"},
    {"CHANGES_RETENTION_DAYS", "changes-retention-days", OPT_INT, OFF(changes_retention_days), "30",
     1, 3650, NULL, IMPORTING, "days the change feed (/api/v1/changes) keeps a change"},
    {NULL, "owner", OPT_STR, OFF(list_owner), "", 0, 0, NULL, CMD_LISTS,
     "the owner of a list: an API key's identity (key:ID) or a token's subject (sub:SUBJECT); "
     "create makes it \"operator\"'s by default, list shows every owner's"},
    {"WEBHOOK_SECRET", "secret", OPT_STR, OFF(webhook_secret), "", 0, 0, NULL, CMD_WEBHOOKS,
     "webhooks add: the secret deliveries are signed with (made and shown once when absent)"},
    {NULL, "filter", OPT_STR, OFF(webhook_filter), "", 0, 0, NULL, CMD_WEBHOOKS,
     "webhooks add: the changes to send, as the schedule's query parameters "
     "(distributor=HBO&genre=Drama), or list=ID for a list's shows"},
    {NULL, "webhook", OPT_INT, OFF(webhook_id), "0", 0, 1000000000, NULL, CMD_WEBHOOKS,
     "webhooks deliveries: of this webhook only"},
    {NULL, "limit", OPT_INT, OFF(webhook_limit), "20", 1, 1000, NULL, CMD_WEBHOOKS,
     "webhooks deliveries: how many, newest first"},
    {"IMPORT_REMOVAL_WARN", "removal-warn", OPT_INT, OFF(import_removal_warn_pct), "50", 1, 100,
     NULL, IMPORTING, "warn when a day drops more than this percent of its listings (100: never)"},
    {"WORKER_CONCURRENCY", "concurrency", OPT_INT, OFF(concurrency), "2", 1, 64, NULL,
     SERVING | CMD_IMPORT, "jobs (imports: days) run at once"},
    {"SERVE_WORKER", "worker", OPT_BOOL, OFF(serve_worker), "true", 0, 0, NULL, CMD_SERVE,
     "also run the job worker and scheduler (--no-worker: API only)"},
    {"JOB_VISIBILITY_TIMEOUT", "visibility-timeout", OPT_INT, OFF(job_visibility_s), "300", 1,
     86400, NULL, SERVING | CMD_JOBS, "seconds before a job held by a dead worker is redelivered"},
    {"JOB_MAX_ATTEMPTS", "max-attempts", OPT_INT, OFF(job_max_attempts), "5", 1, 100, NULL,
     SERVING | CMD_JOBS, "attempts before a job goes to the dead list"},
    {"JOB_BACKOFF_MS", "job-backoff-ms", OPT_INT, OFF(job_backoff_ms), "10000", 1, 3600000, NULL,
     SERVING | CMD_JOBS, "first retry delay of a failed job; doubles per attempt, at most 1 h"},
    {"AUTH_MODE", "auth-mode", OPT_STR, OFF(auth_mode_name), "none", 0, 0, check_auth, CMD_SERVE,
     "none, api_key, jwt or any"},
    {"API_KEYS_SHA256", "api-keys-sha256", OPT_STR, OFF(api_keys_sha256), "", 0, 0, check_hashes,
     CMD_SERVE, "extra accepted API keys, as comma-separated SHA-256 hex", 1},
    {"JWT_JWKS_URL", "jwt-jwks-url", OPT_STR, OFF(jwt_jwks_url), "", 0, 0, check_secure_url,
     CMD_SERVE, "JWKS to verify RS256 tokens (https://; http:// only to a loopback host)"},
    {"JWT_JWKS_FILE", "jwt-jwks-file", OPT_STR, OFF(jwt_jwks_file), "", 0, 0, NULL, CMD_SERVE,
     "JWKS file (instead of a URL)"},
    {"JWT_ISSUER", "jwt-issuer", OPT_STR, OFF(jwt_issuer), "", 0, 0, NULL, CMD_SERVE,
     "the iss every token must carry (required with AUTH_MODE jwt or any)"},
    {"JWT_AUDIENCE", "jwt-audience", OPT_STR, OFF(jwt_audience), "", 0, 0, NULL, CMD_SERVE,
     "the aud (Cognito access tokens: client_id) every token must carry (required with "
     "AUTH_MODE jwt or any)"},
    {"RATE_LIMIT_IP_PER_MIN", "rate-limit-ip", OPT_INT, OFF(rate_limit_ip_per_min), "100", 0,
     100000000, NULL, CMD_SERVE, "requests per minute per client IP (0: off)"},
    {"RATE_LIMIT_KEY_PER_HOUR", "rate-limit-key", OPT_INT, OFF(rate_limit_key_per_hour), "1000", 0,
     100000000, NULL, CMD_SERVE, "requests per hour per API key (0: off)"},
    {"RATE_LIMIT_IPV6_PREFIX", "rate-limit-ipv6-prefix", OPT_INT, OFF(rate_limit_ipv6_prefix), "64",
     16, 128, NULL, CMD_SERVE,
     "IPv6 clients are counted per network of this prefix length (a subscriber's /64)"},
    {"BLOCKLIST", "blocklist", OPT_STR, OFF(blocklist), "", 0, 0, check_cidrs, CMD_SERVE,
     "client addresses or CIDRs refused with 403"},
    {"TRUSTED_PROXIES", "trusted-proxies", OPT_STR, OFF(trusted_proxies), "", 0, 0, check_cidrs,
     CMD_SERVE, "peers whose X-Forwarded-For is believed"},
    {"LOG_LEVEL", "log-level", OPT_STR, OFF(log_level), "info", 0, 0, check_level, CMD_ALL,
     "debug, info, warn or error"},
    {"LOG_FORMAT", "log-format", OPT_STR, OFF(log_format), "auto", 0, 0, check_log_format, CMD_ALL,
     "auto (text on a terminal, one JSON object a line otherwise), text or json"},
    {"LOG_EMF", "log-emf", OPT_BOOL, OFF(log_emf), "false", 0, 0, NULL, SERVING,
     "also write CloudWatch Embedded Metric Format lines"},
    {"METRICS_ENVIRONMENT", "metrics-environment", OPT_STR, OFF(metrics_environment), "local", 0, 0,
     check_dimension, SERVING, "the Environment dimension of the EMF metrics"},
    {"METRICS_SERVICE", "metrics-service", OPT_STR, OFF(metrics_service), "", 0, 0,
     check_dimension_or_empty, SERVING,
     "the Service dimension of the EMF metrics (default: api for serve, worker for worker)"},
    {"EMF_INTERVAL", "emf-interval", OPT_INT, OFF(emf_interval_s), "60", 1, 3600, NULL, SERVING,
     "seconds between EMF lines"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT", "otel-exporter-otlp-endpoint", OPT_STR, OFF(otel_endpoint), "",
     0, 0, check_http_url, SERVING,
     "OpenTelemetry collector (OTLP/HTTP): spans are POSTed to URL/v1/traces (empty: no traces)"},
    {"OTEL_TRACES_SAMPLER_ARG", "otel-traces-sampler-arg", OPT_STR, OFF(otel_sampler_arg), "", 0, 0,
     check_ratio, SERVING,
     "share of new traces recorded, 0 to 1 (default 0.05 with an endpoint; 0: none); a caller's "
     "traceparent sampled flag is followed"},
    {"OTEL_SERVICE_NAME", "otel-service-name", OPT_STR, OFF(otel_service_name), "", 0, 0,
     check_dimension_or_empty, SERVING,
     "service.name of the spans (default: tvshows-api for serve, tvshows-worker for worker)"},
    {NULL, "format", OPT_STR, OFF(format), "table", 0, 0, check_format, CMD_ANALYTICS | CMD_JOBS,
     "output: table, json or csv"},
    {NULL, "format", OPT_STR, OFF(format), "table", 0, 0, check_status_format, CMD_MIGRATE,
     "migrate --status output: table (a sentence) or json"},
    {NULL, "url", OPT_STR, OFF(url), "", 0, 0, check_http_url, CMD_HEALTHCHECK,
     "URL to ask instead of http://HOST:PORT/up"},
    {NULL, "help", OPT_FLAG, OFF(help), "false", 0, 0, NULL, CMD_ALL, "show this help"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static int set_value(config *cfg, const opt *o, const char *name, const char *v, char *err,
                     size_t errlen)
{
    char *base = (char *)cfg;
    char why[160] = "";

    switch (o->type) {
    case OPT_STR: {
        char **slot = (char **)(base + o->offset);
        char *copy;
        if (o->check && o->check(v, why, sizeof(why)) != 0)
            goto bad;
        if (!(copy = strdup(v))) {
            snprintf(err, errlen, "tvshows: out of memory");
            return -1;
        }
        free(*slot);
        *slot = copy;
        return 0;
    }
    case OPT_INT: {
        int64_t n;
        if (num_parse_i64(v, strlen(v), &n) || n < o->min || n > o->max) {
            snprintf(why, sizeof(why), "must be an integer from %ld to %ld", o->min, o->max);
            goto bad;
        }
        *(int *)(base + o->offset) = (int)n;
        return 0;
    }
    case OPT_PATHS:
        *(int *)(base + o->offset) = 1;
        if (!strcmp(v, "false")) /* the default */
            *(int *)(base + o->offset) = 0;
        return 0;
    case OPT_BOOL:
    case OPT_FLAG: {
        int b;
        if (num_parse_bool(v, &b)) {
            snprintf(why, sizeof(why), "must be true or false");
            goto bad;
        }
        *(int *)(base + o->offset) = b;
        return 0;
    }
    }
bad:
    /* the value is echoed only when short, printable and no key material,
     * and a URL without its password (a mistyped DATABASE_URL holds one) */
    {
        char shown[128];
        int printable = strlen(v) <= 64 && !o->secret;
        for (const char *p = v; printable && *p; p++)
            printable = isprint((unsigned char)*p);
        url_redact(printable ? v : "", shown, sizeof(shown));
        if (printable)
            snprintf(err, errlen, "tvshows: invalid %s \"%s\": %s", name, shown, why);
        else
            snprintf(err, errlen, "tvshows: invalid %s: %s", name, why);
    }
    return -1;
}

static const opt *find_flag(const char *name, size_t n, unsigned cmd, int *negated)
{
    *negated = 0;
    if (n > 3 && !strncmp(name, "no-", 3)) {
        for (size_t i = 0; i < NOPTIONS; i++) {
            const opt *o = &options[i];
            if ((o->cmds & cmd) && o->type == OPT_BOOL && strlen(o->flag) == n - 3 &&
                !strncmp(o->flag, name + 3, n - 3)) {
                *negated = 1;
                return o;
            }
        }
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if ((o->cmds & cmd) && strlen(o->flag) == n && !strncmp(o->flag, name, n))
            return o;
    }
    return NULL;
}

/* "-p 4302": options take two dashes. Says so in err, naming the one
 * option of the command the letters could stand for, when there is one. */
static void single_dash(const char *a, unsigned cmd, char *err, size_t errlen)
{
    const opt *match = NULL;
    size_t n = strlen(a + 1);
    int matches = 0;

    for (size_t i = 0; i < NOPTIONS; i++)
        if ((options[i].cmds & cmd) && !strncmp(options[i].flag, a + 1, n) &&
            (!match || strcmp(match->flag, options[i].flag))) {
            match = &options[i];
            matches++;
        }
    if (matches == 1)
        snprintf(err, errlen,
                 "tvshows: unknown option %.32s: options take two dashes, as in --%s (see --help)",
                 a, match->flag);
    else
        snprintf(err, errlen, "tvshows: unknown option %.32s: options take two dashes (see --help)",
                 a);
}

static int parse_argv(config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen)
{
    int options_end = 0;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq, *value;
        const opt *o;
        char name[80];
        size_t flen;
        int neg;

        if (options_end || a[0] != '-' || !a[1]) {
            cfg->args[cfg->nargs++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { /* the rest are arguments, whatever they look like */
            options_end = 1;
            continue;
        }
        if (!strcmp(a, "-h")) {
            cfg->help = 1;
            continue;
        }
        if (a[1] != '-') {
            single_dash(a, cmd, err, errlen);
            return -1;
        }
        a += 2;
        eq = strchr(a, '=');
        flen = eq ? (size_t)(eq - a) : strlen(a);
        snprintf(name, sizeof(name), "--%.*s", (int)(flen > 64 ? 64 : flen), a);
        if (!(o = find_flag(a, flen, cmd, &neg))) {
            snprintf(err, errlen, "tvshows: unknown option %s (see --help)", name);
            return -1;
        }
        if (o->type == OPT_PATHS) {
            *(int *)((char *)cfg + o->offset) = 1;
            if (!eq)
                continue; /* the paths follow as bare arguments */
            cfg->args[cfg->nargs++] = eq + 1;
            continue;
        }
        if (o->type == OPT_FLAG || o->type == OPT_BOOL) {
            value = eq ? eq + 1 : neg ? "false" : "true";
            if (neg && eq) {
                snprintf(err, errlen, "tvshows: %s takes no value", name);
                return -1;
            }
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            snprintf(err, errlen, "tvshows: %s needs a value", name);
            return -1;
        }
        if (set_value(cfg, o, name, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int config_load(config *cfg, unsigned cmd, int argc, char **argv, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    /* at most one positional argument per argv element */
    if (!(cfg->args = calloc((size_t)argc + 1, sizeof(*cfg->args)))) {
        snprintf(err, errlen, "tvshows: out of memory");
        return -1;
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        if (set_value(cfg, o, o->env ? o->env : o->flag, o->def, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        const char *v;
        if (!o->env || !(o->cmds & cmd) || !(v = getenv(o->env)))
            continue;
        if (set_value(cfg, o, o->env, v, err, errlen) != 0)
            return -1;
    }
    if (parse_argv(cfg, cmd, argc, argv, err, errlen) != 0)
        return -1;
    if (!strcmp(cfg->auth_mode_name, "api_key"))
        cfg->auth = AUTH_API_KEY;
    else if (!strcmp(cfg->auth_mode_name, "jwt"))
        cfg->auth = AUTH_JWT;
    else if (!strcmp(cfg->auth_mode_name, "any"))
        cfg->auth = AUTH_ANY;
    else
        cfg->auth = AUTH_NONE;
    if ((cmd & CMD_SERVE) && (cfg->auth == AUTH_JWT || cfg->auth == AUTH_ANY) &&
        !*cfg->jwt_jwks_url && !*cfg->jwt_jwks_file) {
        snprintf(err, errlen, "tvshows: invalid AUTH_MODE: %s needs JWT_JWKS_URL or JWT_JWKS_FILE",
                 cfg->auth_mode_name);
        return -1;
    }
    /* without both, any token signed by a key of the set would do, whoever
     * it was issued by or for */
    if ((cmd & CMD_SERVE) && (cfg->auth == AUTH_JWT || cfg->auth == AUTH_ANY) &&
        (!*cfg->jwt_issuer || !*cfg->jwt_audience)) {
        snprintf(err, errlen, "tvshows: invalid %s: required when AUTH_MODE is %s",
                 !*cfg->jwt_issuer ? "JWT_ISSUER" : "JWT_AUDIENCE", cfg->auth_mode_name);
        return -1;
    }
    if (*cfg->jwt_jwks_url && *cfg->jwt_jwks_file) {
        snprintf(err, errlen,
                 "tvshows: invalid JWT_JWKS_FILE: set JWT_JWKS_URL or JWT_JWKS_FILE, "
                 "not both");
        return -1;
    }
    if (cfg->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->threads = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
    }
    log_configure(cfg->log_level, cfg->log_format);
    return 0;
}

void config_free(config *cfg)
{
    char *base = (char *)cfg;

    free(cfg->args);
    cfg->args = NULL;
    for (size_t i = 0; i < NOPTIONS; i++) {
        if (options[i].type == OPT_STR) {
            char **slot = (char **)(base + options[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
}

void config_print_help(FILE *out, unsigned cmd)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt *o = &options[i];
        char left[64];
        if (!(o->cmds & cmd))
            continue;
        if (o->type == OPT_BOOL)
            snprintf(left, sizeof(left), "--%s, --no-%s", o->flag, o->flag);
        else if (o->type == OPT_FLAG)
            snprintf(left, sizeof(left), "--%s", o->flag);
        else if (o->type == OPT_PATHS)
            snprintf(left, sizeof(left), "--%s PATH…", o->flag);
        else
            snprintf(left, sizeof(left), "--%s %s", o->flag, o->type == OPT_INT ? "N" : "VALUE");
        fprintf(out, "  %-34s %s", left, o->help);
        if (o->env)
            fprintf(out, " [%s", o->env);
        int show_def = o->type != OPT_FLAG && o->type != OPT_PATHS && o->def[0];
        if (show_def)
            fprintf(out, "%sdefault %s", o->env ? ", " : " [", o->def);
        if (o->env || show_def)
            fputc(']', out);
        fputc('\n', out);
    }
}
