/* test-config.c — config parsing, hostile input, precedence, argv. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "config.h"
#include "harness.h"
#include "log.h"

static struct config c;

static void parse(const char *text)
{
	config_defaults(&c);
	config_parse_buf(&c, text, strlen(text), "test.conf");
}

static void t_defaults(void)
{
	config_defaults(&c);
	CHECK_EQ_INT(c.deadline_ms, 60000);
	CHECK_EQ_INT(c.kill_timeout_ms, 5000);
	CHECK_EQ_INT(c.hook_timeout_ms, 10000);
	CHECK_STR(c.watchdog, "auto");
	CHECK_STR(c.skel, PREFIX "/lib/shutdownfs/skel");
	CHECK(!c.kexec_with_keys);
}

static void t_keys(void)
{
	parse("# comment\n"
	      "  skel = /run/shutdownfs  \n"
	      "deadline=30\n"
	      "kill_timeout = 2.5\n"
	      "hook-timeout = 500ms\n"
	      "watchdog = /dev/watchdog1\n"
	      "verbose = yes\n"
	      "protect = mdmon, iscsid nbd-client\n"
	      "preload = softdog dm_crypt\n"
	      "kexec_with_keys = true\n"
	      "ramfs_size = 16M\n");
	CHECK_STR(c.skel, "/run/shutdownfs");
	CHECK_EQ_INT(c.deadline_ms, 30000);
	CHECK_EQ_INT(c.kill_timeout_ms, 2500);
	CHECK_EQ_INT(c.hook_timeout_ms, 500);
	CHECK_STR(c.watchdog, "/dev/watchdog1");
	CHECK(c.verbose);
	CHECK_EQ_INT(c.nprotect, 3);
	CHECK_STR(c.protect[2], "nbd-client");
	CHECK(config_is_protected(&c, "iscsid"));
	CHECK(!config_is_protected(&c, "iscsi"));
	CHECK_EQ_INT(c.npreload, 2);
	CHECK(c.kexec_with_keys);
	CHECK_EQ_INT(c.ramfs_size, 16ULL << 20);
	CHECK_EQ_INT(c.src[KEY_DEADLINE], SRC_FILE);
	CHECK_EQ_INT(c.src[KEY_WATCHDOG], SRC_FILE);
}

/* Bad values keep the default; unknown keys change nothing. */
static void t_bad_values_keep_default(void)
{
	parse("deadline = soon\nkill_timeout = -1\nhook_timeout = 1e9\n"
	      "watchdog = /etc/passwd\nverbose = maybe\nskel = relative/path\n"
	      "protect = bad;name\nramfs_size = 1\nnosuchkey = 1\ndeadline = 99999\n"
	      "kill_timeout = 1.\nkill_timeout = 5x\n");
	CHECK_EQ_INT(c.deadline_ms, 60000);
	CHECK_EQ_INT(c.kill_timeout_ms, 5000);
	CHECK_EQ_INT(c.hook_timeout_ms, 10000);
	CHECK_STR(c.watchdog, "auto");
	CHECK(!c.verbose);
	CHECK_STR(c.skel, PREFIX "/lib/shutdownfs/skel");
	CHECK_EQ_INT(c.nprotect, 0);
	CHECK_EQ_INT(c.ramfs_size, 256ULL << 20);
	CHECK_EQ_INT(c.src[KEY_DEADLINE], SRC_DEFAULT);
}

static void t_hostile(void)
{
	size_t big = 3 << 20, i;
	char *buf = malloc(big);

	CHECK(buf);
	/* a megabyte-long line, NUL bytes, binary garbage, no final newline */
	memset(buf, 'x', big);
	memcpy(buf + 2000000, "\ndeadline = 7\n", 14);
	for (i = 2100000; i < big; i++)
		buf[i] = (char)(i * 7919);
	memcpy(buf + big - 12, "\nverbose = 1", 12);
	config_defaults(&c);
	config_parse_buf(&c, buf, big, "hostile");
	CHECK_EQ_INT(c.deadline_ms, 7000);
	CHECK(c.verbose);
	free(buf);
	parse("deadline = 3\0\nkill_timeout = 4");
	CHECK_EQ_INT(c.deadline_ms, 3000);     /* text after the NUL is not seen */
	config_defaults(&c);
	{
		static const char nul[] = "deadline = 3\0junk\nkill_timeout = 4";
		config_parse_buf(&c, nul, sizeof(nul) - 1, "nul");
	}
	CHECK_EQ_INT(c.deadline_ms, 60000);    /* a line with a NUL is skipped */
	CHECK_EQ_INT(c.kill_timeout_ms, 4000);
}

static void t_thousands_of_keys(void)
{
	size_t sz = 5000 * 24, pos = 0;
	char *buf = malloc(sz);
	int i;

	CHECK(buf);
	for (i = 0; i < 5000; i++)
		pos += (size_t)snprintf(buf + pos, sz - pos, "k%d = %d\n", i, i);
	pos += (size_t)snprintf(buf + pos, sz - pos, "deadline = 9");
	config_defaults(&c);
	config_parse_buf(&c, buf, pos, "many");
	CHECK_EQ_INT(c.deadline_ms, 9000);
	free(buf);
}

static void t_quotes_and_lists(void)
{
	parse("skel = \"/a b\"\nprotect = a,b,,c\n");
	CHECK_STR(c.skel, "/a b");
	CHECK_EQ_INT(c.nprotect, 3);
	parse("protect = " "a b c d e f g h i j k l m n o p q r s t u v w x y z "
	      "aa ab ac ad ae af ag\n");   /* 33 entries: too many, refused whole */
	CHECK_EQ_INT(c.nprotect, 0);
}

static void t_kernel_cmdline(void)
{
	const char *k = "BOOT_IMAGE=/vmlinuz root=/dev/md0 quiet shutdownfs.deadline=12 "
			"shutdownfs.kill-timeout=\"2\" shutdownfs.nosuch=1 shutdownfs.verbose "
			"shutdownfs.watchdog=off\n";
	config_defaults(&c);
	config_parse_cmdline(&c, k, strlen(k));
	CHECK_EQ_INT(c.deadline_ms, 12000);
	CHECK_EQ_INT(c.kill_timeout_ms, 2000);
	CHECK_STR(c.watchdog, "off");
	CHECK(!c.verbose);
	CHECK_EQ_INT(c.src[KEY_DEADLINE], SRC_CMDLINE);
}

static void write_conf(const char *path, const char *text, mode_t mode)
{
	test_write_file(path, text);
	CHECK(chmod(path, mode) == 0);
}

/* defaults < file < kernel command line < argv */
static void t_precedence(void)
{
	char dir[] = "/tmp/sfs-conf.XXXXXX", conf[64], kcmd[64];
	char *argv[] = { "shutdownfs", "--config", conf, "--kill-timeout", "3", "poweroff", NULL };
	struct cmdline cl;
	char err[128];

	CHECK(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/c.conf", dir);
	snprintf(kcmd, sizeof(kcmd), "%s/cmdline", dir);
	write_conf(conf, "deadline = 20\nkill_timeout = 1\nhook_timeout = 4\n", 0644);
	test_write_file(kcmd, "quiet shutdownfs.deadline=40 shutdownfs.kill_timeout=2\n");
	CHECK_EQ_INT(cmdline_parse(6, argv, &cl, err, sizeof(err)), 0);
	config_build(&c, &cl, kcmd);
	CHECK_EQ_INT(c.hook_timeout_ms, 4000);  /* file */
	CHECK_EQ_INT(c.deadline_ms, 40000);     /* kernel beats file */
	CHECK_EQ_INT(c.kill_timeout_ms, 3000);  /* argv beats kernel */
	CHECK_EQ_INT(c.src[KEY_HOOK_TIMEOUT], SRC_FILE);
	CHECK_EQ_INT(c.src[KEY_DEADLINE], SRC_CMDLINE);
	CHECK_EQ_INT(c.src[KEY_KILL_TIMEOUT], SRC_ARGV);
	CHECK_EQ_INT(c.src[KEY_WATCHDOG], SRC_DEFAULT);
	/* unsafe file: ignored as a whole */
	write_conf(conf, "hook_timeout = 4\n", 0666);
	config_build(&c, &cl, kcmd);
	CHECK_EQ_INT(c.hook_timeout_ms, 10000);
	CHECK(!c.file_used);
	unlink(conf);
	unlink(kcmd);
	rmdir(dir);
}

static int parse_argv(int argc, char **argv, struct cmdline *cl)
{
	char err[128];
	return cmdline_parse(argc, argv, cl, err, sizeof(err));
}

static void t_argv(void)
{
	struct cmdline cl;
	char *a1[] = { "shutdownfs", "poweroff", NULL };
	char *a2[] = { "shutdownfs", "plan", "--json", NULL };
	char *a3[] = { "shutdownfs", "frobnicate", NULL };
	char *a4[] = { "shutdownfs", "--bogus", "reboot", NULL };
	char *a5[] = { "shutdownfs", NULL };
	char *a6[] = { "/shutdown", "kexec", "--log-level=info", "--log-target=kmsg",
		       "--timeout=90000000us", "--exit-code=0", NULL };
	char *a7[] = { "shutdownfs", "--deadline", NULL };
	char *a8[] = { "shutdownfs", "reboot", "halt", NULL };
	/* the internal options of round 1 are gone: stage 2 is told by the
	 * run record on its fd, never by the command line (#11 item 5) */
	char *a9[] = { "shutdownfs", "--stage2", "halt", NULL };
	char *a9b[] = { "shutdownfs", "--start-us=1", "halt", NULL };
	char *a9c[] = { "shutdownfs", "--set", "deadline", "halt", NULL };
	char *a9d[] = { "shutdownfs", "--old-guard=7", "--killed=3", "halt", NULL };
	char *a10[] = { "shutdownfs", "--help", "--bogus", NULL };
	char *a11[] = { "shutdown", "exit", NULL };

	CHECK_EQ_INT(parse_argv(2, a1, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_RUN);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
	CHECK_EQ_INT(parse_argv(3, a2, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_PLAN);
	CHECK(cl.json);
	CHECK(parse_argv(2, a3, &cl) < 0);
	CHECK(parse_argv(3, a4, &cl) < 0);
	CHECK(parse_argv(1, a5, &cl) < 0);
	CHECK_EQ_INT(parse_argv(6, a6, &cl), 0);       /* systemd's options ignored */
	CHECK_EQ_INT(cl.mode, MODE_EXITRD);
	CHECK_EQ_INT(cl.action, ACTION_KEXEC);
	CHECK(parse_argv(2, a7, &cl) < 0);
	CHECK(parse_argv(3, a8, &cl) < 0);
	CHECK(parse_argv(3, a9, &cl) < 0);
	CHECK(parse_argv(3, a9b, &cl) < 0);
	CHECK(parse_argv(4, a9c, &cl) < 0);
	CHECK(parse_argv(4, a9d, &cl) < 0);
	CHECK_EQ_INT(parse_argv(3, a10, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_HELP);
	CHECK_EQ_INT(parse_argv(2, a11, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
}

/* Each key renders as a config file would say it (plan shows these). */
static void t_values(void)
{
	char buf[4096];
	int i;

	parse("deadline = 33\nkill_timeout = 0.25\nprotect = mdmon @x\npreload = softdog\n"
	      "watchdog = off\nkexec_with_keys = yes\nramfs_size = 8M\nskel = /s\n");
	CHECK_EQ_INT(config_value(&c, KEY_DEADLINE, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "33000ms");
	CHECK_EQ_INT(config_value(&c, KEY_KILL_TIMEOUT, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "250ms");
	CHECK_EQ_INT(config_value(&c, KEY_PROTECT, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mdmon @x");
	CHECK_EQ_INT(config_value(&c, KEY_PRELOAD, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "softdog");
	CHECK_EQ_INT(config_value(&c, KEY_WATCHDOG, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "off");
	CHECK_EQ_INT(config_value(&c, KEY_KEXEC_WITH_KEYS, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "yes");
	CHECK_EQ_INT(config_value(&c, KEY_RAMFS_SIZE, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "8388608");
	CHECK_EQ_INT(config_value(&c, KEY_SKEL, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "/s");
	for (i = 0; i < KEY__MAX; i++)
		CHECK(strcmp(config_key_name((enum config_key)i), "?") != 0);
}


/* Sizes: bounds that can hold the binary, and no overflow in the shift. */
static void t_ramfs_size_bounds(void)
{
	static const char *const bad[] = {
		"64K", "1023K", "18014398509482048K", "17179869184G", "65G",
		"99999999999999999999", "1T", "-1M",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		CHECK_EQ_INT(config_set(&c, "ramfs_size", bad[i], SRC_FILE), -EINVAL);
		CHECK_EQ_INT(c.ramfs_size, 256ULL << 20);
	}
	CHECK_EQ_INT(config_set(&c, "ramfs_size", "1M", SRC_FILE), 0);
	CHECK_EQ_INT(c.ramfs_size, 1ULL << 20);
	CHECK_EQ_INT(config_set(&c, "ramfs_size", "1024K", SRC_FILE), 0);
	CHECK_EQ_INT(config_set(&c, "ramfs_size", "64G", SRC_FILE), 0);
	CHECK_EQ_INT(c.ramfs_size, 64ULL << 30);
}

/* Times: 0 means off for the deadline and "at once" for the kill grace;
 * what would make the run pointless is raised to a floor, with -ERANGE. */
static void t_time_floors(void)
{
	config_defaults(&c);
	CHECK_EQ_INT(config_set(&c, "deadline", "1ms", SRC_ARGV), -ERANGE);
	CHECK_EQ_INT(c.deadline_ms, CONFIG_DEADLINE_MIN_MS);
	CHECK_EQ_INT(c.src[KEY_DEADLINE], SRC_ARGV);
	CHECK_EQ_INT(config_set(&c, "deadline", "0", SRC_ARGV), 0);
	CHECK_EQ_INT(c.deadline_ms, 0);
	CHECK_EQ_INT(config_set(&c, "deadline", "3", SRC_ARGV), 0);
	CHECK_EQ_INT(c.deadline_ms, 3000);
	CHECK_EQ_INT(config_set(&c, "hook_timeout", "0", SRC_ARGV), -ERANGE);
	CHECK_EQ_INT(c.hook_timeout_ms, CONFIG_HOOK_TIMEOUT_MIN_MS);
	CHECK_EQ_INT(config_set(&c, "hook_timeout", "5ms", SRC_ARGV), -ERANGE);
	CHECK_EQ_INT(c.hook_timeout_ms, CONFIG_HOOK_TIMEOUT_MIN_MS);
	CHECK_EQ_INT(config_set(&c, "kill_timeout", "0", SRC_ARGV), 0);
	CHECK_EQ_INT(c.kill_timeout_ms, 0);
}

static char logfile[64];
static int saved_err = -1;

static void log_to_file(void)
{
	int fd;

	snprintf(logfile, sizeof(logfile), "/tmp/sfs-conflog.XXXXXX");
	fd = mkstemp(logfile);
	CHECK(fd >= 0);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Stop capturing; the whole log in a static buffer. */
static const char *log_done(void)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(logfile, O_RDONLY);

	dup2(saved_err, 2);
	close(saved_err);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(logfile);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

#define CHECK_IN(hay, needle) do { \
	if (!strstr((hay), (needle))) { \
		fprintf(stderr, "%s:%d: log lacks \"%s\":\n%s\n", __FILE__, __LINE__, \
			(needle), (hay)); \
		_exit(1); \
	} } while (0)

/* What a careless admin reads: the symlink named as one, a missing --config
 * said, a floor said, and no raw control bytes reaching the console. */
static void t_messages(void)
{
	char dir[] = "/tmp/sfs-conf.XXXXXX", conf[64], link[64], missing[64];
	char *argv[] = { "shutdownfs", "--config", missing, "--deadline", "1ms", "poweroff", NULL };
	struct cmdline cl;
	char err[128];
	const char *log;

	CHECK(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/real.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	snprintf(missing, sizeof(missing), "%s/typo.conf", dir);
	write_conf(conf, "deadline = 20\n", 0644);
	CHECK(symlink(conf, link) == 0);
	log_to_file();
	config_defaults(&c);
	CHECK(config_load_file(&c, link, true) < 0);
	CHECK_EQ_INT(c.deadline_ms, 60000);
	CHECK_EQ_INT(cmdline_parse(6, argv, &cl, err, sizeof(err)), 0);
	config_build(&c, &cl, NULL);
	CHECK_EQ_INT(c.deadline_ms, CONFIG_DEADLINE_MIN_MS);
	{
		static const char g[] = "\x1b]0;owned\a\x1b[2J = 1\nverbose = \x1b[31mred\r\n";
		config_parse_buf(&c, g, sizeof(g) - 1, "garbage");
	}
	log = log_done();
	CHECK_IN(log, "link.conf: a symlink, ignoring it");
	CHECK_IN(log, "typo.conf: No such file or directory, using defaults");
	CHECK_IN(log, "option: deadline = '1ms' is below the minimum, using 3000ms");
	CHECK_IN(log, "unknown key '\\x1b]0;owned\\x07\\x1b[2J'");
	CHECK_IN(log, "bad value '\\x1b[31mred' for verbose");
	CHECK(!strchr(log, 0x1b) && !strchr(log, '\a') && !strchr(log, '\r'));
	unlink(link);
	unlink(conf);
	rmdir(dir);
}

static const struct test tests[] = {
	{ "defaults", t_defaults },
	{ "keys", t_keys },
	{ "bad-values-keep-default", t_bad_values_keep_default },
	{ "hostile-input", t_hostile },
	{ "thousands-of-keys", t_thousands_of_keys },
	{ "quotes-and-lists", t_quotes_and_lists },
	{ "kernel-cmdline", t_kernel_cmdline },
	{ "precedence", t_precedence },
	{ "argv", t_argv },
	{ "values", t_values },
	{ "ramfs-size-bounds", t_ramfs_size_bounds },
	{ "time-floors", t_time_floors },
	{ "messages", t_messages },
};

TEST_MAIN(tests)
