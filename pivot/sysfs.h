/* sysfs.h — small readers of /sys (the root is a parameter so fixture trees
 * stand in) shared by scope, the detach-* steps, blockgraph and plan. */
#ifndef SYSFS_H
#define SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shutdownfs.h"
#include "scope.h"

/* Read a small file (sysfs, /proc), trailing newline and spaces cut; buf is
 * "" on error. Returns length or -errno. */
int sysfs_read(const char *path, char *buf, size_t sz);
/* The same for a path relative to the directory dfd: one lookup, where a
 * whole path walks /sys and class/block's symlink again for each file. */
int sysfs_read_at(int dfd, const char *rel, char *buf, size_t sz);
/* "MAJ:MIN" file -> dev_t. */
int sysfs_read_devno(const char *path, dev_t *ret);
/* SYSFS/class/block/NAME/holders has an entry. */
bool sysfs_has_holders(const char *sysfs, const char *name);
/* A mount in s->mountinfo, or a swap in s->swaps, uses dev. */
bool sysfs_dev_mounted(const struct scope *s, dev_t dev);

#endif
