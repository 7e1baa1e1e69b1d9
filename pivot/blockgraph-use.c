/* blockgraph-use.c — what uses each block device (mounts, swaps, loop files)
 * and the teardown order that follows from it; also the summary's left=. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "blockgraph.h"
#include "layers.h"
#include "log.h"
#include "mounts.h"
#include "scope.h"
#include "swaps.h"
#include "teardown.h"

/* /dev/dm-2, /dev/mapper/vg-swap, /dev/md127: by name, without touching the
 * node (in the ramfs the old /dev may be gone or detached). */
static int find_by_path(const struct blockgraph *g, const char *path)
{
	const char *base = strrchr(path, '/'), *dev = strstr(path, "/dev/");
	unsigned i;

	/* after the pivot a swap opened as /dev/dm-2 reads /oldroot/dev/dm-2 */
	if (dev)
		path = dev;

	base = base ? base + 1 : path;
	if (strncmp(path, "/dev/mapper/", 12) == 0) {
		for (i = 0; i < g->n; i++)
			if (g->devs[i].kind == BDEV_DM && strcmp(g->devs[i].dm_name, base) == 0)
				return (int)i;
		return -1;
	}
	if (strncmp(path, "/dev/", 5) != 0)
		return -1;
	return blockgraph_find(g, base);
}

struct mounts_arg {
	struct blockgraph *g;
	unsigned cap;
};

static int add_mount(struct libmnt_fs *fs, void *arg)
{
	struct mounts_arg *a = arg;
	struct blockgraph *g = a->g;
	struct mount_entry *m;
	int r = mounts_append(&g->mounts, &g->nmounts, &a->cap, fs);

	if (r < 0)
		return r;
	/* btrfs and others report an anonymous 0:N; the source names the device */
	m = &g->mounts[g->nmounts - 1];
	if (major(m->dev) == 0) {
		int j = find_by_path(g, m->source);
		if (j >= 0)
			m->dev = g->devs[j].dev;
	}
	return 0;
}

int blockgraph_read_mounts(struct blockgraph *g, const char *mountinfo)
{
	struct mounts_arg a = { g, 0 };
	int r = mounts_each(mountinfo, MOUNTS_OLDEST_FIRST, add_mount, &a);

	/* out of memory keeps what was read */
	return r == -ENOMEM ? 0 : r;
}

int blockgraph_read_swaps(struct blockgraph *g, const char *swaps)
{
	struct swap_list l;
	unsigned i;
	int r = swaps_read(swaps, &l);

	if (r < 0)
		return r;
	g->swaps = l.n ? calloc(l.n, sizeof(*g->swaps)) : NULL;
	for (i = 0; g->swaps && i < l.n; i++) {
		struct bswap *sw = &g->swaps[g->nswaps];

		sw->path = l.v[i].path;         /* ownership moves to the graph */
		l.v[i].path = NULL;
		sw->is_file = l.v[i].is_file;
		sw->dev = sw->is_file ? -1 : find_by_path(g, sw->path);
		g->nswaps++;
	}
	swaps_free(&l);
	return 0;
}

/* The mount whose target is the longest prefix of path. */
static int mount_of_path(const struct blockgraph *g, const char *path)
{
	size_t best = 0;
	int found = -1;
	unsigned i;

	for (i = 0; i < g->nmounts; i++) {
		const char *t = g->mounts[i].target;
		size_t n = strlen(t);

		if (strcmp(t, "/") == 0)
			n = 0;
		else if (strncmp(path, t, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			continue;
		if (found < 0 || n >= best) {
			best = n;
			found = (int)i;
		}
	}
	return found;
}

/* A loop device keeps the filesystem of its backing file busy, so it sits
 * above that filesystem's device in the order. Matched by path, not stat():
 * a lookup on a filesystem over a suspended device can block. */
static void link_backing(struct blockgraph *g)
{
	unsigned i;

	for (i = 0; i < g->n; i++) {
		struct bdev *d = &g->devs[i];
		char path[PATH_MAX];
		size_t n;
		int m;

		if (d->kind != BDEV_LOOP || !d->loop_backing)
			continue;
		snprintf(path, sizeof(path), "%s", d->loop_backing);
		n = strlen(path);
		if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
			path[n - 10] = '\0';
		m = mount_of_path(g, path);
		if (m >= 0)
			d->backing_on = blockgraph_find_dev(g, g->mounts[m].dev);
	}
}

int blockgraph_load(struct blockgraph *g, const struct scope *s)
{
	int r = blockgraph_read(g, s->sysfs);

	if (r < 0)
		return r;
	if (s->mountinfo)
		(void)blockgraph_read_mounts(g, s->mountinfo);  /* none: nothing mounted */
	if (s->swaps)
		(void)blockgraph_read_swaps(g, s->swaps);       /* no swap support: no swaps */
	link_backing(g);
	return 0;
}

const char *bdev_mountpoint(const struct blockgraph *g, int i)
{
	unsigned m;

	for (m = 0; m < g->nmounts; m++)
		if (g->mounts[m].dev == g->devs[i].dev)
			return g->mounts[m].target;
	return NULL;
}

bool bdev_is_swap(const struct blockgraph *g, int i)
{
	unsigned k;

	for (k = 0; k < g->nswaps; k++)
		if (g->swaps[k].dev == i)
			return true;
	return false;
}

const char *bdev_why_busy(const struct blockgraph *g, int i, char *buf, size_t sz)
{
	const struct bdev *d = &g->devs[i];
	const char *mp = bdev_mountpoint(g, i);
	unsigned j;

	buf[0] = '\0';
	if (mp) {
		snprintf(buf, sz, "mounted on %s", mp);
	} else if (bdev_is_swap(g, i)) {
		snprintf(buf, sz, "in use as swap");
	} else {
		for (j = 0; j < g->n; j++) {
			if (g->devs[j].parent == i && g->devs[j].kind == BDEV_PART) {
				char sub[128];
				if (bdev_why_busy(g, (int)j, sub, sizeof(sub))[0]) {
					snprintf(buf, sz, "partition %s %s", g->devs[j].name, sub);
					break;
				}
			}
			if (g->devs[j].container == i) {
				snprintf(buf, sz, "container of %s", g->devs[j].name);
				break;
			}
		}
	}
	if (!buf[0] && d->nholders)
		snprintf(buf, sz, "held by %s", g->devs[d->holders[0]].name);
	return buf;
}

bool bdev_is_removable(const struct bdev *d)
{
	switch (d->kind) {
	case BDEV_DM:
		return true;
	case BDEV_MD:
		/* a stopped array can linger as "clear" until its last opener goes */
		return d->md_state[0] && strcmp(d->md_state, "clear") != 0;
	case BDEV_LOOP:
		return d->loop_backing != NULL;
	default:
		return false;
	}
}

static int level_of(struct blockgraph *g, const struct scope *s, int i, unsigned depth)
{
	struct bdev *d = &g->devs[i];
	int top = 0;
	unsigned k;

	if (d->level_ >= 0)
		return d->level_;
	if (depth > 64)
		return 0;               /* a cycle sysfs should never show */
	for (k = 0; k < d->nholders; k++) {
		int l = level_of(g, s, d->holders[k], depth + 1);
		top = l > top ? l : top;
	}
	for (k = 0; k < g->n; k++) {
		const struct bdev *a = &g->devs[k];
		if ((a->kind == BDEV_PART && a->parent == i) || a->backing_on == i ||
		    a->container == i) {
			int l = level_of(g, s, (int)k, depth + 1);
			top = l > top ? l : top;
		}
	}
	if (bdev_is_removable(d) && scope_has(s, d->dev)) {
		top++;
		d->step = top;
	}
	d->level_ = top;
	return top;
}

int blockgraph_order(struct blockgraph *g, const struct scope *s)
{
	unsigned i;
	int last = 0;

	for (i = 0; i < g->n; i++) {
		g->devs[i].level_ = -1;
		g->devs[i].step = 0;
	}
	for (i = 0; i < g->n; i++) {
		(void)level_of(g, s, (int)i, 0);
		last = g->devs[i].step > last ? g->devs[i].step : last;
	}
	return last;
}

unsigned blockgraph_sorted(const struct blockgraph *g, int *ret, unsigned max)
{
	unsigned n = 0, i;
	int step, last = 0;

	for (i = 0; i < g->n; i++)
		last = g->devs[i].step > last ? g->devs[i].step : last;
	/* devs[] is sorted by name already */
	for (step = 1; step <= last; step++)
		for (i = 0; i < g->n && n < max; i++)
			if (g->devs[i].step == step)
				ret[n++] = (int)i;
	return n;
}

int blockgraph_load_ordered(struct blockgraph *g, const struct scope *s,
			    int **ret_order, unsigned *ret_n)
{
	int r = blockgraph_load(g, s);

	if (r < 0)
		return r;
	(void)blockgraph_order(g, s);
	*ret_order = malloc((g->n + 1) * sizeof(**ret_order));
	if (!*ret_order) {
		blockgraph_free(g);
		return -ENOMEM;
	}
	*ret_n = blockgraph_sorted(g, *ret_order, g->n);
	return 0;
}

unsigned blockgraph_left(const struct scope *s, bool log_left)
{
	struct blockgraph g;
	unsigned i, left = 0;

	/* nothing of the removable kinds in sysfs: no graph to read */
	if (blockgraph_census(s->sysfs) == 0 || blockgraph_load(&g, s) < 0)
		return 0;
	for (i = 0; i < g.n; i++) {
		const struct bdev *d = &g.devs[i];
		char label[200], why[300], outcome[LAYER_OUTCOME_MAX];

		if (!bdev_is_removable(d) || !scope_has(s, d->dev))
			continue;
		left++;
		if (!log_left)
			continue;
		bdev_why_busy(&g, (int)i, why, sizeof(why));
		log_err("left: %s%s%s", bdev_label(d, label, sizeof(label)),
			why[0] ? ", " : "", why);
		snprintf(outcome, sizeof(outcome), "left%s%s", why[0] ? ", " : "", why);
		layers_note_bdev(d, outcome, 0);
	}
	blockgraph_free(&g);
	return left;
}
