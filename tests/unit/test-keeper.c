/* test-keeper.c — what PID 1 stands on: bounded calls with real forks and
 * real timeouts, the stuck set, the phase budgets and reserves, the kexec
 * key check both ways, the watchdog against a regular file (ioctls are the
 * fake), and the libkmod glue on a name that does not exist. Nothing here
 * can reboot or arm the host. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "clock.h"
#include "harness.h"
#include "config.h"
#include "fake-sys.h"
#include "final.h"
#include "budget.h"
#include "keeper.h"
#include "modules.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "watchdog.h"
#include <sys/reboot.h>
#include <sched.h>

static char dir[64], logpath[128];

static void setup(void)
{
	/* the log on tmpfs, as a run keeps its own: never on a disk that may die */
	snprintf(dir, sizeof(dir), "/dev/shm/sfs-keeper.XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK(mkdir("/run/sfs-keeper", 0700) == 0 || errno == EEXIST);
		snprintf(dir, sizeof(dir), "/run/sfs-keeper/t.XXXXXX");
		CHECK(mkdtemp(dir) != NULL);
	}
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	test_log_capture(logpath);
	fake_sys_reset();
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_DEVICE");
}

static void log_restore(void)
{
	test_log_restore();
}

static void cleanup(void)
{
	test_cleanup_dir(dir);
}

static const char *log_text(void)
{
	return test_read_file(logpath);
}

/* Poll the log for s, up to ms. Returns when it appeared, or 0. */
static uint64_t log_wait(const char *s, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	do {
		if (strstr(log_text(), s))
			return now_ms();
		poll(NULL, 0, 5);
	} while (now_ms() < end);
	return 0;
}

#define CHECK_LOG(s) do { \
	const char *_t = log_text(); \
	if (!strstr(_t, s)) { fprintf(stderr, "log lacks \"%s\":\n%s", s, _t); _exit(1); } \
	} while (0)

static void config_for_test(struct config *c, unsigned deadline_ms, const char *wd)
{
	config_defaults(c);
	c->deadline_ms = deadline_ms;
	snprintf(c->watchdog, sizeof(c->watchdog), "%s", wd);
}

/* A call that overruns is killed and timed out; the same object is then
 * never tried again, another one is. */
static int sleepy(void *p)
{
	(void)sys_umount2((const char *)p, 0);
	poll(NULL, 0, 3000);
	return 0;
}

static void test_spawn_timeout_stuck(void)
{
	uint64_t t0, t1, t2, t3;
	int r1, r2, r3;
	bool ran_a, ran_a_again, ran_b;

	setup();
	t0 = now_ms();
	r1 = spawn_call(sleepy, "/a", 150, "umount /a");
	t1 = now_ms();
	ran_a = strstr(fake_sys_log, "umount2:/a\n") != NULL;
	fake_sys_reset();
	r2 = spawn_call(sleepy, "/a", 150, "umount /a");       /* no fork, no wait */
	t2 = now_ms();
	ran_a_again = strstr(fake_sys_log, "umount2:/a\n") != NULL;
	r3 = spawn_call(sleepy, "/b", 100, "umount /b");       /* another object is tried */
	t3 = now_ms();
	ran_b = strstr(fake_sys_log, "umount2:/b\n") != NULL;
	log_restore();
	CHECK_EQ_INT(r1, SPAWN_TIMEOUT);
	CHECK(t1 - t0 >= 150 && t1 - t0 < 1500);
	CHECK(ran_a);
	CHECK_EQ_INT(r2, SPAWN_TIMEOUT);
	CHECK(t2 - t1 < 50);
	CHECK(!ran_a_again);
	CHECK_EQ_INT(r3, SPAWN_TIMEOUT);
	CHECK(t3 - t2 >= 100);
	CHECK(ran_b);
	CHECK(stuck_has("umount /a") && stuck_has("umount /b") && !stuck_has("umount /c"));
	CHECK_EQ_INT(state()->stats.timeouts, 2);
	cleanup();
}

static int quick(void *p)
{
	return sys_umount2((const char *)p, 0) < 0 ? -errno : 0;
}

/* The child's result comes back as a negative errno, success as 0. */
static void test_spawn_result(void)
{
	setup();
	fake_sys_script("umount2:/busy:-1:EBUSY");
	CHECK_EQ_INT(spawn_call(quick, "/busy", 2000, "umount /busy"), -EBUSY);
	CHECK_EQ_INT(spawn_call(quick, "/free", 2000, "umount /free"), 0);
	CHECK(!stuck_has("umount /busy"));
	log_restore();
	cleanup();
}

static int stops_itself(void *p)
{
	raise(SIGSTOP);
	return 7;
}

/* A child stopped by a stray SIGSTOP (a hook's kill -STOP -1) is continued,
 * not waited out. */
static void test_spawn_continues_stopped(void)
{
	uint64_t t0;

	setup();
	t0 = now_ms();
	CHECK_EQ_INT(spawn_call(stops_itself, NULL, 3000, "stopper"), -7);
	CHECK(now_ms() - t0 < 1000);
	log_restore();
	cleanup();
}

/* Phases before the critical ones are cut so that their reserves and PID
 * 1's own sync still fit before the deadline; a critical phase keeps its
 * reserve even when the time is gone. */
static void test_phase_budgets(void)
{
	static const struct run_phase ph[] = {
		{ "a", NULL, 20000, 0, 0 },
		{ "hooks", NULL, 0, 0, PH_RAMFS },
		{ "teardown", NULL, 20000, 8000, 0 },
		{ "summary", NULL, 15000, 3000, 0 },
	};
	struct run_state rs;

	memset(&rs, 0, sizeof(rs));
	config_defaults(&rs.cfg);
	rs.cfg.deadline_ms = 45000;
	rs.stage = STAGE_TWO;
	rs.start_us = 1000000ULL * 1000;      /* 1000 s */
	/* a, 20 s in: its own 20 s would leave less than 8 + 3 + 2 s: cut at 32 s */
	rs.phase_since_ms = 1000000 + 20000;
	CHECK_EQ_INT(budget_stop(&rs, ph, 4), 1000000 + 43000);
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 0), 1000000 + 32000);
	/* the teardown from the start: its own budget */
	rs.phase_since_ms = 1000000;
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 2), 1000000 + 20000);
	/* started late (40 s in): the teardown still gets its 8 s */
	rs.phase_since_ms = 1000000 + 40000;
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 2), 1000000 + 48000);
	/* hooks: what the worker asked for, cut like any other */
	rs.phase_since_ms = 1000000;
	rs.phase_budget_ms = 5000;
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 1), 1000000 + 5000);
	rs.phase_budget_ms = 0;
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 1), 1000000 + rs.cfg.hook_timeout_ms + 1000);
	/* a short deadline: the reserves (13 s) are scaled into a third of it */
	rs.cfg.deadline_ms = 6000;
	rs.phase_since_ms = 1000000;
	/* stop = 6000 - 2000*2000/13000 = 5693; teardown+summary 11000*2000/13000 = 1692 */
	CHECK_EQ_INT(budget_stop(&rs, ph, 4), 1000000 + 5693);
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 0), 1000000 + 5693 - 1692);
	/* no deadline: budgets only */
	rs.cfg.deadline_ms = 0;
	CHECK_EQ_INT(budget_phase_end(&rs, ph, 4, 0), 1000000 + 20000);
	CHECK_EQ_INT(budget_deadline(&rs), 0);
}

/* kexec goes only when the keys were counted and none is left. */
static void test_kexec_check(void)
{
	struct config c;
	struct stats st;
	pid_t pid;
	int status;

	setup();
	config_defaults(&c);
	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(final_reboot_cmd(ACTION_KEXEC, &c, &st, false), RB_AUTOBOOT);
	CHECK_LOG("kexec refused: cannot tell whether dm-crypt keys are left");
	st.crypt_left = 1;
	CHECK_EQ_INT(final_reboot_cmd(ACTION_KEXEC, &c, &st, true), RB_AUTOBOOT);
	CHECK_LOG("kexec refused: 1 dm-crypt mappings left");
	CHECK_EQ_INT(final_reboot_cmd(ACTION_POWEROFF, &c, &st, false), RB_POWER_OFF);
	/* the way through: in a child PID namespace, where no loaded kernel
	 * is asked for, a counted zero gives RB_KEXEC */
	st.crypt_left = 0;
	if (unshare(CLONE_NEWPID) < 0) {
		log_restore();
		cleanup();
		return;         /* not root: the refusals above are the test */
	}
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(final_reboot_cmd(ACTION_KEXEC, &c, &st, true) == (int)0x45584543 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	log_restore();
	cleanup();
}

/* A regular file stands in for the device: the ioctls are the fake's. */
static void test_watchdog_armed(void)
{
	char wd[128];
	struct config c;

	setup();
	snprintf(wd, sizeof(wd), "%s/watchdog", dir);
	test_write_file(wd, "");
	config_for_test(&c, 30000, wd);
	watchdog_start(&c, now_ms() + 30000);
	if (!pidns_is_initial()) {
		log_restore();
		CHECK_LOG("watchdog: not touching the host's watchdog from a child pid namespace");
		CHECK(!strstr(fake_sys_log, "ioctl:"));
		cleanup();
		return;
	}
	log_restore();
	CHECK(strstr(fake_sys_log, "ioctl:0x80285700\n"));    /* GETSUPPORT */
	CHECK(strstr(fake_sys_log, "ioctl:0xc0045706\n"));    /* SETTIMEOUT */
	CHECK(strstr(fake_sys_log, "ioctl:0x80045707\n"));    /* GETTIMEOUT */
	CHECK_LOG("armed, 40 s");
	fake_sys_reset();
	watchdog_ping();
	CHECK(strstr(fake_sys_log, "ioctl:0x80045705\n") ||   /* KEEPALIVE */
	      strstr(fake_sys_log, "ioctl:0xc0045706\n"));
	CHECK(!strstr(log_text(), "magic"));
	cleanup();
}

/* exitrd: systemd's WATCHDOG_USEC caps the timeout, WATCHDOG_DEVICE names it. */
static void test_watchdog_systemd(void)
{
	char wd[128];
	struct config c;

	setup();
	if (!pidns_is_initial()) {
		cleanup();
		return;
	}
	snprintf(wd, sizeof(wd), "%s/watchdog", dir);
	test_write_file(wd, "");
	setenv("WATCHDOG_USEC", "20000000", 1);
	setenv("WATCHDOG_DEVICE", wd, 1);
	config_for_test(&c, 60000, "auto");
	watchdog_start(&c, now_ms() + 60000);
	log_restore();
	CHECK_LOG("armed, 20 s");
	cleanup();
}

static void test_watchdog_off(void)
{
	struct config c;

	setup();
	setenv("WATCHDOG_USEC", "600000000", 1);
	config_for_test(&c, 0, "off");
	watchdog_start(&c, 0);
	log_restore();
	CHECK(!strstr(fake_sys_log, "ioctl:"));
	CHECK_LOG("watchdog: off here; the one systemd armed (600 s) stays armed");
	cleanup();
}

/* No deadline, no systemd watchdog: the device is not even opened. */
static void test_watchdog_no_deadline(void)
{
	char wd[128];
	struct config c;

	setup();
	snprintf(wd, sizeof(wd), "%s/watchdog", dir);
	test_write_file(wd, "");
	config_for_test(&c, 0, wd);
	watchdog_start(&c, 0);
	log_restore();
	CHECK(!strstr(fake_sys_log, "ioctl:"));
	if (pidns_is_initial())
		CHECK_LOG("watchdog: no deadline, not arming it");
	cleanup();
}

static void test_modules_missing(void)
{
	struct config c;

	setup();
	CHECK(modules_load("shutdownfs-no-such-module") < 0);
	config_defaults(&c);
	c.npreload = 1;
	snprintf(c.preload[0], sizeof(c.preload[0]), "shutdownfs-no-such-module");
	CHECK_EQ_INT(modules_preload(&c), 1);
	c.npreload = 0;
	CHECK_EQ_INT(modules_preload(&c), 0);
	log_restore();
	cleanup();
}

static const struct test tests[] = {
	{ "spawn_timeout_stuck", test_spawn_timeout_stuck },
	{ "spawn_result", test_spawn_result },
	{ "spawn_continues_stopped", test_spawn_continues_stopped },
	{ "phase_budgets", test_phase_budgets },
	{ "kexec_check", test_kexec_check },
	{ "watchdog_armed", test_watchdog_armed },
	{ "watchdog_systemd", test_watchdog_systemd },
	{ "watchdog_off", test_watchdog_off },
	{ "watchdog_no_deadline", test_watchdog_no_deadline },
	{ "modules_missing", test_modules_missing },
};

TEST_MAIN(tests)
