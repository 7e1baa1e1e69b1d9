/* swaps.c — /proc/swaps through libmount: its parser unescapes the \ooo of
 * names with spaces and cuts the " (deleted)" of a removed swap file. */
#include <errno.h>
#include <libmount/libmount.h>
#include <stdlib.h>
#include <string.h>

#include "swaps.h"

#define SWAPS_MAX 64            /* the kernel allows MAX_SWAPFILES (about 30) */

void swaps_free(struct swap_list *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int swaps_read(const char *path, struct swap_list *ret)
{
	struct libmnt_table *tb = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!tb || !it) {
		r = -ENOMEM;
		goto out;
	}
	r = mnt_table_parse_swaps(tb, path);
	if (r < 0)
		goto out;
	ret->v = calloc(SWAPS_MAX, sizeof(*ret->v));
	if (!ret->v) {
		r = -ENOMEM;
		goto out;
	}
	while (ret->n < SWAPS_MAX && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *src = mnt_fs_get_source(fs), *type = mnt_fs_get_swaptype(fs);
		struct swap_entry *e = &ret->v[ret->n];

		if (!src || src[0] != '/')
			continue;
		e->path = strdup(src);
		if (!e->path) {
			r = -ENOMEM;
			break;
		}
		e->is_file = type && strcmp(type, "file") == 0;
		e->size_kib = (unsigned long long)mnt_fs_get_size(fs);
		e->used_kib = (unsigned long long)mnt_fs_get_usedsize(fs);
		ret->n++;
	}
out:
	mnt_free_iter(it);
	mnt_unref_table(tb);
	if (r < 0)
		swaps_free(ret);
	return r < 0 ? r : 0;
}
