/* test-tables.c — the one reader each of mountinfo (mounts.c) and of
 * /proc/PID/stat and status (proc.c), on fixture files. */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "harness.h"
#include "mounts.h"
#include "proc.h"

static char dir[] = "/tmp/shutdownfs-tables.XXXXXX";

static void fixture_dir(void)
{
	CHECK(mkdtemp(dir) != NULL);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* a comm with spaces and ')' must not shift the fields after it */
static void test_stat_hostile_comm(void)
{
	char path[256];
	struct proc_stat ps;

	fixture_dir();
	snprintf(path, sizeof(path), "%s/stat", dir);
	test_write_file(path, "4242 (a) S 1 2 (x) D 77 4242 4242 0 -1 2097216 12 0 0\n");
	CHECK_EQ_INT(proc_stat_read(dir, &ps), 0);
	CHECK_STR(ps.comm, "a) S 1 2 (x");
	CHECK_EQ_INT(ps.state, 'D');
	CHECK_EQ_INT(ps.ppid, 77);
	CHECK_EQ_INT(ps.pgrp, 4242);
	CHECK_EQ_INT(ps.flags, 2097216);
	CHECK(ps.flags & PROC_PF_KTHREAD);
	/* a truncated line is refused, not read as zeros */
	test_write_file(path, "4242 (sh) S 1 2\n");
	CHECK_EQ_INT(proc_stat_read(dir, &ps), -EINVAL);
	test_write_file(path, "4242 sh S 1 2 3 4 5 6\n");
	CHECK_EQ_INT(proc_stat_read(dir, &ps), -EINVAL);
	unlink(path);
	CHECK_EQ_INT(proc_stat_read(dir, &ps), -ENOENT);
	cleanup();
}

/* the real uid decides, not the effective one */
static void test_real_uid(void)
{
	char path[256];

	fixture_dir();
	snprintf(path, sizeof(path), "%s/status", dir);
	test_write_file(path, "Name:\tsu\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	CHECK(!proc_real_uid_is_root(dir));
	test_write_file(path, "Name:\tmdmon\nUid:\t0\t0\t0\t0\n");
	CHECK(proc_real_uid_is_root(dir));
	test_write_file(path, "Name:\tx\n");
	CHECK(!proc_real_uid_is_root(dir));
	cleanup();
}

static const char mountinfo[] =
	"22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw\n"
	"23 22 0:21 / /proc rw - proc proc rw\n"
	"30 22 7:0 / /mnt/with\\040space rw - ext4 /dev/loop0 rw\n";

struct seen {
	char targets[4][64];
	dev_t devs[4];
	unsigned n;
	unsigned stop_at;
};

static int note(struct libmnt_fs *fs, void *arg)
{
	struct seen *s = arg;

	snprintf(s->targets[s->n], sizeof(s->targets[0]), "%s", mnt_fs_get_target(fs));
	s->devs[s->n] = mnt_fs_get_devno(fs);
	return ++s->n == s->stop_at ? 7 : 0;
}

static void test_mounts_order_and_escape(void)
{
	char path[256];
	struct seen s = { .stop_at = 0 };

	fixture_dir();
	snprintf(path, sizeof(path), "%s/mountinfo", dir);
	test_write_file(path, mountinfo);
	CHECK_EQ_INT(mounts_each(path, MOUNTS_NEWEST_FIRST, note, &s), 0);
	CHECK_EQ_INT(s.n, 3);
	CHECK_STR(s.targets[0], "/mnt/with space");
	CHECK(s.devs[0] == makedev(7, 0));
	CHECK_STR(s.targets[2], "/");
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(mounts_each(path, MOUNTS_OLDEST_FIRST, note, &s), 0);
	CHECK_STR(s.targets[0], "/");
	CHECK(s.devs[0] == makedev(253, 0));
	/* a non-zero return stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK_EQ_INT(mounts_each(path, MOUNTS_OLDEST_FIRST, note, &s), 7);
	CHECK_EQ_INT(s.n, 2);
	CHECK(mounts_each("/nonexistent/mountinfo", MOUNTS_OLDEST_FIRST, note, &s) < 0);
	cleanup();
}

static const struct test tests[] = {
	{ "stat_hostile_comm", test_stat_hostile_comm },
	{ "real_uid", test_real_uid },
	{ "mounts_order_and_escape", test_mounts_order_and_escape },
};

TEST_MAIN(tests)
