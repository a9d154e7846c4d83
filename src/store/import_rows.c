/* What the import's two write paths share: a batch's rows as values, the
 * specs of their tables, scratch space, and the memo of what this
 * connection wrote. */
#include "store/import_rows.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

const char *const store_dist_cols[] = {"kind",          "tvmaze_id",    "name",
                                       "country_code",  "country_name", "country_timezone",
                                       "official_site", "updated"};
/* payloads from older API generations lack keys (officialSite): a missing
 * value never erases one a newer payload gave */
const db_upsert_spec store_dist_spec = {"distributors",
                                        store_dist_cols,
                                        DIST_WIDTH,
                                        2,
                                        "excluded.updated >= distributors.updated",
                                        0,
                                        1,
                                        0};

const char *const store_show_cols[] = {
    "tvmaze_id",      "name",    "url",           "type",
    "language",       "status",  "runtime",       "average_runtime",
    "premiered",      "ended",   "official_site", "schedule_time",
    "schedule_days",  "rating",  "weight",        "network_id",
    "web_channel_id", "genres",  "image_medium",  "image_original",
    "summary",        "updated", "imdb",          "thetvdb",
    "search_name"};
/* an older payload of a show never overwrites a newer one */
const db_upsert_spec store_show_spec = {
    "shows", store_show_cols, SHOW_WIDTH, 1, "excluded.updated >= shows.updated", 0, 0,
    0,       "tvmaze_id, id"};

const char *const store_ep_cols[] = {
    "tvmaze_id",      "show_id",    "name",          "season",    "number",      "type",
    "airdate",        "airtime",    "airstamp",      "runtime",   "rating",      "image_medium",
    "image_original", "summary",    "url",           "time_sort", "number_sort", "show_name",
    "show_rating",    "network_id", "web_channel_id"};
/* the show's name, rating and distributors are the stored show's
 * (show_copy), never those of a batch whose show payload may be older */
const db_upsert_spec store_ep_spec = {"episodes", store_ep_cols,  EP_WIDTH, 1, NULL, 0, 0,
                                      0,          "tvmaze_id, id"};

db_val *store_scratch_rows(writer *w, size_t nvals)
{
    if (nvals > w->vals_cap) {
        db_val *grown = realloc(w->vals, nvals * sizeof(*grown));
        if (!grown)
            return NULL;
        w->vals = grown;
        w->vals_cap = nvals;
    }
    return w->vals;
}

void store_dist_values(const tv_distributor *d, db_val *v)
{
    v[0] = dbv_text(d->kind == DIST_WEB ? "web" : "network");
    v[1] = dbv_int(d->tvmaze_id);
    v[2] = dbv_text(d->name ? d->name : "");
    v[3] = dbv_text(d->country_code);
    v[4] = dbv_text(d->country_name);
    v[5] = dbv_text(d->country_timezone);
    v[6] = dbv_text(d->official_site);
    v[7] = dbv_int(d->updated);
}

int store_read_unlisted(writer *w, db_rows *r, int64_t *n)
{
    int rc;

    store_ids_begin(w);
    while ((rc = db_next(r)) == 1) {
        store_ids_add(w, db_col_int(r, 0));
        (*n)++;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(w->st, DB_ERR) : STORE_OK;
}

void store_ids_begin(writer *w)
{
    buf_reset(&w->ids);
    buf_putc(&w->ids, '[');
}

void store_ids_add(writer *w, int64_t id)
{
    if (w->ids.len > 1)
        buf_putc(&w->ids, ',');
    buf_put_i64(&w->ids, id);
}

db_val store_ids_end(writer *w)
{
    buf_putc(&w->ids, ']');
    return dbv_textn(w->ids.data, w->ids.len);
}

int64_t store_memo_key(int kind, int64_t tvmaze_id)
{
    return (int64_t)((uint64_t)kind << 56 | (uint64_t)tvmaze_id);
}

/* A hash of a row's values, for the memo. */
static int64_t row_hash(const db_val *v, int n)
{
    uint64_t h = 14695981039346656037ull;

    for (int i = 0; i < n; i++) {
        unsigned char t = (unsigned char)v[i].type;
        h = (h ^ t) * 1099511628211ull;
        switch (v[i].type) {
        case DBV_INT:
            h = (h ^ hash_fnv1a(&v[i].i, sizeof(v[i].i))) * 1099511628211ull;
            break;
        case DBV_FLOAT:
            h = (h ^ hash_fnv1a(&v[i].f, sizeof(v[i].f))) * 1099511628211ull;
            break;
        case DBV_TEXT:
            h = (h ^ hash_fnv1a(v[i].s, v[i].n)) * 1099511628211ull;
            h = (h ^ v[i].n) * 1099511628211ull;
            break;
        case DBV_NULL:
            break;
        }
    }
    return (int64_t)h;
}

size_t store_skip_unchanged(writer *w, db_val *rows, size_t n, int ncols,
                            int64_t (*key_of)(const db_val *row), int key_in_map_is_key, idmap *map)
{
    const store_memo *m = w->st->memo;
    size_t kept = 0;

    for (size_t i = 0; i < n; i++) {
        db_val *row = rows + i * (size_t)ncols;
        int64_t key = key_of(row), h = row_hash(row, ncols), seen, id;
        if (m && idmap_get(&m->hashes, key, &seen) && seen == h && idmap_get(&m->ids, key, &id)) {
            if (map && idmap_put(map, key_in_map_is_key ? key : row[0].i, id) != 0)
                return SIZE_MAX;
            continue;
        }
        assert(w->nnotes < w->notes_cap);
        w->notes[w->nnotes].key = key;
        w->notes[w->nnotes++].hash = h;
        if (kept != i)
            memmove(rows + kept * (size_t)ncols, row, (size_t)ncols * sizeof(*row));
        kept++;
    }
    return kept;
}

int64_t store_dist_row_key(const db_val *row)
{
    int web = row[0].n == 3 && !memcmp(row[0].s, "web", 3);

    return store_memo_key(web ? DIST_WEB : DIST_NETWORK, row[1].i);
}

int64_t store_show_row_key(const db_val *row)
{
    return store_memo_key(MEMO_SHOW, row[0].i);
}

/* The memo of a store that writes: made at its first write, so a store
 * that only reads never holds one. NULL when out of memory (the write goes
 * on without it). */
static store_memo *memo_of(store *st)
{
    if (!st->memo && (st->memo = calloc(1, sizeof(*st->memo)))) {
        idmap_init(&st->memo->ids);
        idmap_init(&st->memo->hashes);
    }
    return st->memo;
}

void store_memo_forget(store *st)
{
    if (!st->memo)
        return;
    idmap_free(&st->memo->ids);
    idmap_free(&st->memo->hashes);
}

void store_memo_commit(writer *w)
{
    store_memo *m = memo_of(w->st);

    if (!m)
        return;
    if (m->ids.n + w->nnotes > STORE_MEMO_MAX)
        store_memo_forget(w->st);
    for (size_t i = 0; i < w->nnotes; i++) {
        int64_t key = w->notes[i].key, id = 0;
        /* PostgreSQL's merge finds ids by joins: it keeps no ids (0) */
        int found = (key >> 56) == MEMO_SHOW
                        ? idmap_get(&w->show_ids, key & 0x00ffffffffffffffll, &id)
                        : idmap_get(&w->dist_ids, key, &id);
        if ((found || store_is_postgres(w->st)) && idmap_put(&m->ids, key, id) == 0 &&
            idmap_put(&m->hashes, key, w->notes[i].hash) != 0)
            break; /* a memo that lost an entry only writes it again */
    }
}

db_val store_opt_int(int has, int64_t v)
{
    return has ? dbv_int(v) : dbv_null();
}

db_val store_opt_float(int has, double v)
{
    return has ? dbv_float(v) : dbv_null();
}

void store_show_values(const tv_show *s, db_val network, db_val web_channel, db_val *v)
{
    v[0] = dbv_int(s->tvmaze_id);
    v[1] = dbv_text(s->name ? s->name : "");
    v[2] = dbv_text(s->url);
    v[3] = dbv_text(s->type);
    v[4] = dbv_text(s->language);
    v[5] = dbv_text(s->status);
    v[6] = store_opt_int(s->has_runtime, s->runtime);
    v[7] = store_opt_int(s->has_average_runtime, s->average_runtime);
    v[8] = dbv_text(s->premiered);
    v[9] = dbv_text(s->ended);
    v[10] = dbv_text(s->official_site);
    v[11] = dbv_text(s->schedule_time ? s->schedule_time : "");
    v[12] = dbv_text(s->schedule_days_json ? s->schedule_days_json : "[]");
    v[13] = store_opt_float(s->has_rating, s->rating);
    v[14] = store_opt_int(s->has_weight, s->weight);
    v[15] = network;
    v[16] = web_channel;
    v[17] = dbv_text(s->genres_json ? s->genres_json : "[]");
    v[18] = dbv_text(s->image_medium);
    v[19] = dbv_text(s->image_original);
    v[20] = dbv_text(s->summary);
    v[21] = dbv_int(s->updated);
    v[22] = dbv_text(s->imdb);
    v[23] = store_opt_int(s->has_thetvdb, s->thetvdb);
    v[24] = dbv_text(s->search_name ? s->search_name : "");
}

void store_episode_values(const tv_episode *e, int64_t show_ref, db_val *v)
{
    v[0] = dbv_int(e->tvmaze_id);
    v[1] = dbv_int(show_ref);
    v[2] = dbv_text(e->name ? e->name : "");
    v[3] = dbv_int(e->has_season ? e->season : 0);
    v[4] = store_opt_int(e->has_number, e->number);
    v[5] = dbv_text(e->type);
    v[6] = dbv_text(e->airdate);
    v[7] = dbv_text(e->airtime ? e->airtime : "");
    v[8] = dbv_text(e->airstamp);
    v[9] = store_opt_int(e->has_runtime, e->runtime);
    v[10] = store_opt_float(e->has_rating, e->rating);
    v[11] = dbv_text(e->image_medium);
    v[12] = dbv_text(e->image_original);
    v[13] = dbv_text(e->summary);
    v[14] = dbv_text(e->url);
    v[15] = dbv_int(tv_time_sort(e->airtime));
    v[16] = dbv_int(e->has_number ? e->number : TV_NUMBER_SORT_NULL);
}
