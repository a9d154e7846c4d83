/* refresh.h — keeps an API process's view of shared state fresh: a thread
 * that reads the data generation (and, later, other shared versions) every
 * REFRESH_INTERVAL_MS and publishes it in the api_app's atomics, so a new
 * import reaches every API process within a second whichever process ran it.
 * Private to api/. Thread-safe start/stop from the main thread. */
#ifndef TVSHOWS_API_REFRESH_H
#define TVSHOWS_API_REFRESH_H

#include <stddef.h>

#define REFRESH_INTERVAL_MS 250

typedef struct api_app api_app;
typedef struct refresher refresher;

refresher *refresher_start(api_app *app, char *err, size_t errlen);
void refresher_stop(refresher *r); /* NULL is fine */

#endif
