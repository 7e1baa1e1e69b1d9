/* test-config.c — config parsing, hostile input, precedence, argv. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

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
	char *a9c[] = { "shutdownfs", "--set", "deadline=0", "halt", NULL };
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
	CHECK_STR(config_value(&c, KEY_DEADLINE, buf, sizeof(buf)), "33000ms");
	CHECK_STR(config_value(&c, KEY_KILL_TIMEOUT, buf, sizeof(buf)), "250ms");
	CHECK_STR(config_value(&c, KEY_PROTECT, buf, sizeof(buf)), "mdmon @x");
	CHECK_STR(config_value(&c, KEY_PRELOAD, buf, sizeof(buf)), "softdog");
	CHECK_STR(config_value(&c, KEY_WATCHDOG, buf, sizeof(buf)), "off");
	CHECK_STR(config_value(&c, KEY_KEXEC_WITH_KEYS, buf, sizeof(buf)), "yes");
	CHECK_STR(config_value(&c, KEY_RAMFS_SIZE, buf, sizeof(buf)), "8388608");
	CHECK_STR(config_value(&c, KEY_SKEL, buf, sizeof(buf)), "/s");
	for (i = 0; i < KEY__MAX; i++)
		CHECK(strcmp(config_key_name((enum config_key)i), "?") != 0);
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
};

TEST_MAIN(tests)
