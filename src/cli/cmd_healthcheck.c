/* tvshows healthcheck: asks the local server's /up, for the container's
 * HEALTHCHECK (the runtime image has no curl). Exit 0 when it answers 200. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

int cmd_healthcheck(config *cfg)
{
    char url[600];
    const char *host = cfg->host;
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc;

    if (!c)
        return 1;
    /* a server listening on every address is asked on loopback */
    if (!strcmp(host, "0.0.0.0") || !*host)
        host = "127.0.0.1";
    else if (!strcmp(host, "::"))
        host = "::1";
    if (cfg->url[0])
        snprintf(url, sizeof(url), "%s", cfg->url);
    else if (strchr(host, ':'))
        snprintf(url, sizeof(url), "http://[%s]:%d/up", host, cfg->port);
    else
        snprintf(url, sizeof(url), "http://%s:%d/up", host, cfg->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "tvshows: healthcheck: %s: %s\n", url,
                rc != CURLE_OK ? curl_easy_strerror(rc) : "not 200");
        return 1;
    }
    return 0;
}
