/* mounts.h — the one reader of the mount table: mountinfo, through
 * libmount (which also unescapes paths). Every reader of the run and of
 * plan goes through here; each call reads the table once. */
#ifndef SHUTDOWNFS_MOUNTS_H
#define SHUTDOWNFS_MOUNTS_H

#include <libmount/libmount.h>

enum mounts_order {
	MOUNTS_OLDEST_FIRST,    /* as mounted: parents before children */
	MOUNTS_NEWEST_FIRST,    /* as unmounted */
};

/* Called per mount; non-zero stops the walk and is returned. */
typedef int (*mounts_fn)(struct libmnt_fs *fs, void *arg);

/* fn's non-zero value, 0 when every mount was seen, -EIO when MOUNTINFO
 * cannot be read or parsed, -ENOMEM. Logs nothing: the caller says what
 * the failure costs. */
int mounts_each(const char *mountinfo, enum mounts_order order, mounts_fn fn, void *arg);

#endif
