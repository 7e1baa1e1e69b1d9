/* umount-batch.h — many umount2/remount calls in one bounded child that
 * reports each result over a pipe: no fork per mount, and a call that
 * hangs is named, the rest go on in a fresh child. */
#ifndef UMOUNT_BATCH_H
#define UMOUNT_BATCH_H

#include <stddef.h>

enum umount_op {
	UMOUNT_OP_UMOUNT,       /* umount2(path, flags) */
	UMOUNT_OP_REMOUNT_RO,   /* mount(NULL, path, NULL, MS_REMOUNT|MS_RDONLY) */
};

struct umount_call {
	const char *path;
	enum umount_op op;
	int flags;              /* umount2 flags for UMOUNT_OP_UMOUNT */
	int result;             /* 0, a negative errno, or SPAWN_TIMEOUT */
};

/* Run calls[0..n) in order. Each call gets timeout_ms from the report of
 * the one before; one that overruns gets SPAWN_TIMEOUT, its child is
 * SIGKILLed and left to the reaper (it may sit in D state), and a fresh
 * child takes the next call. A child that dies leaves -EINTR on the call
 * it was on. Returns the number of calls that overran. */
unsigned umount_batch_run(struct umount_call *calls, size_t n, unsigned timeout_ms);

#endif
