/* store_admin.h — what an operator and a deployment do to the database:
 * migrations, the least-privilege role, and API keys (which the API's
 * authentication also reads). Errors and ownership as in store.h. */
#ifndef TVSHOWS_STORE_ADMIN_H
#define TVSHOWS_STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "util/must_use.h"
#include "store/store.h"

/* ---- schema (schema.c) ---- */

/* Applies pending migrations; safe when several processes run it at once
 * (PostgreSQL: an advisory lock; SQLite: a write transaction). */
MUST_USE int store_migrate(store *st, int *applied);
/* The same, up to version `to` only (0: all). */
MUST_USE int store_migrate_to(store *st, int to, int *applied);
int store_schema_version(store *st, int *current, int *latest);
/* Whether migration `version`, as applied to this database, is marked
 * compatible: a binary one version older still serves the database. */
int store_schema_compatible(store *st, int version, int *compatible);
/* PostgreSQL: creates (or updates the password of) the least-privilege role
 * the API and worker connect as, with the rights they need on every table
 * and sequence, now and later. SQLite: nothing (STORE_OK). */
int store_app_role(store *st, const char *role, const char *password);

/* ---- API keys (store_keys.c) ---- */

typedef struct store_key {
    int64_t id;
    const char *name;
    const char *prefix;
    const char *sha256;                           /* hex */
    int64_t created_at, last_used_at, revoked_at; /* Unix seconds; 0: never */
} store_key;

MUST_USE int store_key_create(store *st, const char *name, const char *prefix,
                              const char *sha256_hex, int64_t *id);
/* STORE_ENOTFOUND when there is no such key or it is revoked already. */
MUST_USE int store_key_revoke(store *st, int64_t id);
/* All keys (active_only: not revoked), as store_key rows. */
int store_key_list(store *st, int active_only, arena *a, store_page *out);
int store_key_touch(store *st, int64_t id, int64_t last_used_at);
/* The version of the key set: changes with every create and revoke. */
int store_keys_version(store *st, int64_t *version);

#endif
