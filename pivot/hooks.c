/* hooks.c — hooks of one phase, from /hooks.d/PHASE in the ramfs: which files
 * may run, in which order, with which deadline. hooks-run.c runs each one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hooks.h"
#include "hooks-run.h"
#include "layers.h"
#include "log.h"
#include "state.h"
#include "sys.h"

#define HOOKS_MAX 128                   /* per phase; the rest is named and skipped */
#define HOOK_TIMEOUT_DEFAULT_MS 10000
#define HOOK_TIMEOUT_MAX_S 3600
#define HOOK_HEAD_BYTES 4096            /* where `# timeout:` is looked for */
#define HOOK_HEAD_LINES 20

static const char *const phase_names[PHASE__MAX] = {
	[PHASE_PRE_UMOUNT] = "pre-umount",
	[PHASE_TEARDOWN] = "teardown",
	[PHASE_POST_TEARDOWN] = "post-teardown",
	[PHASE_FINAL] = "final",
};

const char *phase_name(enum phase p)
{
	return (unsigned)p < PHASE__MAX ? phase_names[p] : "unknown";
}

/* Editor backups and hidden files are left alone, as run-parts does. */
static bool hook_name_is_candidate(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && name[0] != '.' && name[n - 1] != '~';
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the candidates in dfd, sorted bytewise (no locale in PID 1).
 * Fills names[] with pointers into pool; returns how many. */
static int hooks_list(int dfd, const char *label, char **names, char *pool, size_t poolsz)
{
	DIR *d;
	struct dirent *de;
	size_t used = 0;
	int n = 0, fd = dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		log_warn("hooks %s: cannot list: %s, skipping the phase", label, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name) + 1;

		if (!hook_name_is_candidate(de->d_name))
			continue;
		if (n == HOOKS_MAX || used + len > poolsz) {
			log_warn("hook %s/%s: past the limit of %d hooks per phase, skipped",
				 label, de->d_name, HOOKS_MAX);
			continue;
		}
		names[n++] = memcpy(pool + used, de->d_name, len);
		used += len;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	return n;
}

/* The checked file is the executed file: the O_PATH fd opened here is what
 * gets exec'ed, so a rename in between cannot swap it. Symlinks are not
 * followed (O_NOFOLLOW): a hook is a file in the ramfs, not a pointer out. */
static int hook_open_checked(int dfd, struct hook *h)
{
	struct stat sb;
	const char *why;
	int fd;

	fd = openat(dfd, h->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_warn("hook %s: cannot open: %s, skipped", h->label, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &sb) < 0) {
		log_warn("hook %s: cannot stat: %s, skipped", h->label, strerror(errno));
		close(fd);
		return -EIO;
	}
	why = hook_refusal(&sb);
	if (why) {
		log_warn("hook %s: %s, skipped", h->label, why);
		close(fd);
		return -EPERM;
	}
	h->fd = fd;
	return 0;
}

const char *hook_refusal(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return "a symlink";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!(st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		return "not executable";
	return NULL;
}

/* `# timeout: N` (seconds) among the first lines. Returns ms, or 0. */
unsigned hook_timeout_parse(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int line;

	for (line = 0; line < HOOK_HEAD_LINES && p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;
		unsigned long v = 0;
		int digits = 0;

		if (!eol)
			eol = end;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q < eol && *q == '#') {
			q++;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if ((size_t)(eol - q) > 8 && memcmp(q, "timeout:", 8) == 0) {
				for (q += 8; q < eol && (*q == ' ' || *q == '\t'); q++)
					;
				for (; q < eol && *q >= '0' && *q <= '9' && digits < 6; q++, digits++)
					v = v * 10 + (unsigned long)(*q - '0');
				while (q < eol && (*q == ' ' || *q == '\t' || *q == 's' || *q == '\r'))
					q++;
				if (digits && q == eol && v > 0 && v <= HOOK_TIMEOUT_MAX_S)
					return (unsigned)v * 1000;
				return 0;
			}
		}
		p = eol + 1;
	}
	return 0;
}

/* Reopen through /proc: the O_PATH fd cannot be read, and opening the name
 * again could open another file. Without /proc the default applies. */
static unsigned hook_timeout_read(const struct hook *h, unsigned def_ms)
{
	char path[64], buf[HOOK_HEAD_BYTES];
	ssize_t n;
	unsigned ms;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", h->fd);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return def_ms;
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return def_ms;
	ms = hook_timeout_parse(buf, (size_t)n);
	if (!ms)
		return def_ms;
	log_debug("hook %s: timeout %u ms from its own # timeout: line", h->label, ms);
	return ms;
}

/* Is path what the run needs there: that filesystem type (0: any), and a
 * mount point of its own (not the ramfs's empty directory)? */
static bool api_is_mounted(const char *path, long type)
{
	struct statfs sf;
	struct stat a, b;
	char parent[16];

	snprintf(parent, sizeof(parent), "%s/..", path);
	if (statfs(path, &sf) < 0 || stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev && (type == 0 || (long)sf.f_type == type);
}

int hooks_restore_api(const char *after)
{
	static const struct { const char *path, *type; long magic; unsigned long flags; } api[] = {
		{ "/proc", "proc", PROC_SUPER_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/sys", "sysfs", SYSFS_MAGIC, MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/dev", "devtmpfs", 0, MS_NOSUID },
	};
	struct statvfs sv;
	struct statfs sf;
	size_t i;
	int n = 0;

	/* umount -a ends with umount("/"), which the kernel turns into a
	 * read-only remount of the ramfs: hooks need /tmp, the run /dev nodes */
	if (statvfs("/", &sv) == 0 && (sv.f_flag & ST_RDONLY) && statfs("/", &sf) == 0 &&
	    (long)sf.f_type == TMPFS_MAGIC) {
		if (sys_mount(NULL, "/", NULL, MS_REMOUNT | MS_NOSUID, NULL) == 0) {
			log_warn("%s: the ramfs was read-only, remounted it read-write", after);
			n++;
		} else {
			log_err("remount the ramfs read-write after %s: %s", after, strerror(errno));
		}
	}
	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		if (api_is_mounted(api[i].path, api[i].magic))
			continue;
		(void)mkdir(api[i].path, 0755);
		if (sys_mount(api[i].type, api[i].path, api[i].type, api[i].flags, NULL) < 0) {
			log_err("mount %s after %s: %s, later steps may not see the machine",
				api[i].path, after, strerror(errno));
			continue;
		}
		log_warn("%s: %s was gone, mounted it again", after, api[i].path);
		n++;
	}
	return n;
}

int hooks_run_phase(const char *dir, enum phase p, enum action a,
		    unsigned default_timeout_ms, struct stats *st)
{
	char path[PATH_MAX], pool[HOOKS_MAX * 128];
	char *names[HOOKS_MAX];
	const char *pname = phase_name(p);
	int dfd, n, i, bad = 0;

	/* 0 would mean "forever", which nothing in the run may be. */
	if (!default_timeout_ms)
		default_timeout_ms = HOOK_TIMEOUT_DEFAULT_MS;
	snprintf(path, sizeof(path), "%s/%s", dir, pname);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			log_debug("hooks %s: no %s, nothing to run", pname, path);
		else
			log_warn("hooks %s: cannot open %s: %s, skipping the phase",
				 pname, path, strerror(errno));
		return 0;
	}
	n = hooks_list(dfd, pname, names, pool, sizeof(pool));
	if (n)
		log_info("hooks %s: %d to run", pname, n);
	for (i = 0; i < n; i++) {
		struct hook h = { .phase = pname, .name = names[i], .fd = -1 };
		struct layers_snap snap;
		char step[96];
		enum hook_result r;

		snprintf(h.label, sizeof(h.label), "%s/%s", pname, names[i]);
		if (hook_open_checked(dfd, &h) < 0) {
			bad++;
			continue;
		}
		h.timeout_ms = hook_timeout_read(&h, default_timeout_ms);
		/* so a deadline that fires now names the hook, and the phase's
		 * budget covers the hook's own timeout and its SIGKILL */
		snprintf(step, sizeof(step), "hook %s", h.label);
		state_step(step, h.timeout_ms + 2000);
		layers_hook_before(&snap);
		r = hook_run(&h, a);
		close(h.fd);
		layers_hook_after(&snap, h.label);
		/* a hook's `umount -a` took /proc, /sys or /dev from the ramfs:
		 * the next hook is exec'ed through /proc, the run reads both */
		(void)hooks_restore_api(step);
		if (r != HOOK_OK)
			bad++;
		if (!st)
			continue;
		if (r == HOOK_OK)
			st->hooks_ok++;
		else if (r == HOOK_TIMEOUT)
			st->hooks_timeout++;
		else
			st->hooks_failed++;
	}
	close(dfd);
	return bad;
}
