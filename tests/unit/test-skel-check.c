/* test-skel-check.c — the skeleton safety verdict on temp trees: what a
 * non-root user could change must make the skeleton unsafe. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "skel-check.h"
#include "skel.h"

static char base[64];
static char why[512];

static void mk(const char *rel, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	CHECK(mkdir(p, mode) == 0);
	CHECK(chmod(p, mode) == 0);     /* no umask */
}

static void put(const char *rel, mode_t mode)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	test_write_file(p, "#!/bin/sh\nexit 0\n");
	CHECK(chmod(p, mode) == 0);
}

static const char *at(const char *rel)
{
	static char p[4][256];
	static unsigned k;

	k = (k + 1) % 4;        /* two at() in one call must not share a buffer */
	snprintf(p[k], sizeof(p[k]), "%s/%s", base, rel);
	return p[k];
}

/* a tree as mkshutdownfs leaves it */
static void setup(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skel-check tests need root to own the tree\n");
		_exit(1);
	}
	snprintf(base, sizeof(base), "/tmp/sdfs-skel-XXXXXX");
	CHECK(mkdtemp(base));
	CHECK(chmod(base, 0755) == 0);
	mk("skel", 0755);
	mk("skel/hooks.d", 0755);
	mk("skel/hooks.d/teardown", 0755);
	put("skel/hooks.d/teardown/20-lvm", 0755);
	mk("skel/etc", 0755);
	put("skel/etc/shutdownfs.conf", 0644);
	CHECK(symlink("/etc/passwd", at("skel/etc/passwd")) == 0);
	why[0] = '\0';
}

static void test_safe(void)
{
	struct skel_stat st;

	setup();
	CHECK_EQ_INT(skel_check_stat(at("skel"), why, sizeof(why), &st), 0);
	CHECK_EQ_INT(st.files, 2);
	CHECK_EQ_INT(st.dirs, 3);
	CHECK_EQ_INT(st.links, 1);
	CHECK_EQ_INT(st.bytes, 2 * strlen("#!/bin/sh\nexit 0\n"));
}

static void test_missing(void)
{
	setup();
	CHECK_EQ_INT(skel_check(at("nope/skel"), why, sizeof(why)), -ENOENT);
	CHECK(strstr(why, "nope") && strstr(why, "missing"));
}

static void test_group_writable_inside(void)
{
	setup();
	CHECK(chmod(at("skel/hooks.d/teardown"), 0775) == 0);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "hooks.d/teardown: group-writable"));
}

static void test_world_writable_file(void)
{
	setup();
	CHECK(chmod(at("skel/hooks.d/teardown/20-lvm"), 0757) == 0);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "20-lvm: world-writable"));
}

static void test_setuid(void)
{
	setup();
	CHECK(chmod(at("skel/etc/shutdownfs.conf"), 04755) == 0);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "setuid"));
}

static void test_not_root_owned(void)
{
	setup();
	CHECK(lchown(at("skel/etc/passwd"), 1000, 1000) == 0);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "etc/passwd: not owned by root"));
}

static void test_fifo(void)
{
	setup();
	CHECK(mkfifo(at("skel/etc/fifo"), 0600) == 0);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "fifo"));
}

static void test_skeleton_itself_writable(void)
{
	setup();
	CHECK(chmod(at("skel"), 01777) == 0);   /* sticky is no excuse for the skeleton */
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "world-writable"));
}

/* a directory above, writable by others, lets them swap the whole tree */
static void test_writable_dir_on_path(void)
{
	setup();
	mk("ww", 0777);
	CHECK(rename(at("skel"), at("ww/skel")) == 0);
	CHECK_EQ_INT(skel_check(at("ww/skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "/ww: world-writable"));
	CHECK(chmod(at("ww"), 01777) == 0);     /* sticky, like /tmp: fine */
	CHECK_EQ_INT(skel_check(at("ww/skel"), why, sizeof(why)), 0);
	CHECK(lchown(at("ww"), 1000, 1000) == 0);
	CHECK_EQ_INT(skel_check(at("ww/skel"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "owned by uid 1000"));
}

/* symlinks on the path are followed, and the directories of both the link
 * and its target are checked */
static void test_symlink_on_path(void)
{
	setup();
	CHECK(symlink("skel", at("link")) == 0);
	CHECK_EQ_INT(skel_check(at("link"), why, sizeof(why)), 0);
	mk("ww", 0777);
	CHECK(symlink(at("skel"), at("ww/link")) == 0);
	CHECK_EQ_INT(skel_check(at("ww/link"), why, sizeof(why)), -EPERM);
	CHECK(symlink(at("ww/x"), at("link2")) == 0);
	mk("ww/x", 0755);
	CHECK_EQ_INT(skel_check(at("link2"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "ww: world-writable"));
	CHECK(symlink("loop", at("loop")) == 0);
	CHECK_EQ_INT(skel_check(at("loop"), why, sizeof(why)), -ELOOP);
}

static void test_not_a_directory(void)
{
	setup();
	CHECK_EQ_INT(skel_check(at("skel/etc/shutdownfs.conf"), why, sizeof(why)), -EPERM);
	CHECK(strstr(why, "not a directory"));
	CHECK_EQ_INT(skel_check("relative/skel", why, sizeof(why)), -EINVAL);
}


/* skel.c: what passes the check is copied, however deep (one limit). */
static void test_deep_tree_copied(void)
{
	char rel[4096] = "skel", dst[300];
	int i, src, to;
	struct skel_copy_stats cs;

	setup();
	for (i = 0; i < 40; i++) {
		strcat(rel, "/d");
		mk(rel, 0755);
	}
	strcat(rel, "/leaf");
	put(rel, 0755);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), 0);
	mk("dst", 0755);
	src = open(at("skel"), O_RDONLY | O_DIRECTORY);
	to = open(at("dst"), O_RDONLY | O_DIRECTORY);
	CHECK(src >= 0 && to >= 0);
	CHECK_EQ_INT(skel_copy(src, to, &cs), 0);
	snprintf(dst, sizeof(dst), "dst%s", rel + 4);
	CHECK(access(at(dst), X_OK) == 0);
	/* past the one limit: refused by the check, and the copy agrees */
	for (i = 40; i < 66; i++) {
		char *leaf = strrchr(rel, '/');
		*leaf = '\0';
		strcat(rel, "/d");
		mk(rel, 0755);
		strcat(rel, "/leaf");
	}
	put(rel, 0755);
	CHECK_EQ_INT(skel_check(at("skel"), why, sizeof(why)), -ELOOP);
	CHECK(strstr(why, "nested too deep"));
	close(src);
	close(to);
}

/* The fit rule counts tmpfs pages, the binary included; a half-copied
 * tree is removed whole. */
static void test_fits_and_remove(void)
{
	struct skel_stat st;
	char big[300];
	int fd;

	setup();
	snprintf(big, sizeof(big), "%s", at("skel/big"));
	fd = open(big, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 2 << 20) == 0);
	close(fd);
	CHECK_EQ_INT(skel_check_fits(at("skel"), 1 << 20, why, sizeof(why), &st), -EFBIG);
	CHECK(strstr(why, "ramfs_size is 1.0 MiB"));
	CHECK(st.pages >= 512);
	CHECK_EQ_INT(skel_check_fits(at("skel"), 64 << 20, why, sizeof(why), &st), 0);
	CHECK(skel_ramfs_need(&st, 4097) == (st.pages + 2) * 4096);
	fd = open(at("skel"), O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(skel_remove_all(fd), 0);
	close(fd);
	CHECK(rmdir(at("skel")) == 0);
}

static void run(void (*fn)(void))
{
	char cmd[128];

	fn();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
}

static void t_safe(void) { run(test_safe); }
static void t_missing(void) { run(test_missing); }
static void t_group_writable_inside(void) { run(test_group_writable_inside); }
static void t_world_writable_file(void) { run(test_world_writable_file); }
static void t_setuid(void) { run(test_setuid); }
static void t_not_root_owned(void) { run(test_not_root_owned); }
static void t_fifo(void) { run(test_fifo); }
static void t_skeleton_itself_writable(void) { run(test_skeleton_itself_writable); }
static void t_writable_dir_on_path(void) { run(test_writable_dir_on_path); }
static void t_symlink_on_path(void) { run(test_symlink_on_path); }
static void t_not_a_directory(void) { run(test_not_a_directory); }
static void t_deep_tree_copied(void) { run(test_deep_tree_copied); }
static void t_fits_and_remove(void) { run(test_fits_and_remove); }

static const struct test tests[] = {
	{ "safe", t_safe },
	{ "missing", t_missing },
	{ "group_writable_inside", t_group_writable_inside },
	{ "world_writable_file", t_world_writable_file },
	{ "setuid", t_setuid },
	{ "not_root_owned", t_not_root_owned },
	{ "fifo", t_fifo },
	{ "skeleton_itself_writable", t_skeleton_itself_writable },
	{ "writable_dir_on_path", t_writable_dir_on_path },
	{ "symlink_on_path", t_symlink_on_path },
	{ "not_a_directory", t_not_a_directory },
	{ "deep_tree_copied", t_deep_tree_copied },
	{ "fits_and_remove", t_fits_and_remove },
};

TEST_MAIN(tests)
