/* seams.h — what unit tests replace, and nothing the run calls: the run
 * links sys-linux.c (sys.h), the tests tests/unit/fake-sys.c; the block
 * graph's ioctls and device opens go through these hooks when set. */
#ifndef SHUTDOWNFS_SEAMS_H
#define SHUTDOWNFS_SEAMS_H

#include <sys/types.h>

/* bdev-node.c */
struct blockgraph_hooks {
	int (*ioctl)(int fd, unsigned long req, void *arg);
	/* open a block device (what == NULL) or the dm control node */
	int (*open_node)(const char *what, dev_t dev, int flags);
};
/* Unit tests route ioctls and opens through h; NULL restores sys_ioctl()
 * and real nodes. */
void blockgraph_set_hooks(const struct blockgraph_hooks *h);

#endif
