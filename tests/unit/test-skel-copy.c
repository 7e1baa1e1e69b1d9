/* test-skel-copy.c — a skeleton that changes while it is copied (a file cut
 * short, grown or deleted, the tree removed) must fail the copy, never land
 * in the ramfs as if whole. Real files in a temp dir; the one seam is this
 * file's copy_file_range, which stands in for libc's (static link: the
 * object wins over the archive; host libc: the executable interposes) and
 * changes the tree after the first 4 KiB of the chosen file. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "harness.h"
#include "skel.h"

static char base[64];
static ino_t victim;                    /* the file whose copy triggers the change */
static void (*change)(void);            /* the change, run once */
static unsigned chunks;                 /* copy_file_range calls on the victim */

ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
			unsigned flags)
{
	struct stat st;
	ssize_t n;
	bool hit = change && fstat(in, &st) == 0 && st.st_ino == victim;

	if (hit && len > 4096)
		len = 4096;
	n = syscall(SYS_copy_file_range, in, in_off, out, out_off, len, flags);
	if (hit && n > 0 && chunks++ == 0) {
		void (*f)(void) = change;

		change = NULL;
		f();
	}
	return n;
}

static const char *at(const char *rel)
{
	static char p[4][256];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", base, rel);
	return p[k];
}

static void put(const char *rel, size_t size)
{
	char buf[4096];
	size_t done = 0;
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		CHECK(write(fd, buf, n) == (ssize_t)n);
		done += n;
	}
	CHECK(close(fd) == 0);
}

/* skel/ with a few small files and bin/big (64 KiB), the victim */
static void setup(void)
{
	struct stat st;
	char d[32];
	int i;

	snprintf(base, sizeof(base), "/tmp/sdfs-skelcp-XXXXXX");
	CHECK(mkdtemp(base));
	CHECK(mkdir(at("skel"), 0755) == 0 && mkdir(at("skel/bin"), 0755) == 0);
	CHECK(mkdir(at("skel/etc"), 0755) == 0 && mkdir(at("dst"), 0755) == 0);
	for (i = 0; i < 8; i++) {
		snprintf(d, sizeof(d), "skel/etc/f%d", i);
		put(d, 100);
	}
	put("skel/bin/big", 65536);
	CHECK(stat(at("skel/bin/big"), &st) == 0);
	victim = st.st_ino;
	chunks = 0;
}

static int copy(void)
{
	struct skel_copy_stats cs;
	int src = open(at("skel"), O_RDONLY | O_DIRECTORY);
	int dst = open(at("dst"), O_RDONLY | O_DIRECTORY);
	int r;

	CHECK(src >= 0 && dst >= 0);
	r = skel_copy(src, dst, &cs);
	close(src);
	close(dst);
	return r;
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	CHECK(system(cmd) == 0);
}

static void cut_short(void) { CHECK(truncate(at("skel/bin/big"), 8192) == 0); }
static void grow(void)
{
	int fd = open(at("skel/bin/big"), O_WRONLY | O_APPEND);

	CHECK(fd >= 0 && write(fd, "more", 4) == 4 && close(fd) == 0);
}
static void delete_it(void) { CHECK(unlink(at("skel/bin/big")) == 0); }
static void delete_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/skel'", base);
	CHECK(system(cmd) == 0);
}

/* the control: the same tree, unchanged, copies whole through the seam */
static void t_unchanged(void)
{
	struct stat st;

	setup();
	CHECK_EQ_INT(copy(), 0);
	CHECK(stat(at("dst/bin/big"), &st) == 0 && st.st_size == 65536);
	CHECK(access(at("dst/etc/f7"), F_OK) == 0);
	cleanup();
}

/* the copy went on through the change, and what it made is gone */
static void expect_refused(void (*fn)(void))
{
	setup();
	change = fn;
	CHECK_EQ_INT(copy() < 0, 1);
	CHECK(chunks >= 1 && change == NULL);
	CHECK(access(at("dst/bin/big"), F_OK) < 0 && errno == ENOENT);
	cleanup();
}

static void t_cut_short(void)
{
	setup();
	change = cut_short;
	CHECK_EQ_INT(copy(), -ESTALE);
	CHECK(access(at("dst/bin/big"), F_OK) < 0);
	cleanup();
	expect_refused(cut_short);
}

static void t_grown(void)
{
	setup();
	change = grow;
	CHECK_EQ_INT(copy(), -ESTALE);
	cleanup();
	expect_refused(grow);
}

static void t_deleted(void)
{
	setup();
	change = delete_it;
	CHECK_EQ_INT(copy(), -ESTALE);
	cleanup();
	expect_refused(delete_it);
}

/* rm -rf of the whole skeleton while bin/big is being copied */
static void t_tree_removed(void) { expect_refused(delete_tree); }

static const struct test tests[] = {
	{ "unchanged", t_unchanged },
	{ "cut_short", t_cut_short },
	{ "grown", t_grown },
	{ "deleted", t_deleted },
	{ "tree_removed", t_tree_removed },
};

TEST_MAIN(tests)
