/* swaps.h — the one reader of /proc/swaps (libmount parses it), for the
 * run's swapoff and for plan's block graph alike. */
#ifndef SWAPS_H
#define SWAPS_H

#include <stdbool.h>

struct swap_entry {
	char *path;             /* unescaped, " (deleted)" cut off */
	bool is_file;           /* type "file", else a partition */
	unsigned long long size_kib, used_kib;
};

struct swap_list {
	unsigned n;
	struct swap_entry *v;
};

/* Read a swaps file (/proc/swaps or a fixture) into ret; an empty list
 * when it has no entries. Returns 0 or a negative errno (ret empty). */
int swaps_read(const char *path, struct swap_list *ret);
void swaps_free(struct swap_list *l);

#endif
