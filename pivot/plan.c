/* plan.c — `shutdownfs plan [--json]`: gathers what a run would do now, as
 * any user and changing nothing; plan-text.c and plan-json.c print it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "killall.h"
#include "mounts.h"
#include "plan.h"
#include "proc.h"
#include "scope.h"
#include "sysfs.h"
#include "plan-data.h"
#include "report.h"

static void add_warn(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_warn(struct plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->nwarn >= PLAN_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(p->warn[p->nwarn++], sizeof(p->warn[0]), fmt, ap);
	va_end(ap);
}

struct plan_mounts_arg {
	struct plan *p;
	unsigned cap;
};

static int plan_mount_found(struct libmnt_fs *fs, void *arg)
{
	struct plan_mounts_arg *a = arg;

	return mounts_append(&a->p->mounts, &a->p->nmounts, &a->cap, fs);
}

/* Newest first, as the run unmounts (mounts.c, like umount.c). */
static int read_mounts(struct plan *p, const char *mountinfo)
{
	struct plan_mounts_arg a = { p, 0 };

	return mounts_each(mountinfo, MOUNTS_NEWEST_FIRST, plan_mount_found, &a);
}

/* Root-owned processes with argv[0][0] == '@' (root storage daemons), and
 * those the config names in `protect`: what the kill would spare. */
static void read_procs(struct plan *p, const char *proc)
{
	struct dirent *de;
	DIR *dir = opendir(proc);

	while (dir && (de = readdir(dir)) && p->nprocs < PLAN_PROCS_MAX) {
		struct plan_proc *pp = &p->procs[p->nprocs];
		char path[PATH_MAX], pdir[PATH_MAX];
		struct proc_stat ps;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(pdir, sizeof(pdir), "%s/%s", proc, de->d_name);
		snprintf(path, sizeof(path), "%s/cmdline", pdir);
		if (sysfs_read(path, pp->argv0, sizeof(pp->argv0)) <= 0)
			continue;       /* kernel thread, or gone */
		if (proc_stat_read(pdir, &ps) == 0)
			snprintf(pp->comm, sizeof(pp->comm), "%s", ps.comm);
		pp->pid = (pid_t)atoi(de->d_name);
		/* the run's own rule (real uid, '@', protect) */
		if (killall_is_protected(p->c, pdir, &pp->by_config))
			p->nprocs++;
	}
	if (dir)
		closedir(dir);
}

static int cmp_hook(const void *a, const void *b)
{
	const struct plan_hook *x = a, *y = b;

	return x->phase != y->phase ? (int)x->phase - (int)y->phase : strcmp(x->name, y->name);
}

static void read_hooks(struct plan *p)
{
	unsigned ph, first = 0;

	for (ph = 0; ph < PHASE__MAX; ph++) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *dir;

		snprintf(path, sizeof(path), "%s/hooks.d/%s", p->c->skel, phase_name(ph));
		dir = opendir(path);
		while (dir && (de = readdir(dir)) && p->nhooks < PLAN_HOOKS_MAX) {
			size_t n = strlen(de->d_name);
			struct plan_hook *h = &p->hooks[p->nhooks];
			struct stat st;

			if (de->d_name[0] == '.' || de->d_name[n - 1] == '~')
				continue;       /* hidden and editor backups, as run-parts */
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			h->phase = ph;
			snprintf(h->name, sizeof(h->name), "%s", de->d_name);
			h->why = hook_refusal(&st);  /* the run's own rule */
			p->nhooks++;
		}
		if (dir)
			closedir(dir);
		qsort(p->hooks + first, p->nhooks - first, sizeof(p->hooks[0]), cmp_hook);
		first = p->nhooks;
	}
}

static bool on_dm_crypt(const struct blockgraph *g, int i, unsigned depth)
{
	const struct bdev *d = &g->devs[i];
	unsigned k;

	if (bdev_is_dm_crypt(d))
		return true;
	if (depth > 64)
		return false;
	for (k = 0; k < d->nslaves; k++)
		if (on_dm_crypt(g, d->slaves[k], depth + 1))
			return true;
	if (d->parent >= 0 && on_dm_crypt(g, d->parent, depth + 1))
		return true;
	return d->backing_on >= 0 && on_dm_crypt(g, d->backing_on, depth + 1);
}

static bool mdmon_protected(const struct plan *p)
{
	unsigned k;

	for (k = 0; k < p->nprocs; k++)
		if (strcmp(p->procs[k].comm, "mdmon") == 0 || strstr(p->procs[k].argv0, "mdmon") ||
		    strcmp(p->procs[k].argv0, "@dmon") == 0)
			return true;
	return false;
}

static void warn_stack(struct plan *p)
{
	unsigned i, crypt = 0;
	int root = -1;

	for (i = 0; i < p->nmounts && root < 0; i++)
		if (strcmp(p->mounts[i].target, "/") == 0)
			root = blockgraph_find_dev(&p->g, p->mounts[i].dev);
	if (root >= 0 && on_dm_crypt(&p->g, root, 0))
		add_warn(p, "root is on dm-crypt: its key is wiped only if the ramfs run "
			 "reaches teardown");
	for (i = 0; i < p->g.n; i++) {
		const struct bdev *d = &p->g.devs[i];
		char label[200];

		crypt += bdev_is_crypt(d) && scope_has(&p->scope, d->dev);
		if (d->kind == BDEV_DM && d->suspended)
			add_warn(p, "%s is suspended: I/O to it blocks until the run resumes it",
				 bdev_label(d, label, sizeof(label)));
		/* the volumes need mdmon, not their container */
		if (d->kind == BDEV_MD && d->container >= 0 && !mdmon_protected(p))
			add_warn(p, "%s has external metadata (container %s) and no protected "
				 "mdmon runs: it cannot be marked clean", d->name,
				 p->g.devs[d->container].name);
	}
	if (crypt && !p->c->kexec_with_keys)
		add_warn(p, "kexec falls back to reboot while a dm-crypt mapping is left "
			 "(kexec_with_keys = no)");
}

/* where the run's record would go; nothing is changed to find out */
static void warn_report(struct plan *p)
{
	struct report_paths rp;
	char why[256];

	report_paths_default(&rp, p->c);
	rp.sys = p->scope.sysfs;
	if (!report_route_possible(p->c, &rp, why, sizeof(why)))
		add_warn(p, "no route keeps the report across the reboot (%s): `shutdownfs last` "
			 "will find nothing", why);
}

static void warn_setup(struct plan *p)
{
	const char *colon = strrchr(p->skel_why, ':');

	if (p->skel_r == -ENOENT)
		add_warn(p, "skeleton %s is missing: the ramfs will hold only shutdownfs, "
			 "hooks will not run", p->c->skel);
	else if (p->skel_r == -EPERM && colon)
		add_warn(p, "skeleton is%s: hooks will not run (%.*s)", colon + 1,
			 (int)(colon - p->skel_why), p->skel_why);
	else if (p->skel_r == -EFBIG)
		add_warn(p, "skeleton does not fit the ramfs: the ramfs will hold only "
			 "shutdownfs, hooks will not run (%s)", p->skel_why);
	else if (p->skel_r < 0)
		add_warn(p, "skeleton cannot be checked: %s", p->skel_why);
	if (p->c->deadline_ms == 0)
		add_warn(p, "no deadline: a stuck device can hang the shutdown for good");
	if (p->c->file[0] && !p->c->file_used && access(p->c->file, F_OK) == 0)
		add_warn(p, "config file %s is ignored: it must be root-owned and not "
			 "writable by group or others", p->c->file);
	if (geteuid() != 0)
		add_warn(p, "not running as root: what the devices hold is not shown");
	warn_report(p);
}

int plan_collect(struct plan *p, const struct config *c, const struct plan_paths *paths)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->c = c;
	scope_init(&p->scope, paths->whole_machine, "/");
	p->scope.sysfs = paths->sysfs;
	p->scope.mountinfo = paths->mountinfo;
	p->scope.swaps = paths->swaps;
	if (!paths->whole_machine)
		(void)scope_collect(&p->scope);  /* an empty scope shows nothing to do */
	r = blockgraph_load(&p->g, &p->scope);
	if (r < 0)
		memset(&p->g, 0, sizeof(p->g));  /* no sysfs: mounts and the rest still show */
	p->steps = blockgraph_order(&p->g, &p->scope);
	if (paths->probe && geteuid() == 0)
		(void)blockgraph_probe(&p->g);
	(void)read_mounts(p, paths->mountinfo);
	read_procs(p, paths->proc);
	read_hooks(p);
	(void)init_route_probe(&p->route, paths->proc, paths->root ? paths->root : "");
	p->skel_r = skel_check_fits(c->skel, c->ramfs_size, p->skel_why, sizeof(p->skel_why),
				    &p->skel_st);
	warn_stack(p);
	warn_setup(p);
	return 0;
}

void plan_free(struct plan *p)
{
	mounts_free(p->mounts, p->nmounts);
	blockgraph_free(&p->g);
}

int plan_write(FILE *f, const struct config *c, const struct plan_paths *paths, bool json,
	       bool colour)
{
	struct plan *p = malloc(sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	r = plan_collect(p, c, paths);
	if (r == 0) {
		if (json)
			plan_print_json(f, p);
		else
			plan_print_text(f, p, colour);
	}
	plan_free(p);
	free(p);
	return fflush(f) == 0 ? r : -EIO;
}

int plan_run(const struct config *c, bool json)
{
	struct plan_paths paths = {
		.sysfs = "/sys",
		.mountinfo = "/proc/self/mountinfo",
		.swaps = "/proc/swaps",
		.proc = "/proc",
		.whole_machine = pidns_is_initial(),
		.probe = true,
	};

	return plan_write(stdout, c, &paths, json, !json && isatty(STDOUT_FILENO));
}
