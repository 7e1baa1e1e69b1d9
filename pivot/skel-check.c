/* skel-check.c — the skeleton's safety verdict, before stage 1 copies it into
 * the ramfs where its hooks run as root: whoever can write to it or to a
 * directory above it owns the machine at the next shutdown. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skel-check.h"

#define SKEL_MAX_LINKS 40       /* the kernel's own limit on a lookup */
#define SKEL_MAX_ENTRIES 200000
#define TMPFS_PAGE 4096ULL
#define TMPFS_SHORT_SYMLINK 128 /* shmem keeps shorter targets in the inode */

static int unsafe(char *why, size_t sz, int r, const char *fmt, const char *path,
		  const char *what)
{
	snprintf(why, sz, fmt, path, what);
	return r;
}

static const char *writable_by(mode_t m)
{
	return (m & S_IWOTH) ? "world-writable" : "group-writable";
}

/* One directory on the path. A sticky one (/tmp) may be writable by others:
 * only the owner of an entry can rename or remove it. */
static int check_dir(const struct stat *st, const char *shown, bool on_path, char *why,
		     size_t sz)
{
	if (st->st_uid != 0) {
		char uid[32];
		snprintf(uid, sizeof(uid), "owned by uid %u", (unsigned)st->st_uid);
		return unsafe(why, sz, -EPERM, "%s: %s", shown, uid);
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(on_path && (st->st_mode & S_ISVTX)))
		return unsafe(why, sz, -EPERM, "%s: %s", shown, writable_by(st->st_mode));
	return 0;
}

static void shown_add(char *shown, size_t sz, const char *comp)
{
	size_t n = strlen(shown);

	snprintf(shown + n, sz - n, "%s%s", n && shown[n - 1] == '/' ? "" : "/", comp);
}

static void shown_up(char *shown)
{
	char *slash = strrchr(shown, '/');

	if (slash && slash != shown)
		*slash = '\0';
	else
		snprintf(shown, 2, "/");
}

static int open_root(char *shown, char *why, size_t sz)
{
	struct stat st;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	snprintf(shown, 2, "/");
	if (fstat(fd, &st) < 0 || (r = check_dir(&st, "/", true, why, sz)) < 0) {
		close(fd);
		return r < 0 ? r : -errno;
	}
	return fd;
}

/* Take the next component off the front of rest into comp. */
static bool next_comp(char *rest, char *comp, size_t sz)
{
	size_t skip = strspn(rest, "/"), n;

	n = strcspn(rest + skip, "/");
	if (n == 0)
		return false;
	snprintf(comp, sz, "%.*s", (int)n, rest + skip);
	memmove(rest, rest + skip + n, strlen(rest + skip + n) + 1);
	return true;
}

/* Walk to the skeleton from /, one component at a time, following symlinks
 * by hand so that every directory a lookup passes through is checked.
 * Returns an fd on the skeleton directory. */
static int walk_path(const char *path, char *shown, size_t shownsz, char *why, size_t sz)
{
	char rest[2 * PATH_MAX], comp[NAME_MAX + 1], target[PATH_MAX];
	unsigned links = 0;
	int dfd, r = 0;

	if (path[0] != '/')
		return unsafe(why, sz, -EINVAL, "%s: %s", path, "not an absolute path");
	snprintf(rest, sizeof(rest), "%s", path);
	dfd = open_root(shown, why, sz);
	while (dfd >= 0 && next_comp(rest, comp, sizeof(comp))) {
		struct stat st, st2;
		int nfd;

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			shown_up(shown);
		} else {
			if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				r = -errno;
				shown_add(shown, shownsz, comp);
				break;
			}
			if (S_ISLNK(st.st_mode)) {
				ssize_t n = readlinkat(dfd, comp, target, sizeof(target) - 1);
				if (n <= 0 || ++links > SKEL_MAX_LINKS) {
					r = n < 0 ? -errno : -ELOOP;
					shown_add(shown, shownsz, comp);
					break;
				}
				target[n] = '\0';
				if (strlen(target) + strlen(rest) + 2 > sizeof(rest)) {
					r = -ENAMETOOLONG;
					break;
				}
				memmove(rest + n + 1, rest, strlen(rest) + 1);
				memcpy(rest, target, (size_t)n);
				rest[n] = '/';
				if (target[0] == '/') {
					close(dfd);
					dfd = open_root(shown, why, sz);
				}
				continue;
			}
			shown_add(shown, shownsz, comp);
			if (!S_ISDIR(st.st_mode)) {
				r = unsafe(why, sz, -ENOTDIR, "%s: %s", shown, "not a directory");
				break;
			}
		}
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			r = -errno;
			break;
		}
		close(dfd);
		dfd = nfd;
		/* checked on the open fd: what we stat is what we walk into */
		if (fstat(dfd, &st2) < 0 || (r = check_dir(&st2, shown, true, why, sz)) < 0)
			break;
	}
	if (r == 0 && dfd >= 0)
		return dfd;
	if (dfd >= 0)
		close(dfd);
	if (dfd < 0 && r == 0)
		r = dfd;
	if (!why[0])
		snprintf(why, sz, "%s: %s", shown, r == -ENOENT ? "missing" : strerror(-r));
	return r;
}

struct walk {
	struct skel_stat st;
	unsigned entries;
	char *why;
	size_t whysz;
};

static int check_entry(int dfd, const char *name, const char *rel, struct walk *w,
		       unsigned depth);

static int walk_tree(int dfd, const char *rel, struct walk *w, unsigned depth)
{
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	if (depth > SKEL_MAX_DEPTH)
		return unsafe(w->why, w->whysz, -ELOOP, "%s: %s", rel, "nested too deep");
	fd = dup(dfd);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return unsafe(w->why, w->whysz, -errno, "%s: %s", rel, strerror(errno));
	}
	while (r == 0 && (de = readdir(dir))) {
		char sub[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > SKEL_MAX_ENTRIES)
			r = unsafe(w->why, w->whysz, -EFBIG, "%s: %s", rel, "too many entries");
		else if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
			r = unsafe(w->why, w->whysz, -ENAMETOOLONG, "%s: %s", rel, "path too long");
		else
			r = check_entry(dirfd(dir), de->d_name, sub, w, depth);
	}
	closedir(dir);
	return r;
}

static int check_entry(int dfd, const char *name, const char *rel, struct walk *w,
		       unsigned depth)
{
	struct stat st;
	int fd, r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return unsafe(w->why, w->whysz, -errno, "%s: %s", rel, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		r = check_dir(&st, rel, false, w->why, w->whysz);
		if (r < 0)
			return r;
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return unsafe(w->why, w->whysz, -errno, "%s: %s", rel, strerror(errno));
		w->st.dirs++;
		r = walk_tree(fd, rel, w, depth + 1);
		close(fd);
		return r;
	}
	if (st.st_uid != 0)
		return unsafe(w->why, w->whysz, -EPERM, "%s: %s", rel, "not owned by root");
	if (S_ISLNK(st.st_mode)) {
		w->st.links++;  /* copied as a link, never followed */
		if (st.st_size >= TMPFS_SHORT_SYMLINK)
			w->st.pages++;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return unsafe(w->why, w->whysz, -EPERM, "%s: %s", rel,
			      "not a regular file, directory or symlink");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return unsafe(w->why, w->whysz, -EPERM, "%s: %s", rel, writable_by(st.st_mode));
	if (st.st_mode & (S_ISUID | S_ISGID))
		return unsafe(w->why, w->whysz, -EPERM, "%s: %s", rel, "setuid or setgid");
	w->st.files++;
	w->st.bytes += (unsigned long long)st.st_size;
	w->st.pages += ((unsigned long long)st.st_size + TMPFS_PAGE - 1) / TMPFS_PAGE;
	return 0;
}

int skel_check_stat(const char *path, char *why, size_t whysz, struct skel_stat *ret)
{
	struct walk w;
	char shown[PATH_MAX];
	struct stat st;
	int fd, r;

	memset(&w, 0, sizeof(w));
	w.why = why;
	w.whysz = whysz;
	why[0] = '\0';
	if (ret)
		memset(ret, 0, sizeof(*ret));
	fd = walk_path(path, shown, sizeof(shown), why, whysz);
	if (fd < 0)
		return fd == -ENOTDIR ? -EPERM : fd;
	/* the skeleton itself gets no sticky exemption */
	r = fstat(fd, &st) < 0 ? -errno : check_dir(&st, shown, false, why, whysz);
	if (r == 0)
		r = walk_tree(fd, shown, &w, 0);
	close(fd);
	if (ret)
		*ret = w.st;
	return r;
}

int skel_check(const char *path, char *why, size_t whysz)
{
	return skel_check_stat(path, why, whysz, NULL);
}

unsigned long long skel_ramfs_need(const struct skel_stat *st, unsigned long long exe_bytes)
{
	return (st->pages + (exe_bytes + TMPFS_PAGE - 1) / TMPFS_PAGE) * TMPFS_PAGE;
}

static void mib(char *buf, size_t sz, unsigned long long b)
{
	snprintf(buf, sz, "%llu.%01llu MiB", b >> 20, ((b & ((1 << 20) - 1)) * 10) >> 20);
}

int skel_check_fits(const char *path, unsigned long long ramfs_size, char *why, size_t whysz,
		    struct skel_stat *ret)
{
	struct skel_stat st;
	struct stat exe;
	unsigned long long need;
	char a[32], b[32];
	int r = skel_check_stat(path, why, whysz, &st);

	if (ret)
		*ret = st;
	if (r < 0)
		return r;
	need = skel_ramfs_need(&st, stat("/proc/self/exe", &exe) == 0 ?
			       (unsigned long long)exe.st_size : 0);
	if (need <= ramfs_size)
		return 0;
	mib(a, sizeof(a), need);
	mib(b, sizeof(b), ramfs_size);
	snprintf(why, whysz, "needs %s of tmpfs with shutdownfs, ramfs_size is %s", a, b);
	return -EFBIG;
}
