/* test-hooks.c — the hook runner with real fork/exec on tiny shell hooks in
 * a temp dir: order, environment, deadlines, leftovers, floods, unsafe files. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "clock.h"
#include "harness.h"
#include "fixture-path.h"
#include "layers.h"
#include "state.h"
#include "hooks.h"
#include "hooks-run.h"
#include "spawn.h"

static char dir[64], phase[128], logpath[128];

/* A temp hooks dir with a teardown/ phase; the log (stderr) to a file. */
static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/sfs-hooks.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chmod(dir, 0755) == 0);
	snprintf(phase, sizeof(phase), "%s/teardown", dir);
	CHECK(mkdir(phase, 0755) == 0);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	close(fd);
}

/* The log (stderr) goes to the file only while hooks run, so that failed
 * checks still reach the harness's stderr. */
static void log_capture(void)
{
	test_log_capture(logpath);
}

static void log_restore(void)
{
	test_log_restore();
}

static void cleanup(void)
{
	test_cleanup_dir(dir);
}

static void hook_write(const char *name, mode_t mode, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", phase, name);
	test_write_file(path, body);
	CHECK(chmod(path, mode) == 0);
}

/* The whole log so far. */
static const char *log_text(void)
{
	return test_read_file(logpath);
}

static unsigned count_lines_with(const char *text, const char *needle)
{
	unsigned n = 0;
	const char *p = text;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int run(unsigned timeout_ms, struct stats *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	log_capture();
	r = hooks_run_phase(dir, PHASE_TEARDOWN, ACTION_POWEROFF, timeout_ms, st);
	log_restore();
	return r;
}

#define CHECK_LOG(s) do { \
	const char *_t = log_text(); \
	if (!strstr(_t, s)) { fprintf(stderr, "log lacks \"%s\":\n%s", s, _t); _exit(1); } \
	} while (0)

static void test_phase_names(void)
{
	CHECK_STR(phase_name(PHASE_PRE_UMOUNT), "pre-umount");
	CHECK_STR(phase_name(PHASE_TEARDOWN), "teardown");
	CHECK_STR(phase_name(PHASE_POST_TEARDOWN), "post-teardown");
	CHECK_STR(phase_name(PHASE_FINAL), "final");
}

static void test_timeout_line(void)
{
	const char *a = "#!/bin/sh\n# needs: lvm\n# timeout: 30\nexec true\n";
	const char *b = "#!/bin/sh\n#timeout:5s\n";
	const char *bad = "#!/bin/sh\n# timeout: soon\n";
	const char *zero = "#!/bin/sh\n# timeout: 0\n";
	const char *huge = "#!/bin/sh\n# timeout: 99999\n";
	const char *late = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n# timeout: 3\n";
	const char *code = "#!/bin/sh\necho '# timeout: 3'\n";

	CHECK_EQ_INT(hook_timeout_parse(a, strlen(a)), 30000);
	CHECK_EQ_INT(hook_timeout_parse(b, strlen(b)), 5000);
	CHECK_EQ_INT(hook_timeout_parse(bad, strlen(bad)), 0);
	CHECK_EQ_INT(hook_timeout_parse(zero, strlen(zero)), 0);
	CHECK_EQ_INT(hook_timeout_parse(huge, strlen(huge)), 0);
	CHECK_EQ_INT(hook_timeout_parse(late, strlen(late)), 0);
	CHECK_EQ_INT(hook_timeout_parse(code, strlen(code)), 0);
}

static void test_missing_phase(void)
{
	struct stats st;

	setup();
	CHECK(rmdir(phase) == 0);
	CHECK_EQ_INT(run(1000, &st), 0);
	CHECK_EQ_INT(st.hooks_ok + st.hooks_failed + st.hooks_timeout, 0);
	cleanup();
}

/* Bytewise order ("10-" before "2-"), hidden files and backups left out,
 * argv[1] is the action, a binary hook runs as well as a script. */
static void test_order(void)
{
	char body[512], out[256], buf[256];
	struct stats st;
	int fd;
	ssize_t n;

	setup();
	snprintf(out, sizeof(out), "%s/order", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\necho \"10-a $1\" >> %s\n", out);
	hook_write("10-a", 0755, body);
	snprintf(body, sizeof(body), "#!/bin/sh\necho \"2-b $1\" >> %s\n", out);
	hook_write("2-b", 0700, body);
	snprintf(body, sizeof(body), "#!/bin/sh\necho \"30-c $1\" >> %s\n", out);
	hook_write("30-c", 0755, body);
	snprintf(body, sizeof(body), "#!/bin/sh\necho hidden >> %s\n", out);
	hook_write(".hidden", 0755, body);
	hook_write("30-c~", 0755, body);
	snprintf(body, sizeof(body), "cp /bin/true %s/25-true", phase);
	CHECK(system(body) == 0);
	CHECK_EQ_INT(run(5000, &st), 0);
	CHECK_EQ_INT(st.hooks_ok, 4);
	fd = open(out, O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "10-a poweroff\n2-b poweroff\n30-c poweroff\n");
	CHECK_LOG("hook teardown/25-true: done");
	cleanup();
}

/* /proc/PID/environ is the block execve() got, before the shell adds to it. */
static void test_env_exact(void)
{
	char body[512], out[256], buf[1024];
	struct stats st;
	ssize_t n;
	int fd;

	setup();
	snprintf(out, sizeof(out), "%s/env", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ | sort > %s\n", out);
	hook_write("50-env", 0755, body);
	CHECK_EQ_INT(run(5000, &st), 0);
	fd = open(out, O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "DM_DISABLE_UDEV=1\nPATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
		  "SHUTDOWNFS_ACTION=poweroff\nSHUTDOWNFS_PHASE=teardown\n");
	cleanup();
}

static void test_output_and_stdin(void)
{
	struct stats st;
	uint64_t t0;

	setup();
	hook_write("10-talk", 0755, "#!/bin/sh\necho to stdout\necho to stderr >&2\n"
		   "printf 'no newline at the end'\n");
	/* a hook reading stdin gets EOF at once, not the console */
	hook_write("20-stdin", 0755, "#!/bin/sh\ncat\nread x; echo \"read returned $?\"\n");
	t0 = now_ms();
	CHECK_EQ_INT(run(5000, &st), 0);
	CHECK(now_ms() - t0 < 3000);
	CHECK_EQ_INT(st.hooks_ok, 2);
	CHECK_LOG("hook teardown/10-talk: to stdout\n");
	CHECK_LOG("hook teardown/10-talk: to stderr\n");
	CHECK_LOG("hook teardown/10-talk: no newline at the end\n");
	CHECK_LOG("hook teardown/20-stdin: read returned 1\n");
	cleanup();
}

static void test_fail(void)
{
	struct stats st;

	setup();
	hook_write("10-exit3", 0755, "#!/bin/sh\nexit 3\n");
	hook_write("20-segv", 0755, "#!/bin/sh\nkill -SEGV $$\n");
	hook_write("30-ok", 0755, "#!/bin/sh\nexit 0\n");
	hook_write("40-nointerp", 0755, "#!/nonexistent/sh\nexit 0\n");
	CHECK_EQ_INT(run(5000, &st), 3);
	CHECK_EQ_INT(st.hooks_ok, 1);
	CHECK_EQ_INT(st.hooks_failed, 3);
	CHECK_EQ_INT(st.hooks_timeout, 0);
	CHECK_LOG("hook teardown/10-exit3: exited with status 3, going on");
	CHECK_LOG("hook teardown/20-segv: killed by signal 11");
	CHECK_LOG("hook teardown/40-nointerp: cannot execute: No such file or directory");
	cleanup();
}

/* A hang is killed at its deadline; one that ignores SIGTERM a second
 * later; the run goes on to the next hook. */
static void test_timeout(void)
{
	struct stats st;
	uint64_t t0, ms;

	setup();
	hook_write("10-hang", 0755, "#!/bin/sh\necho hanging\nsleep 100\n");
	hook_write("20-stubborn", 0755, "#!/bin/sh\ntrap '' TERM\nwhile :; do sleep 1; done\n");
	hook_write("30-after", 0755, "#!/bin/sh\necho still running hooks\n");
	t0 = now_ms();
	CHECK_EQ_INT(run(500, &st), 2);
	ms = now_ms() - t0;
	CHECK_EQ_INT(st.hooks_timeout, 2);
	CHECK_EQ_INT(st.hooks_ok, 1);
	/* 500 + (500 + 1000 grace) + slack */
	CHECK(ms >= 1900 && ms < 4500);
	CHECK_LOG("hook teardown/10-hang: hanging");
	CHECK_LOG("hook teardown/10-hang: timed out after 500 ms, sending SIGTERM");
	CHECK_LOG("hook teardown/20-stubborn: still running 1000 ms after SIGTERM, sending SIGKILL");
	CHECK_LOG("hook teardown/10-hang: killed after ");
	/* the time it ran, not its timeout: 500 ms + 1000 ms grace */
	{
		const char *k = strstr(log_text(), "hook teardown/20-stubborn: killed after ");
		unsigned ran = 0;

		CHECK(k && sscanf(k, "hook teardown/20-stubborn: killed after %u ms", &ran) == 1);
		CHECK(ran >= 1500 && ran < 4000);
		CHECK(strstr(k, " ms (timeout 500 ms), ignoring") != NULL);
	}
	CHECK_LOG("hook teardown/30-after: still running hooks");
	cleanup();
}

static void test_own_timeout(void)
{
	struct stats st;
	uint64_t t0, ms;

	setup();
	hook_write("10-own", 0755, "#!/bin/sh\n# needs: sleep\n# timeout: 1\nsleep 100\n");
	t0 = now_ms();
	CHECK_EQ_INT(run(20000, &st), 1);
	ms = now_ms() - t0;
	CHECK_EQ_INT(st.hooks_timeout, 1);
	CHECK(ms >= 1000 && ms < 2500);
	CHECK_LOG("timed out after 1000 ms");
	cleanup();
}

static bool pid_alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

static pid_t pid_from(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	(void)!fgets(buf, sizeof(buf), f);
	fclose(f);
	return (pid_t)atoi(buf);
}

/* Children left in the group, and a daemon that left it with setsid and
 * keeps the output pipe open: all killed, and the runner does not wait for
 * the pipe's EOF. */
static void test_leftovers(void)
{
	char body[1024], p1[256], p2[256];
	struct stats st;
	uint64_t t0;
	pid_t a, b;

	setup();
	snprintf(p1, sizeof(p1), "%s/pid1", dir);
	snprintf(p2, sizeof(p2), "%s/pid2", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\nsleep 300 &\necho $! > %s\n"
		 "setsid sleep 301 &\necho $! > %s\necho started\n", p1, p2);
	hook_write("10-daemon", 0755, body);
	t0 = now_ms();
	CHECK_EQ_INT(run(10000, &st), 0);
	CHECK(now_ms() - t0 < 3000);
	CHECK_EQ_INT(st.hooks_ok, 1);
	a = pid_from(p1);
	b = pid_from(p2);
	CHECK(a > 0 && b > 0);
	CHECK(!pid_alive(a));
	CHECK(!pid_alive(b));
	CHECK_LOG("hook teardown/10-daemon: killed 2 leftover processes");
	cleanup();
}

/* Megabytes of output: neither blocks nor floods; long lines are cut. */
static void test_flood(void)
{
	struct stats st;
	const char *t, *p;
	uint64_t t0;

	setup();
	hook_write("10-flood", 0755, "#!/bin/sh\nhead -c 3000 /dev/zero | tr '\\0' x; echo\n"
		   "yes 0123456789abcdef0123456789abcdef | head -c 8000000\necho last >&2\n");
	t0 = now_ms();
	CHECK_EQ_INT(run(10000, &st), 0);
	CHECK(now_ms() - t0 < 5000);
	CHECK_EQ_INT(st.hooks_ok, 1);
	t = log_text();
	CHECK_EQ_INT(count_lines_with(t, "hook teardown/10-flood: "), HOOK_LINES_MAX + 2);
	CHECK_LOG("more lines dropped");
	CHECK_LOG(" [cut]\n");
	/* the cut line holds HOOK_LINE_MAX bytes of it */
	p = strstr(t, "10-flood: xxx");
	CHECK(p && strchr(p, '\n') - p == (long)strlen("10-flood: ") + HOOK_LINE_MAX + 6);
	cleanup();
}

/* Unsafe hooks are named and skipped, never run. */
static void test_unsafe(void)
{
	char body[512], out[256], path[512];
	struct stats st;

	setup();
	snprintf(out, sizeof(out), "%s/ran", dir);
	snprintf(body, sizeof(body), "#!/bin/sh\necho ran >> %s\n", out);
	hook_write("10-groupw", 0775, body);
	hook_write("11-worldw", 0757, body);
	hook_write("12-noexec", 0644, body);
	hook_write("13-notroot", 0755, body);
	snprintf(path, sizeof(path), "%s/13-notroot", phase);
	CHECK(chown(path, 1000, 1000) == 0);
	snprintf(path, sizeof(path), "%s/14-dir", phase);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/15-fifo", phase);
	CHECK(mkfifo(path, 0755) == 0);
	hook_write("99-target", 0755, body);
	snprintf(path, sizeof(path), "%s/16-link", phase);
	CHECK(symlink("99-target", path) == 0);
	CHECK_EQ_INT(run(2000, &st), 7);
	CHECK_EQ_INT(st.hooks_ok, 1);
	CHECK_EQ_INT(st.hooks_failed + st.hooks_timeout, 0);
	CHECK_LOG("hook teardown/10-groupw: writable by group or others, skipped");
	CHECK_LOG("hook teardown/11-worldw: writable by group or others, skipped");
	CHECK_LOG("hook teardown/12-noexec: not executable, skipped");
	CHECK_LOG("hook teardown/13-notroot: not owned by root, skipped");
	CHECK_LOG("hook teardown/14-dir: not a regular file, skipped");
	CHECK_LOG("hook teardown/15-fifo: not a regular file, skipped");
	CHECK_LOG("hook teardown/16-link: a symlink, skipped");
	{
		char buf[64] = "";
		FILE *f = fopen(out, "r");

		CHECK(f != NULL);
		(void)!fgets(buf, sizeof(buf), f);
		fclose(f);
		CHECK_STR(buf, "ran\n");       /* 99-target only */
	}
	cleanup();
}

/* PID 1 may block or ignore signals; a hook must not inherit that. */
static void test_signals_reset(void)
{
	struct stats st;
	sigset_t set;
	uint64_t t0;

	setup();
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hook_write("10-hang", 0755, "#!/bin/sh\nexec sleep 100\n");
	t0 = now_ms();
	CHECK_EQ_INT(run(300, &st), 1);
	/* SIGTERM did it: no second of grace before SIGKILL */
	CHECK(now_ms() - t0 < 1200);
	CHECK_EQ_INT(st.hooks_timeout, 1);
	cleanup();
}

/* What a hook took down gets a glance line of its own (layers.h), named
 * after the hook; what it left alone gets none. */
static void test_hook_layers(void)
{
	struct run_state *rs = state();
	const struct layer_set *ls = &rs->layers;
	char body[PATH_MAX + 64];
	const char *sys;
	struct stats st;

	setup();
	sys = fixture_copy("md1-luks-lvm");
	scope_init(&rs->scope, true, "/oldroot");
	rs->scope.sysfs = sys;
	rs->scope.mountinfo = "/dev/null";
	rs->scope.swaps = "/dev/null";
	rs->scope_ready = true;
	snprintf(body, sizeof(body), "#!/bin/sh\nrm -f %s/class/block/dm-1 %s/class/block/dm-0\n",
		 sys, sys);
	hook_write("20-close", 0755, body);
	CHECK_EQ_INT(run(5000, &st), 0);
	CHECK_EQ_INT(st.hooks_ok, 1);
	CHECK_EQ_INT(ls->n, 2);
	CHECK_STR(ls->v[0].kind, "luks");
	CHECK_STR(ls->v[0].name, "dm-0 (md-crypt)");
	CHECK_STR(ls->v[0].outcome, "removed by hook teardown/20-close, key wiped");
	CHECK_STR(ls->v[1].kind, "lv");
	CHECK_STR(ls->v[1].name, "dm-1 (vg0-root)");
	CHECK_STR(ls->v[1].outcome, "removed by hook teardown/20-close");
	fixture_cleanup();
	cleanup();
}

static const struct test tests[] = {
	{ "phase_names", test_phase_names },
	{ "timeout_line", test_timeout_line },
	{ "missing_phase", test_missing_phase },
	{ "order", test_order },
	{ "env_exact", test_env_exact },
	{ "output_and_stdin", test_output_and_stdin },
	{ "fail", test_fail },
	{ "timeout", test_timeout },
	{ "own_timeout", test_own_timeout },
	{ "leftovers", test_leftovers },
	{ "flood", test_flood },
	{ "unsafe", test_unsafe },
	{ "signals_reset", test_signals_reset },
	{ "hook_layers", test_hook_layers },
};

TEST_MAIN(tests)
