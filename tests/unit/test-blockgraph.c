/* test-blockgraph.c — the sysfs graph and the teardown order on fixture trees
 * named after the stacks they reproduce (tests/fixtures/sysfs/). */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "harness.h"
#include "fixture-path.h"
#include "blockgraph.h"
#include "scope.h"
#include "seams.h"
#include "teardown.h"

static struct scope sc;
static char p_sys[PATH_MAX], p_mi[PATH_MAX], p_sw[PATH_MAX];

static void load(const char *name, struct blockgraph *g)
{
	fixture_sysfs(name, p_sys, p_mi, p_sw);
	scope_init(&sc, true, "/oldroot");
	sc.sysfs = p_sys;
	sc.mountinfo = p_mi;
	sc.swaps = p_sw;
	CHECK_EQ_INT(blockgraph_load(g, &sc), 0);
}

/* "dm-1:1 dm-2:1 dm-0:2" */
static const char *order_str(struct blockgraph *g)
{
	static char buf[1024];
	int idx[256];
	unsigned n, k;

	(void)blockgraph_order(g, &sc);
	n = blockgraph_sorted(g, idx, 256);
	buf[0] = '\0';
	for (k = 0; k < n; k++) {
		char one[64];
		snprintf(one, sizeof(one), "%s%s:%d", k ? " " : "", g->devs[idx[k]].name,
			 g->devs[idx[k]].step);
		strcat(buf, one);
	}
	return buf;
}

static const char *order_of(const char *fixture)
{
	struct blockgraph g;
	const char *r;

	load(fixture, &g);
	r = order_str(&g);
	blockgraph_free(&g);
	return r;
}

static void test_order_md1_luks_lvm(void)
{
	CHECK_STR(order_of("md1-luks-lvm"), "dm-1:1 dm-2:1 dm-0:2 md127:3");
}

static void test_order_luks_on_lvm(void)
{
	CHECK_STR(order_of("luks-on-lvm"), "dm-2:1 dm-3:1 dm-0:2 dm-1:2");
}

static void test_order_lvm_on_luks(void)
{
	CHECK_STR(order_of("lvm-on-luks"), "dm-1:1 dm-2:1 dm-3:1 dm-0:2");
}

static void test_order_integrity_md(void)
{
	CHECK_STR(order_of("integrity-md"), "md0:1 dm-0:2 dm-1:2");
}

/* loop0's backing file lives on /data (dm-1): dm-1 goes after loop0 */
static void test_order_loop_on_lvm(void)
{
	CHECK_STR(order_of("loop-on-lvm"), "dm-0:1 loop0:1 dm-1:2");
}

static void test_order_thin_snapshot(void)
{
	CHECK_STR(order_of("thin-snapshot"),
		  "dm-3:1 dm-4:1 dm-5:1 dm-6:1 dm-7:1 dm-9:1 dm-2:2 dm-8:2 dm-10:2 dm-0:3 dm-1:3");
}

/* the volume (with a partition on it) before its container */
static void test_order_md_external(void)
{
	CHECK_STR(order_of("md-external"), "md126:1 md127:2");
}

static void test_order_suspended(void)
{
	CHECK_STR(order_of("suspended"), "dm-1:1 dm-2:1 dm-0:2");
}

/* In a child PID namespace only our own stack counts; a device out of scope
 * above ours still orders ours after it. */
static void test_order_scope(void)
{
	struct blockgraph g;

	load("md1-luks-lvm", &g);
	sc.whole_machine = false;
	scope_add(&sc, makedev(253, 1));
	scope_add(&sc, makedev(253, 0));
	scope_add(&sc, makedev(9, 127));
	CHECK_STR(order_str(&g), "dm-1:1 dm-0:2 md127:3");
	blockgraph_free(&g);
}

static void test_read_attrs(void)
{
	struct blockgraph g;
	int i;

	load("md1-luks-lvm", &g);
	CHECK_EQ_INT(g.n, 10);
	i = blockgraph_find(&g, "dm-0");
	CHECK(i >= 0);
	CHECK_EQ_INT(g.devs[i].kind, BDEV_DM);
	CHECK_STR(g.devs[i].dm_name, "md-crypt");
	CHECK(bdev_is_crypt(&g.devs[i]));
	CHECK_EQ_INT(g.devs[i].dev, makedev(253, 0));
	CHECK_EQ_INT(g.devs[i].size, 14640095ULL * 512);
	CHECK_EQ_INT(g.devs[i].nholders, 2);
	CHECK_EQ_INT(g.devs[i].nslaves, 1);
	CHECK_STR(g.devs[g.devs[i].slaves[0]].name, "md127");
	i = blockgraph_find(&g, "md127");
	CHECK_EQ_INT(g.devs[i].kind, BDEV_MD);
	CHECK_STR(g.devs[i].md_state, "clean");
	CHECK_STR(g.devs[i].md_level, "raid1");
	CHECK_STR(g.devs[i].md_metadata, "1.2");
	CHECK(!bdev_is_crypt(&g.devs[i]));
	i = blockgraph_find(&g, "vdb2");
	CHECK_EQ_INT(g.devs[i].kind, BDEV_PART);
	CHECK_STR(g.devs[g.devs[i].parent].name, "vdb");
	CHECK_EQ_INT(g.devs[blockgraph_find(&g, "vdb")].kind, BDEV_DISK);
	CHECK_STR(bdev_mountpoint(&g, blockgraph_find(&g, "dm-1")), "/");
	CHECK_STR(bdev_mountpoint(&g, blockgraph_find(&g, "vda1")), "/boot");
	CHECK(bdev_is_swap(&g, blockgraph_find(&g, "dm-2")));
	CHECK(!bdev_is_swap(&g, blockgraph_find(&g, "dm-1")));
	blockgraph_free(&g);
}

static void test_read_loop_and_container(void)
{
	struct blockgraph g;
	int i;

	load("loop-on-lvm", &g);
	i = blockgraph_find(&g, "loop0");
	CHECK_EQ_INT(g.devs[i].kind, BDEV_LOOP);
	CHECK_STR(g.devs[i].loop_backing, "/data/images/disk.img");
	CHECK(g.devs[i].loop_autoclear);
	CHECK_STR(g.devs[g.devs[i].backing_on].name, "dm-1");
	CHECK(bdev_is_removable(&g.devs[i]));
	i = blockgraph_find(&g, "loop1");
	CHECK(g.devs[i].loop_backing == NULL);
	CHECK(!bdev_is_removable(&g.devs[i]));
	blockgraph_free(&g);

	load("md-external", &g);
	i = blockgraph_find(&g, "md126");
	CHECK_STR(g.devs[g.devs[i].container].name, "md127");
	CHECK_STR(g.devs[blockgraph_find(&g, "md126p1")].name, "md126p1");
	CHECK_EQ_INT(g.devs[blockgraph_find(&g, "md126p1")].parent, i);
	blockgraph_free(&g);
}

/* /proc/swaps may name a swap by its /dev/mapper link */
static void test_swap_by_mapper_name(void)
{
	struct blockgraph g;

	load("lvm-on-luks", &g);
	CHECK_EQ_INT(g.nswaps, 1);
	CHECK(bdev_is_swap(&g, blockgraph_find(&g, "dm-3")));
	blockgraph_free(&g);
}

static void test_why_busy(void)
{
	struct blockgraph g;
	char buf[256];

	load("md1-luks-lvm", &g);
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "dm-1"), buf, sizeof(buf)), "mounted on /");
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "dm-2"), buf, sizeof(buf)), "in use as swap");
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "dm-0"), buf, sizeof(buf)), "held by dm-1");
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "vda"), buf, sizeof(buf)),
		  "partition vda1 mounted on /boot");
	blockgraph_free(&g);
	load("md-external", &g);
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "md126"), buf, sizeof(buf)),
		  "partition md126p1 mounted on /");
	CHECK_STR(bdev_why_busy(&g, blockgraph_find(&g, "md127"), buf, sizeof(buf)),
		  "container of md126");
	blockgraph_free(&g);
}

/* A device removed on a graph in use: what was under it is no longer held
 * by it, and what it held is unchanged. */
static void test_forget(void)
{
	struct blockgraph g;
	char buf[256];
	int dm0, dm1, md;

	load("md1-luks-lvm", &g);
	dm0 = blockgraph_find(&g, "dm-0");
	dm1 = blockgraph_find(&g, "dm-1");
	md = blockgraph_find(&g, "md127");
	CHECK(dm0 >= 0 && dm1 >= 0 && md >= 0);
	CHECK_STR(bdev_why_busy(&g, md, buf, sizeof(buf)), "held by dm-0");
	blockgraph_forget(&g, dm1);
	CHECK_STR(bdev_why_busy(&g, dm0, buf, sizeof(buf)), "held by dm-2");
	blockgraph_forget(&g, blockgraph_find(&g, "dm-2"));
	CHECK_STR(bdev_why_busy(&g, dm0, buf, sizeof(buf)), "");
	CHECK_STR(bdev_why_busy(&g, md, buf, sizeof(buf)), "held by dm-0");
	blockgraph_forget(&g, dm0);
	CHECK_STR(bdev_why_busy(&g, md, buf, sizeof(buf)), "");
	CHECK_EQ_INT(g.devs[dm0].nslaves, 0);
	blockgraph_free(&g);
}

/* The census by name: dm-N and mdN are maybes, a loop only while bound; a
 * stack taken down to its disks is a clear 0. */
static void test_census(void)
{
	char path[PATH_MAX + 64];
	const char *root;

	fixture_sysfs("md1-luks-lvm", p_sys, p_mi, p_sw);
	CHECK_EQ_INT(blockgraph_census(p_sys), BDEV_MAYBE_DM | BDEV_MAYBE_MD);
	fixture_sysfs("loop-on-lvm", p_sys, p_mi, p_sw);
	CHECK_EQ_INT(blockgraph_census(p_sys), BDEV_MAYBE_DM | BDEV_MAYBE_LOOP);
	root = fixture_copy("loop-on-lvm");
	snprintf(path, sizeof(path), "rm -rf '%s/class/block/dm-0' '%s/class/block/dm-1' "
		 "'%s/class/block/loop0/loop'", root, root, root);
	CHECK_EQ_INT(system(path), 0);
	CHECK_EQ_INT(blockgraph_census(root), 0);
	fixture_cleanup();
	CHECK_EQ_INT(blockgraph_census("/nonexistent-sysfs"), -ENOENT);
}

/* The key check asks the LVs' tables: a fake control device says linear
 * (and keeps the test off the host's /dev/mapper). */
static int linear_ioctl(int fd, unsigned long req, void *arg)
{
	struct dm_ioctl *io = arg;
	struct dm_target_spec *t = (void *)((char *)io + sizeof(*io));

	(void)fd;
	CHECK_EQ_INT(req, DM_TABLE_STATUS);
	io->data_start = sizeof(*io);
	io->target_count = 1;
	memset(t, 0, sizeof(*t));
	snprintf(t->target_type, sizeof(t->target_type), "linear");
	return 0;
}

static int null_open(const char *what, dev_t dev, int flags)
{
	(void)what;
	(void)dev;
	(void)flags;
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static void test_left_and_crypt(void)
{
	static const struct blockgraph_hooks linear = { linear_ioctl, null_open };
	struct blockgraph g;

	blockgraph_set_hooks(&linear);
	load("md1-luks-lvm", &g);
	blockgraph_free(&g);
	CHECK_EQ_INT(blockgraph_left(&sc, false), 4);
	CHECK_EQ_INT(dm_crypt_left(&sc), 1);
	load("luks-on-lvm", &g);
	blockgraph_free(&g);
	CHECK_EQ_INT(dm_crypt_left(&sc), 2);
	load("loop-on-lvm", &g);
	blockgraph_free(&g);
	CHECK_EQ_INT(blockgraph_left(&sc, true), 3);   /* dm-0, dm-1, loop0; not loop1 */
	CHECK_EQ_INT(dm_crypt_left(&sc), 0);
	sc.whole_machine = false;
	scope_add(&sc, makedev(7, 0));
	CHECK_EQ_INT(blockgraph_left(&sc, false), 1);
	blockgraph_set_hooks(NULL);
}

static void test_mountinfo_escapes(void)
{
	struct blockgraph g;
	char path[] = "/tmp/sdfs-mi-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	test_write_file(path,
		"22 1 253:1 / / rw - ext4 /dev/mapper/vg0-root rw\n"
		"30 22 253:2 / /srv/my\\040data rw shared:3 - ext4 /dev/dm-2 rw\n"
		"31 22 0:40 / /b rw - btrfs /dev/mapper/md-crypt rw\n"
		"garbage line\n");
	fixture_sysfs("md1-luks-lvm", p_sys, p_mi, p_sw);
	CHECK_EQ_INT(blockgraph_read(&g, p_sys), 0);
	CHECK_EQ_INT(blockgraph_read_mounts(&g, path), 0);
	unlink(path);
	CHECK_EQ_INT(g.nmounts, 3);
	CHECK_STR(bdev_mountpoint(&g, blockgraph_find(&g, "dm-2")), "/srv/my data");
	/* btrfs reports 0:N; the source names the device */
	CHECK_STR(bdev_mountpoint(&g, blockgraph_find(&g, "dm-0")), "/b");
	blockgraph_free(&g);
}

static void test_missing_sysfs(void)
{
	struct blockgraph g;

	CHECK_EQ_INT(blockgraph_read(&g, "/nonexistent-sysfs"), -ENOENT);
	CHECK_EQ_INT(g.n, 0);
}

/* removed devices are noticed by number, not by name: dm-N is reused */
static void test_gone(void)
{
	struct blockgraph g;
	struct bdev d;

	load("md1-luks-lvm", &g);
	d = g.devs[blockgraph_find(&g, "dm-1")];
	CHECK(!bdev_gone(p_sys, &d));
	d.dev = makedev(253, 9);
	CHECK(bdev_gone(p_sys, &d));
	snprintf(d.name, sizeof(d.name), "dm-9");
	CHECK(bdev_gone(p_sys, &d));
	blockgraph_free(&g);
}

static char image[64];

/* every device node is the test's ext4 image */
static int open_image(const char *what, dev_t dev, int flags)
{
	int fd = open(image, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int open_none(const char *what, dev_t dev, int flags)
{
	return -ENOENT;
}

/* libblkid names what a device holds; nothing is read from a suspended
 * device or through one, and missing nodes are fine */
static void test_probe(void)
{
	static const struct blockgraph_hooks img = { NULL, open_image }, none = { NULL, open_none };
	struct blockgraph g;
	char cmd[128];
	int fd;

	snprintf(image, sizeof(image), "/tmp/sdfs-img-XXXXXX");
	fd = mkstemp(image);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4 << 20) == 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F '%s' >/dev/null 2>&1", image);
	if (system(cmd) != 0) {
		unlink(image);
		fprintf(stderr, "mkfs.ext4 missing: install e2fsprogs\n");
		_exit(1);
	}
	blockgraph_set_hooks(&none);
	load("suspended", &g);
	CHECK_EQ_INT(blockgraph_probe(&g), 2);  /* vda, vda1; not dm-0..2 */
	CHECK_STR(g.devs[blockgraph_find(&g, "vda")].holds, "");
	blockgraph_set_hooks(&img);
	CHECK_EQ_INT(blockgraph_probe(&g), 2);
	CHECK_STR(g.devs[blockgraph_find(&g, "vda1")].holds, "ext4");
	CHECK_STR(g.devs[blockgraph_find(&g, "dm-1")].holds, "");
	blockgraph_free(&g);
	blockgraph_set_hooks(NULL);
	unlink(image);
}

/* a process holding a device open is named from its fd links */
static void test_opener(void)
{
	struct blockgraph g;
	char proc[] = "/tmp/sdfs-proc-XXXXXX", path[PATH_MAX], who[128];

	load("md1-luks-lvm", &g);
	CHECK(mkdtemp(proc));
	snprintf(path, sizeof(path), "%s/77", proc);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/77/fd", proc);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/77/fd/3", proc);
	CHECK(symlink("/oldroot/dev/mapper/vg0-root", path) == 0);
	snprintf(path, sizeof(path), "%s/77/fd/4", proc);
	CHECK(symlink("socket:[123]", path) == 0);
	snprintf(path, sizeof(path), "%s/77/comm", proc);
	test_write_file(path, "fsck\n");
	CHECK_STR(bdev_opener(&g.devs[blockgraph_find(&g, "dm-1")], proc, who, sizeof(who)),
		  "pid 77 (fsck)");
	CHECK_STR(bdev_opener(&g.devs[blockgraph_find(&g, "dm-2")], proc, who, sizeof(who)), "");
	snprintf(path, sizeof(path), "rm -rf '%s'", proc);
	CHECK(system(path) == 0);
	blockgraph_free(&g);
}

static const struct test tests[] = {
	{ "order_md1_luks_lvm", test_order_md1_luks_lvm },
	{ "order_luks_on_lvm", test_order_luks_on_lvm },
	{ "order_lvm_on_luks", test_order_lvm_on_luks },
	{ "order_integrity_md", test_order_integrity_md },
	{ "order_loop_on_lvm", test_order_loop_on_lvm },
	{ "order_thin_snapshot", test_order_thin_snapshot },
	{ "order_md_external", test_order_md_external },
	{ "order_suspended", test_order_suspended },
	{ "order_scope", test_order_scope },
	{ "read_attrs", test_read_attrs },
	{ "read_loop_and_container", test_read_loop_and_container },
	{ "swap_by_mapper_name", test_swap_by_mapper_name },
	{ "why_busy", test_why_busy },
	{ "forget", test_forget },
	{ "census", test_census },
	{ "left_and_crypt", test_left_and_crypt },
	{ "mountinfo_escapes", test_mountinfo_escapes },
	{ "missing_sysfs", test_missing_sysfs },
	{ "gone", test_gone },
	{ "probe", test_probe },
	{ "opener", test_opener },
};

TEST_MAIN(tests)
