/* umount.c — libmount table, newest first, in a loop while it makes progress;
 * what stays busy is remounted read-only and lazily detached. The table is
 * read once per pass, the calls run in one bounded child per batch
 * (umount-batch.c): cost linear in mounts, no cap on their number. */
#include <errno.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "layers.h"
#include "log.h"
#include "mounts.h"
#include "spawn.h"
#include "state.h"
#include "umount.h"
#include "umount-batch.h"
#include "umount-holders.h"

#define HOLDERS_NAMED_MAX 16    /* targets whose holders are looked up in /proc */

/* per call; not in umount.h: only the unit tests shorten it */
unsigned umount_timeout_ms = UMOUNT_TIMEOUT_MS;

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

static bool wants_force(struct libmnt_fs *fs)
{
	const char *t = mnt_fs_get_fstype(fs);

	return mnt_fs_is_netfs(fs) || (t && strncmp(t, "fuse", 4) == 0);
}

struct target {
	char *path;
	dev_t dev;
	bool force;             /* network or FUSE: MNT_FORCE aborts what is queued */
	bool ro;
};

struct targets {
	struct target *v;
	size_t n, cap;
};

static void targets_free(struct targets *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->v[i].path);
	free(ts->v);
	ts->v = NULL;
	ts->n = ts->cap = 0;
}

static int targets_push(struct targets *ts, struct libmnt_fs *fs)
{
	struct target *t;

	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 256;
		struct target *v = realloc(ts->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ts->v = v;
		ts->cap = cap;
	}
	t = &ts->v[ts->n];
	t->path = strdup(mnt_fs_get_target(fs));
	if (!t->path)
		return -ENOMEM;
	t->dev = mnt_fs_get_devno(fs);
	t->force = wants_force(fs);
	t->ro = false;
	ts->n++;
	return 0;
}

struct targets_read_arg {
	const struct scope *scope;
	struct targets *ts;
};

static int target_found(struct libmnt_fs *fs, void *arg)
{
	struct targets_read_arg *a = arg;

	return in_scope(a->scope, fs) ? targets_push(a->ts, fs) : 0;
}

/* Targets in scope, newest first: one read of the table. */
static int targets_read(const struct scope *s, struct targets *ret)
{
	struct targets_read_arg a = { s, ret };
	int r;

	memset(ret, 0, sizeof(*ret));
	r = mounts_each(s->mountinfo, MOUNTS_NEWEST_FIRST, target_found, &a);
	if (r < 0) {
		if (r == -ENOMEM)
			log_err("%s: out of memory reading the mount table", s->mountinfo);
		else
			log_err("%s: cannot read the mount table", s->mountinfo);
		targets_free(ret);
		return r;
	}
	return (int)ret->n;
}

/* Targets whose umount or remount overran: a dead device or server. Later
 * passes skip them (each try would cost the full timeout again) and the
 * last resort detaches them at once. They live in the run's stuck set
 * (state.h), as "umount TARGET": a later worker skips them too. */
static bool target_stuck(const char *what)
{
	char key[STUCK_KEY_MAX];

	snprintf(key, sizeof(key), "umount %s", what);
	return stuck_has(key);
}

/* The one place a call is marked stuck. */
static void stuck_mark(const char *what, struct stats *st)
{
	char key[STUCK_KEY_MAX];

	snprintf(key, sizeof(key), "umount %s", what);
	if (stuck_has(key))
		return;
	st->timeouts++;
	stuck_add(key);
}

/* One batch: op on every target, in table order; with skip_stuck, stuck
 * targets get SPAWN_TIMEOUT without a call. Returns the results, indexed
 * like ts, or NULL without memory. */
static int *targets_apply(const struct targets *ts, enum umount_op op, int flags,
			  bool skip_stuck)
{
	struct umount_call *calls = calloc(ts->n ? ts->n : 1, sizeof(*calls));
	size_t *idx = calloc(ts->n ? ts->n : 1, sizeof(*idx));
	int *res = calloc(ts->n ? ts->n : 1, sizeof(*res));
	size_t i, m = 0;

	if (!calls || !idx || !res) {
		log_err("unmount: out of memory, skipping %zu mounts", ts->n);
		free(calls);
		free(idx);
		free(res);
		return NULL;
	}
	for (i = 0; i < ts->n; i++) {
		if (skip_stuck && target_stuck(ts->v[i].path)) {
			res[i] = SPAWN_TIMEOUT;
			continue;
		}
		calls[m].path = ts->v[i].path;
		calls[m].op = op;
		calls[m].flags = flags | (op == UMOUNT_OP_UMOUNT && ts->v[i].force &&
					  !(flags & MNT_DETACH) ? MNT_FORCE : 0);
		idx[m++] = i;
	}
	(void)umount_batch_run(calls, m, umount_timeout_ms);
	for (i = 0; i < m; i++)
		res[idx[i]] = calls[i].result;
	free(calls);
	free(idx);
	return res;
}

int umount_count(const struct scope *s)
{
	struct targets ts;
	int n = targets_read(s, &ts);

	targets_free(&ts);
	/* a table we cannot read is not a clean one */
	return n < 0 ? 1 : n;
}

int umount_pass(const struct scope *s, bool *changed, struct stats *st)
{
	struct targets ts;
	int n = targets_read(s, &ts), *res, done = 0;
	size_t i;

	if (n <= 0)
		return n;
	layers_unmount_started();
	res = targets_apply(&ts, UMOUNT_OP_UMOUNT, 0, true);
	for (i = 0; res && i < ts.n; i++) {
		const char *t = ts.v[i].path;

		if (res[i] == 0) {
			done++;
			log_debug("unmounted %s", t);
			layers_note_root(s, t, "unmounted");
		} else if (res[i] == SPAWN_TIMEOUT && !target_stuck(t)) {
			stuck_mark(t, st);
			log_warn("umount %s: timed out, will detach it", t);
		} else if (res[i] != SPAWN_TIMEOUT) {
			log_debug("umount %s: %s, retrying later", t, strerror(-res[i]));
		}
	}
	if (done) {
		st->unmounted += (unsigned)done;
		*changed = true;
		log_info("unmounted %d of %d mounts", done, n);
	}
	free(res);
	targets_free(&ts);
	/* a plain umount2 takes exactly its own mount */
	return n - done;
}

/* Detached mounts, to see later whether their superblock went after all. */
struct gone {
	dev_t dev;
	bool ro;
	char *path;
};
static struct gone *gone;
static size_t ngone, gone_cap;

static void gone_add(const struct target *t)
{
	if (ngone == gone_cap) {
		size_t cap = gone_cap ? gone_cap * 2 : 64;
		struct gone *v = realloc(gone, cap * sizeof(*v));

		if (!v)
			return;         /* it just stays counted as detached */
		gone = v;
		gone_cap = cap;
	}
	gone[ngone].path = strdup(t->path);
	if (!gone[ngone].path)
		return;
	gone[ngone].dev = t->dev;
	gone[ngone++].ro = t->ro;
}

static void finish_read_only(struct targets *ts, struct stats *st)
{
	int *res = targets_apply(ts, UMOUNT_OP_REMOUNT_RO, 0, true);
	size_t i;

	for (i = 0; i < ts->n; i++) {
		const char *t = ts->v[i].path;
		int r = res ? res[i] : -ENOMEM;

		ts->v[i].ro = r == 0;
		if (r == 0) {
			st->ro++;
			log_warn("umount %s: busy, remounted read-only", t);
		} else if (r == SPAWN_TIMEOUT) {
			if (!target_stuck(t))
				stuck_mark(t, st);
			log_err("umount %s: stuck, detaching it as it is", t);
		} else {
			log_err("umount %s: busy, remount read-only: %s", t, strerror(-r));
		}
		if (i < HOLDERS_NAMED_MAX)
			umount_name_holders(t);
		else if (i == HOLDERS_NAMED_MAX)
			log_warn("%zu more busy mounts: their holders are not looked up",
				 ts->n - HOLDERS_NAMED_MAX);
	}
	free(res);
}

int umount_finish(const struct scope *s, struct stats *st)
{
	struct targets ts;
	int n = targets_read(s, &ts), *res;
	size_t i;

	if (n <= 0)
		return 0;
	/* all read-only first: detaching a parent takes its children along,
	 * and a child must not go read-write into the dark */
	finish_read_only(&ts, st);
	/* a detach does not wait on the device: the stuck ones go too */
	res = targets_apply(&ts, UMOUNT_OP_UMOUNT, MNT_DETACH, false);
	for (i = 0; i < ts.n; i++) {
		const char *t = ts.v[i].path;
		int r = res ? res[i] : -ENOMEM;

		if (r == 0 || r == -EINVAL || r == -ENOENT) {
			/* EINVAL/ENOENT: it went with a parent detached before it */
			st->detached++;
			gone_add(&ts.v[i]);
			log_warn("%s: detached, superblock still referenced", t);
			layers_note_root(s, t, ts.v[i].ro ? "left read-only, lazily detached"
							  : "left, lazily detached");
		} else {
			log_err("umount -l %s: %s", t, r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
		}
	}
	free(res);
	targets_free(&ts);
	return n;
}

static const char *probe_key(const char *path)
{
	static char key[STUCK_KEY_MAX];

	snprintf(key, sizeof(key), "probe %s", path);
	return key;
}

void umount_released(struct stats *st)
{
	size_t i, left = ngone;
	unsigned tries;

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
			if (spawn_call(umount_bdev_unclaimed, &gone[i].dev, 2000,
				       probe_key(gone[i].path)) != 0) {
				left++;
				continue;
			}
			st->detached--;
			if (gone[i].ro)
				st->ro--;
			log_info("%s: released after the detach, its filesystem is closed",
				 gone[i].path);
			layers_root_released(gone[i].path);
			gone[i].dev = 0;
		}
	}
}
