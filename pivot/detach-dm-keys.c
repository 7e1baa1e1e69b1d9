/* detach-dm-keys.c — are dm-crypt keys left in kernel memory? Asked just
 * before reboot(2), so that kexec is refused while a key would survive into
 * the next kernel. A device counts by cryptsetup's CRYPT- uuid or by a
 * `crypt` target in its live or inactive table (DM_TABLE_STATUS): a mapping
 * made with plain `dmsetup create` has no uuid. It fails closed: what cannot
 * be asked is reported as "keys may be left". */
#include <errno.h>
#include <sys/ioctl.h>    /* before dm-ioctl.h, which uses _IOWR */
#include <linux/dm-ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockgraph.h"
#include "log.h"
#include "scope.h"
#include "spawn.h"
#include "teardown.h"

#define KEYS_TIMEOUT_MS 5000
#define TABLE_BUF (16 << 10)    /* status lines of crypt are empty: many targets fit */

static uint64_t encode_dev(dev_t dev)   /* the kernel's huge_decode_dev() inverse */
{
	uint64_t ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffULL) << 12);
}

/* 1: a crypt target in that table, 0: none (or no such table), <0: cannot
 * tell. STATUSTYPE_INFO, not the table: a crypt table line holds the key.
 * DM_NOFLUSH_FLAG: a thin pool's status would otherwise commit metadata. */
static int table_has_crypt(int ctl, dev_t dev, bool inactive)
{
	union { struct dm_ioctl io; char buf[TABLE_BUF]; } u;
	const char *data;
	unsigned i, off = 0;

	memset(&u.io, 0, sizeof(u.io));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(u.io);
	u.io.dev = encode_dev(dev);
	u.io.flags = DM_NOFLUSH_FLAG | (inactive ? DM_QUERY_INACTIVE_TABLE_FLAG : 0);
	if (bdev_ioctl(ctl, DM_TABLE_STATUS, &u.io) < 0)
		return errno == ENXIO ? 0 : -errno;     /* ENXIO: gone meanwhile */
	if (u.io.flags & DM_BUFFER_FULL_FLAG)
		return -ENOBUFS;
	if (u.io.data_start < sizeof(u.io) || u.io.data_start >= sizeof(u))
		return -EPROTO;
	data = u.buf + u.io.data_start;
	for (i = 0; i < u.io.target_count; i++) {
		const struct dm_target_spec *t = (const void *)(data + off);

		if (u.io.data_start + off + sizeof(*t) > sizeof(u))
			return -EPROTO;
		if (strncmp(t->target_type, "crypt", sizeof(t->target_type)) == 0)
			return 1;
		if (t->next <= off)
			break;          /* the last spec, or a loop: stop either way */
		off = t->next;
	}
	return 0;
}

struct keys_arg {
	const struct scope *s;
	int *ret;               /* shared with the parent: count or -errno */
};

static int keys_count(void *p)
{
	const struct keys_arg *a = p;
	const struct scope *s = a->s;
	struct blockgraph g;
	unsigned i, n = 0;
	int ctl = -1, r = 0;

	r = blockgraph_read(&g, s->sysfs);
	if (r < 0) {
		*a->ret = r;
		return 0;
	}
	for (i = 0; i < g.n && r >= 0; i++) {
		const struct bdev *d = &g.devs[i];
		int live, inact;

		if (d->kind != BDEV_DM || !scope_has(s, d->dev))
			continue;
		if (bdev_is_crypt(d)) {
			n++;
			continue;
		}
		if (ctl < 0 && (ctl = dm_control_open(s->sysfs)) < 0) {
			r = ctl;
			break;
		}
		live = table_has_crypt(ctl, d->dev, false);
		inact = live == 0 ? table_has_crypt(ctl, d->dev, true) : 0;
		if (live < 0 || inact < 0)
			r = live < 0 ? live : inact;
		else if (live || inact)
			n++;
	}
	if (ctl >= 0)
		close(ctl);
	blockgraph_free(&g);
	*a->ret = r < 0 ? r : (int)n;
	return 0;
}

int dm_crypt_left(const struct scope *s)
{
	int *shared, r;
	struct keys_arg a = { s, NULL };

	/* no dm disk at all: nothing to ask, and no child to ask it */
	r = blockgraph_census(s->sysfs);
	if (r >= 0 && !(r & BDEV_MAYBE_DM))
		return 0;
	/* a shared page carries the answer back from the bounded child */
	shared = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		r = -errno;
		log_err("dm-crypt keys: %s, cannot tell whether keys are left", strerror(-r));
		return r;
	}
	*shared = -EIO;
	a.ret = shared;
	r = spawn_call(keys_count, &a, KEYS_TIMEOUT_MS, "dm-crypt key check");
	if (r == 0)
		r = *shared;
	else if (r == SPAWN_TIMEOUT)
		r = -ETIMEDOUT;
	(void)munmap(shared, sizeof(int));
	if (r < 0)
		log_err("dm-crypt keys: %s, cannot tell whether keys are left; counting them "
			"as left", strerror(-r));
	return r;
}
