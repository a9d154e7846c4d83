/* log.h — structured logs on stdout, one line per event.
 *
 * LOG_FORMAT=json writes one JSON object a line:
 *   {"ts":"2026-11-25T13:00:00.123Z","level":"info","msg":"…", fields…}
 * LOG_FORMAT=text writes "ts LEVEL msg key=value…" with values escaped the
 * same way, so no user-supplied byte can forge a line.
 * LOG_FORMAT=auto (the default) is text when the lines go to a terminal (a
 * person reads them) and JSON otherwise (a collector does).
 * A status line (log_status: a foreground import's progress) is drawn on
 * a terminal's last line and redrawn in place; log lines written to a
 * terminal meanwhile appear above it.
 * Configuration is process-wide (log_configure() before threads start);
 * writing is thread-safe: each call writes whole lines under a lock.
 * Hot paths format into their own buffer with log_format() and hand whole
 * batches to log_write_lines(). */
#ifndef TVSHOWS_LOG_H
#define TVSHOWS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

typedef struct log_field {
    const char *key;
    char type; /* 's' string, 'i' integer, 'f' double, 0 ends the list */
    const char *s;
    int64_t i;
    double f;
} log_field;

#define LF_S(k, v) ((log_field){(k), 's', (v), 0, 0})
#define LF_I(k, v) ((log_field){(k), 'i', NULL, (int64_t)(v), 0})
#define LF_F(k, v) ((log_field){(k), 'f', NULL, 0, (double)(v)})

int log_configure(const char *level, const char *format); /* -1: unknown value */
/* Where lines go: stdout (the default, for services) or stderr (for
 * commands whose stdout is data, such as reports). Before threads start. */
void log_set_fd(int fd);
/* 1 when lines are written as JSON (LOG_FORMAT, or auto and no terminal). */
int log_is_json(void);
/* Shows text as the status line on stderr when stderr is a terminal,
 * replacing the one shown and cut to the terminal's width so that it stays
 * one line; NULL or "" takes it away. Thread-safe. */
void log_status(const char *text);
int log_enabled(log_level lvl);
/* fields: an array ended by an element with type 0 (may be NULL) */
void log_emit(log_level lvl, const char *msg, const log_field *fields);
int log_format(buf *out, log_level lvl, const char *msg, const log_field *fields);
void log_write_lines(const char *data, size_t n);

#define LOG_WITH(lvl, msg, ...)                                                                    \
    do {                                                                                           \
        if (log_enabled(lvl))                                                                      \
            log_emit(lvl, msg, (const log_field[]){__VA_ARGS__, {0}});                             \
    } while (0)
#define log_debug(msg, ...) LOG_WITH(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...)  LOG_WITH(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...)  LOG_WITH(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) LOG_WITH(LOG_ERROR, msg, __VA_ARGS__)
#define log_msg(lvl, msg)                                                                          \
    do {                                                                                           \
        if (log_enabled(lvl))                                                                      \
            log_emit(lvl, msg, NULL);                                                              \
    } while (0)

#endif
