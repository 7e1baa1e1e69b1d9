/* bdev-node.c — device nodes by major:minor (the ramfs /dev is a fresh
 * devtmpfs, the old one may be gone), /dev/mapper/control, and libblkid
 * names for the log and the plan. Also the seam unit tests hook into. */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockgraph.h"
#include "seams.h"
#include "sys.h"

#define DM_CONTROL_DEFAULT makedev(10, 236)

static const struct blockgraph_hooks *hooks;
static const char *const dev_dir = "/dev";

void blockgraph_set_hooks(const struct blockgraph_hooks *h)
{
	hooks = h;
}

int bdev_ioctl(int fd, unsigned long req, void *arg)
{
	if (hooks && hooks->ioctl)
		return hooks->ioctl(fd, req, arg);
	return sys_ioctl(fd, req, arg);
}

/* Open path only if it is the node we mean: a stale or foreign node of the
 * same name must not receive STOP_ARRAY. */
static int open_checked(const char *path, mode_t type, dev_t dev, int flags)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != type || st.st_rdev != dev)
		return -ENODEV;
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != dev) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/* A node of our own, unlinked once open so nothing is left behind. In
 * /dev, or where /dev takes none (a devtmpfs mounted read-only, as some
 * containers' is: its nodes for devices made since are missing too) in
 * the root, which in stage 2 is our own tmpfs. */
static int open_private(const char *tag, mode_t type, dev_t dev, int flags)
{
	static const char *const dirs[] = { "/dev", "" };
	char path[PATH_MAX];
	int fd = -ENOENT;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/.shutdownfs-%s-%u-%u", dirs[i], tag,
			 major(dev), minor(dev));
		(void)unlink(path);     /* a leftover of an earlier pass */
		if (mknod(path, type | 0600, dev) < 0) {
			fd = -errno;
			continue;
		}
		fd = open_checked(path, type, dev, flags);
		(void)unlink(path);
		break;
	}
	return fd;
}

/* make: create a private node when none of ours is there (the teardown);
 * the plan changes nothing, not even /dev. */
static int open_blk(const char *name, dev_t dev, int flags, bool make)
{
	char path[PATH_MAX];
	int fd;

	if (hooks && hooks->open_node)
		return hooks->open_node(NULL, dev, flags);
	snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
	fd = open_checked(path, S_IFBLK, dev, flags);
	/* only a missing or foreign node calls for another: a refused open
	 * would be refused on any node */
	if (fd >= 0 || (fd != -ENOENT && fd != -ENODEV))
		return fd;
	snprintf(path, sizeof(path), "%s/block/%u:%u", dev_dir, major(dev), minor(dev));
	fd = open_checked(path, S_IFBLK, dev, flags);
	if (fd >= 0 || !make)
		return fd;
	return open_private("blk", S_IFBLK, dev, flags);
}

int bdev_open(const char *name, dev_t dev, int flags)
{
	return open_blk(name, dev, flags, true);
}

int dm_control_open(const char *sysfs)
{
	char path[PATH_MAX], buf[32];
	unsigned ma, mi;
	dev_t dev = DM_CONTROL_DEFAULT;
	int fd, n;

	if (hooks && hooks->open_node)
		return hooks->open_node("control", 0, O_RDWR);
	snprintf(path, sizeof(path), "%s/class/misc/device-mapper/dev", sysfs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (sscanf(buf, "%u:%u", &ma, &mi) == 2)
			dev = makedev(ma, mi);
	}
	snprintf(path, sizeof(path), "%s/mapper/control", dev_dir);
	fd = open_checked(path, S_IFCHR, dev, O_RDWR);
	if (fd != -ENOENT)
		return fd >= 0 ? fd : open_private("dm", S_IFCHR, dev, O_RDWR);
	/* devtmpfs creates it only once dm-mod is loaded; make the usual one */
	snprintf(path, sizeof(path), "%s/mapper", dev_dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/mapper/control", dev_dir);
	if (mknod(path, S_IFCHR | 0600, dev) == 0) {
		fd = open_checked(path, S_IFCHR, dev, O_RDWR);
		if (fd >= 0)
			return fd;
	}
	return open_private("dm", S_IFCHR, dev, O_RDWR);
}

static bool below_suspended(const struct blockgraph *g, int i, unsigned depth)
{
	const struct bdev *d = &g->devs[i];
	unsigned k;

	if (d->suspended)
		return true;
	if (depth > 64)
		return false;
	for (k = 0; k < d->nslaves; k++)
		if (below_suspended(g, d->slaves[k], depth + 1))
			return true;
	if (d->parent >= 0 && below_suspended(g, d->parent, depth + 1))
		return true;
	return d->backing_on >= 0 && below_suspended(g, d->backing_on, depth + 1);
}

bool bdev_on_suspended(const struct blockgraph *g, int i)
{
	return below_suspended(g, i, 0);
}

static void probe_one(struct bdev *d)
{
	blkid_probe pr;
	const char *v = NULL;
	int fd;

	/* O_NONBLOCK: no wait for removable media; read-only: nothing to flush on close */
	fd = open_blk(d->name, d->dev, O_RDONLY | O_NONBLOCK, false);
	if (fd < 0)
		return;
	pr = blkid_new_probe();
	if (pr && blkid_probe_set_device(pr, fd, 0, 0) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
		blkid_probe_enable_partitions(pr, 1);
		if (blkid_do_safeprobe(pr) == 0 &&
		    blkid_probe_lookup_value(pr, "TYPE", &v, NULL) < 0 &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) < 0)
			v = NULL;
		if (v)
			snprintf(d->holds, sizeof(d->holds), "%s", v);
	}
	if (pr)
		blkid_free_probe(pr);
	close(fd);
}

unsigned blockgraph_probe(struct blockgraph *g)
{
	unsigned i, n = 0;

	for (i = 0; i < g->n; i++) {
		struct bdev *d = &g->devs[i];

		/* a read from a suspended device, or through one, never returns */
		if (d->size == 0 || bdev_on_suspended(g, (int)i))
			continue;
		probe_one(d);
		n++;
	}
	return n;
}

/* A node of this device, by the name readlink() shows: stat() through
 * /proc/PID/fd would reach a file on a hung FUSE or NFS mount and block. */
static bool link_names(const char *target, const struct bdev *d)
{
	const char *base = strrchr(target, '/');

	if (!base || !strstr(target, "/dev/"))
		return false;
	base++;
	return strcmp(base, d->name) == 0 || (d->dm_name[0] && strcmp(base, d->dm_name) == 0);
}

static bool pid_holds(const char *proc, const char *pid, const struct bdev *d)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid);
	dir = opendir(path);
	while (dir && !found && (de = readdir(dir))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = link_names(target, d);
	}
	if (dir)
		closedir(dir);
	return found;
}

const char *bdev_opener(const struct bdev *d, const char *proc, char *buf, size_t sz)
{
	struct dirent *de;
	DIR *dir = opendir(proc);

	buf[0] = '\0';
	while (dir && !buf[0] && (de = readdir(dir))) {
		char path[PATH_MAX], comm[64] = "?";
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || !pid_holds(proc, de->d_name, d))
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", proc, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, comm, sizeof(comm) - 1);
			comm[n > 0 ? n : 0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			close(fd);
		}
		snprintf(buf, sz, "pid %s (%s)", de->d_name, comm);
	}
	if (dir)
		closedir(dir);
	return buf;
}
