/* auth.h — who may call /api/: AUTH_MODE none, api_key (X-API-Key), jwt
 * (Authorization: Bearer, RS256 against a JWKS) or any (either).
 *
 * API keys are kept as SHA-256 digests only (from the api_keys table and
 * API_KEYS_SHA256) and compared in constant time. The key set is reloaded
 * whenever the database says it changed (auth_load_keys), so a revoked key
 * stops working on every process within a second; last-used times are
 * collected in memory and written back in batches (auth_flush_last_used).
 * Thread-safe: checks run on every loop thread while the refresher reloads.
 * Errors: auth_new() returns NULL with one line in err. */
#ifndef TVSHOWS_AUTH_H
#define TVSHOWS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "http/http.h"
#include "store/store.h"
#include "store/store_admin.h"
#include "util/metrics.h"

typedef struct auth auth;

typedef struct auth_result {
    int ok;
    int status;        /* 401 when refused */
    const char *error; /* "Unauthorized" or "Invalid API key" */
    int bearer;        /* add WWW-Authenticate: Bearer */
    metric_refusal reason;
    char principal[96]; /* "key:<id>" or "sub:<subject>": the rate-limit identity */
} auth_result;

auth *auth_new(const config *cfg, char *err, size_t errlen);
void auth_free(auth *a); /* NULL is fine */
int auth_enabled(const auth *a);
int auth_load_keys(auth *a, store *st);
void auth_check(auth *a, const http_request *req, int64_t now_s, auth_result *out);
/* Who is calling, for the API's writes: as auth_check, and with AUTH_MODE
 * none (reads open to all) an X-API-Key is still checked and is the
 * identity; without one the result is a refusal. The key set is loaded
 * whatever the mode. */
void auth_identify(auth *a, const http_request *req, int64_t now_s, auth_result *out);
int auth_flush_last_used(auth *a, store *st);

/* A new API key: "tvs_" + 43 base64url characters (256 random bits). */
int auth_new_key(char out[64]);

#endif
