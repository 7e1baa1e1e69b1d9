/* mounts.c — the mount table, read one way for the whole program. */
#include <errno.h>

#include "mounts.h"

int mounts_each(const char *mountinfo, enum mounts_order order, mounts_fn fn, void *arg)
{
	struct libmnt_table *tb = mnt_new_table_from_file(mountinfo);
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	int r = 0;

	if (!tb)
		return -EIO;
	it = mnt_new_iter(order == MOUNTS_NEWEST_FIRST ? MNT_ITER_BACKWARD : MNT_ITER_FORWARD);
	if (!it) {
		mnt_unref_table(tb);
		return -ENOMEM;
	}
	while (r == 0 && mnt_table_next_fs(tb, it, &fs) == 0)
		r = fn(fs, arg);
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return r;
}
