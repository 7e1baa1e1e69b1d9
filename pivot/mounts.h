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

/* A copy of one mount, for tables kept past the walk (the block graph,
 * plan). */
struct mount_entry {
	dev_t dev;
	char *target;
	char *source;
	char *fstype;
};

/* Append a copy of fs to *v (*n used, *cap allocated), growing it.
 * 0 or -ENOMEM (then nothing is appended). */
int mounts_append(struct mount_entry **v, unsigned *n, unsigned *cap, struct libmnt_fs *fs);
/* Free n entries and the array. */
void mounts_free(struct mount_entry *v, unsigned n);

/* Called per mount; non-zero stops the walk and is returned. */
typedef int (*mounts_fn)(struct libmnt_fs *fs, void *arg);

/* fn's non-zero value, 0 when every mount was seen, -EIO when MOUNTINFO
 * cannot be read or parsed, -ENOMEM. Logs nothing: the caller says what
 * the failure costs. */
int mounts_each(const char *mountinfo, enum mounts_order order, mounts_fn fn, void *arg);

#endif
