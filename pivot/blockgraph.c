/* blockgraph.c — the block device graph from sysfs (class/block, holders/,
 * slaves/, dm/, md/, loop/), read before every teardown pass and by the plan.
 * No udev, no libdevmapper: sysfs is the truth the kernel keeps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockgraph.h"
#include "sysfs.h"

int bdev_attr(const char *sysfs, const char *name, const char *attr, char *buf, size_t sz)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/class/block/%s/%s", sysfs, name, attr)
	    >= (int)sizeof(path)) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return sysfs_read(path, buf, sz);
}

static int parse_devno(const char *s, dev_t *ret)
{
	unsigned ma, mi;

	if (sscanf(s, "%u:%u", &ma, &mi) != 2)
		return -EINVAL;
	*ret = makedev(ma, mi);
	return 0;
}

/* The device's directory, for the reads below: each one a single lookup. */
static int dev_dir(const char *sysfs, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/class/block/%s", sysfs, name) >= (int)sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool attr_exists(int dfd, const char *attr)
{
	return faccessat(dfd, attr, F_OK, 0) == 0;
}

/* The disk of a partition is the directory that holds it in /sys/devices. */
static void read_parent(const char *sysfs, const char *name, char *ret, size_t sz)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;

	ret[0] = '\0';
	snprintf(path, sizeof(path), "%s/class/block/%s", sysfs, name);
	if (!realpath(path, real))
		return;
	slash = strrchr(real, '/');
	if (!slash)
		return;
	*slash = '\0';
	slash = strrchr(real, '/');
	snprintf(ret, sz, "%s", slash ? slash + 1 : real);
}

static void read_kind(int dfd, struct bdev *d)
{
	char buf[PATH_MAX];
	bool loop = major(d->dev) == 7 || strncmp(d->name, "loop", 4) == 0;

	/* by name first: dm disks are dm-N, md arrays mdN, and the
	 * partition test is the one left for the others */
	if (strncmp(d->name, "dm-", 3) == 0 && attr_exists(dfd, "dm")) {
		d->kind = BDEV_DM;
		sysfs_read_at(dfd, "dm/name", d->dm_name, sizeof(d->dm_name));
		sysfs_read_at(dfd, "dm/uuid", d->dm_uuid, sizeof(d->dm_uuid));
		sysfs_read_at(dfd, "dm/suspended", buf, sizeof(buf));
		d->suspended = buf[0] == '1';
	} else if (attr_exists(dfd, "partition")) {
		d->kind = BDEV_PART;
	} else if (strncmp(d->name, "md", 2) == 0 && attr_exists(dfd, "md")) {
		d->kind = BDEV_MD;
		sysfs_read_at(dfd, "md/array_state", d->md_state, sizeof(d->md_state));
		sysfs_read_at(dfd, "md/metadata_version", d->md_metadata, sizeof(d->md_metadata));
		sysfs_read_at(dfd, "md/level", d->md_level, sizeof(d->md_level));
	} else if (loop) {
		d->kind = BDEV_LOOP;
		/* loop/ appears only while the device is bound */
		if (sysfs_read_at(dfd, "loop/backing_file", buf, sizeof(buf)) > 0) {
			d->loop_backing = strdup(buf);
			sysfs_read_at(dfd, "loop/autoclear", buf, sizeof(buf));
			d->loop_autoclear = buf[0] == '1';
		}
	} else {
		d->kind = BDEV_DISK;
	}
}

static int read_one(const char *sysfs, const char *name, struct bdev *d)
{
	char buf[64];
	int dfd;

	memset(d, 0, sizeof(*d));
	d->parent = d->container = d->backing_on = -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	dfd = dev_dir(sysfs, name);
	if (dfd < 0)
		return -ENOENT;         /* raced with removal */
	if (sysfs_read_at(dfd, "dev", buf, sizeof(buf)) < 0 || parse_devno(buf, &d->dev) < 0) {
		close(dfd);
		return -ENOENT;
	}
	if (sysfs_read_at(dfd, "size", buf, sizeof(buf)) > 0)
		d->size = strtoull(buf, NULL, 10) * 512ULL;   /* always 512-byte sectors */
	read_kind(dfd, d);
	close(dfd);
	return 0;
}

static int cmp_index(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* holders/ and slaves/ hold one entry per device, named after it. */
static void read_links(int dfd, struct blockgraph *g, int i, const char *sub,
		       int *ret, unsigned *ret_n)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	*ret_n = 0;
	fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) && *ret_n < BDEV_LINKS_MAX) {
		int j;

		if (de->d_name[0] == '.')
			continue;
		j = blockgraph_find(g, de->d_name);
		if (j >= 0 && j != i)
			ret[(*ret_n)++] = j;
	}
	closedir(dir);
	/* readdir order is the kernel's whim; name order (devs[] is sorted) is stable */
	qsort(ret, *ret_n, sizeof(*ret), cmp_index);
}

/* "external:/md127/0" (or "external:-md127/0", read-only) names the container. */
static void link_container(struct blockgraph *g, struct bdev *d)
{
	char name[BDEV_NAME_MAX];
	const char *p;
	size_t n;

	if (strncmp(d->md_metadata, "external:", 9) != 0)
		return;
	p = d->md_metadata + 9;
	if (*p != '/' && *p != '-')
		return;
	p++;
	n = strcspn(p, "/");
	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, p, n);
	name[n] = '\0';
	d->container = blockgraph_find(g, name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct bdev *x = a, *y = b;

	return strverscmp(x->name, y->name);
}

int blockgraph_read(struct blockgraph *g, const char *sysfs)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned cap = 0, i;
	DIR *dir;

	memset(g, 0, sizeof(*g));
	snprintf(path, sizeof(path), "%s/class/block", sysfs);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= BDEV_NAME_MAX)
			continue;
		if (g->n == cap) {
			struct bdev *nd = realloc(g->devs, (cap ? cap * 2 : 32) * sizeof(*nd));
			if (!nd) {
				closedir(dir);
				blockgraph_free(g);
				return -ENOMEM;
			}
			g->devs = nd;
			cap = cap ? cap * 2 : 32;
		}
		if (read_one(sysfs, de->d_name, &g->devs[g->n]) == 0)
			g->n++;
	}
	closedir(dir);
	/* readdir order is the kernel's whim; a stable order keeps logs and plans stable */
	if (g->n)
		qsort(g->devs, g->n, sizeof(*g->devs), cmp_name);
	for (i = 0; i < g->n; i++) {
		struct bdev *d = &g->devs[i];
		int dfd;

		/* an unbound loop device holds nothing and nothing holds it */
		if (d->kind == BDEV_LOOP && !d->loop_backing)
			continue;
		dfd = dev_dir(sysfs, d->name);
		if (dfd >= 0) {
			read_links(dfd, g, (int)i, "holders", d->holders, &d->nholders);
			read_links(dfd, g, (int)i, "slaves", d->slaves, &d->nslaves);
			close(dfd);
		}
		if (d->kind == BDEV_PART) {
			char parent[NAME_MAX + 1];

			read_parent(sysfs, d->name, parent, sizeof(parent));
			d->parent = blockgraph_find(g, parent);
		}
		if (d->kind == BDEV_MD)
			link_container(g, d);
	}
	return 0;
}

int blockgraph_census(const char *sysfs)
{
	char path[PATH_MAX], buf[8];
	struct dirent *de;
	int bits = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/class/block", sysfs);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dm-", 3) == 0)
			bits |= BDEV_MAYBE_DM;
		else if (strncmp(de->d_name, "md", 2) == 0)
			bits |= BDEV_MAYBE_MD;
		else if (strncmp(de->d_name, "loop", 4) == 0 && !(bits & BDEV_MAYBE_LOOP) &&
			 bdev_attr(sysfs, de->d_name, "loop/backing_file", buf, sizeof(buf)) != -ENOENT)
			bits |= BDEV_MAYBE_LOOP;
	}
	closedir(dir);
	return bits;
}

void blockgraph_free(struct blockgraph *g)
{
	unsigned i;

	for (i = 0; i < g->n; i++)
		free(g->devs[i].loop_backing);
	for (i = 0; i < g->nswaps; i++)
		free(g->swaps[i].path);
	free(g->devs);
	mounts_free(g->mounts, g->nmounts);
	free(g->swaps);
	memset(g, 0, sizeof(*g));
}

void blockgraph_forget(struct blockgraph *g, int i)
{
	unsigned s, h;

	for (s = 0; s < g->devs[i].nslaves; s++) {
		struct bdev *under = &g->devs[g->devs[i].slaves[s]];

		for (h = 0; h < under->nholders; h++)
			if (under->holders[h] == i) {
				memmove(&under->holders[h], &under->holders[h + 1],
					(under->nholders - h - 1) * sizeof(under->holders[0]));
				under->nholders--;
				break;
			}
	}
	g->devs[i].nslaves = 0;
}

int blockgraph_find(const struct blockgraph *g, const char *name)
{
	unsigned i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->devs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int blockgraph_find_dev(const struct blockgraph *g, dev_t dev)
{
	unsigned i;

	for (i = 0; i < g->n; i++)
		if (g->devs[i].dev == dev)
			return (int)i;
	return -1;
}

bool bdev_gone(const char *sysfs, const struct bdev *d)
{
	char buf[64];
	dev_t dev;

	if (bdev_attr(sysfs, d->name, "dev", buf, sizeof(buf)) < 0)
		return true;
	/* the name can come back as a new device (dm-N numbers are reused) */
	return parse_devno(buf, &dev) < 0 || dev != d->dev;
}

/* cryptsetup's uuids: CRYPT-LUKS2-..., CRYPT-PLAIN-..., CRYPT-INTEGRITY-...
 * A verity hash tree holds no secret; every other kind may hold a key (a
 * standalone dm-integrity can be keyed for HMAC), so it counts. */
bool bdev_is_crypt(const struct bdev *d)
{
	return d->kind == BDEV_DM && strncmp(d->dm_uuid, "CRYPT-", 6) == 0 &&
	       strncmp(d->dm_uuid, "CRYPT-VERITY-", 13) != 0;
}

bool bdev_is_dm_crypt(const struct bdev *d)
{
	return bdev_is_crypt(d) && strncmp(d->dm_uuid, "CRYPT-INTEGRITY-", 16) != 0 &&
	       strncmp(d->dm_uuid, "CRYPT-SUBDEV-", 13) != 0;
}

const char *bdev_label(const struct bdev *d, char *buf, size_t sz)
{
	if (d->kind == BDEV_DM && d->dm_name[0])
		snprintf(buf, sz, "%s (%s)", d->name, d->dm_name);
	else
		snprintf(buf, sz, "%s", d->name);
	return buf;
}

int bdev_holders_now(const char *sysfs, const char *name, char *first, size_t sz)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	if (first && sz)
		first[0] = '\0';
	snprintf(path, sizeof(path), "%s/class/block/%s/holders", sysfs, name);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n++ == 0 && first && sz)
			snprintf(first, sz, "%s", de->d_name);
	}
	closedir(dir);
	return n;
}
