/* umount-holders.c — diagnostics of the last resort: which process holds a
 * busy mount, and whether a detached mount's block device is still claimed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "sysfs.h"
#include "umount-holders.h"

static bool under(const char *target, const char *root)
{
	size_t rl = strlen(root);

	return strncmp(target, root, rl) == 0 && (target[rl] == '\0' || target[rl] == '/');
}

/* Processes of ours with an fd under target. */
void umount_name_holders(const char *target)
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

/* Nothing claims the block device any more (an O_EXCL open succeeds, or the
 * device is gone): the filesystem on it has been shut down. In a child:
 * the last close of a block device syncs it. */
int umount_bdev_unclaimed(void *p)
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

