/* detach-dm.c — device-mapper teardown through /dev/mapper/control: resume
 * what is suspended before the unmount loop, then DM_DEV_REMOVE from the top
 * of each stack. Removing deactivates LVM LVs; destroying a crypt table wipes
 * its key from kernel memory. No libdevmapper: it waits on udev, dead by now. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/ioctl.h>    /* before dm-ioctl.h, which uses _IOWR */
#include <linux/dm-ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockgraph.h"
#include "clock.h"
#include "layers.h"
#include "log.h"
#include "spawn.h"
#include "teardown.h"

#define DM_BUSY_BUDGET_MS 1000  /* EBUSY retries, per pass, all devices together */
#define DM_CHILD_TIMEOUT_MS 5000

struct dm_status {
	int open_count;
	unsigned targets;
	bool suspended;
};

/* The kernel decodes dm_ioctl.dev with huge_decode_dev(), libdm's MKDEV. */
static uint64_t dm_encode_dev(dev_t dev)
{
	uint64_t ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffULL) << 12);
}

/* Name and uuid stay empty so the kernel looks the device up by number.
 * event_nr 0 is "no udev cookie": nobody waits for a uevent semaphore. */
static int dm_call(int ctl, unsigned long req, dev_t dev, struct dm_ioctl *io)
{
	memset(io, 0, sizeof(*io));
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = sizeof(*io);
	io->data_start = sizeof(*io);
	io->dev = dm_encode_dev(dev);
	return bdev_ioctl(ctl, req, io) < 0 ? -errno : 0;
}

static int dm_get_status(int ctl, dev_t dev, struct dm_status *ret)
{
	struct dm_ioctl io;
	int r = dm_call(ctl, DM_DEV_STATUS, dev, &io);

	memset(ret, 0, sizeof(*ret));
	if (r < 0)
		return r;
	ret->open_count = io.open_count;
	ret->targets = io.target_count;
	ret->suspended = io.flags & DM_SUSPEND_FLAG;
	return 0;
}

struct dm_child {
	int ctl;
	unsigned long req;      /* DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes */
	dev_t dev;
};

static int dm_child_run(void *p)
{
	const struct dm_child *c = p;
	struct dm_ioctl io;

	return dm_call(c->ctl, c->req, c->dev, &io);
}

/* Resume drains queued bios and remove runs the targets' presuspend (a thin
 * pool, raid or cache target writes metadata there): over a suspended device
 * or a dead path both can wait for good, so they always run in a child. */
static int dm_call_child(int ctl, unsigned long req, dev_t dev)
{
	struct dm_child c = { ctl, req, dev };
	char what[48];

	/* one key per device: a resume that hung means a remove hangs too */
	snprintf(what, sizeof(what), "dm %u:%u", major(dev), minor(dev));
	return spawn_call(dm_child_run, &c, DM_CHILD_TIMEOUT_MS, what);
}

static const char *err_str(int r)
{
	return r == SPAWN_TIMEOUT ? "no answer in time" : strerror(-r);
}

/* Is any dm device suspended at all? The common answer, no, from one sysfs
 * read per dm device instead of the whole block graph (which costs tens of
 * ms under TCG, twice per run). What cannot be read counts as maybe. */
static bool dm_any_suspended(const char *sysfs)
{
	char path[PATH_MAX], buf[8];
	struct dirent *de;
	bool any = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/class/block", sysfs);
	d = opendir(path);
	if (!d)
		return true;
	while (!any && (de = readdir(d)))
		if (strncmp(de->d_name, "dm-", 3) == 0 &&
		    (bdev_attr(sysfs, de->d_name, "dm/suspended", buf, sizeof(buf)) <= 0 ||
		     buf[0] != '0'))
			any = true;
	closedir(d);
	return any;
}

int dm_resume_all(const struct scope *s)
{
	struct blockgraph g;
	int *order;
	unsigned n, k, want = 0, failed = 0;
	int ctl, r;

	if (!dm_any_suspended(s->sysfs))
		return 0;
	r = blockgraph_load_ordered(&g, s, &order, &n);
	if (r < 0)
		return r;
	for (k = 0; k < n; k++)
		want += g.devs[order[k]].kind == BDEV_DM && g.devs[order[k]].suspended;
	if (!want) {
		free(order);
		blockgraph_free(&g);
		return 0;
	}
	ctl = dm_control_open(s->sysfs);
	if (ctl < 0) {
		log_warn("open device-mapper control: %s, %u suspended devices stay suspended",
			 strerror(-ctl), want);
		free(order);
		blockgraph_free(&g);
		return ctl;
	}
	/* bottom of each stack first, as LVM resumes */
	while (n-- > 0) {
		struct bdev *d = &g.devs[order[n]];
		char label[200];

		if (d->kind != BDEV_DM || !d->suspended)
			continue;
		bdev_label(d, label, sizeof(label));
		r = dm_call_child(ctl, DM_DEV_SUSPEND, d->dev);
		if (r < 0) {
			log_warn("%s: resume: %s, left suspended: I/O to it blocks", label, err_str(r));
			failed++;
			continue;
		}
		d->suspended = false;
		log_notice("%s: resumed", label);
	}
	close(ctl);
	free(order);
	blockgraph_free(&g);
	return (int)failed;
}

/* Why the device cannot go now, at the level this pass logs leftovers. */
static bool dm_is_free(const struct scope *s, const struct blockgraph *g, int i, int lvl,
		       const char *label)
{
	char why[300];
	int n = bdev_holders_now(s->sysfs, g->devs[i].name, why, sizeof(why));

	if (n > 0) {
		log_msg(lvl, "%s: held by %s, not removing", label, why);
		return false;
	}
	bdev_why_busy(g, i, why, sizeof(why));
	if (strncmp(why, "held by", 7) != 0 && why[0]) {
		log_msg(lvl, "%s: %s, not removing", label, why);
		return false;
	}
	return true;
}

static bool dm_remove_one(const struct scope *s, struct blockgraph *g, int i, int ctl,
			  bool last_try, uint64_t busy_end)
{
	struct bdev *d = &g->devs[i];
	int lvl = last_try ? LOG_LVL_ERR : LOG_LVL_INFO;
	struct dm_status ds;
	char label[200];
	unsigned delay;
	uint64_t t0;
	int r;

	bdev_label(d, label, sizeof(label));
	/* held or mounted is the normal state before a later pass frees it */
	if (!dm_is_free(s, g, i, last_try ? LOG_LVL_ERR : LOG_LVL_DEBUG, label))
		return false;
	r = dm_get_status(ctl, d->dev, &ds);
	if (r < 0) {
		if (bdev_gone(s->sysfs, d))
			return true;    /* a hook or the kernel got there first */
		log_msg(lvl, "%s: status: %s, not removing", label, strerror(-r));
		return false;
	}
	if (ds.suspended) {
		r = dm_call_child(ctl, DM_DEV_SUSPEND, d->dev);
		if (r < 0) {
			log_msg(lvl, "%s: suspended, resume: %s, skipping", label, err_str(r));
			return false;
		}
		d->suspended = false;
		log_notice("%s: resumed", label);
	}
	/* We never open the device itself: the last close of a block device
	 * syncs it, and a sync on a device with no table blocks for good. */
	t0 = now_ms();
	for (delay = 20;; delay *= 2) {
		r = dm_call_child(ctl, DM_DEV_REMOVE, d->dev);
		if (r != -EBUSY || now_ms() + delay > busy_end)
			break;
		reap_sleep(delay);
	}
	if (bdev_gone(s->sysfs, d)) {
		log_notice("%s: removed%s", label, bdev_is_dm_crypt(d) ? ", key wiped" : "");
		layers_note_bdev(d, bdev_is_dm_crypt(d) ? "removed, key wiped" : "removed",
				 now_ms() - t0);
		return true;
	}
	if (r == 0) {
		log_msg(lvl, "%s: removed, but sysfs still shows it", label);
		return false;
	}
	if (dm_get_status(ctl, d->dev, &ds) == 0 && ds.open_count > 0) {
		char who[128];

		/* the /proc walk only for what is really left */
		if (last_try && bdev_opener(d, "/proc", who, sizeof(who))[0])
			log_msg(lvl, "%s: remove: %s, open count %d, held open by %s", label,
				err_str(r), ds.open_count, who);
		else
			log_msg(lvl, "%s: remove: %s, open count %d (a process or a lazily "
				"detached mount holds it)", label, err_str(r), ds.open_count);
	} else
		log_msg(lvl, "%s: remove: %s", label, err_str(r));
	return false;
}

int dm_detach_graph(const struct scope *s, struct blockgraph *g, const int *order, unsigned n,
		    bool last_try, bool *changed, struct stats *st)
{
	unsigned k, left = 0;
	uint64_t busy_end;
	int ctl;

	for (k = 0; k < n; k++)
		left += g->devs[order[k]].kind == BDEV_DM;
	if (!left)
		return 0;
	ctl = dm_control_open(s->sysfs);
	if (ctl < 0) {
		log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_WARN,
			"open device-mapper control: %s, %u devices left", strerror(-ctl), left);
		return (int)left;
	}
	busy_end = now_ms() + DM_BUSY_BUDGET_MS;
	for (k = 0; k < n; k++) {
		if (g->devs[order[k]].kind != BDEV_DM)
			continue;
		if (dm_remove_one(s, g, order[k], ctl, last_try, busy_end)) {
			blockgraph_forget(g, order[k]);
			st->dm++;
			*changed = true;
			left--;
		}
	}
	close(ctl);
	return (int)left;
}

int devices_graph_load(const struct scope *s, bool last_try, struct blockgraph *g, int **order,
		       unsigned *n)
{
	int r = blockgraph_load_ordered(g, s, order, n);

	if (r < 0)
		log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_WARN, "read %s/class/block: %s",
			s->sysfs, strerror(-r));
	return r;
}

int dm_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	struct blockgraph g;
	int *order, r;
	unsigned n;

	r = devices_graph_load(s, last_try, &g, &order, &n);
	if (r < 0)
		return r;
	r = dm_detach_graph(s, &g, order, n, last_try, changed, st);
	free(order);
	blockgraph_free(&g);
	return r;
}

int devices_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	struct blockgraph g;
	int *order, r, dm, md;
	unsigned n;

	r = devices_graph_load(s, last_try, &g, &order, &n);
	if (r < 0)
		return r;
	dm = dm_detach_graph(s, &g, order, n, last_try, changed, st);
	md = md_detach_graph(s, &g, order, n, last_try, changed, st);
	free(order);
	blockgraph_free(&g);
	return dm < 0 || md < 0 ? -1 : dm + md;
}
