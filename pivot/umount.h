/* umount.h — unmount everything under the old root, newest first. */
#ifndef UMOUNT_H
#define UMOUNT_H

#include <stdbool.h>

#include "shutdownfs.h"
#include "scope.h"

#define UMOUNT_TIMEOUT_MS 5000  /* one umount/remount call in its child */

/* One pass over s->mountinfo: umount every mount at or under s->oldroot
 * (the fallback, with oldroot "/", keeps "/" and the API filesystems),
 * newest first. *changed is set when the table shrank. Returns the number
 * of mounts still in scope. */
int umount_pass(const struct scope *s, bool *changed, struct stats *st);
/* Last resort for what stayed: remount read-only, then MNT_DETACH, naming
 * the holders. Returns how many were left. */
int umount_finish(const struct scope *s, struct stats *st);
/* After the last teardown pass: a detached mount whose block device is no
 * longer claimed (the loop under it went, its holder died) has closed its
 * filesystem after all; it no longer counts as read-only or detached.
 * Anonymous filesystems (tmpfs, FUSE, NFS) cannot be told, and stay. */
void umount_released(struct stats *st);
/* Mounts in scope right now (for the summary). */
int umount_count(const struct scope *s);

#endif
