/* watchdog.c — the watchdog, held by PID 1: armed to the deadline plus a
 * margin and pinged as phases complete, so a kernel too stuck even for the
 * keeper's reboot(2) (a device shutdown callback on a dead disk) is still
 * reset. Never magic-closed ('V'): it stays armed through reboot(2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "exitrd.h"
#include "watchdog.h"
#include "log.h"
#include "modules.h"
#include "scope.h"
#include "spawn.h"
#include "sys.h"

/* <linux/watchdog.h>, which musl's headers do not carry */
struct wd_info {
	uint32_t options;
	uint32_t firmware_version;
	uint8_t identity[32];
};
#define WDIOC_GETSUPPORT _IOR('W', 0, struct wd_info)
#define WDIOC_KEEPALIVE  _IOR('W', 5, int)
#define WDIOC_SETTIMEOUT _IOWR('W', 6, int)
#define WDIOC_GETTIMEOUT _IOR('W', 7, int)

static int wd_fd = -1;
static int wd_timeout;          /* s, as the driver reports it */
static int wd_max;              /* s, the largest value the driver took */
static int wd_cap;              /* s, systemd's WATCHDOG_USEC; 0: none */
static uint64_t wd_deadline;    /* ms; 0: leave the timeout alone */

static int remaining_s(void)
{
	uint64_t now = now_ms();

	return wd_deadline > now ? (int)((wd_deadline - now + 999) / 1000) : 0;
}

static int wanted_s(void)
{
	int want = remaining_s() + WATCHDOG_MARGIN_S;

	if (wd_max && want > wd_max)
		want = wd_max;
	if (wd_cap && want > wd_cap)
		want = wd_cap;
	return want;
}

/* max_timeout of the driver, from sysfs via the device number. */
static int driver_max_s(void)
{
	char path[96], buf[32];
	struct stat sb;
	ssize_t n;
	int fd;

	if (fstat(wd_fd, &sb) < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/max_timeout",
		 major(sb.st_rdev), minor(sb.st_rdev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/sys/class/watchdog/watchdog0/max_timeout", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

/* Set the timeout, or the largest the driver takes: sysfs max_timeout,
 * else halving until accepted. Returns the value set, or -errno. */
static int wd_set(int want)
{
	int t = want, max;

	if (sys_ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) == 0)
		return t;
	if (errno != EINVAL)
		return -errno;
	max = driver_max_s();
	if (max > 0 && max < want) {
		t = max;
		if (sys_ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) == 0)
			return t;
	}
	for (t = want / 2; t >= 1; t = want / 2) {
		want = t;
		if (sys_ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) == 0)
			return t;
	}
	return -EINVAL;
}

static const char *wd_path_pick(const struct config *c, bool systemd)
{
	const char *dev = getenv("WATCHDOG_DEVICE");

	if (strcmp(c->watchdog, "auto") != 0)
		return c->watchdog;
	if (systemd && dev && *dev)
		return dev;
	if (access("/dev/watchdog0", F_OK) == 0)
		return "/dev/watchdog0";
	if (access("/dev/watchdog", F_OK) == 0)
		return "/dev/watchdog";
	return NULL;
}

void watchdog_start(const struct config *c, uint64_t deadline_at)
{
	const char *usec = getenv("WATCHDOG_USEC"), *path;
	struct wd_info info = { 0 };
	int t, r;

	/* systemd-shutdown hands over an armed watchdog (exitrd mode) */
	wd_cap = exitrd_watchdog_s(usec);
	if (wd_fd >= 0)
		return;
	if (strcmp(c->watchdog, "off") == 0) {
		if (wd_cap)
			log_notice("watchdog: off here; the one systemd armed (%d s) stays armed", wd_cap);
		return;
	}
	if (!pidns_is_initial()) {
		log_info("watchdog: not touching the host's watchdog from a child pid namespace");
		return;
	}
	/* opening arms it with the driver's default, which nothing would
	 * bound a step to: without a deadline, only systemd's stays armed */
	if (!deadline_at && !wd_cap) {
		log_info("watchdog: no deadline, not arming it");
		return;
	}
	path = wd_path_pick(c, wd_cap > 0);
	if (!path) {
		log_info("watchdog: no device, PID 1 alone keeps the deadline");
		return;
	}
	/* not close-on-exec: stage 2 inherits it (state.h) */
	wd_fd = open(path, O_WRONLY | O_NOCTTY);
	if (wd_fd < 0) {
		log_warn("watchdog %s: %s, running without it", path, strerror(errno));
		return;
	}
	(void)sys_ioctl(wd_fd, WDIOC_GETSUPPORT, &info);
	info.identity[sizeof(info.identity) - 1] = 0;
	wd_deadline = deadline_at;
	if (deadline_at || wd_cap) {
		r = wd_set(deadline_at ? wanted_s() : wd_cap);
		if (r < 0)
			log_warn("watchdog %s: cannot set the timeout: %s", path, strerror(-r));
		else
			wd_max = r;
	}
	t = wd_max;
	if (sys_ioctl(wd_fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
		wd_timeout = t;
	log_info("watchdog %s (%s): armed, %d s", path,
		 info.identity[0] ? (char *)info.identity : "?", wd_timeout);
	if (deadline_at && wd_timeout && wd_timeout < remaining_s())
		log_warn("watchdog %s: %d s is all the driver takes, less than the %d s to the "
			 "deadline: a step longer than that resets the machine", path,
			 wd_timeout, remaining_s());
	watchdog_ping();
}

int watchdog_fd(void)
{
	return wd_fd;
}

void watchdog_adopt(int fd, uint64_t deadline_at)
{
	int t = 0;

	if (fd < 0 || wd_fd >= 0)
		return;
	wd_fd = fd;
	wd_deadline = deadline_at;
	if (sys_ioctl(wd_fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
		wd_timeout = wd_max = t;
	watchdog_ping();
}

void watchdog_ping(void)
{
	int t;

	if (wd_fd < 0)
		return;
	if (wd_deadline && (t = wanted_s()) != wd_timeout) {
		/* setting the timeout pings too, and keeps the reset at the
		 * deadline plus the margin instead of pushing it out */
		if (sys_ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) == 0) {
			wd_timeout = t;
			return;
		}
	}
	t = 0;
	(void)sys_ioctl(wd_fd, WDIOC_KEEPALIVE, &t);
}

void watchdog_prepare(const struct config *c)
{
	if (strcmp(c->watchdog, "auto") != 0 || !pidns_is_initial())
		return;
	if (access("/dev/watchdog0", F_OK) == 0 || access("/dev/watchdog", F_OK) == 0)
		return;
	log_info("watchdog: no device, loading softdog");
	if (modules_load("softdog") < 0)
		log_warn("watchdog: no softdog, PID 1 alone keeps the deadline");
}
