/* test-swap.c — the one /proc/swaps reader (libmount) and swapoff through
 * the fd noted before the old root goes: a swap file whose path no longer
 * resolves is still swapped off. The fake sys.h records each swapoff. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "fake-sys.h"
#include "scope.h"
#include "spawn.h"
#include "swaps.h"
#include "teardown.h"

static char dir[64], swaps[128], file[128];

static void setup(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/sfs-swap.XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(swaps, sizeof(swaps), "%s/swaps", dir);
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	test_write_file(file, "not really swap\n");
	fake_sys_reset();
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* /proc/swaps escapes a space as \040 and marks a removed file
 * " (deleted)"; both readers of the run and plan get the plain name. */
static void test_read_escaped(void)
{
	struct swap_list l;
	FILE *f;

	setup("x");
	f = fopen(swaps, "w");
	CHECK(f);
	fprintf(f, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		   "/dev/dm-2                               partition\t1048572\t\t0\t\t-2\n"
		   "/swap\\040file                           file\t\t65532\t\t1024\t\t-3\n"
		   "/old/swapfile\\040(deleted)              file\t\t65532\t\t0\t\t-4\n");
	fclose(f);
	CHECK_EQ_INT(swaps_read(swaps, &l), 0);
	CHECK_EQ_INT(l.n, 3);
	CHECK_STR(l.v[0].path, "/dev/dm-2");
	CHECK(!l.v[0].is_file);
	CHECK_STR(l.v[1].path, "/swap file");
	CHECK(l.v[1].is_file);
	CHECK_EQ_INT(l.v[1].used_kib, 1024);
	CHECK_STR(l.v[2].path, "/old/swapfile");
	swaps_free(&l);
	CHECK(swaps_read("/nonexistent/swaps", &l) < 0);
	CHECK_EQ_INT(l.n, 0);
	cleanup();
}

/* Our fd open on path (the one swap_note_all keeps), or -1. */
static int fd_of(const char *path)
{
	char link[64], target[256];
	int fd;

	for (fd = 3; fd < 256; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return fd;
	}
	return -1;
}

static void write_swaps(const char *path)
{
	FILE *f = fopen(swaps, "w");

	CHECK(f);
	fprintf(f, "Filename\tType\tSize\tUsed\tPriority\n%s file 65532 0 -2\n", path);
	fclose(f);
}

/* Noted before the unmounts, then the file's path goes away (the old
 * root detached): swapoff still reaches it, through /proc/self/fd/N. */
static void test_off_through_fd(void)
{
	struct scope s;
	struct stats st = { 0 };
	bool changed = false;
	char *hit, moved[160];

	setup("swap file");
	scope_init(&s, true, "/oldroot");
	s.swaps = swaps;
	{
		char esc[160];
		snprintf(esc, sizeof(esc), "%s/swap\\040file", dir);
		write_swaps(esc);
	}
	swap_note_all(&s);
	snprintf(moved, sizeof(moved), "%s/elsewhere", dir);
	CHECK(rename(file, moved) == 0);
	CHECK_EQ_INT(swap_detach_all(&s, false, &changed, &st), 0);
	hit = strstr(fake_sys_log, "swapoff:/proc/self/fd/");
	CHECK(hit);
	CHECK(!strstr(fake_sys_log, "swapoff:/tmp"));
	CHECK_EQ_INT(st.swapoff, 1);
	CHECK(changed);
	/* swapped off: the fd is closed, the next pass asks nothing */
	fake_sys_reset();
	changed = false;
	test_write_file(swaps, "Filename\tType\tSize\tUsed\tPriority\n");
	CHECK_EQ_INT(swap_detach_all(&s, true, &changed, &st), 0);
	CHECK_EQ_INT(st.swapoff, 1);
	CHECK(!strstr(fake_sys_log, "swapoff:/proc/self/fd/"));
	cleanup();
}

/* ENOMEM (more in swap than fits in RAM): reported, counted as left, the
 * run goes on; the next pass tries again. */
static void test_enomem_goes_on(void)
{
	struct scope s;
	struct stats st = { 0 };
	bool changed = false;
	char esc[160];

	setup("sw");
	scope_init(&s, true, "/oldroot");
	s.swaps = swaps;
	snprintf(esc, sizeof(esc), "%s/sw", dir);
	write_swaps(esc);
	swap_note_all(&s);
	{
		char line[96];
		snprintf(line, sizeof(line), "swapoff:/proc/self/fd/%d:-1:ENOMEM", fd_of(esc));
		fake_sys_script(line);
	}
	CHECK_EQ_INT(swap_detach_all(&s, false, &changed, &st), 1);
	CHECK_EQ_INT(st.swapoff, 0);
	CHECK(!changed);
	CHECK_EQ_INT(swap_left(&s), 1);         /* the summary's left= counts it */
	CHECK_EQ_INT(swap_detach_all(&s, true, &changed, &st), 0);
	CHECK_EQ_INT(st.swapoff, 1);
	/* in a child namespace a swap outside the scope is not ours to count */
	s.whole_machine = false;
	write_swaps("/nonexistent/host-swap");
	CHECK_EQ_INT(swap_left(&s), 0);
	cleanup();
}

static const struct test tests[] = {
	{ "read_escaped", test_read_escaped },
	{ "off_through_fd", test_off_through_fd },
	{ "enomem_goes_on", test_enomem_goes_on },
};

TEST_MAIN(tests)
