/* skel-check.h — is the skeleton safe to copy into the ramfs and run hooks
 * from? Used by stage 1 before the copy and by `shutdownfs plan`. */
#ifndef SKEL_CHECK_H
#define SKEL_CHECK_H

#include <stddef.h>

/* One limit for the check and the copy: what passes the check is copied. */
#define SKEL_MAX_DEPTH 64

struct skel_stat {
	unsigned long long bytes;       /* regular file data */
	unsigned long long pages;       /* tmpfs pages it takes: files and long symlinks */
	unsigned files, dirs, links;
};

/* Safe: every directory on the path is root-owned and not writable by group
 * or others (a sticky one, like /tmp, may be: only its owner can move our
 * entry), and everything inside is root-owned, not group/world-writable, not
 * setuid/setgid, and a regular file, directory or symlink. Symlinks on the
 * path are followed by hand, each directory they pass through checked too;
 * symlinks inside are never followed. Returns 0 safe, -EPERM unsafe with why
 * naming the offending path, -ENOENT missing, or another negative errno
 * (-EACCES for a user who cannot read it) with why set. */
int skel_check(const char *path, char *why, size_t whysz);
/* The same, also measuring the tree into ret (may be NULL). */
int skel_check_stat(const char *path, char *why, size_t whysz, struct skel_stat *ret);
/* Bytes of tmpfs the skeleton and the binary (exe_bytes) take: tmpfs counts
 * whole pages. One rule for the run and for plan. */
unsigned long long skel_ramfs_need(const struct skel_stat *st, unsigned long long exe_bytes);
/* skel_check_stat, then whether it fits a tmpfs of ramfs_size with the
 * running binary: -EFBIG with why ("needs 300 MiB ...") when it does not.
 * A skeleton that does not fit gets what a refused one gets: a ramfs
 * holding only shutdownfs. */
int skel_check_fits(const char *path, unsigned long long ramfs_size, char *why, size_t whysz,
		    struct skel_stat *ret);

#endif
