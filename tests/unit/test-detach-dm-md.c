/* test-detach-dm-md.c — native dm and md teardown against copies of the sysfs
 * fixtures, with a fake kernel behind the blockgraph hooks: it answers
 * DM_DEV_STATUS, removes devices from the copy on DM_DEV_REMOVE and
 * STOP_ARRAY, and records every call in order. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>
#include <linux/major.h>
#include <linux/raid/md_u.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "clock.h"
#include "harness.h"
#include "layers.h"
#include "state.h"
#include "fixture-path.h"
#include "blockgraph.h"
#include "scope.h"
#include "seams.h"
#include "spawn.h"
#include <sys/mman.h>
#include "teardown.h"

static char sysroot[PATH_MAX], mi[PATH_MAX], sw[PATH_MAX];
/* the teardown makes its ioctls in bounded children (spawn.c): what the
 * fake records, and the counters it consumes, live in a shared mapping */
#define CALLS_SZ 8192
struct shared {
	char calls[CALLS_SZ];
	int busy_times;
};
static struct shared *shm;
#define calls (shm->calls)
#define busy_times (shm->busy_times)
static struct scope sc;
static struct stats st;
static dev_t fd_dev[1024];

/* per-device behaviour, by name */
static const char *busy_name;   /* DM_DEV_REMOVE fails EBUSY busy_times times */
static const char *resume_fails;

static void note(const char *what, const char *name)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s\n", what, name);
	strncat(calls, line, CALLS_SZ - strlen(calls) - 1);
}

static int name_of(dev_t dev, char *name, size_t sz)
{
	char path[PATH_MAX + 300], buf[32];
	struct dirent *de;
	DIR *d;
	int found = -1;

	snprintf(path, sizeof(path), "%s/class/block", sysroot);
	d = opendir(path);
	CHECK(d);
	while (found < 0 && (de = readdir(d))) {
		unsigned ma, mi_;
		FILE *f;

		snprintf(path, sizeof(path), "%s/class/block/%s/dev", sysroot, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &ma, &mi_) == 2 &&
		    makedev(ma, mi_) == dev) {
			snprintf(name, sz, "%s", de->d_name);
			found = 0;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

static void set_attr(const char *name, const char *attr, const char *val)
{
	char path[PATH_MAX + 300];

	snprintf(path, sizeof(path), "%s/class/block/%s/%s", sysroot, name, attr);
	test_write_file(path, val);
}

/* what the kernel does on removal: the device leaves class/block and its
 * slaves' holders/ */
static void remove_dev(const char *name)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/class/block/%s/slaves", sysroot, name);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char h[PATH_MAX + 600];
		if (de->d_name[0] == '.')
			continue;
		snprintf(h, sizeof(h), "%s/class/block/%s/holders/%s", sysroot, de->d_name, name);
		CHECK(unlink(h) == 0);
	}
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/class/block/%s", sysroot, name);
	CHECK(unlink(path) == 0);
}

static dev_t dm_decode(uint64_t v)   /* the kernel's huge_decode_dev() */
{
	return makedev((unsigned)((v & 0xfff00) >> 8), (unsigned)((v & 0xff) | ((v >> 12) & 0xfff00)));
}

static int fake_dm(struct dm_ioctl *io, unsigned long req)
{
	char name[64], state[8];

	CHECK_EQ_INT(io->version[0], 4);
	CHECK(io->data_size >= sizeof(*io));
	CHECK_EQ_INT(io->event_nr, 0);          /* no udev cookie */
	CHECK(io->name[0] == '\0' && io->uuid[0] == '\0');
	if (name_of(dm_decode(io->dev), name, sizeof(name)) < 0) {
		errno = ENXIO;
		return -1;
	}
	if (req == DM_DEV_STATUS) {
		note("status", name);
		io->open_count = busy_name && strcmp(busy_name, name) == 0 ? 1 : 0;
		io->target_count = 1;
		bdev_attr(sysroot, name, "dm/suspended", state, sizeof(state));
		io->flags = state[0] == '1' ? DM_SUSPEND_FLAG : 0;
		return 0;
	}
	if (req == DM_DEV_SUSPEND) {
		CHECK(!(io->flags & DM_SUSPEND_FLAG));
		note("resume", name);
		if (resume_fails && strcmp(resume_fails, name) == 0) {
			errno = EINVAL;
			return -1;
		}
		set_attr(name, "dm/suspended", "0\n");
		return 0;
	}
	if (req == DM_TABLE_STATUS) {   /* the key check: an LV's linear table */
		struct dm_target_spec *t = (void *)((char *)io + sizeof(*io));

		CHECK(io->data_size >= sizeof(*io) + sizeof(*t));
		note("table", name);
		io->data_start = sizeof(*io);
		io->target_count = 1;
		memset(t, 0, sizeof(*t));
		snprintf(t->target_type, sizeof(t->target_type), "linear");
		return 0;
	}
	CHECK_EQ_INT(req, DM_DEV_REMOVE);
	CHECK_EQ_INT(io->flags, 0);
	note("remove", name);
	if (busy_name && strcmp(busy_name, name) == 0 && busy_times-- > 0) {
		errno = EBUSY;
		return -1;
	}
	remove_dev(name);
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	char name[64];

	if (req == STOP_ARRAY) {
		CHECK(fd >= 0 && fd < 1024);
		CHECK(name_of(fd_dev[fd], name, sizeof(name)) == 0);
		note("stop", name);
		remove_dev(name);
		return 0;
	}
	return fake_dm(arg, req);
}

static int fake_open(const char *what, dev_t dev, int flags)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0 && fd < 1024);
	fd_dev[fd] = what ? 0 : dev;
	return fd;
}

static const struct blockgraph_hooks fake = { fake_ioctl, fake_open };

/* A copy of the fixture, with the mounts and swaps gone unless keep_mounts:
 * the state after the unmount loop. */
static void setup(const char *fixture, bool keep_mounts)
{
	snprintf(sysroot, sizeof(sysroot), "%s", fixture_copy(fixture));
	snprintf(mi, sizeof(mi), "%.*s/%s.mountinfo", (int)strlen(sysroot) - 4, sysroot, fixture);
	snprintf(sw, sizeof(sw), "%.*s/%s.swaps", (int)strlen(sysroot) - 4, sysroot, fixture);
	if (!keep_mounts) {
		test_write_file(mi, "22 1 0:30 / / rw - tmpfs tmpfs rw\n");
		test_write_file(sw, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	}
	scope_init(&sc, true, "/oldroot");
	sc.sysfs = sysroot;
	sc.mountinfo = mi;
	sc.swaps = sw;
	memset(&st, 0, sizeof(st));
	if (!shm) {
		shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
		CHECK(shm != MAP_FAILED);
	}
	memset(shm, 0, sizeof(*shm));
	blockgraph_set_hooks(&fake);
}

static void test_md1_luks_lvm_full(void)
{
	const struct layer_set *ls;
	bool changed = false;

	setup("md1-luks-lvm", false);
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 0);
	CHECK(changed);
	CHECK_EQ_INT(st.dm, 3);
	CHECK_STR(calls, "status dm-1\nremove dm-1\nstatus dm-2\nremove dm-2\n"
			 "status dm-0\nremove dm-0\n");
	CHECK_EQ_INT(dm_crypt_left(&sc), 0);
	calls[0] = '\0';
	changed = false;
	CHECK_EQ_INT(md_detach_all(&sc, false, &changed, &st), 0);
	CHECK(changed);
	CHECK_EQ_INT(st.md, 1);
	CHECK_STR(calls, "stop md127\n");
	CHECK_EQ_INT(blockgraph_left(&sc, true), 0);
	/* one glance line per layer, in teardown order, with what was done */
	ls = &state()->layers;
	CHECK_EQ_INT(ls->n, 4);
	CHECK_STR(ls->v[0].kind, "lv");
	CHECK_STR(ls->v[0].name, "dm-1 (vg0-root)");
	CHECK_STR(ls->v[0].outcome, "removed");
	CHECK_STR(ls->v[1].name, "dm-2 (vg0-swap)");
	CHECK_STR(ls->v[2].kind, "luks");
	CHECK_STR(ls->v[2].name, "dm-0 (md-crypt)");
	CHECK_STR(ls->v[2].outcome, "removed, key wiped");
	CHECK_STR(ls->v[3].kind, "md");
	CHECK_STR(ls->v[3].name, "md127");
	CHECK_STR(ls->v[3].outcome, "stopped");
}

/* still mounted and swapped on: nothing is touched, not even asked about */
static void test_mounted_untouched(void)
{
	bool changed = false;

	setup("md1-luks-lvm", true);
	CHECK_EQ_INT(dm_detach_all(&sc, true, &changed, &st), 3);
	CHECK_EQ_INT(md_detach_all(&sc, true, &changed, &st), 1);
	CHECK(!changed);
	CHECK_STR(calls, "");
	CHECK_EQ_INT(st.dm + st.md, 0);
}

static void test_ebusy_retried(void)
{
	bool changed = false;

	setup("lvm-on-luks", false);
	busy_name = "dm-1";
	busy_times = 2;
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 0);
	CHECK_EQ_INT(st.dm, 4);
	CHECK_STR(calls, "status dm-1\nremove dm-1\nremove dm-1\nremove dm-1\n"
			 "status dm-2\nremove dm-2\nstatus dm-3\nremove dm-3\n"
			 "status dm-0\nremove dm-0\n");
}

/* held open for good: the rest of the pass goes on, the stack under it stays */
static void test_ebusy_left(void)
{
	const struct layer_set *ls;
	unsigned i, nleft;
	bool changed = false;

	setup("lvm-on-luks", false);
	busy_name = "dm-1";
	busy_times = 1000;
	CHECK_EQ_INT(dm_detach_all(&sc, true, &changed, &st), 2);
	CHECK(changed);
	CHECK_EQ_INT(st.dm, 2);
	CHECK(strstr(calls, "remove dm-2\n") && strstr(calls, "remove dm-3\n"));
	CHECK(!strstr(calls, "remove dm-0\n"));
	CHECK_EQ_INT(dm_crypt_left(&sc), 1);
	CHECK_EQ_INT(blockgraph_left(&sc, true), 2);
	/* the two removed and the two left, each once; leftovers say so */
	ls = &state()->layers;
	CHECK_EQ_INT(ls->n, 4);
	for (i = 0, nleft = 0; i < ls->n; i++)
		nleft += ls->v[i].left && strncmp(ls->v[i].outcome, "left", 4) == 0;
	CHECK_EQ_INT(nleft, 2);
	CHECK_EQ_INT(layers_lines(ls), 4);
}

/* bottom of the stack first, as LVM resumes */
static void test_resume_all(void)
{
	setup("suspended", true);
	CHECK_EQ_INT(dm_resume_all(&sc), 0);
	CHECK_STR(calls, "resume dm-0\nresume dm-2\n");
	calls[0] = '\0';
	CHECK_EQ_INT(dm_resume_all(&sc), 0);
	CHECK_STR(calls, "");
}

/* a device that cannot be resumed is skipped; its neighbours still go */
static void test_resume_fails_skips(void)
{
	bool changed = false;

	setup("suspended", false);
	resume_fails = "dm-2";
	CHECK_EQ_INT(dm_detach_all(&sc, true, &changed, &st), 2);
	CHECK_EQ_INT(st.dm, 1);
	CHECK_STR(calls, "status dm-1\nremove dm-1\nstatus dm-2\nresume dm-2\n");
	CHECK_EQ_INT(dm_resume_all(&sc), 1);
}

static void test_thin_snapshot_full(void)
{
	bool changed = false;

	setup("thin-snapshot", false);
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 0);
	CHECK_EQ_INT(st.dm, 11);
	CHECK(strstr(calls, "remove dm-10\n"));
	CHECK(strstr(calls, "remove dm-9\n") < strstr(calls, "remove dm-10\n"));
	CHECK(strstr(calls, "remove dm-2\n") < strstr(calls, "remove dm-0\n"));
}

static void test_integrity_md(void)
{
	bool changed = false;

	setup("integrity-md", false);
	set_attr("md0", "md/array_state", "clean\n");
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 2);   /* held by md0 */
	CHECK_EQ_INT(md_detach_all(&sc, false, &changed, &st), 0);
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 0);
	CHECK_STR(calls, "stop md0\nstatus dm-0\nremove dm-0\nstatus dm-1\nremove dm-1\n");
}

/* The device half of a pass on one read of the graph: the whole stack in
 * one call, the LVs and the LUKS mapping, then the array under them. */
static void test_devices_one_pass(void)
{
	bool changed = false;

	setup("md1-luks-lvm", false);
	CHECK_EQ_INT(devices_detach_all(&sc, false, &changed, &st), 0);
	CHECK(changed);
	CHECK_EQ_INT(st.dm, 3);
	CHECK_EQ_INT(st.md, 1);
	CHECK_STR(calls, "status dm-1\nremove dm-1\nstatus dm-2\nremove dm-2\n"
			 "status dm-0\nremove dm-0\nstop md127\n");
	CHECK_EQ_INT(blockgraph_left(&sc, true), 0);
}

/* dm under md: the array goes in the first call, what it held in the next */
static void test_devices_dm_under_md(void)
{
	bool changed = false;

	setup("integrity-md", false);
	set_attr("md0", "md/array_state", "clean\n");
	CHECK_EQ_INT(devices_detach_all(&sc, false, &changed, &st), 2);
	CHECK_EQ_INT(st.md, 1);
	CHECK_EQ_INT(devices_detach_all(&sc, false, &changed, &st), 0);
	CHECK_EQ_INT(st.dm, 2);
	CHECK_STR(calls, "stop md0\nstatus dm-0\nremove dm-0\nstatus dm-1\nremove dm-1\n");
}

static uint64_t elapsed_since(uint64_t t0)
{
	return now_ms() - t0;
}

/* mdmon has not marked the volume clean: wait, but do not stop it dirty
 * before the last try; the container stays while its volume runs */
static void test_md_external_waits(void)
{
	bool changed = false;
	uint64_t t0 = now_ms();

	setup("md-external", false);
	CHECK_EQ_INT(md_detach_all(&sc, false, &changed, &st), 2);
	CHECK(!changed);
	CHECK_STR(calls, "");
	CHECK(elapsed_since(t0) >= 2900 && elapsed_since(t0) < 6000);
	CHECK_EQ_INT(md_detach_all(&sc, true, &changed, &st), 0);
	CHECK_STR(calls, "stop md126\nstop md127\n");
	CHECK_EQ_INT(st.md, 2);
}

static void test_md_external_clean(void)
{
	bool changed = false;
	uint64_t t0 = now_ms();

	setup("md-external", false);
	set_attr("md126", "md/array_state", "clean\n");
	CHECK_EQ_INT(md_detach_all(&sc, false, &changed, &st), 0);
	CHECK_STR(calls, "stop md126\nstop md127\n");
	CHECK(elapsed_since(t0) < 1500);
}

/* Regression: a native array still "active" was waited for (up to 3 s)
 * until clean, though STOP_ARRAY marks it clean itself. */
static void test_md_native_active_no_wait(void)
{
	bool changed = false;
	uint64_t t0 = now_ms();

	setup("integrity-md", false);
	CHECK_EQ_INT(md_detach_all(&sc, false, &changed, &st), 0);
	CHECK_STR(calls, "stop md0\n");
	CHECK(changed);
	CHECK(elapsed_since(t0) < 500);
}

/* a child PID namespace touches only its own stack */
static void test_scope_limits(void)
{
	bool changed = false;

	setup("loop-on-lvm", false);
	sc.whole_machine = false;
	scope_add(&sc, makedev(253, 1));
	CHECK_EQ_INT(dm_detach_all(&sc, false, &changed, &st), 0);
	CHECK_STR(calls, "status dm-1\nremove dm-1\n");
	CHECK_EQ_INT(dm_crypt_left(&sc), 0);
}

static void run(void (*fn)(void))
{
	fn();
	fixture_cleanup();
}

static void t_md1_luks_lvm_full(void) { run(test_md1_luks_lvm_full); }
static void t_mounted_untouched(void) { run(test_mounted_untouched); }
static void t_ebusy_retried(void) { run(test_ebusy_retried); }
static void t_ebusy_left(void) { run(test_ebusy_left); }
static void t_resume_all(void) { run(test_resume_all); }
static void t_resume_fails_skips(void) { run(test_resume_fails_skips); }
static void t_thin_snapshot_full(void) { run(test_thin_snapshot_full); }
static void t_integrity_md(void) { run(test_integrity_md); }
static void t_md_external_waits(void) { run(test_md_external_waits); }
static void t_md_external_clean(void) { run(test_md_external_clean); }
static void t_scope_limits(void) { run(test_scope_limits); }
static void t_md_native_active_no_wait(void) { run(test_md_native_active_no_wait); }
static void t_devices_one_pass(void) { run(test_devices_one_pass); }
static void t_devices_dm_under_md(void) { run(test_devices_dm_under_md); }

static const struct test tests[] = {
	{ "md1_luks_lvm_full", t_md1_luks_lvm_full },
	{ "mounted_untouched", t_mounted_untouched },
	{ "ebusy_retried", t_ebusy_retried },
	{ "ebusy_left", t_ebusy_left },
	{ "resume_all", t_resume_all },
	{ "resume_fails_skips", t_resume_fails_skips },
	{ "thin_snapshot_full", t_thin_snapshot_full },
	{ "integrity_md", t_integrity_md },
	{ "md_external_waits", t_md_external_waits },
	{ "md_external_clean", t_md_external_clean },
	{ "scope_limits", t_scope_limits },
	{ "md_native_active_no_wait", t_md_native_active_no_wait },
	{ "devices_one_pass", t_devices_one_pass },
	{ "devices_dm_under_md", t_devices_dm_under_md },
};

TEST_MAIN(tests)
