/* skel-check.h — is the skeleton safe to copy into the ramfs and run hooks
 * from? Used by stage 1 before the copy and by `shutdownfs plan`. */
#ifndef SKEL_CHECK_H
#define SKEL_CHECK_H

#include <stddef.h>

struct skel_stat {
	unsigned long long bytes;       /* regular file data */
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

#endif
