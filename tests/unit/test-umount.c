/* test-umount.c — the unmount phase on mountinfo fixtures against the fake
 * sys.h: newest first, only the old root, no cap on the number of mounts,
 * read-only before detach, and the batch child that names a hanging call
 * and goes on with the rest. */
#include <sys/mount.h>
#include <time.h>

#include "harness.h"
#include "layers.h"
#include "state.h"
#include "fake-sys.h"
#include "fixture-path.h"
#include "scope.h"
#include "spawn.h"
#include "umount.h"
#include "umount-batch.h"

extern unsigned umount_timeout_ms;      /* umount.c: per call, tests shorten it */

static struct scope sc;
static struct stats st;
static char mi[PATH_MAX];

static void setup(const char *fixture)
{
	snprintf(mi, sizeof(mi), "%s/mountinfo/%s", fixtures_dir(), fixture);
	scope_init(&sc, false, "/oldroot");
	sc.mountinfo = mi;
	memset(&st, 0, sizeof(st));
	fake_sys_reset();
}

static void newest_first_only_oldroot(void)
{
	bool changed = false;

	setup("nested-bind.mountinfo");
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 0);
	CHECK(changed);
	CHECK_EQ_INT(st.unmounted, 6);
	CHECK_STR(fake_sys_log,
		  "umount2:/oldroot/mnt/space here\n"
		  "umount2:/oldroot/mnt/fuse\n"
		  "umount2:/oldroot/mnt/bind\n"
		  "umount2:/oldroot/data/sub\n"
		  "umount2:/oldroot/data\n"
		  "umount2:/oldroot\n");
	/* one glance line: the old root, not each mount under it */
	CHECK_EQ_INT(state()->layers.n, 1);
	CHECK_STR(state()->layers.v[0].kind, "root");
	CHECK_STR(state()->layers.v[0].name, "/oldroot");
	CHECK_STR(state()->layers.v[0].outcome, "unmounted");
}

/* busy ones are counted as left, and no progress without a success */
static void busy_counts(void)
{
	bool changed = false;
	int i;

	setup("nested-bind.mountinfo");
	fake_sys_script("umount2:/oldroot/data:-1:EBUSY");
	fake_sys_script("umount2:/oldroot:-1:EBUSY");
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 2);
	CHECK(changed);
	CHECK_EQ_INT(st.unmounted, 4);
	CHECK_EQ_INT(state()->layers.n, 0);     /* the root is still there */
	changed = false;
	fake_sys_reset();
	for (i = 0; i < 6; i++)
		fake_sys_script(i % 2 ? "umount2:/oldroot/data:-1:EBUSY" : "umount2:/oldroot:-1:EBUSY");
	fake_sys_script("umount2:/oldroot/mnt/space here:-1:EBUSY");
	fake_sys_script("umount2:/oldroot/mnt/fuse:-1:EBUSY");
	fake_sys_script("umount2:/oldroot/mnt/bind:-1:EBUSY");
	fake_sys_script("umount2:/oldroot/data/sub:-1:EBUSY");
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 6);
	CHECK(!changed);
}

/* Regression: a fixed MAX_TARGETS of 1024 left every mount past it alone,
 * and the capped count made 3000 idle mounts end degraded. */
static void more_than_1024_mounts(void)
{
	char path[PATH_MAX];
	bool changed = false;
	FILE *f;
	int i, n = 1500;
	const char *p;

	snprintf(path, sizeof(path), "/tmp/sfs-unit-mi.%d", (int)getpid());
	f = fopen(path, "w");
	CHECK(f);
	fprintf(f, "30 1 0:30 / /oldroot rw - tmpfs r rw\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%d 30 0:%d / /oldroot/m/%d rw - tmpfs t rw\n", 100 + i, 100 + i, i);
	fclose(f);
	scope_init(&sc, false, "/oldroot");
	sc.mountinfo = path;
	memset(&st, 0, sizeof(st));
	fake_sys_reset();
	CHECK_EQ_INT(umount_count(&sc), n + 1);
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 0);
	unlink(path);
	CHECK_EQ_INT(st.unmounted, n + 1);
	/* newest first: m/1499 ... m/0, then the root */
	CHECK(strncmp(fake_sys_log, "umount2:/oldroot/m/1499\n", 24) == 0);
	for (i = 0, p = fake_sys_log; (p = strstr(p, "umount2:")); p++)
		i++;
	CHECK_EQ_INT(i, n + 1);
}

/* What stays: every one read-only before any is detached. */
static void finish_ro_then_detach(void)
{
	const char *detach;

	setup("nested-bind.mountinfo");
	CHECK_EQ_INT(umount_finish(&sc, &st), 6);
	CHECK_EQ_INT(st.ro, 6);
	CHECK_EQ_INT(st.detached, 6);
	CHECK_EQ_INT(state()->layers.n, 1);
	CHECK_STR(state()->layers.v[0].outcome, "left read-only, lazily detached");
	detach = strstr(fake_sys_log, "umount2:");
	CHECK(detach);
	CHECK(strstr(fake_sys_log, "mount:/oldroot\n") < detach);
	CHECK(strstr(detach, "\nmount:") == NULL);
	CHECK(strstr(fake_sys_log, "mount:/oldroot/mnt/space here\nmount:/oldroot/mnt/fuse\n"));
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* In real children: a call that hangs is named SPAWN_TIMEOUT after its own
 * deadline, and a fresh child does the calls after it. */
static void batch_hang_skipped(void)
{
	struct umount_call c[5] = {
		{ "/oldroot/a", UMOUNT_OP_UMOUNT, 0, 1 },
		{ "/oldroot/b", UMOUNT_OP_UMOUNT, 0, 1 },
		{ "/oldroot/hang", UMOUNT_OP_UMOUNT, 0, 1 },
		{ "/oldroot/busy", UMOUNT_OP_UMOUNT, 0, 1 },
		{ "/oldroot/ro", UMOUNT_OP_REMOUNT_RO, 0, 1 },
	};
	uint64_t t0 = ms_now();

	fake_sys_reset();
	fake_sys_script("umount2:/oldroot/hang:-1:HANG");
	fake_sys_script("umount2:/oldroot/busy:-1:EBUSY");
	CHECK_EQ_INT(umount_batch_run(c, 5, 1000), 1);
	CHECK_EQ_INT(c[0].result, 0);
	CHECK_EQ_INT(c[1].result, 0);
	CHECK_EQ_INT(c[2].result, SPAWN_TIMEOUT);
	CHECK_EQ_INT(c[3].result, -EBUSY);
	CHECK_EQ_INT(c[4].result, 0);
	CHECK(ms_now() - t0 < 8000);
	(void)reap_all();
}

/* A pass with a hanging mount: it is marked stuck (a timeout counted) and
 * not tried again; the ones after it in the table still go. */
static void pass_stuck_not_retried(void)
{
	bool changed = false;

	setup("nested-bind.mountinfo");
	umount_timeout_ms = 1000;
	fake_sys_script("umount2:/oldroot/mnt/fuse:-1:HANG");
	fake_sys_script("umount2:/oldroot/data:-1:EBUSY");
	fake_sys_script("umount2:/oldroot:-1:EBUSY");
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 3);
	CHECK_EQ_INT(st.unmounted, 3);
	CHECK_EQ_INT(st.timeouts, 1);
	/* second pass: the stuck one is skipped without a call or a wait */
	fake_sys_reset();
	CHECK_EQ_INT(umount_pass(&sc, &changed, &st), 1);
	CHECK(strstr(fake_sys_log, "/oldroot/mnt/fuse") == NULL);
	CHECK_EQ_INT(st.timeouts, 1);
	(void)reap_all();
}

static const struct test tests[] = {
	{ "newest-first-only-oldroot", newest_first_only_oldroot },
	{ "busy-counts", busy_counts },
	{ "more-than-1024-mounts", more_than_1024_mounts },
	{ "finish-ro-then-detach", finish_ro_then_detach },
	{ "batch-hang-skipped", batch_hang_skipped },
	{ "pass-stuck-not-retried", pass_stuck_not_retried },
};

TEST_MAIN(tests)
