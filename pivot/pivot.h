/* pivot.h — stage 1: tmpfs from the skeleton, pivot_root, re-exec. */
#ifndef PIVOT_H
#define PIVOT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define RAMFS_SELF "/shutdownfs"
#define OLDROOT "/oldroot"

/* Build the ramfs and pivot into it: after success "/" is the tmpfs, the old
 * root is at /oldroot, and fresh proc, sysfs and devtmpfs are mounted.
 * On failure nothing is pivoted and the old root is as it was (but private).
 * Returns 0 or a negative errno. */
int pivot_into_ramfs(const struct config *c, char *ret_mp, size_t mpsz);
/* Mount proc, sysfs and devtmpfs at /proc, /sys, /dev where missing. */
void pivot_mount_api(void);
/* stdio onto /dev/console (in the initial PID namespace; /dev/null
 * otherwise; pipes and sockets of a test harness are kept), every other fd
 * closed but the log's, the watchdog's and the run record's. Nothing may
 * keep an fd on the old root: stage 1 does it first thing, so that even the
 * fallback can remount "/" read-only. */
void pivot_clean_fds(void);
/* execve RAMFS_SELF for stage 2 with the run record on STATE_FD. Returns
 * only on failure (negative errno). */
int pivot_reexec(enum action a);
/* path is a mount point (its device differs from its parent's). */
bool pivot_is_mountpoint(const char *path);

#endif
