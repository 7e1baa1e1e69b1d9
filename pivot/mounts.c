/* mounts.c — the mount table, read one way for the whole program. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int mounts_append(struct mount_entry **v, unsigned *n, unsigned *cap, struct libmnt_fs *fs)
{
	const char *tg = mnt_fs_get_target(fs), *src = mnt_fs_get_source(fs);
	const char *t = mnt_fs_get_fstype(fs);
	struct mount_entry *m;

	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 64;
		struct mount_entry *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	m = &(*v)[*n];
	m->dev = mnt_fs_get_devno(fs);
	m->target = strdup(tg ? tg : "?");
	m->source = strdup(src ? src : "none");
	m->fstype = strdup(t ? t : "?");
	if (!m->target || !m->source || !m->fstype) {
		free(m->target);
		free(m->source);
		free(m->fstype);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

void mounts_free(struct mount_entry *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		free(v[i].target);
		free(v[i].source);
		free(v[i].fstype);
	}
	free(v);
}
