/* skel.c — copy the checked skeleton into the tmpfs: files, dirs, symlinks
 * as symlinks, hard links kept, modes and owners kept, nothing followed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "skel-check.h"
#include "skel.h"

#define HARDLINK_MAX 1024

struct hardlink {
	dev_t dev;
	ino_t ino;
	char path[256];         /* relative to the destination root */
};

struct copy {
	int dst_root;
	struct skel_copy_stats *st;
	struct hardlink *links;
	unsigned nlinks;
	bool logged;            /* the failing entry is named once, not per level */
};

static int copy_data(int in, int out, unsigned long long *ret_bytes)
{
	bool use_cfr = true;

	for (;;) {
		ssize_t n = -1;

		if (use_cfr) {
			n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
			/* EXDEV/EINVAL/ENOSYS: older kernels, cross-fs; fall back */
			if (n < 0 && errno != ENOSPC && errno != EINTR) {
				use_cfr = false;
				continue;
			}
		} else {
			n = sendfile(out, in, NULL, 1 << 30);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*ret_bytes += (unsigned long long)n;
	}
}

/* The same version of a file or directory: same inode, size, data and
 * metadata times. A tree changed under the copy (a file truncated, grown
 * or rewritten, an entry removed or added) must not reach the ramfs as if
 * it were whole. */
static bool skel_same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_nlink == b->st_nlink &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int skel_copy_file(int src_fd, int dst_dirfd, const char *name, unsigned mode,
		   unsigned long long *ret_bytes)
{
	unsigned long long n = 0;
	struct stat before, after;
	int out, r;

	if (fstat(src_fd, &before) < 0)
		return -errno;
	out = openat(dst_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return -errno;
	r = copy_data(src_fd, out, &n);
	*ret_bytes += n;
	/* read to the end, then compare: fewer bytes than the size said is a
	 * file cut short while we read it (or a pseudo-file), more is one
	 * still being written; either is no whole copy */
	if (r == 0 && (fstat(src_fd, &after) < 0 || n != (unsigned long long)before.st_size ||
		       !skel_same_version(&before, &after)))
		r = -ESTALE;
	if (r == 0 && fchmod(out, mode & 07777) < 0)
		r = -errno;
	close(out);
	if (r < 0)
		(void)unlinkat(dst_dirfd, name, 0);
	return r;
}

static const struct hardlink *link_find(struct copy *cp, const struct stat *st)
{
	unsigned i;

	for (i = 0; i < cp->nlinks; i++)
		if (cp->links[i].dev == st->st_dev && cp->links[i].ino == st->st_ino)
			return &cp->links[i];
	return NULL;
}

static void link_remember(struct copy *cp, const struct stat *st, const char *rel)
{
	if (cp->nlinks >= HARDLINK_MAX || strlen(rel) >= sizeof(cp->links[0].path))
		return;         /* the next name becomes a copy: still correct */
	cp->links[cp->nlinks].dev = st->st_dev;
	cp->links[cp->nlinks].ino = st->st_ino;
	memcpy(cp->links[cp->nlinks++].path, rel, strlen(rel) + 1);
}

static int copy_dir(struct copy *cp, int src, int dst, const char *rel, int depth);

static int copy_entry(struct copy *cp, int src, int dst, const char *name,
		      const char *rel, int depth)
{
	struct stat st;
	char target[4096];
	int r = 0;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		int s2, d2;

		if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
			return -errno;
		s2 = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d2 = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s2 < 0 || d2 < 0) {
			r = -errno;
		} else {
			struct stat after;

			r = copy_dir(cp, s2, d2, rel, depth + 1);
			/* an entry removed or added while we read the directory */
			if (r == 0 && (fstat(s2, &after) < 0 || !skel_same_version(&st, &after)))
				r = -ESTALE;
			if (r == 0 && (fchown(d2, st.st_uid, st.st_gid) < 0 ||
				       fchmod(d2, st.st_mode & 07777) < 0))
				r = -errno;
		}
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
		cp->st->dirs++;
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		cp->st->links++;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		const struct hardlink *hl = st.st_nlink > 1 ? link_find(cp, &st) : NULL;
		int in;

		if (hl) {
			if (linkat(cp->dst_root, hl->path, dst, name, 0) == 0) {
				cp->st->hardlinks++;
				return 0;
			}
		}
		in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return -errno;
		r = skel_copy_file(in, dst, name, st.st_mode, &cp->st->bytes);
		close(in);
		if (r == 0 && fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		/* fchown clears setuid bits; the skeleton check refused those anyway */
		if (r == 0 && st.st_nlink > 1)
			link_remember(cp, &st, rel);
		cp->st->files++;
		return r;
	}
	log_debug("skeleton: %s: not a file, directory or symlink, skipped", rel);
	cp->st->skipped++;
	return 0;
}

static int copy_dir(struct copy *cp, int src, int dst, const char *rel, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (depth > SKEL_MAX_DEPTH)
		return -ELOOP;
	fd = dup(src);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		char sub[4096];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		r = copy_entry(cp, src, dst, de->d_name, sub, depth);
		if (r < 0 && !cp->logged) {
			cp->logged = true;
			log_err("skeleton: copy %s: %s", sub,
				r == -ESTALE ? "changed while being copied" : strerror(-r));
		}
	}
	closedir(d);
	return r;
}

int skel_copy(int src_dirfd, int dst_dirfd, struct skel_copy_stats *ret)
{
	struct copy cp = { dst_dirfd, ret, NULL, 0, false };
	struct stat before, after;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (fstat(src_dirfd, &before) < 0)
		return -errno;
	cp.links = calloc(HARDLINK_MAX, sizeof(*cp.links));
	if (!cp.links)
		return -ENOMEM;
	r = copy_dir(&cp, src_dirfd, dst_dirfd, "", 0);
	free(cp.links);
	if (r == 0 && (fstat(src_dirfd, &after) < 0 || !skel_same_version(&before, &after))) {
		log_err("skeleton: copy .: changed while being copied");
		r = -ESTALE;
	}
	return r;
}

/* Empty dfd, depth first, bounded by the same depth as the copy. Removing
 * while reading a directory may hide entries from that pass: passes repeat
 * (a few) until one finds nothing. */
static int remove_tree(int dfd, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0, pass;
	unsigned found = 1;

	if (depth > SKEL_MAX_DEPTH + 1)
		return -ELOOP;
	fd = dup(dfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	for (pass = 0; pass < 4 && found; pass++, rewinddir(d)) {
		found = 0;
		r = 0;
		while ((de = readdir(d))) {
			int sub;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			found++;
			if (unlinkat(dfd, de->d_name, 0) == 0)
				continue;
			sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				int e = remove_tree(sub, depth + 1);
				close(sub);
				if (e < 0 && r == 0)
					r = e;
			}
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && r == 0)
				r = -errno;
		}
	}
	closedir(d);
	return r;
}

int skel_remove_all(int dirfd)
{
	return remove_tree(dirfd, 0);
}
