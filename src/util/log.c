#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/date.h"
#include "util/json.h"

#define STATUS_MAX 512

typedef enum { FORMAT_AUTO, FORMAT_JSON, FORMAT_TEXT } log_format_kind;

static log_level g_level = LOG_INFO;
static log_format_kind g_format = FORMAT_AUTO;
static int g_json = 1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_fd = STDOUT_FILENO;
static char g_status[STATUS_MAX]; /* the status line shown, "" when none (under g_lock) */

/* auto: people read a terminal; anything else is read by a program */
static void decide_format(void)
{
    g_json = g_format == FORMAT_JSON || (g_format == FORMAT_AUTO && !isatty(g_fd));
}

void log_set_fd(int fd)
{
    g_fd = fd;
    decide_format();
}

int log_is_json(void)
{
    return g_json;
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
            g_format = FORMAT_JSON;
        else if (!strcasecmp(format, "text"))
            g_format = FORMAT_TEXT;
        else if (!strcasecmp(format, "auto"))
            g_format = FORMAT_AUTO;
        else
            return -1;
        decide_format();
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

    int milli = (int)(ms % 1000);

    instant_format(ms / 1000, inst);
    /* "YYYY-MM-DDTHH:MM:SS" + ".mmmZ" */
    memcpy(out, inst, 19);
    out[19] = '.';
    out[20] = (char)('0' + milli / 100);
    out[21] = (char)('0' + milli / 10 % 10);
    out[22] = (char)('0' + milli % 10);
    out[23] = 'Z';
    out[24] = '\0';
}

/* f with three decimals (rounded half away from zero); without printf for the
 * durations every request logs. */
static int put_fixed3(buf *out, double f)
{
    int64_t thousandths;
    char frac[4];

    if (!(f > -1e12 && f < 1e12))
        return buf_printf(out, "%.3f", f);
    thousandths = (int64_t)(f * 1000 + (f < 0 ? -0.5 : 0.5));
    if (thousandths < 0 && buf_putc(out, '-') != 0)
        return -1;
    if (thousandths < 0)
        thousandths = -thousandths;
    frac[0] = '.';
    frac[1] = (char)('0' + thousandths / 100 % 10);
    frac[2] = (char)('0' + thousandths / 10 % 10);
    frac[3] = (char)('0' + thousandths % 10);
    return buf_put_i64(out, thousandths / 1000) | buf_append(out, frac, 4);
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
        return put_fixed3(out, f->f);
    }
}

int log_format(buf *out, log_level lvl, const char *msg, const log_field *fields)
{
    char ts[32];
    int rc = 0;

    format_ts(ts);
    if (g_json) {
        rc |= buf_puts(out, "{\"ts\":\"") | buf_puts(out, ts) | buf_puts(out, "\",\"level\":\"") |
              buf_puts(out, level_names[lvl]) | buf_puts(out, "\",\"msg\":\"");
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

static void write_all(int fd, const char *data, size_t n)
{
    while (n) {
        ssize_t w = write(fd, data, n);
        if (w <= 0)
            break; /* the terminal or pipe is gone: logs are best effort, never fatal */
        data += w;
        n -= (size_t)w;
    }
}

/* "\r" and erase to the end of the line: the status line's place is empty */
#define ERASE_LINE "\r\033[K"

void log_write_lines(const char *data, size_t n)
{
    int above = 0;

    pthread_mutex_lock(&g_lock);
    /* a line written to the terminal the status is on goes above it */
    if (g_status[0] && isatty(g_fd)) {
        write_all(STDERR_FILENO, ERASE_LINE, strlen(ERASE_LINE));
        above = 1;
    }
    write_all(g_fd, data, n);
    if (above)
        write_all(STDERR_FILENO, g_status, strlen(g_status));
    pthread_mutex_unlock(&g_lock);
}

static size_t terminal_width(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        return ws.ws_col;
    return 80;
}

void log_status(const char *text)
{
    size_t n = text ? strlen(text) : 0, width;

    if (!isatty(STDERR_FILENO))
        return;
    /* one column short of the width: a line that fills it would wrap, and
     * "\r" would then redraw only its last row */
    width = terminal_width() - 1;
    if (n > width)
        n = width;
    if (n >= STATUS_MAX)
        n = STATUS_MAX - 1;
    pthread_mutex_lock(&g_lock);
    memcpy(g_status, text ? text : "", n);
    g_status[n] = '\0';
    write_all(STDERR_FILENO, ERASE_LINE, strlen(ERASE_LINE));
    write_all(STDERR_FILENO, g_status, n);
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
