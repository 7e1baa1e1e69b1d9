/* blockgraph.h — the block device graph read from sysfs (holders/, slaves/),
 * the mounts and swaps on it, and the teardown order: shared by the native
 * teardown (detach-dm.c, detach-md.c), blockgraph_left() and the plan. */
#ifndef BLOCKGRAPH_H
#define BLOCKGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shutdownfs.h"
#include "mounts.h"
#include "scope.h"

enum bdev_kind {
	BDEV_DISK = 0,
	BDEV_PART,
	BDEV_DM,
	BDEV_MD,
	BDEV_LOOP,
};

#define BDEV_NAME_MAX 32
#define BDEV_LINKS_MAX 64

struct bdev {
	char name[BDEV_NAME_MAX];       /* kernel name: dm-3, md127, loop0, vda1 */
	dev_t dev;
	enum bdev_kind kind;
	unsigned long long size;        /* bytes */
	char dm_name[128];
	char dm_uuid[130];
	bool suspended;                 /* dm/suspended */
	char md_state[24];              /* md/array_state */
	char md_metadata[48];           /* md/metadata_version */
	char md_level[16];
	char *loop_backing;             /* NULL when the loop device is unbound */
	bool loop_autoclear;
	char holds[32];                 /* libblkid TYPE or PTTYPE, "" unknown */
	int parent;                     /* the disk of a partition, else -1 */
	int container;                  /* md: its external-metadata container, else -1 */
	int backing_on;                 /* loop: device holding the backing file, else -1 */
	unsigned nholders, nslaves;
	int holders[BDEV_LINKS_MAX];    /* indexes into the graph */
	int slaves[BDEV_LINKS_MAX];
	int step;                       /* teardown step from 1, 0: not torn down */
	int level_;                     /* blockgraph_order() scratch */
};

struct bswap {
	char *path;
	bool is_file;
	int dev;                        /* graph index of a swap partition, else -1 */
};

struct blockgraph {
	unsigned n;
	struct bdev *devs;
	unsigned nmounts;
	struct mount_entry *mounts;
	unsigned nswaps;
	struct bswap *swaps;
};

/* blockgraph.c: sysfs */
/* Read every device of sysfs/class/block with its links. Returns 0 or a
 * negative errno; an unreadable attribute just stays empty. */
int blockgraph_read(struct blockgraph *g, const char *sysfs);
void blockgraph_free(struct blockgraph *g);
int blockgraph_find(const struct blockgraph *g, const char *name);
int blockgraph_find_dev(const struct blockgraph *g, dev_t dev);
/* Device i is gone: the devices under it no longer list it as a holder, so
 * later steps on the same graph do not see them as held by it. */
void blockgraph_forget(struct blockgraph *g, int i);
/* A first look at sysfs/class/block by name alone: the kinds of device the
 * native teardown removes that may be there. dm disks are always dm-N and md
 * arrays mdN (partitions included: a maybe), a loop counts only when bound.
 * A bit left clear is a promise that no device of that kind exists; a bit set
 * only a maybe, for blockgraph_read() to decide. Returns the bits or -errno. */
#define BDEV_MAYBE_DM 1
#define BDEV_MAYBE_MD 2
#define BDEV_MAYBE_LOOP 4
int blockgraph_census(const char *sysfs);
/* sysfs/class/block/NAME is gone, or now carries another device number. */
bool bdev_gone(const char *sysfs, const struct bdev *d);
/* Re-read one attribute, e.g. "md/array_state", into buf. */
int bdev_attr(const char *sysfs, const char *name, const char *attr, char *buf, size_t sz);
/* Holders now, re-read from sysfs (a pass removes holders as it goes);
 * the first one's name into first. Returns the count or -errno. */
int bdev_holders_now(const char *sysfs, const char *name, char *first, size_t sz);
/* dm/uuid CRYPT-*: counts for crypt_left= (dm-integrity too, it may be keyed) */
bool bdev_is_crypt(const struct bdev *d);
/* a dm-crypt table proper: its removal wipes the volume key */
bool bdev_is_dm_crypt(const struct bdev *d);
/* "dm-3 (luks-root)", "md127", for the log. */
const char *bdev_label(const struct bdev *d, char *buf, size_t sz);

/* blockgraph-use.c: mounts, swaps, order, what is left */
int blockgraph_read_mounts(struct blockgraph *g, const char *mountinfo);
int blockgraph_read_swaps(struct blockgraph *g, const char *swaps);
/* All three from the scope's paths. */
int blockgraph_load(struct blockgraph *g, const struct scope *s);
/* First mount of device i, or NULL. */
const char *bdev_mountpoint(const struct blockgraph *g, int i);
bool bdev_is_swap(const struct blockgraph *g, int i);
/* Why device i cannot go now: "held by dm-4", "mounted on /home", "swap";
 * "" when nothing in the graph holds it. */
const char *bdev_why_busy(const struct blockgraph *g, int i, char *buf, size_t sz);
/* dm, md and bound loop devices: what the native teardown removes. */
bool bdev_is_removable(const struct bdev *d);
/* Teardown step of every removable device in scope: 1 for the top of each
 * stack, and a device's step comes after the steps of everything above it
 * (holders, partitions, loop devices backed by a file on it, the member
 * arrays of an md container). Mounts go before step 1. Returns the last step. */
int blockgraph_order(struct blockgraph *g, const struct scope *s);
/* Device indexes sorted by step, then name; returns the count. */
unsigned blockgraph_sorted(const struct blockgraph *g, int *ret, unsigned max);
/* The start of every teardown pass: load the graph from the scope's paths,
 * order it, and list the devices by step into *ret_order (malloc'ed; free it
 * and the graph). Returns 0 or blockgraph_load()'s negative errno, with
 * nothing to free on error. */
int blockgraph_load_ordered(struct blockgraph *g, const struct scope *s,
			    int **ret_order, unsigned *ret_n);

/* bdev-node.c: device nodes, libblkid (the tests' seam: seams.h) */
int bdev_ioctl(int fd, unsigned long req, void *arg);
/* Open the block device dev by number: DEVDIR/NAME, DEVDIR/block/MAJ:MIN, or
 * a private node made and unlinked at once. Returns an fd or -errno. */
int bdev_open(const char *name, dev_t dev, int flags);
/* /dev/mapper/control, made from sysfs/class/misc/device-mapper/dev when
 * missing. Returns an fd or -errno. */
int dm_control_open(const char *sysfs);
/* Fill holds[] with what libblkid finds, skipping empty and suspended
 * devices and anything stacked on a suspended one (a read would block).
 * Devices that cannot be opened stay "". Returns how many were probed. */
unsigned blockgraph_probe(struct blockgraph *g);
/* The first process with the device open ("pid 412 (mdadm)"), "" if none:
 * matched by the names of /proc/PID/fd links, never by stat(). */
const char *bdev_opener(const struct bdev *d, const char *proc, char *buf, size_t sz);
/* Is any device at or below i suspended? Calls on such a stack can block. */
bool bdev_on_suspended(const struct blockgraph *g, int i);

#endif
