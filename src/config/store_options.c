#include "config/store_options.h"

store_options store_options_for(const config *cfg, store_role role)
{
    store_options o = {.slow_query_ms = cfg->slow_query_ms};

    switch (role) {
    case STORE_ROLE_API:
        o.application_name = "tvshows-api";
        o.statement_timeout_ms = cfg->db_statement_timeout_ms;
        o.reads = 1;
        break;
    case STORE_ROLE_REFRESH:
        o.application_name = "tvshows-refresh";
        o.statement_timeout_ms = cfg->db_statement_timeout_ms;
        o.slow_query_ms = 0; /* it runs every second: its slowness shows elsewhere */
        break;
    case STORE_ROLE_REPLICA:
        o.application_name = "tvshows-analytics";
        o.statement_timeout_ms = cfg->db_statement_timeout_ms * 6;
        break;
    case STORE_ROLE_CLI:
        o.application_name = "tvshows";
        o.statement_timeout_ms = cfg->db_statement_timeout_ms;
        break;
    case STORE_ROLE_REPORT:
        o.application_name = "tvshows-analytics";
        break;
    case STORE_ROLE_IMPORT:
        o.application_name = "tvshows-import";
        break;
    case STORE_ROLE_WORKER:
        o.application_name = "tvshows-worker";
        break;
    case STORE_ROLE_SCHEDULER:
        o.application_name = "tvshows-scheduler";
        break;
    }
    return o;
}

store_options store_options_on_loop(const config *cfg, store_role role, const task_loop *loop)
{
    store_options o = store_options_for(cfg, role);

    o.loop = loop;
    return o;
}
