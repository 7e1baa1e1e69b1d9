/* umount.c — libmount table, newest first, in a loop while it makes progress;
 * what stays busy is remounted read-only and lazily detached. Every call that
 * can block on a dead device runs in a child with a deadline. */
#include <dirent.h>
#include <errno.h>
#include <libmount/libmount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "state.h"
#include "sysfs.h"
#include "umount.h"

#define MAX_TARGETS 1024

static bool under(const char *target, const char *root)
{
	size_t rl = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(target, root, rl) == 0 && (target[rl] == '\0' || target[rl] == '/');
}

static bool is_api_path(const char *t)
{
	static const char *const api[] = { "/proc", "/sys", "/dev", "/run" };
	size_t i;

	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (under(t, api[i]))
			return true;
	return false;
}

/* In the fallback (old root is "/") we keep "/" (it cannot go; it is
 * remounted read-only) and /proc, /sys, /dev, /run, which we still use. */
static bool in_scope(const struct scope *s, struct libmnt_fs *fs)
{
	const char *t = mnt_fs_get_target(fs);

	if (!t || !under(t, s->oldroot))
		return false;
	if (strcmp(s->oldroot, "/") == 0)
		return strcmp(t, "/") != 0 && !(mnt_fs_is_pseudofs(fs) && is_api_path(t)) &&
		       !(is_api_path(t) && strcmp(mnt_fs_get_fstype(fs) ?: "", "tmpfs") == 0);
	return true;
}

struct target {
	char path[PATH_MAX];
	dev_t dev;
	bool force;             /* network or FUSE: MNT_FORCE aborts what is queued */
};

static bool wants_force(struct libmnt_fs *fs)
{
	const char *t = mnt_fs_get_fstype(fs);

	return mnt_fs_is_netfs(fs) || (t && strncmp(t, "fuse", 4) == 0);
}

/* Targets in scope, newest first. */
static int collect(const struct scope *s, struct target *ret, int max)
{
	struct libmnt_table *tb = mnt_new_table_from_file(s->mountinfo);
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_BACKWARD);
	struct libmnt_fs *fs;
	int n = 0;

	if (!tb || !it) {
		log_err("%s: cannot read the mount table", s->mountinfo);
		mnt_unref_table(tb);
		mnt_free_iter(it);
		return -EIO;
	}
	while (n < max && mnt_table_next_fs(tb, it, &fs) == 0)
		if (in_scope(s, fs)) {
			snprintf(ret[n].path, PATH_MAX, "%s", mnt_fs_get_target(fs));
			ret[n].dev = mnt_fs_get_devno(fs);
			ret[n++].force = wants_force(fs);
		}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return n;
}

static struct target *targets;

/* Targets whose umount or remount overran: a dead device or server. Later
 * passes skip them (each try would cost the full timeout again) and the
 * last resort detaches them at once. */
#define UMOUNT_STUCK_MAX 32
static char stuck[UMOUNT_STUCK_MAX][PATH_MAX];
static unsigned nstuck;

static bool is_stuck(const char *t)
{
	unsigned i;

	for (i = 0; i < nstuck; i++)
		if (strcmp(stuck[i], t) == 0)
			return true;
	return false;
}

static void mark_stuck(const char *t, struct stats *st)
{
	/* spawn_call() counted the timeout */
	if (nstuck < UMOUNT_STUCK_MAX && !is_stuck(t))
		snprintf(stuck[nstuck++], PATH_MAX, "%s", t);
}

static int targets_get(const struct scope *s)
{
	if (!targets)
		targets = calloc(MAX_TARGETS, sizeof(*targets));
	if (!targets)
		return -ENOMEM;
	return collect(s, targets, MAX_TARGETS);
}

int umount_count(const struct scope *s)
{
	int n = targets_get(s);

	/* a table we cannot read is not a clean one */
	return n < 0 ? 1 : n;
}

int umount_pass(const struct scope *s, bool *changed, struct stats *st)
{
	int before, after, i, r;

	before = targets_get(s);
	if (before <= 0)
		return 0;
	for (i = 0; i < before; i++) {
		const char *t = targets[i].path;

		if (is_stuck(t))
			continue;
		r = spawn_umount(t, targets[i].force ? MNT_FORCE : 0, UMOUNT_TIMEOUT_MS);
		if (r == 0) {
			st->unmounted++;
			log_info("unmounted %s", t);
		} else if (r == SPAWN_TIMEOUT) {
			mark_stuck(t, st);
			log_warn("umount %s: timed out, will detach it", t);
		} else {
			log_debug("umount %s: %s, retrying later", t, strerror(-r));
		}
	}
	after = targets_get(s);
	if (after < 0)
		after = 0;
	if (after < before)
		*changed = true;
	return after;
}

/* Processes of ours with an fd, cwd or root under target. */
static void name_holders(const char *target)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int named = 0;

	while (d && (de = readdir(d)) && named < 8) {
		char path[300], link[PATH_MAX];
		DIR *fd;
		struct dirent *fe;
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		fd = opendir(path);
		while (fd && (fe = readdir(fd))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", de->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (link[0] == '/' && under(link, target)) {
				log_warn("%s is held by pid %s (%s)", target, de->d_name, link);
				named++;
				break;
			}
		}
		if (fd)
			closedir(fd);
	}
	if (d)
		closedir(d);
	if (!named)
		log_warn("%s: no process of ours holds it: held from outside this namespace, "
			 "by a loop device, or by the kernel", target);
}

/* Detached mounts, to see later whether their superblock went after all. */
#define GONE_MAX 64
static struct {
	dev_t dev;
	bool ro;
	char path[PATH_MAX];
} gone[GONE_MAX];
static unsigned ngone;

static void gone_add(const struct target *t, bool ro)
{
	if (ngone >= GONE_MAX)
		return;
	gone[ngone].dev = t->dev;
	gone[ngone].ro = ro;
	snprintf(gone[ngone++].path, PATH_MAX, "%s", t->path);
}

int umount_finish(const struct scope *s, struct stats *st)
{
	int n = targets_get(s), i, r;
	bool ro[MAX_TARGETS];

	/* all read-only first: detaching a parent takes its children along,
	 * and a child must not go read-write into the dark */
	for (i = 0; i < n; i++) {
		const char *t = targets[i].path;

		r = is_stuck(t) ? SPAWN_TIMEOUT : spawn_remount_ro(t, UMOUNT_TIMEOUT_MS);
		ro[i] = r == 0;
		if (r == 0) {
			st->ro++;
			log_warn("umount %s: busy, remounted read-only", t);
		} else if (r == SPAWN_TIMEOUT) {
			if (!is_stuck(t))
				mark_stuck(t, st);
			log_err("umount %s: stuck, detaching it as it is", t);
		} else {
			log_err("umount %s: busy, remount read-only: %s", t, strerror(-r));
		}
		name_holders(t);
	}
	for (i = 0; i < n; i++) {
		const char *t = targets[i].path;

		r = spawn_umount(t, MNT_DETACH, UMOUNT_TIMEOUT_MS);
		if (r == 0 || r == -EINVAL || r == -ENOENT) {
			/* EINVAL/ENOENT: it went with a parent detached before it */
			st->detached++;
			gone_add(&targets[i], ro[i]);
			log_warn("%s: detached, superblock still referenced", t);
		} else {
			log_err("umount -l %s: %s", t, r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
		}
	}
	return n;
}

/* Nothing claims the block device any more (an O_EXCL open succeeds, or the
 * device is gone): the filesystem on it has been shut down. In a child:
 * the last close of a block device syncs it. */
static int bdev_unclaimed(void *p)
{
	char path[96], buf[512], *name;
	dev_t dev = *(dev_t *)p;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	if (sysfs_read(path, buf, sizeof(buf)) < 0)
		return 0;               /* the device itself is gone */
	name = strstr(buf, "DEVNAME=");
	if (!name)
		return -ENOENT;
	name += 8;
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static const char *probe_key(const char *path)
{
	static char key[STUCK_KEY_MAX];

	snprintf(key, sizeof(key), "probe %s", path);
	return key;
}

void umount_released(struct stats *st)
{
	unsigned i, tries, left = ngone;

	/* a release can finish a moment later (a loop device's backing file
	 * is put from a workqueue) */
	for (tries = 0; tries < 10 && left > 0; tries++) {
		if (tries)
			reap_sleep(100);
		for (i = 0, left = 0; i < ngone; i++) {
			if (!gone[i].dev)
				continue;
			/* tmpfs, FUSE, NFS: no device to ask; it stays detached */
			if (major(gone[i].dev) == 0) {
				gone[i].dev = 0;
				continue;
			}
			if (spawn_call(bdev_unclaimed, &gone[i].dev, 2000, probe_key(gone[i].path)) != 0) {
				left++;
				continue;
			}
			st->detached--;
			if (gone[i].ro)
				st->ro--;
			log_info("%s: released after the detach, its filesystem is closed",
				 gone[i].path);
			gone[i].dev = 0;
		}
	}
}
