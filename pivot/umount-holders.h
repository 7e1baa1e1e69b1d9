/* umount-holders.h — who holds a busy mount; is a block device still claimed. */
#ifndef UMOUNT_HOLDERS_H
#define UMOUNT_HOLDERS_H

#include <stdbool.h>

/* Log the processes of ours with an fd under target (at most 8), or say
 * that none of ours holds it. */
void umount_name_holders(const char *target);
/* spawn_call body, arg a dev_t *: 0 when nothing claims the block device
 * any more (an O_EXCL open succeeds, or the device is gone); the last close
 * of a block device syncs it, hence a child. */
int umount_bdev_unclaimed(void *p);

#endif
