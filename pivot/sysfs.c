/* sysfs.c — small readers of /sys and of the mount and swap tables. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "swaps.h"
#include "sysfs.h"

static int read_fd(int fd, char *buf, size_t sz)
{
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int sysfs_read(const char *path, char *buf, size_t sz)
{
	return read_fd(open(path, O_RDONLY | O_CLOEXEC), buf, sz);
}

int sysfs_read_at(int dfd, const char *rel, char *buf, size_t sz)
{
	return read_fd(openat(dfd, rel, O_RDONLY | O_CLOEXEC), buf, sz);
}

int sysfs_read_devno(const char *path, dev_t *ret)
{
	char buf[32];
	unsigned ma, mi;

	if (sysfs_read(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -EINVAL;
	*ret = makedev(ma, mi);
	return 0;
}

bool sysfs_has_holders(const char *sysfs, const char *name)
{
	char path[300];
	struct dirent *de;
	bool any = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/class/block/%s/holders", sysfs, name);
	d = opendir(path);
	if (!d)
		return false;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

static bool swap_uses(const char *swaps, dev_t dev)
{
	struct swap_list l;
	bool found = false;
	unsigned i;

	if (swaps_read(swaps, &l) < 0)
		return false;
	for (i = 0; !found && i < l.n; i++) {
		struct stat st;
		/* a swap partition is the device itself, looked up in our own
		 * /dev (after the pivot it reads /oldroot/dev/...); stat of a
		 * device node does not block on the device */
		const char *node = strstr(l.v[i].path, "/dev/");

		found = node && !l.v[i].is_file && stat(node, &st) == 0 && S_ISBLK(st.st_mode) &&
			st.st_rdev == dev;
	}
	swaps_free(&l);
	return found;
}

static int devno_matches(struct libmnt_fs *fs, void *arg)
{
	return mnt_fs_get_devno(fs) == *(const dev_t *)arg;
}

bool sysfs_dev_mounted(const struct scope *s, dev_t dev)
{
	return mounts_each(s->mountinfo, MOUNTS_OLDEST_FIRST, devno_matches, &dev) > 0 ||
	       swap_uses(s->swaps, dev);
}
