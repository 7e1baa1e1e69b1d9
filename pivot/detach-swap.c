/* detach-swap.c — swapoff every swap in scope, each in a bounded child: a
 * swapoff pages everything back in and can take long on a slow device.
 * Each swap is opened when the run first sees it and swapped off through
 * that fd (/proc/self/fd/N): once the old root is detached the path of a
 * swap file no longer resolves, and the file, its filesystem and the
 * devices under it would stay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "layers.h"
#include "log.h"
#include "scope.h"
#include "spawn.h"
#include "swaps.h"
#include "sys.h"
#include "teardown.h"

#define SWAPOFF_TIMEOUT_MS 10000
#define NOTED_MAX 64

struct noted {
	int fd;                 /* -1: swapped off, or gone */
	bool stuck;             /* its swapoff timed out: not asked again */
	dev_t dev;
	ino_t ino;
	char path[256];         /* as first seen, for the log */
};

static struct noted noted[NOTED_MAX];
static unsigned nnoted;

static bool in_scope(const struct scope *s, const struct stat *st)
{
	return s->whole_machine || scope_has(s, S_ISBLK(st->st_mode) ? st->st_rdev : st->st_dev);
}

/* The noted swap for path, opening it the first time. NULL when it cannot
 * be opened or is not in scope. */
static struct noted *note(const struct scope *s, const char *path)
{
	struct stat st;
	unsigned i;
	int fd;

	for (i = 0; i < nnoted; i++)
		if (strcmp(noted[i].path, path) == 0)
			return &noted[i];
	if (nnoted == NOTED_MAX)
		return NULL;
	/* O_NONBLOCK|O_NOCTTY: only a reference, no I/O through it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !in_scope(s, &st)) {
		close(fd);
		return NULL;
	}
	for (i = 0; i < nnoted; i++)
		if (noted[i].dev == st.st_dev && noted[i].ino == st.st_ino) {
			close(fd);      /* the same swap under another name */
			return &noted[i];
		}
	noted[nnoted].fd = fd;
	noted[nnoted].stuck = false;
	noted[nnoted].dev = st.st_dev;
	noted[nnoted].ino = st.st_ino;
	snprintf(noted[nnoted].path, sizeof(noted[nnoted].path), "%s", path);
	return &noted[nnoted++];
}

void swap_note_all(const struct scope *s)
{
	struct swap_list l;
	unsigned i;

	if (swaps_read(s->swaps, &l) < 0)
		return;
	for (i = 0; i < l.n; i++)
		if (!note(s, l.v[i].path))
			log_debug("swap %s: cannot keep a reference, swapoff by path", l.v[i].path);
	swaps_free(&l);
}

static int do_swapoff(void *path)
{
	return sys_swapoff(path) < 0 ? -errno : 0;
}

/* Bounded; `what` names the swap as the log and the stuck set know it. */
static int swapoff_bounded(const char *path, const char *shown)
{
	char what[300];

	snprintf(what, sizeof(what), "swapoff %s", shown);
	return spawn_call(do_swapoff, (void *)path, SWAPOFF_TIMEOUT_MS, what);
}

/* Returns 1 swapped off, 0 no longer a swap, -1 still on. */
static int off_noted(struct noted *n, bool last_try, struct stats *st)
{
	char path[64];
	uint64_t t0 = now_ms();
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", n->fd);
	r = swapoff_bounded(path, n->path);
	if (r == 0 || r == -EINVAL) {
		/* EINVAL: not a swap (any more), e.g. a hook swapped it off */
		close(n->fd);
		n->fd = -1;
		if (r < 0)
			return 0;
		st->swapoff++;
		log_info("swapoff %s", n->path);
		layers_note_run("swap", n->path, "off", now_ms() - t0);
		return 1;
	}
	n->stuck = r == SPAWN_TIMEOUT;
	log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_WARN, "swapoff %s: %s%s", n->path,
		r == SPAWN_TIMEOUT ? "timed out" : strerror(-r),
		r == -ENOMEM ? ", not enough memory to page it back in; going on" : "");
	return -1;
}

int swap_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	struct swap_list l;
	bool unopened[NOTED_MAX] = { false };
	unsigned i, failed = 0;
	int left, r;

	/* a swap turned on since the first look is noted now */
	if (swaps_read(s->swaps, &l) < 0)
		memset(&l, 0, sizeof(l));
	for (i = 0; i < l.n && i < NOTED_MAX; i++)
		unopened[i] = !note(s, l.v[i].path);
	for (i = 0; i < nnoted; i++) {
		if (noted[i].fd < 0 || noted[i].stuck) {
			failed += noted[i].stuck;
			continue;
		}
		r = off_noted(&noted[i], last_try, st);
		if (r > 0)
			*changed = true;
		else if (r < 0)
			failed++;
	}
	left = (int)failed;
	/* what could not be opened goes by path, on the whole machine only (in
	 * a child namespace its scope is unknown); while a noted swap failed,
	 * an entry that cannot be opened is most likely that one, renamed by
	 * the detach */
	for (i = 0; i < l.n && i < NOTED_MAX && s->whole_machine && !failed; i++) {
		if (!unopened[i])
			continue;
		uint64_t t0 = now_ms();

		r = swapoff_bounded(l.v[i].path, l.v[i].path);
		if (r == 0) {
			st->swapoff++;
			*changed = true;
			log_info("swapoff %s", l.v[i].path);
			layers_note_run("swap", l.v[i].path, "off", now_ms() - t0);
		} else {
			left++;
			log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_WARN, "swapoff %s: %s", l.v[i].path,
				r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
		}
	}
	swaps_free(&l);
	return left;
}

/* Named by the path first seen: after the detach /proc/swaps shows a swap
 * relative to its detached mount ("/vdc" for /oldroot/dev/vdc). */
unsigned swap_left(const struct scope *s)
{
	struct swap_list l;
	unsigned i, k, n = 0, open_noted = 0;

	for (k = 0; k < nnoted; k++)
		if (noted[k].fd >= 0) {
			log_err("left: swap %s, still on", noted[k].path);
			layers_note_run("swap", noted[k].path, "left, still on", 0);
			open_noted++;
		}
	n = open_noted;
	if (swaps_read(s->swaps, &l) < 0)
		return n;
	/* what was never noted; while a noted one is on, an entry under a
	 * name we do not know is most likely that one */
	for (i = 0; i < l.n && !open_noted; i++) {
		struct stat st;
		bool known = false;

		for (k = 0; !known && k < nnoted; k++)
			known = strcmp(noted[k].path, l.v[i].path) == 0;
		if (known || !(s->whole_machine ||
			       (stat(l.v[i].path, &st) == 0 && in_scope(s, &st))))
			continue;
		log_err("left: swap %s, still on", l.v[i].path);
		layers_note_run("swap", l.v[i].path, "left, still on", 0);
		n++;
	}
	swaps_free(&l);
	return n;
}
