#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/date.h"
#include "util/json.h"

static log_level g_level = LOG_INFO;
static int g_json = 1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_fd = STDOUT_FILENO;

void log_set_fd(int fd)
{
    g_fd = fd;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_configure(const char *level, const char *format)
{
    int found = 0;

    for (int i = 0; level && i < 4; i++) {
        if (!strcasecmp(level, level_names[i])) {
            g_level = (log_level)i;
            found = 1;
        }
    }
    if (level && !found)
        return -1;
    if (format) {
        if (!strcasecmp(format, "json"))
            g_json = 1;
        else if (!strcasecmp(format, "text"))
            g_json = 0;
        else
            return -1;
    }
    return 0;
}

int log_enabled(log_level lvl)
{
    return lvl >= g_level;
}

static void format_ts(char out[32])
{
    int64_t ms = clock_now_ms();
    char inst[INSTANT_LEN + 1];

    instant_format(ms / 1000, inst);
    /* "YYYY-MM-DDTHH:MM:SS" + ".mmmZ" */
    snprintf(out, 32, "%.19s.%03dZ", inst, (int)(ms % 1000));
}

static int put_value(buf *out, const log_field *f)
{
    int rc = 0;

    switch (f->type) {
    case 's':
        if (!f->s)
            return buf_puts(out, "null");
        rc |= buf_putc(out, '"');
        rc |= json_escape(out, f->s, strlen(f->s));
        rc |= buf_putc(out, '"');
        return rc;
    case 'i':
        return buf_put_i64(out, f->i);
    default:
        return buf_printf(out, "%.3f", f->f);
    }
}

int log_format(buf *out, log_level lvl, const char *msg, const log_field *fields)
{
    char ts[32];
    int rc = 0;

    format_ts(ts);
    if (g_json) {
        rc |= buf_printf(out, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lvl]);
        rc |= json_escape(out, msg, strlen(msg));
        rc |= buf_putc(out, '"');
        for (const log_field *f = fields; f && f->type; f++) {
            rc |= buf_puts(out, ",\"");
            rc |= json_escape(out, f->key, strlen(f->key));
            rc |= buf_puts(out, "\":");
            rc |= put_value(out, f);
        }
        rc |= buf_puts(out, "}\n");
    } else {
        rc |= buf_printf(out, "%s %-5s ", ts, level_names[lvl]);
        rc |= json_escape(out, msg, strlen(msg));
        for (const log_field *f = fields; f && f->type; f++) {
            rc |= buf_printf(out, " %s=", f->key);
            rc |= put_value(out, f);
        }
        rc |= buf_putc(out, '\n');
    }
    return rc ? -1 : 0;
}

void log_write_lines(const char *data, size_t n)
{
    pthread_mutex_lock(&g_lock);
    while (n) {
        ssize_t w = write(g_fd, data, n);
        if (w <= 0)
            break; /* stdout gone: logs are best effort, never fatal */
        data += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&g_lock);
}

void log_emit(log_level lvl, const char *msg, const log_field *fields)
{
    buf b;

    if (!log_enabled(lvl))
        return;
    buf_init(&b, 1 << 20);
    if (log_format(&b, lvl, msg, fields) == 0)
        log_write_lines(b.data, b.len);
    buf_free(&b);
}
