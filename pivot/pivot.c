/* pivot.c — stage 1 on the old root: private mounts, a size-bounded tmpfs on
 * a directory that already exists (the old root may be read-only), the
 * skeleton and ourselves copied in, pivot_root, fresh API filesystems (the
 * worker's part); the fd cleanup and the re-exec from the tmpfs, so nothing
 * we run is mapped from the old root (PID 1's part). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pivot.h"
#include "scope.h"
#include "skel-check.h"
#include "skel.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "watchdog.h"

/* Where the tmpfs goes: /run is a writable tmpfs on most machines; the
 * others only need to exist. Mounting over one hides it, which is harmless
 * when the machine is going down. */
static const char *const mountpoints[] = {
	"/run/shutdownfs", "/mnt", "/tmp", "/media", "/srv", "/opt", "/root", "/home",
};

static int mount_tmpfs(const struct config *c, char *ret_mp, size_t sz)
{
	char opts[80];
	size_t i;
	int r;

	(void)mkdir("/run/shutdownfs", 0700);
	for (i = 0; i < sizeof(mountpoints) / sizeof(mountpoints[0]); i++) {
		struct stat st;

		if (lstat(mountpoints[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		/* huge pages for big files: copies run about twice as fast
		 * (docs/BENCHMARKS.md); kernels without THP refuse the option */
		snprintf(opts, sizeof(opts), "size=%llu,mode=0755,huge=within_size", c->ramfs_size);
		r = sys_mount("shutdownfs", mountpoints[i], "tmpfs", MS_NOSUID, opts);
		if (r < 0 && errno == EINVAL) {
			snprintf(opts, sizeof(opts), "size=%llu,mode=0755", c->ramfs_size);
			r = sys_mount("shutdownfs", mountpoints[i], "tmpfs", MS_NOSUID, opts);
		}
		if (r == 0) {
			snprintf(ret_mp, sz, "%s", mountpoints[i]);
			return 0;
		}
		log_debug("mount tmpfs on %s: %s", mountpoints[i], strerror(errno));
	}
	return -ENOENT;
}

/* The skeleton, if it is there and safe, opened before the tmpfs is
 * mounted (which may hide it, e.g. skel = /run/shutdownfs); -1 otherwise,
 * and the ramfs holds only us. */
static int skel_open(const struct config *c)
{
	char why[PATH_MAX + 64];
	int r, fd;

	r = skel_check_fits(c->skel, c->ramfs_size, why, sizeof(why), NULL);
	if (r < 0) {
		log_err("skeleton %s: %s; going on with a ramfs holding only shutdownfs, "
			"without hooks", c->skel, r == -ENOENT ? "missing" : why);
		return -1;
	}
	fd = open(c->skel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		log_err("skeleton %s: %s; going on without hooks", c->skel, strerror(errno));
	return fd;
}

static int fill(int src, int root)
{
	struct skel_copy_stats cs = { 0 };
	unsigned long long exe_bytes = 0;
	uint64_t t0 = now_us();
	int r, exe;

	if (src >= 0) {
		r = skel_copy(src, root, &cs);
		/* ENOSPC (it grew since the check), or a half-written tree: a
		 * ramfs holding only us, as for a refused skeleton, never the
		 * fallback on the old root */
		if (r < 0) {
			log_err("skeleton: copy: %s; going on with a ramfs holding only "
				"shutdownfs, without hooks", strerror(-r));
			(void)skel_remove_all(root);
			memset(&cs, 0, sizeof(cs));
		}
	}
	exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return -errno;
	(void)unlinkat(root, RAMFS_SELF + 1, 0);       /* a skeleton's copy of us */
	r = skel_copy_file(exe, root, RAMFS_SELF + 1, 0755, &exe_bytes);
	close(exe);
	if (r < 0)
		return r;
	log_info("ramfs: %u files, %u dirs, %u symlinks, %llu bytes copied in %llu us",
		 cs.files + 1, cs.dirs, cs.links, cs.bytes + exe_bytes,
		 (unsigned long long)(now_us() - t0));
	return 0;
}

static void make_dirs(int root)
{
	static const char *const dirs[] = { "oldroot", "proc", "sys", "dev", "run", "tmp" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		(void)mkdirat(root, dirs[i], 0755);
}

/* PID 1 holds the watchdog open through the old /dev: that mount would
 * stay busy. Move it into the ramfs as switch_root does (devtmpfs pins no
 * block device); a /dev that is no mount of its own is left alone. */
static void dev_keep_watchdog(void)
{
	if (state()->watchdog_fd < 0 || !pivot_is_mountpoint(OLDROOT "/dev"))
		return;
	if (sys_mount(OLDROOT "/dev", "/dev", NULL, MS_MOVE, NULL) < 0)
		log_warn("move %s/dev to /dev: %s, the watchdog keeps it busy", OLDROOT,
			 strerror(errno));
}

int pivot_into_ramfs(const struct config *c, char *mp, size_t mpsz)
{
	int root, r, skel;

	/* pivot_root fails with EINVAL under a shared mount */
	if (sys_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		r = -errno;
		log_err("make mounts private: %s", strerror(errno));
		return r;
	}
	skel = skel_open(c);
	r = mount_tmpfs(c, mp, mpsz);
	if (r < 0) {
		log_err("mount tmpfs: no usable directory");
		if (skel >= 0)
			close(skel);
		return r;
	}
	root = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		r = -errno;
		if (skel >= 0)
			close(skel);
		goto fail;
	}
	r = fill(skel, root);
	if (skel >= 0)
		close(skel);
	if (r == 0)
		make_dirs(root);
	close(root);
	if (r < 0) {
		log_err("ramfs on %s: %s", mp, strerror(-r));
		goto fail;
	}
	if (chdir(mp) < 0 || sys_pivot_root(".", "oldroot") < 0) {
		r = -errno;
		log_err("pivot_root %s: %s", mp, strerror(errno));
		(void)chdir("/");
		goto fail;
	}
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	dev_keep_watchdog();
	pivot_mount_api();
	log_reopen();
	return 0;
fail:
	(void)sys_umount2(mp, MNT_DETACH);
	return r;
}

bool pivot_is_mountpoint(const char *path)
{
	struct stat a, b;
	char parent[64];

	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

void pivot_mount_api(void)
{
	static const struct { const char *path, *type; unsigned long flags; } api[] = {
		{ "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/dev", "devtmpfs", MS_NOSUID },
	};
	size_t i;

	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		(void)mkdir(api[i].path, 0755);
		if (pivot_is_mountpoint(api[i].path))
			continue;
		if (sys_mount(api[i].type, api[i].path, api[i].type, api[i].flags, NULL) < 0)
			log_warn("mount %s: %s", api[i].path, strerror(errno));
	}
}

static bool keep_stdio(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	/* an anonymous pipe or a socket (a test harness's) holds nothing of
	 * the old root; a named FIFO on it would */
	return sf.f_type == PIPEFS_MAGIC || sf.f_type == SOCKFS_MAGIC;
}

void pivot_clean_fds(void)
{
	int logfds[3], fd, nul, con;
	DIR *d;
	struct dirent *de;

	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	con = pidns_is_initial() ? open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK) : -1;
	for (fd = 0; fd <= 2; fd++) {
		int with = fd == 0 ? nul : (con >= 0 ? con : nul);
		if (keep_stdio(fd) || with < 0)
			continue;
		(void)dup2(with, fd);
	}
	if (con >= 0)
		close(con);
	if (nul >= 0)
		close(nul);
	log_fds(logfds);
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d))) {
		fd = atoi(de->d_name);
		if (fd <= 2 || fd == dirfd(d) || fd == logfds[0] || fd == logfds[1] ||
		    fd == logfds[2] || fd == watchdog_fd() || fd == STATE_FD)
			continue;
		close(fd);
	}
	closedir(d);
}

int pivot_reexec(enum action a)
{
	char *argv[] = { (char *)RAMFS_SELF, (char *)action_name(a), NULL };
	static char *const envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
	int r;

	/* the run record travels on STATE_FD, the watchdog on its own fd:
	 * nothing on the command line says "stage 2" (state_adopt()) */
	if (fcntl(STATE_FD, F_SETFD, 0) < 0) {
		log_err("exec %s: no run record to pass (%s), going on from the old binary",
			RAMFS_SELF, strerror(errno));
		return -EBADF;
	}
	log_close();
	execve(RAMFS_SELF, argv, envp);
	r = -errno;
	(void)fcntl(STATE_FD, F_SETFD, FD_CLOEXEC);
	log_open();
	log_err("exec %s: %s, going on from the old binary", RAMFS_SELF, strerror(-r));
	return r;
}
