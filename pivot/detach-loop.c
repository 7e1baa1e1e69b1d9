/* detach-loop.c — LOOP_CLR_FD on loop devices in scope that nothing holds
 * and nothing mounts, verified through sysfs: on a device still open the
 * kernel only sets autoclear and reports success. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockgraph.h"
#include "clock.h"
#include "layers.h"
#include "log.h"
#include "scope.h"
#include "spawn.h"
#include "sys.h"
#include "sysfs.h"
#include "teardown.h"

#define LOOP_MAX 256

/* Loops in scope seen attached and not yet counted as gone. */
static dev_t attached[LOOP_MAX];
static unsigned nattached;

static bool attached_has(dev_t d, bool remove)
{
	unsigned i;

	for (i = 0; i < nattached; i++)
		if (attached[i] == d) {
			if (remove)
				attached[i] = attached[--nattached];
			return true;
		}
	return false;
}

static void attached_add(dev_t d)
{
	if (!attached_has(d, false) && nattached < LOOP_MAX)
		attached[nattached++] = d;
}

static bool loop_attached(const struct scope *s, const char *name)
{
	char path[300], buf[8];

	snprintf(path, sizeof(path), "%s/class/block/%s/loop/backing_file", s->sysfs, name);
	return sysfs_read(path, buf, sizeof(buf)) > 0;
}

#define LOOP_TIMEOUT_MS 5000

static int loop_clear_now(const char *name, dev_t dev, bool fenced);

struct loop_arg {
	const char *name;
	dev_t dev;
	bool fenced;
};

/* The last close of a loop device flushes it: with the backing file on a
 * dead server that blocks, so the open, LOOP_CLR_FD and close run in a child. */
static int loop_clear_child(void *p)
{
	const struct loop_arg *a = p;
	return loop_clear_now(a->name, a->dev, a->fenced);
}

static int loop_clear(const struct scope *s, const char *name, dev_t dev)
{
	struct loop_arg a = { name, dev, !s->whole_machine };
	char what[64];

	snprintf(what, sizeof(what), "loop %s", name);
	return spawn_call(loop_clear_child, &a, LOOP_TIMEOUT_MS, what);
}

/* fenced (a child namespace): the device may be shared with the host, so
 * nothing of it may change unless it is wholly ours. O_EXCL fails with
 * EBUSY while anyone holds it claimed: a filesystem mounted in another
 * mount namespace, a holder we cannot see. On a device someone else has
 * open, LOOP_CLR_FD would only set autoclear: that is undone. */
static int loop_clear_now(const char *name, dev_t dev, bool fenced)
{
	struct loop_info64 before, after;
	int fd, r;

	fd = bdev_open(name, dev, O_RDONLY | O_NONBLOCK | (fenced ? O_EXCL : 0));
	if (fd < 0)
		return fd;
	if (fenced && sys_ioctl(fd, LOOP_GET_STATUS64, &before) < 0)
		fenced = false;         /* not bound any more: nothing to keep */
	r = sys_ioctl(fd, LOOP_CLR_FD, 0) < 0 ? -errno : 0;
	if (r == 0 && fenced && !(before.lo_flags & LO_FLAGS_AUTOCLEAR) &&
	    sys_ioctl(fd, LOOP_GET_STATUS64, &after) == 0 &&
	    (after.lo_flags & LO_FLAGS_AUTOCLEAR)) {
		after.lo_flags &= ~(unsigned)LO_FLAGS_AUTOCLEAR;
		(void)sys_ioctl(fd, LOOP_SET_STATUS64, &after);
		r = -EBUSY;
	}
	close(fd);
	return r;
}

void loop_note_attached(const struct scope *s)
{
	char path[300];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/class/block", s->sysfs);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		dev_t dev;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/dev", s->sysfs, de->d_name);
		if (sysfs_read_devno(path, &dev) == 0 && scope_has(s, dev) &&
		    loop_attached(s, de->d_name))
			attached_add(dev);
	}
	if (d)
		closedir(d);
}

int loop_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	char path[300];
	DIR *d;
	struct dirent *de;
	int left = 0;

	snprintf(path, sizeof(path), "%s/class/block", s->sysfs);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char backing[PATH_MAX], label[LAYER_NAME_MAX];
		uint64_t t0;
		dev_t dev;
		int r;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/dev", s->sysfs, de->d_name);
		if (sysfs_read_devno(path, &dev) < 0 || !scope_has(s, dev))
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/loop/backing_file",
			 s->sysfs, de->d_name);
		if (sysfs_read(path, backing, sizeof(backing)) <= 0) {
			if (attached_has(dev, true)) {
				/* went away: ours, or autoclear after its last user */
				st->loop++;
				*changed = true;
				log_info("%s: detached", de->d_name);
				layers_note_run("loop", de->d_name, "detached (autoclear)", 0);
			}
			continue;
		}
		attached_add(dev);
		if (sysfs_has_holders(s->sysfs, de->d_name) || sysfs_dev_mounted(s, dev)) {
			left++;
			continue;
		}
		t0 = now_ms();
		r = loop_clear(s, de->d_name, dev);
		if (r == -EBUSY && !s->whole_machine) {
			log_msg(last_try ? LOG_LVL_WARN : LOG_LVL_DEBUG, "%s (%s): in use outside "
				"this namespace, left alone", de->d_name, backing);
			left++;
			continue;
		}
		if (r < 0 && r != -ENXIO) {
			log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_DEBUG, "%s (%s): LOOP_CLR_FD: %s",
				de->d_name, backing, strerror(-r));
			left++;
			continue;
		}
		if (!loop_attached(s, de->d_name)) {
			st->loop++;
			*changed = true;
			log_info("%s (%s): detached", de->d_name, backing);
			snprintf(label, sizeof(label), "%s (%s)", de->d_name, backing);
			layers_note_run("loop", label, "detached", now_ms() - t0);
			(void)attached_has(dev, true);
		} else {
			left++;
			if (last_try)
				log_err("%s (%s): still open, autoclear set", de->d_name, backing);
		}
	}
	closedir(d);
	return left;
}
