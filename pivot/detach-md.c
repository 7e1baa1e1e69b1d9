/* detach-md.c — md arrays: STOP_ARRAY, top of each stack first; arrays with
 * external metadata first wait (bounded) for their mdmon to mark them clean.
 * A stopped array skips the kernel's reboot notifier, which marks running
 * arrays clean and sleeps a second. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/major.h>
#include <linux/raid/md_u.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "blockgraph.h"
#include "clock.h"
#include "layers.h"
#include "log.h"
#include "spawn.h"
#include "teardown.h"

#define MD_CLEAN_BUDGET_MS 3000 /* per pass, all arrays together */
/* per run (the fixpoint loop calls us many times): IMSM's safe_mode_delay
 * is 4 s, and under load (TCG) its volume read clean 5.4 s after the last
 * write; a dead mdmon costs this once, then the array is stopped anyway */
#define MD_CLEAN_TOTAL_MS 10000
#define MD_BUSY_BUDGET_MS 1000
#define MD_GONE_WAIT_MS 300     /* the kernel deletes a stopped array from a work queue */
#define MD_CHILD_TIMEOUT_MS 10000

static unsigned clean_spent_ms;

static bool md_is_external(const struct bdev *d)
{
	return strncmp(d->md_metadata, "external:", 9) == 0;
}

static bool state_is_clean(const char *st)
{
	static const char *const ok[] = { "clean", "readonly", "read-auto", "inactive", "clear" };
	size_t k;

	for (k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		if (strcmp(st, ok[k]) == 0)
			return true;
	return false;
}

static void md_hurry_safe_mode(const char *sysfs, const struct bdev *d)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/class/block/%s/md/safe_mode_delay", sysfs, d->name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "0.010", 5) != 5)
		log_debug("%s: safe_mode_delay: %s", d->name, strerror(errno));
	close(fd);
}

/* An external array is marked clean by its mdmon, and stopping it first
 * leaves it dirty. A native one needs no wait: STOP_ARRAY marks it clean
 * itself (md.c __md_stop_writes: in_sync = 1, then md_update_sb), where
 * waiting for safe_mode_delay cost a few hundred ms per array. */
static bool md_wait_clean(const char *sysfs, const struct bdev *d, uint64_t end,
			  char *state, size_t sz)
{
	bool hurried = false;

	for (;;) {
		if (bdev_attr(sysfs, d->name, "md/array_state", state, sz) < 0)
			return true;    /* gone */
		if (state_is_clean(state))
			return true;
		if (!hurried) {
			/* mdmon marks it clean once md's safe-mode timer says
			 * "active-idle", safe_mode_delay after the last write
			 * (4 s for IMSM); lowering the delay fires the timer at
			 * once (md.c safe_delay_store: mod_timer(jiffies + 1)) */
			md_hurry_safe_mode(sysfs, d);
			hurried = true;
		}
		if (now_ms() >= end)
			return false;
		reap_sleep(50);
	}
}

static bool md_stopped(const char *sysfs, const struct bdev *d, unsigned wait_ms)
{
	uint64_t end = now_ms() + wait_ms;
	char state[32];

	for (;;) {
		if (bdev_gone(sysfs, d) ||
		    bdev_attr(sysfs, d->name, "md/array_state", state, sizeof(state)) < 0 ||
		    strcmp(state, "clear") == 0)
			return true;
		if (now_ms() >= end)
			return false;
		reap_sleep(20);
	}
}

static int md_stop_call(void *p)
{
	const struct bdev *d = p;
	int fd, r = 0;

	fd = bdev_open(d->name, d->dev, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	if (bdev_ioctl(fd, STOP_ARRAY, NULL) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Member arrays of a container still running. */
static bool md_members_left(const char *sysfs, const struct blockgraph *g, int i, char *who,
			    size_t sz)
{
	unsigned k;

	for (k = 0; k < g->n; k++)
		if (g->devs[k].container == i && !md_stopped(sysfs, &g->devs[k], 0)) {
			snprintf(who, sz, "%s", g->devs[k].name);
			return true;
		}
	return false;
}

static bool md_is_free(const struct scope *s, const struct blockgraph *g, int i, int lvl)
{
	const struct bdev *d = &g->devs[i];
	char why[300];

	if (bdev_holders_now(s->sysfs, d->name, why, sizeof(why)) > 0) {
		log_msg(lvl, "%s: held by %s, not stopping", d->name, why);
		return false;
	}
	if (md_members_left(s->sysfs, g, i, why, sizeof(why))) {
		log_msg(lvl, "%s: container of running %s, not stopping", d->name, why);
		return false;
	}
	bdev_why_busy(g, i, why, sizeof(why));
	if (why[0] && strncmp(why, "held by", 7) != 0 && strncmp(why, "container", 9) != 0) {
		log_msg(lvl, "%s: %s, not stopping", d->name, why);
		return false;
	}
	return true;
}

static bool md_stop_one(const struct scope *s, const struct blockgraph *g, int i,
			bool last_try, uint64_t clean_end, uint64_t busy_end)
{
	const struct bdev *d = &g->devs[i];
	int lvl = last_try ? LOG_LVL_ERR : LOG_LVL_INFO;
	char state[32], who[128], what[64];
	unsigned delay;
	uint64_t t0;
	int r;

	/* held or mounted is the normal state before a later pass frees it */
	if (!md_is_free(s, g, i, last_try ? LOG_LVL_ERR : LOG_LVL_DEBUG))
		return false;
	if (md_is_external(d) && !md_wait_clean(s->sysfs, d, clean_end, state, sizeof(state))) {
		if (!last_try) {
			/* mdmon is spared by the kill ('@'); give it the next pass */
			log_info("%s: %s, waiting for mdmon to mark it clean", d->name, state);
			return false;
		}
		log_warn("%s: still %s, stopping anyway (is its mdmon alive?)", d->name, state);
	}
	snprintf(what, sizeof(what), "md %s", d->name);
	t0 = now_ms();
	for (delay = 20;; delay *= 2) {
		/* STOP_ARRAY writes the superblocks: a member that hangs
		 * without failing would stall PID 1, so a child */
		r = spawn_call(md_stop_call, (void *)d, MD_CHILD_TIMEOUT_MS, what);
		if (r != -EBUSY || now_ms() + delay > busy_end)
			break;
		reap_sleep(delay);
	}
	if (md_stopped(s->sysfs, d, MD_GONE_WAIT_MS)) {
		log_notice("%s: stopped", d->name);
		layers_note_bdev(d, "stopped", now_ms() - t0);
		return true;
	}
	if (r == SPAWN_TIMEOUT)
		log_msg(lvl, "%s: stop: no answer in time", d->name);
	else if (r == -EBUSY && last_try && bdev_opener(d, "/proc", who, sizeof(who))[0])
		log_msg(lvl, "%s: stop: %s, held open by %s", d->name, strerror(-r), who);
	else if (r < 0)
		log_msg(lvl, "%s: stop: %s%s", d->name, strerror(-r),
			r == -EBUSY ? " (a process or a lazily detached mount holds it)" : "");
	else
		log_msg(lvl, "%s: stopped, but sysfs still shows it", d->name);
	return false;
}

int md_detach_graph(const struct scope *s, struct blockgraph *g, const int *order, unsigned n,
		    bool last_try, bool *changed, struct stats *st)
{
	unsigned k, left = 0, budget;
	uint64_t clean_end, busy_end, t0 = now_ms();

	budget = clean_spent_ms >= MD_CLEAN_TOTAL_MS ? 0 : MD_CLEAN_TOTAL_MS - clean_spent_ms;
	clean_end = now_ms() + (budget < MD_CLEAN_BUDGET_MS ? budget : MD_CLEAN_BUDGET_MS);
	busy_end = now_ms() + MD_BUSY_BUDGET_MS;
	for (k = 0; k < n; k++) {
		if (g->devs[order[k]].kind != BDEV_MD)
			continue;
		left++;
		if (md_stop_one(s, g, order[k], last_try, clean_end, busy_end)) {
			blockgraph_forget(g, order[k]);
			st->md++;
			*changed = true;
			left--;
		}
	}
	clean_spent_ms += (unsigned)(now_ms() - t0);
	return (int)left;
}

int md_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	struct blockgraph g;
	int *order, r;
	unsigned n;

	r = devices_graph_load(s, last_try, &g, &order, &n);
	if (r < 0)
		return r;
	r = md_detach_graph(s, &g, order, n, last_try, changed, st);
	free(order);
	blockgraph_free(&g);
	return r;
}
