/* scope.c — what this run may touch: the whole machine in the initial PID
 * namespace, else only the block stacks under our own mounts (namespaces do
 * not fence block devices, so a test must never reach the host's). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"
#include "scope.h"
#include "shutdownfs.h"
#include "sysfs.h"

#define PROC_PID_INIT_INO 0xEFFFFFFCU

bool pidns_is_initial(void)
{
	static int cached = -1;
	struct stat st;

	/* a failed probe (no /proc yet) is not an answer: ask again later */
	if (cached < 0 && stat("/proc/self/ns/pid", &st) == 0)
		cached = st.st_ino == PROC_PID_INIT_INO;
	return cached > 0;
}

void scope_init(struct scope *s, bool whole_machine, const char *oldroot)
{
	memset(s, 0, sizeof(*s));
	s->whole_machine = whole_machine;
	s->oldroot = oldroot;
	s->sysfs = "/sys";
	s->mountinfo = "/proc/self/mountinfo";
	s->swaps = "/proc/swaps";
}

bool scope_has(const struct scope *s, dev_t dev)
{
	unsigned i;

	if (s->whole_machine)
		return true;
	for (i = 0; i < s->ndevs; i++)
		if (s->devs[i] == dev)
			return true;
	return false;
}

int scope_add(struct scope *s, dev_t dev)
{
	unsigned i;

	if (major(dev) == 0)
		return 0;       /* anonymous: tmpfs, proc, overlay ... */
	for (i = 0; i < s->ndevs; i++)
		if (s->devs[i] == dev)
			return 0;
	if (s->ndevs >= SCOPE_MAX_DEVS)
		return -ENOSPC;
	s->devs[s->ndevs++] = dev;
	return 1;
}

/* Add the slaves of every device in scope; returns devices added. */
static int add_slaves(struct scope *s)
{
	char path[512];
	int added = 0;
	unsigned i;

	for (i = 0; i < s->ndevs; i++) {
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/dev/block/%u:%u/slaves", s->sysfs,
			 major(s->devs[i]), minor(s->devs[i]));
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			dev_t dev;
			char dp[600];

			if (de->d_name[0] == '.')
				continue;
			snprintf(dp, sizeof(dp), "%s/class/block/%s/dev", s->sysfs, de->d_name);
			if (sysfs_read_devno(dp, &dev) == 0 && scope_add(s, dev) > 0)
				added++;
		}
		closedir(d);
	}
	return added;
}

/* Loop devices whose backing file lives on a device in scope. */
static int add_loops(struct scope *s)
{
	char path[512], backing[4096];
	DIR *d;
	struct dirent *de;
	int added = 0;

	snprintf(path, sizeof(path), "%s/class/block", s->sysfs);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		dev_t dev;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/loop/backing_file",
			 s->sysfs, de->d_name);
		if (sysfs_read(path, backing, sizeof(backing)) <= 0)
			continue;
		if (stat(backing, &st) < 0 || !scope_has(s, st.st_dev))
			continue;
		snprintf(path, sizeof(path), "%s/class/block/%s/dev", s->sysfs, de->d_name);
		if (sysfs_read_devno(path, &dev) == 0 && scope_add(s, dev) > 0)
			added++;
	}
	closedir(d);
	return added;
}

static int scope_found(struct libmnt_fs *fs, void *arg)
{
	(void)scope_add(arg, mnt_fs_get_devno(fs));
	return 0;
}

int scope_collect(struct scope *s)
{
	unsigned pass;

	if (s->whole_machine)
		return 0;
	if (mounts_each(s->mountinfo, MOUNTS_OLDEST_FIRST, scope_found, s) < 0) {
		log_warn("%s: cannot read mount table, scope is empty", s->mountinfo);
		return -EIO;
	}
	/* stacks nest: a loop file on an LV on a crypt on an md ... */
	for (pass = 0; pass < 16; pass++)
		if (add_slaves(s) + add_loops(s) == 0)
			break;
	log_debug("scope: %u block devices under our mounts", s->ndevs);
	return 0;
}
