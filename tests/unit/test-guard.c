/* test-guard.c — the deadline guardian (a real fork; reboot(2) is the fake,
 * observed through the log the guardian writes), the watchdog against a
 * regular file (ioctls are the fake), and the libkmod glue on a name that
 * does not exist. Nothing here can reboot or arm the host. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "harness.h"
#include "config.h"
#include "fake-sys.h"
#include "guard.h"
#include "modules.h"
#include "spawn.h"

static char dir[64], logpath[128];
static int saved_stderr = -1;

static void setup(void)
{
	int fd;

	/* the guardian keeps a log file only where no block device backs it
	 * (a write on a dying disk must not stop it): tmpfs */
	snprintf(dir, sizeof(dir), "/dev/shm/sfs-guard.XXXXXX");
	if (!mkdtemp(dir)) {
		CHECK(mkdir("/run/sfs-guard", 0700) == 0 || errno == EEXIST);
		snprintf(dir, sizeof(dir), "/run/sfs-guard/t.XXXXXX");
		CHECK(mkdtemp(dir) != NULL);
	}
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	saved_stderr = dup(2);
	dup2(fd, 2);            /* the guardian keeps this as its log */
	close(fd);
	fake_sys_reset();
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_DEVICE");
}

static void log_restore(void)
{
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

static void cleanup(void)
{
	char cmd[128];
	pid_t g = guard_pid();

	log_restore();
	if (g > 0) {
		kill(g, SIGKILL);
		waitpid(g, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

static const char *log_text(void)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(logpath, O_RDONLY);

	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
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

static void reboot_fails(void)
{
	fake_sys_script("reboot:0x4321fedc:-1:EPERM");
	fake_sys_script("reboot:0x1234567:-1:EPERM");
	fake_sys_script("reboot:0xcdef0123:-1:EPERM");
}

/* It fires at the deadline, names the step PID 1 recorded after the fork
 * (shared memory), tries the action, then the fallbacks, and stays. */
static void test_fires(void)
{
	struct config c;
	uint64_t t0, t;
	int pid;

	setup();
	reboot_fails();
	config_for_test(&c, 300, "off");
	guard_init();
	guard_step("kill");
	t0 = now_ms();
	pid = guard_start(&c, ACTION_POWEROFF, t0 + 300);
	CHECK(pid > 0);
	CHECK_EQ_INT(guard_pid(), pid);
	guard_step("unmount");
	t = log_wait("deadline of 300 ms reached", 3000);
	log_restore();
	CHECK(t >= t0 + 300 && t < t0 + 1000);
	CHECK(log_wait("cannot reboot, halt or power off", 2000));
	CHECK_LOG("deadline of 300 ms reached during unmount (running for ");
	CHECK_LOG("forcing poweroff\n");
	CHECK_LOG("guardian: reboot(2) 0x4321fedc: Operation not permitted, trying the next action");
	CHECK_LOG("guardian: reboot(2) 0x1234567: Operation not permitted");
	CHECK_LOG("guardian: reboot(2) 0xcdef0123: Operation not permitted");
	/* still there, paused: never exits */
	CHECK(kill(pid, 0) == 0);
	CHECK(waitpid(pid, NULL, WNOHANG) == 0);
	cleanup();
}

/* kexec after a wedged run becomes a plain reboot. */
static void test_kexec_reboots(void)
{
	struct config c;

	setup();
	config_for_test(&c, 100, "off");
	guard_init();
	CHECK(guard_start(&c, ACTION_KEXEC, now_ms() + 100) > 0);
	CHECK(log_wait("forcing reboot", 2000));
	/* the fake reboot(2) "returned": it goes on to the fallbacks */
	CHECK(log_wait("guardian: reboot(2) 0x1234567", 2000));
	cleanup();
}

/* A deadline already behind us fires at once; before guard_step() the
 * step is "startup". */
static void test_past_deadline(void)
{
	struct config c;
	uint64_t t0;

	setup();
	config_for_test(&c, 1, "off");
	t0 = now_ms();
	CHECK(guard_start(&c, ACTION_REBOOT, t0 > 50 ? t0 - 50 : 1) > 0);
	{
		uint64_t t = log_wait("reached during startup", 2000);

		CHECK(t && t < t0 + 1000);
	}
	cleanup();
}

static void test_disabled(void)
{
	struct config c;

	setup();
	config_for_test(&c, 0, "off");
	CHECK_EQ_INT(guard_start(&c, ACTION_POWEROFF, 0), 0);
	CHECK_EQ_INT(guard_pid(), 0);
	log_restore();
	CHECK_LOG("guardian: no deadline");
	cleanup();
}

/* It holds no fd of ours (an fd on the old root would keep it busy) and
 * ignores the SIGTERM of a stray kill(-1). */
static void test_holds_nothing(void)
{
	struct config c;
	struct pollfd pfd;
	char ch;
	int p[2], pid;

	setup();
	CHECK(pipe(p) == 0);
	config_for_test(&c, 10000, "off");
	pid = guard_start(&c, ACTION_POWEROFF, now_ms() + 10000);
	CHECK(pid > 0);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK_EQ_INT(poll(&pfd, 1, 2000), 1);
	CHECK_EQ_INT(read(p[0], &ch, 1), 0);         /* EOF: no writer left */
	CHECK(kill(pid, SIGTERM) == 0);
	poll(NULL, 0, 100);
	CHECK(waitpid(pid, NULL, WNOHANG) == 0);
	cleanup();
}

/* A guardian never outlives its parent: a failed test must not leave one
 * paused forever. */
static void test_dies_with_parent(void)
{
	struct config c;
	char path[64];
	pid_t child, g = 0;
	int p[2], i;

	setup();
	CHECK(pipe(p) == 0);
	config_for_test(&c, 10000, "off");
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		g = guard_start(&c, ACTION_POWEROFF, now_ms() + 10000);
		(void)!write(p[1], &g, sizeof(g));
		_exit(0);
	}
	CHECK_EQ_INT(read(p[0], &g, sizeof(g)), sizeof(g));
	CHECK(g > 0);
	waitpid(child, NULL, 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)g);
	for (i = 0; i < 100; i++) {
		char buf[256] = "", *q;
		FILE *f = fopen(path, "r");

		if (!f)
			break;
		(void)!fgets(buf, sizeof(buf), f);
		fclose(f);
		q = strrchr(buf, ')');
		if (q && q[2] == 'Z')
			break;
		poll(NULL, 0, 10);
	}
	CHECK(i < 100);
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
	CHECK(guard_start(&c, ACTION_POWEROFF, now_ms() + 30000) > 0);
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
	guard_step("unmount");
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
	CHECK(guard_start(&c, ACTION_REBOOT, now_ms() + 60000) > 0);
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
	CHECK_EQ_INT(guard_start(&c, ACTION_REBOOT, 0), 0);
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
	CHECK_EQ_INT(guard_start(&c, ACTION_REBOOT, 0), 0);
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
	{ "fires", test_fires },
	{ "kexec_reboots", test_kexec_reboots },
	{ "past_deadline", test_past_deadline },
	{ "disabled", test_disabled },
	{ "holds_nothing", test_holds_nothing },
	{ "dies_with_parent", test_dies_with_parent },
	{ "watchdog_armed", test_watchdog_armed },
	{ "watchdog_systemd", test_watchdog_systemd },
	{ "watchdog_off", test_watchdog_off },
	{ "watchdog_no_deadline", test_watchdog_no_deadline },
	{ "modules_missing", test_modules_missing },
};

TEST_MAIN(tests)
