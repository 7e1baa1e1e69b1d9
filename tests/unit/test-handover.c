/* test-handover.c — the argv of each init route, sysvinit's state stream,
 * and the init probe on fake /proc and root trees. */
#include <sys/stat.h>

#include "cmdline.h"
#include "harness.h"
#include "handover.h"

static int parse(int argc, char **argv, struct cmdline *cl)
{
	char err[256];
	return cmdline_parse(argc, argv, cl, err, sizeof(err));
}

/* dinit's PID 1: execl(shutdown, shutdown, "--system", "-X") */
static void t_dinit_argv(void)
{
	struct cmdline cl;
	char *p[] = { "/sbin/shutdown", "--system", "-p", NULL };
	char *r[] = { "/sbin/shutdown", "--system", "-r", NULL };
	char *h[] = { "/sbin/shutdown", "--system", "-h", NULL };
	char *k[] = { "/usr/sbin/dinit-shutdown", "--system", "-k", NULL };
	char *q[] = { "/sbin/shutdown", "--system", NULL };
	char *s[] = { "/sbin/shutdown", "--system", "-s", NULL };

	CHECK_EQ_INT(parse(3, p, &cl), 0);
	CHECK_EQ_INT(cl.entry, INIT_DINIT);
	CHECK_EQ_INT(cl.mode, MODE_RUN);
	CHECK_EQ_INT(cl.action, ACTION_POWEROFF);
	CHECK_EQ_INT(parse(3, r, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_REBOOT);
	CHECK_EQ_INT(parse(3, h, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_HALT);
	CHECK_EQ_INT(parse(3, k, &cl), 0);
	CHECK_EQ_INT(cl.action, ACTION_KEXEC);
	/* SIGQUIT's immediate shutdown: no -X, decided later */
	CHECK_EQ_INT(parse(2, q, &cl), 0);
	CHECK_EQ_INT(cl.entry, INIT_DINIT);
	CHECK_EQ_INT(cl.action, ACTION_NONE);
	/* soft-reboot is dinit's own business */
	CHECK_EQ_INT(parse(3, s, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_FORWARD);
}

/* A user's call of dinit's shutdown goes to the real one; systemd's exitrd
 * call of /shutdown stays ours. */
static void t_dinit_forward_and_exitrd(void)
{
	struct cmdline cl;
	char *user[] = { "shutdown", "-r", NULL };
	char *bare[] = { "/sbin/shutdown", NULL };
	char *link[] = { "/sbin/reboot", NULL };
	char *exitrd[] = { "/shutdown", "reboot", "--log-level=info", NULL };

	CHECK_EQ_INT(parse(2, user, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_FORWARD);
	CHECK_EQ_INT(parse(1, bare, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_FORWARD);
	CHECK_EQ_INT(parse(1, link, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_FORWARD);
	CHECK_EQ_INT(parse(3, exitrd, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_EXITRD);
	CHECK_EQ_INT(cl.action, ACTION_REBOOT);
	CHECK_EQ_INT(cl.entry, INIT_UNKNOWN);
}

static void t_sysv_s6_busybox_argv(void)
{
	struct cmdline cl;
	char *sysv[] = { "/sbin/init", "--init", NULL };
	char *s6[] = { ".s6-svscan/finish", NULL };
	char *bb[] = { "/usr/sbin/shutdownfs", "--from", "busybox", NULL };
	char *bad[] = { "/usr/sbin/shutdownfs", "--from", "upstart", NULL };
	char *ho[] = { "shutdownfs", "handover", "--init", "busybox", "--wait", "9", "halt", NULL };
	char *ho0[] = { "shutdownfs", "handover", NULL };

	CHECK_EQ_INT(parse(2, sysv, &cl), 0);
	CHECK_EQ_INT(cl.entry, INIT_SYSVINIT);
	CHECK_EQ_INT(cl.action, ACTION_NONE);
	CHECK_EQ_INT(parse(1, s6, &cl), 0);
	CHECK_EQ_INT(cl.entry, INIT_S6);
	CHECK_EQ_INT(parse(3, bb, &cl), 0);
	CHECK_EQ_INT(cl.entry, INIT_BUSYBOX);
	CHECK_EQ_INT(cl.mode, MODE_RUN);
	CHECK(parse(3, bad, &cl) < 0);
	CHECK_EQ_INT(parse(7, ho, &cl), 0);
	CHECK_EQ_INT(cl.mode, MODE_HANDOVER);
	CHECK_STR(cl.init_name, "busybox");
	CHECK_EQ_INT(cl.wait_s, 9);
	CHECK_EQ_INT(cl.action, ACTION_HALT);
	CHECK(parse(2, ho0, &cl) < 0);
}

/* The records sysvinit's send_state() writes after the signature */
static void t_sysv_stream(void)
{
	const char st[] = "VER@(#) init 3.06 miquels@cistron.nl\n-RL0\n-TL0\n-PL2\n"
			  "-SI0\n-WR1\n-WU1\n-ST5\n-DB1\nREC1\nLEV2345\nFL RUNNING\n"
			  "PID123\nEXS0\nAC respawn\nCMD/sbin/getty 38400 tty1\nEOR\nEND\n";
	const char six[] = "VERx\n-RL6\n-TL6\n";
	const char none[] = "VERx\nREC-RL9\n";

	CHECK_EQ_INT(handover_sysv_runlevel(st, sizeof(st) - 1), '0');
	CHECK_EQ_INT(handover_sysv_runlevel(six, sizeof(six) - 1), '6');
	CHECK_EQ_INT(handover_sysv_runlevel(none, sizeof(none) - 1), 0);
	CHECK_EQ_INT(handover_sysv_action('6', NULL), ACTION_REBOOT);
	CHECK_EQ_INT(handover_sysv_action('6', "POWEROFF"), ACTION_REBOOT);
	CHECK_EQ_INT(handover_sysv_action('0', NULL), ACTION_POWEROFF);
	CHECK_EQ_INT(handover_sysv_action('0', "POWEROFF"), ACTION_POWEROFF);
	CHECK_EQ_INT(handover_sysv_action('0', "HALT"), ACTION_HALT);
	CHECK_EQ_INT(handover_sysv_action('2', NULL), ACTION_NONE);
}

static void mk(const char *path, const char *content)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
		*slash = '/';
	}
	test_write_file(path, content);
}

static int write_cmdline(const char *path, const char *buf, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fwrite(buf, 1, n, f);
	return fclose(f);
}

/* PROC/1/exe is a link to the init's binary; the setup checks read ROOT */
static void t_probe(void)
{
	char tmp[] = "/tmp/sfs-probe.XXXXXX", p[PATH_MAX], root[PATH_MAX];
	struct init_route r;

	CHECK(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(p, sizeof(p), "%s/proc/1/comm", tmp);
	mk(p, "init\n");
	snprintf(p, sizeof(p), "%s/proc/1/exe", tmp);
	CHECK(symlink("/bin/busybox", p) == 0);
	snprintf(p, sizeof(p), "%s/etc/inittab", root);
	mk(p, "::shutdown:/bin/umount -a -r\n");
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.kind, INIT_BUSYBOX);
	CHECK_EQ_INT(r.setup, 0);
	snprintf(p, sizeof(p), "%s/etc/inittab", root);
	mk(p, "# ::restart:/usr/sbin/shutdownfs\n::restart:/usr/sbin/shutdownfs --from busybox\n");
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.setup, 1);
	/* busybox's shell as PID 1 is no busybox init; `busybox init` is */
	snprintf(p, sizeof(p), "%s/proc/1/cmdline", tmp);
	CHECK(write_cmdline(p, "/bin/busybox\0sh\0/post.sh", 25) == 0);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK(init_route_probe(&r, p, root) < 0);
	CHECK_EQ_INT(r.kind, INIT_UNKNOWN);
	snprintf(p, sizeof(p), "%s/proc/1/cmdline", tmp);
	CHECK(write_cmdline(p, "/bin/busybox\0init", 18) == 0);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.kind, INIT_BUSYBOX);
	/* "init" without an initctl FIFO is not sysvinit */
	snprintf(p, sizeof(p), "%s/proc/1/exe", tmp);
	CHECK(unlink(p) == 0 && symlink("/sbin/init", p) == 0);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK(init_route_probe(&r, p, root) < 0);
	snprintf(p, sizeof(p), "%s/run", root);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/run/initctl", root);
	CHECK(mkfifo(p, 0600) == 0);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.kind, INIT_SYSVINIT);
	CHECK_EQ_INT(r.setup, 0);
	snprintf(p, sizeof(p), "%s/etc/rc0.d/S02shutdownfs-handover", root);
	mk(p, "");
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.setup, 0);       /* rc6.d still lacks it */
	snprintf(p, sizeof(p), "%s/etc/rc6.d/S02shutdownfs-handover", root);
	mk(p, "");
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.setup, 1);
	/* runit: said plainly */
	snprintf(p, sizeof(p), "%s/proc/1/exe", tmp);
	CHECK(unlink(p) == 0 && symlink("/usr/bin/runit", p) == 0);
	snprintf(p, sizeof(p), "%s/proc", tmp);
	CHECK_EQ_INT(init_route_probe(&r, p, root), 0);
	CHECK_EQ_INT(r.kind, INIT_RUNIT);
	CHECK(strncmp(r.route, "none:", 5) == 0);
	CHECK_EQ_INT(r.setup, 0);
}

static void t_names(void)
{
	unsigned i;

	for (i = INIT_SYSVINIT; i < INIT__MAX; i++)
		CHECK_EQ_INT(init_kind_parse(init_kind_name((enum init_kind)i)), i);
	CHECK_EQ_INT(init_kind_parse("s6"), INIT_S6);
	CHECK_EQ_INT(init_kind_parse("nonsense"), INIT_UNKNOWN);
}

static const struct test tests[] = {
	{ "dinit-argv", t_dinit_argv },
	{ "dinit-forward-and-exitrd", t_dinit_forward_and_exitrd },
	{ "sysv-s6-busybox-argv", t_sysv_s6_busybox_argv },
	{ "sysv-state-stream", t_sysv_stream },
	{ "probe", t_probe },
	{ "names", t_names },
};

TEST_MAIN(tests)
