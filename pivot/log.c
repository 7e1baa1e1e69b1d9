/* log.c — kmsg + console + stderr-if-pipe, fixed buffers, never blocks long. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "scope.h"
#include "shutdownfs.h"

static int kmsg_fd = -1;
static int console_fd = -1;
static int stderr_ok = -1;      /* -1: not decided yet */
static bool verbose;
static bool kernel_sinks;       /* kmsg and console: initial PID namespace only */
static int console_level = 4;   /* kmsg records below this reach the console anyway */
/* this process's own lines, newest kept: the report's source where no
 * /dev/kmsg is shared (a child PID namespace) */
static char history[16384];
static size_t history_len;

/* /dev/kmsg drops userspace lines past 10 per 5 s unless printk_devkmsg is
 * "on"; the summary line must not be one of them. The kernel also copies
 * records below console_loglevel to the console itself, so those are not
 * written there twice. */
static void kernel_settings(void)
{
	char buf[64];
	int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, "on\n", 3);
		close(fd);
	}
	fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] >= '0' && buf[0] <= '9')
			console_level = buf[0] - '0';
		close(fd);
	}
}

/* sysvinit closes its stdio at boot and its re-exec hands us 0-2 free: a
 * log fd opened there would be replaced when stdio is set up
 * (pivot_clean_fds), and the lines after it lost */
static int past_stdio(int fd)
{
	int moved;

	if (fd < 0 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

static void sinks_open(void)
{
	if (!kernel_sinks)
		return;
	kernel_settings();
	/* O_NONBLOCK: a console on a wedged serial line must not stall PID 1 */
	if (kmsg_fd < 0)
		kmsg_fd = past_stdio(open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
	if (console_fd < 0)
		console_fd = past_stdio(open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
}

void log_open(void)
{
	struct stat st;

	if (stderr_ok < 0)
		stderr_ok = fstat(2, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) ||
						   S_ISSOCK(st.st_mode));
	kernel_sinks = pidns_is_initial();
	sinks_open();
}

void log_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	if (console_fd >= 0)
		close(console_fd);
	kmsg_fd = console_fd = -1;
}

void log_reopen(void)
{
	log_close();
	sinks_open();
}

void log_set_verbose(bool v)
{
	verbose = v;
}

bool log_is_verbose(void)
{
	return verbose;
}

void log_fds(int ret_fds[3])
{
	ret_fds[0] = kmsg_fd;
	ret_fds[1] = console_fd;
	ret_fds[2] = stderr_ok > 0 ? 2 : -1;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Control bytes (a garbage config, a device name) would reach the console
 * as terminal commands and split kmsg records: written as \xHH. */
static size_t escape_into(char *out, size_t sz, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *in && n + 4 < sz; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 0x20 && ch != 0x7f) || ch == '\t') {
			out[n++] = (char)ch;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 15];
	}
	out[n] = '\0';
	return n;
}

static void history_add(const char *line, size_t len)
{
	if (len > sizeof(history))
		return;
	while (history_len + len > sizeof(history)) {
		char *nl = memchr(history, '\n', history_len);
		size_t cut = nl ? (size_t)(nl - history) + 1 : history_len;
		memmove(history, history + cut, history_len - cut);
		history_len -= cut;
	}
	memcpy(history + history_len, line, len);
	history_len += len;
}

size_t log_history(const char **ret)
{
	*ret = history;
	return history_len;
}

void log_console(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, fd = console_fd;

	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "shutdownfs: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	write_all(fd, buf, (size_t)n);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[1024], msg[1024];
	int hdr, n;
	va_list ap;
	int saved = errno;

	if (lvl == LOG_LVL_DEBUG && !verbose)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hdr = snprintf(buf, sizeof(buf), "<%d>", (int)lvl);
	n = snprintf(buf + hdr, sizeof(buf) - (size_t)hdr, "shutdownfs: ");
	n += hdr;
	n += (int)escape_into(buf + n, sizeof(buf) - (size_t)n - 1, msg);
	buf[n++] = '\n';
	history_add(buf + hdr, (size_t)(n - hdr));
	if (kmsg_fd >= 0)
		write_all(kmsg_fd, buf, (size_t)n);     /* one record per write */
	if (console_fd >= 0 && (kmsg_fd < 0 || (int)lvl >= console_level))
		write_all(console_fd, buf + hdr, (size_t)(n - hdr));
	if (stderr_ok > 0 || (stderr_ok < 0 && console_fd < 0))
		write_all(2, buf + hdr, (size_t)(n - hdr));
	errno = saved;
}
