/* test-exitrd.c — systemd-shutdown's handover: the argv systemd 252 builds
 * (src/core/main.c become_shutdown, as Debian 12 ships it), the older
 * separate-value forms, its time spans, log levels, exit codes and
 * WATCHDOG_USEC, and what config_build makes of them. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "config.h"
#include "exitrd.h"
#include "harness.h"
#include "log.h"

static char logpath[64];

/* The log writes to stderr when it is a regular file: capture it. */
static void log_capture(void)
{
	int fd;

	snprintf(logpath, sizeof(logpath), "/tmp/sfs-exitrd-log.XXXXXX");
	fd = mkstemp(logpath);
	CHECK(fd >= 0);
	dup2(fd, 2);
	close(fd);
	unlink(logpath);
}

static const char *log_text(void)
{
	static char buf[16384];
	ssize_t n;

	CHECK(lseek(2, 0, SEEK_SET) == 0);
	n = read(2, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

#define CHECK_LOG(s) do { \
	const char *_t = log_text(); \
	if (!strstr(_t, s)) { fprintf(stdout, "log lacks \"%s\":\n%s", s, _t); _exit(1); } \
	} while (0)

static int parse(int argc, char **argv, struct cmdline *cl)
{
	char err[128];

	return cmdline_parse(argc, argv, cl, err, sizeof(err));
}

/* Built with no config file and no kernel command line. */
static void build(struct config *c, struct cmdline *cl)
{
	cl->config_file = "/nonexistent/shutdownfs.conf";
	config_build(c, cl, NULL);
}

/* Exactly what systemd 252 passes for `systemctl poweroff` with
 * ShowStatus/colour/location/time logging on. */
static void t_systemd_252_poweroff(void)
{
	struct cmdline cl;
	struct config c;
	char *a[] = { "/shutdown", "poweroff", "--log-level=6", "--timeout=90000000us",
		      "--log-target=kmsg", "--log-color", "--log-location", "--log-time", NULL };

	log_capture();
	CHECK_EQ_INT(parse(8, a, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_EXITRD);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
	CHECK_STR(cl.sd.log_level, "6");
	CHECK_STR(cl.sd.timeout, "90000000us");
	CHECK_STR(cl.sd.log_target, "kmsg");
	CHECK_STR(cl.sd.log_color, "");
	CHECK_STR(cl.sd.log_location, "");
	CHECK_STR(cl.sd.log_time, "");
	CHECK(!cl.sd.exit_verb);
	CHECK_EQ_INT(cl.sd.nunknown, 0);
	build(&c, &cl);
	CHECK(!c.verbose);
	CHECK_EQ_INT(c.kill_timeout_ms, 5000);  /* 90 s caps nothing */
	CHECK_EQ_INT(c.container_exit, -1);
	CHECK_LOG("exitrd: systemd-shutdown handed over: log-level=6 log-target=kmsg timeout=90000000us");
	CHECK(!strstr(log_text(), "ignoring"));
}

/* `systemctl exit 3` (a container, or a VM where it means poweroff). */
static void t_exit_verb(void)
{
	struct cmdline cl;
	struct config c;
	char *a[] = { "/run/initramfs/shutdown", "exit", "--log-level=6", "--timeout=90000000us",
		      "--log-target=console", "--exit-code=3", NULL };
	char *b[] = { "/shutdown", "exit", "--exit-code=300", NULL };

	log_capture();
	CHECK_EQ_INT(parse(6, a, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_EXITRD);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
	CHECK(cl.sd.exit_verb);
	build(&c, &cl);
	CHECK_EQ_INT(c.container_exit, 3);
	CHECK_EQ_INT(parse(3, b, &cl), 0);
	build(&c, &cl);
	CHECK_EQ_INT(c.container_exit, 0);
	CHECK_LOG("bad --exit-code '300' from systemd, using 0");
}

/* Older systemd passed values as separate words: they must not be taken
 * for a second verb (which made PID 1 reboot instead of powering off). */
static void t_separate_values(void)
{
	struct cmdline cl;
	struct config c;
	char *a[] = { "/shutdown", "halt", "--log-level", "debug", "--timeout", "2s",
		      "--log-target", "console", "--exit-code", "0", NULL };

	log_capture();
	CHECK_EQ_INT(parse(10, a, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_HALT);
	CHECK_STR(cl.sd.log_level, "debug");
	CHECK_STR(cl.sd.timeout, "2s");
	CHECK(cl.sd.excess == NULL);
	build(&c, &cl);
	CHECK(c.verbose);
	CHECK(log_is_verbose());
	CHECK_EQ_INT(c.kill_timeout_ms, 2000);
	CHECK_LOG("kill timeout 2000 ms, systemd's --timeout (was 5000 ms)");
	CHECK_EQ_INT(c.container_exit, -1);     /* --exit-code without exit: nothing */
}

/* Unknown options and extra words are ignored with a warning, as
 * systemd-shutdown does; bad values are warned about and ignored. */
static void t_unknown_and_bad(void)
{
	struct cmdline cl;
	struct config c;
	char *a[] = { "/shutdown", "reboot", "--frobnicate=1", "--log-level=loud", "extra",
		      "--log-color=maybe", "--timeout=soon", "--log-target=carrier-pigeon",
		      "--timeout", NULL };

	log_capture();
	CHECK_EQ_INT(parse(9, a, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_REBOOT);
	CHECK_EQ_INT(cl.sd.nunknown, 1);
	CHECK_STR(cl.sd.unknown, "--frobnicate=1");
	CHECK_STR(cl.sd.excess, "extra");
	CHECK_STR(cl.sd.timeout, "");   /* the last --timeout had no value */
	build(&c, &cl);
	CHECK(!c.verbose);
	CHECK_EQ_INT(c.kill_timeout_ms, 5000);
	CHECK_LOG("bad --log-level 'loud' from systemd, ignoring");
	CHECK_LOG("bad value 'maybe' for systemd's --log-color, ignoring");
	CHECK_LOG("unknown --log-target 'carrier-pigeon' from systemd, ignoring");
	CHECK_LOG("bad --timeout '' from systemd, ignoring");
	CHECK_LOG("1 option(s) not known here, ignoring (first: --frobnicate=1)");
	CHECK_LOG("extra argument 'extra' after the verb, ignoring");
}

/* Outside exitrd mode nothing changes: systemd's options are errors. */
static void t_not_exitrd(void)
{
	struct cmdline cl;
	char *a[] = { "shutdownfs", "poweroff", "--log-level=6", NULL };
	char *b[] = { "shutdownfs", "poweroff", "extra", NULL };
	char *c[] = { "shutdownfs", "exit", NULL };

	CHECK(parse(3, a, &cl) < 0);
	CHECK(parse(3, b, &cl) < 0);
	CHECK_EQ_INT(parse(2, c, &cl), 0);
	CHECK(!cl.sd.exit_verb);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
}

static void t_timespan(void)
{
	static const struct { const char *s; int r; unsigned long long ms; } cases[] = {
		{ "90000000us", 0, 90000 }, { "90s", 0, 90000 }, { "1min 30s", 0, 90000 },
		{ "1min30s", 0, 90000 }, { "5", 0, 5000 }, { "2.5s", 0, 2500 },
		{ "500ms", 0, 500 }, { "1us", 0, 1 }, { "1500usec", 0, 2 },
		{ "1h", 0, 3600000 }, { "2 m", 0, 120000 }, { " 3sec ", 0, 3000 },
		{ "0", 0, 0 }, { "infinity", -ERANGE, 0 }, { "400d", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 }, { "abc", -EINVAL, 0 },
		{ "5x", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "s", -EINVAL, 0 },
		{ "5 s s", -EINVAL, 0 }, { "-5s", -EINVAL, 0 },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		unsigned long long ms = 12345;
		int r = exitrd_timespan_ms(cases[k].s, &ms);

		if (r != cases[k].r || (r == 0 && ms != cases[k].ms)) {
			fprintf(stderr, "timespan '%s': r=%d ms=%llu, expected r=%d ms=%llu\n",
				cases[k].s, r, ms, cases[k].r, cases[k].ms);
			_exit(1);
		}
	}
	CHECK_EQ_INT(exitrd_timespan_ms(NULL, NULL), -EINVAL);
}

static void t_levels_bools_codes(void)
{
	CHECK_EQ_INT(exitrd_log_level("6"), 6);
	CHECK_EQ_INT(exitrd_log_level("0"), 0);
	CHECK_EQ_INT(exitrd_log_level("debug"), 7);
	CHECK_EQ_INT(exitrd_log_level("warning"), 4);
	CHECK_EQ_INT(exitrd_log_level("emerg"), 0);
	CHECK(exitrd_log_level("8") < 0);
	CHECK(exitrd_log_level("66") < 0);
	CHECK(exitrd_log_level("info ") < 0);
	CHECK(exitrd_log_level(NULL) < 0);
	CHECK(exitrd_log_target_valid("kmsg"));
	CHECK(exitrd_log_target_valid("journal-or-kmsg"));
	CHECK(exitrd_log_target_valid("null"));
	CHECK(!exitrd_log_target_valid("kmsg2"));
	CHECK(!exitrd_log_target_valid(NULL));
	CHECK_EQ_INT(exitrd_bool(""), 1);
	CHECK_EQ_INT(exitrd_bool("yes"), 1);
	CHECK_EQ_INT(exitrd_bool("On"), 1);
	CHECK_EQ_INT(exitrd_bool("0"), 0);
	CHECK_EQ_INT(exitrd_bool("false"), 0);
	CHECK(exitrd_bool("maybe") < 0);
	CHECK_EQ_INT(exitrd_exit_code("0"), 0);
	CHECK_EQ_INT(exitrd_exit_code("255"), 255);
	CHECK(exitrd_exit_code("256") < 0);
	CHECK(exitrd_exit_code("-1") < 0);
	CHECK(exitrd_exit_code("3x") < 0);
	CHECK(exitrd_exit_code("") < 0);
}

/* WATCHDOG_USEC: seconds rounded up; 0, garbage and infinity mean none. */
static void t_watchdog_usec(void)
{
	CHECK_EQ_INT(exitrd_watchdog_s(NULL), 0);
	CHECK_EQ_INT(exitrd_watchdog_s(""), 0);
	CHECK_EQ_INT(exitrd_watchdog_s("0"), 0);
	CHECK_EQ_INT(exitrd_watchdog_s("abc"), 0);
	CHECK_EQ_INT(exitrd_watchdog_s("20000000"), 20);
	CHECK_EQ_INT(exitrd_watchdog_s("20000001"), 21);
	CHECK_EQ_INT(exitrd_watchdog_s("1"), 1);
	CHECK_EQ_INT(exitrd_watchdog_s("600000000"), 600);
	CHECK_EQ_INT(exitrd_watchdog_s("18446744073709551615"), 0);     /* USEC_INFINITY */
	CHECK_EQ_INT(exitrd_watchdog_s("18446744073709551614"), 2147483647);
	CHECK_EQ_INT(exitrd_watchdog_s("20s"), 0);
}

static const struct test tests[] = {
	{ "systemd-252-poweroff", t_systemd_252_poweroff },
	{ "exit-verb", t_exit_verb },
	{ "separate-values", t_separate_values },
	{ "unknown-and-bad", t_unknown_and_bad },
	{ "not-exitrd", t_not_exitrd },
	{ "timespan", t_timespan },
	{ "levels-bools-codes", t_levels_bools_codes },
	{ "watchdog-usec", t_watchdog_usec },
};
TEST_MAIN(tests)
