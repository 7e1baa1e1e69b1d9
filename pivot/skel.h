/* skel.h — copy the skeleton and the program itself into the ramfs. */
#ifndef SKEL_H
#define SKEL_H

#include <stddef.h>

struct skel_copy_stats {
	unsigned long long bytes;
	unsigned files, dirs, links, hardlinks, skipped;
};

/* Copy the tree under src_dirfd into dst_dirfd: regular files (data with
 * copy_file_range), directories, symlinks as symlinks, hard links kept,
 * modes and owners kept. Never follows a link. Returns 0 or a negative
 * errno (ENOSPC when the tmpfs is too small, ESTALE when a file or a
 * directory changed while it was copied: cut short, grown, rewritten, an
 * entry removed or added). */
int skel_copy(int src_dirfd, int dst_dirfd, struct skel_copy_stats *ret);
/* Remove everything under dirfd (a half-copied skeleton), not dirfd
 * itself. Returns 0 or the first negative errno. */
int skel_remove_all(int dirfd);
/* Copy one open file to dst_dirfd/name with mode; -ESTALE (and no file)
 * when fewer or more bytes than its size were read, or it changed. */
int skel_copy_file(int src_fd, int dst_dirfd, const char *name, unsigned mode,
		   unsigned long long *ret_bytes);

#endif
