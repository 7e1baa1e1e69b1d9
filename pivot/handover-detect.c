/* handover-detect.c — which init PID 1 is, the route it offers to exec
 * shutdownfs, and whether that route is set up here (helper and plan). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "sysfs.h"

struct kind_info {
	const char *exe;                /* basename of PID 1's executable */
	enum init_kind kind;
	const char *route;
};

static const struct kind_info kinds[] = {
	{ "busybox", INIT_BUSYBOX, "SIGQUIT: runs ::shutdown:, kills, execs the first ::restart: line" },
	{ "s6-svscan", INIT_S6, "SIGABRT: s6-svscan execs .s6-svscan/finish (bind-mounted over)" },
	{ "dinit", INIT_DINIT, "dinit execs its shutdown program: shutdown --system -r|-p|-h|-k" },
	{ "systemd", INIT_SYSTEMD, "exitrd: systemd-shutdown execs /run/initramfs/shutdown" },
	{ "runit", INIT_RUNIT, "none: runit forks and calls reboot(2) after /etc/runit/3 "
	  "(patch point: runit.c, exec where the child calls reboot_system())" },
	{ "openrc-init", INIT_OPENRC, "none: openrc-init calls reboot(2) after `openrc shutdown` "
	  "(patch point: openrc-init.c handle_shutdown(), exec before reboot(cmd))" },
	{ "finit", INIT_FINIT, "none: finit calls reboot(2) itself "
	  "(patch point: sig.c do_shutdown(), exec before reboot())" },
	{ "shutdownfs", INIT_SHUTDOWNFS, "PID 1 is shutdownfs already" },
	{ "init", INIT_SYSVINIT, "telinit u re-execs /sbin/init: shutdownfs bind-mounted over it" },
};

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool is_fifo(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Does the file hold a line containing both words? (small text files only) */
static int file_has(const char *path, const char *w1, const char *w2)
{
	char buf[16384], *line, *save = NULL;
	int n = sysfs_read(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#' && strstr(line, w1) && strstr(line, w2))
			return 1;
	return 0;
}

static void setup_file(struct init_route *r, const char *root, const char *rel,
		       const char *w1, const char *w2)
{
	char path[PATH_MAX];
	int k;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	k = file_has(path, w1, w2);
	r->setup = k > 0;
	snprintf(r->setup_why, sizeof(r->setup_why), "%s %s", rel,
		 k > 0 ? "names shutdownfs" : k == 0 ? "does not name shutdownfs" : "is missing");
}

/* sysvinit: rc0.d and rc6.d each hold a link to the shipped script */
static bool dir_has(const char *dir, const char *word)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = strstr(de->d_name, word) != NULL;
	closedir(d);
	return found;
}

static void setup_sysvinit(struct init_route *r, const char *root)
{
	char rc0[PATH_MAX], rc6[PATH_MAX];

	snprintf(rc0, sizeof(rc0), "%s/etc/rc0.d", root);
	snprintf(rc6, sizeof(rc6), "%s/etc/rc6.d", root);
	r->setup = dir_has(rc0, "shutdownfs") && dir_has(rc6, "shutdownfs");
	snprintf(r->setup_why, sizeof(r->setup_why), "/etc/rc0.d and /etc/rc6.d %s "
		 "a shutdownfs-handover link", r->setup ? "have" : "lack");
}

/* dinit: its shutdown program is (a link to) us, the real one moved aside */
static void setup_dinit(struct init_route *r, const char *root)
{
	static const char *const progs[] = { "/sbin/shutdown", "/usr/sbin/shutdown" };
	char path[PATH_MAX], real[PATH_MAX];
	unsigned i;

	r->setup = 0;
	snprintf(r->setup_why, sizeof(r->setup_why), "/sbin/shutdown is not shutdownfs");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", root, progs[i]);
		if (!realpath(path, real) || strcmp(base(real), "shutdownfs") != 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", root, DINIT_SHUTDOWN_REAL);
		r->setup = access(path, X_OK) == 0;
		snprintf(r->setup_why, sizeof(r->setup_why), "%s is shutdownfs, %s %s", progs[i],
			 DINIT_SHUTDOWN_REAL, r->setup ? "is dinit's" : "is missing");
		return;
	}
}

static void probe_setup(struct init_route *r, const char *root)
{
	char path[PATH_MAX];

	r->setup = -1;
	r->setup_why[0] = '\0';
	switch (r->kind) {
	case INIT_SYSVINIT:
		setup_sysvinit(r, root);
		break;
	case INIT_BUSYBOX:
		setup_file(r, root, "/etc/inittab", ":restart:", "shutdownfs");
		break;
	case INIT_S6:
		setup_file(r, root, "/etc/s6-linux-init/current/scripts/rc.shutdown.final",
			   "shutdownfs", "handover");
		break;
	case INIT_DINIT:
		setup_dinit(r, root);
		break;
	case INIT_SYSTEMD:
		snprintf(path, sizeof(path), "%s/run/initramfs/shutdown", root);
		r->setup = access(path, X_OK) == 0;
		snprintf(r->setup_why, sizeof(r->setup_why), "/run/initramfs/shutdown %s",
			 r->setup ? "is executable" : "is missing (mkshutdownfs --exitrd)");
		break;
	case INIT_RUNIT: case INIT_OPENRC: case INIT_FINIT:
		r->setup = 0;
		snprintf(r->setup_why, sizeof(r->setup_why), "no exec route without patching the init");
		break;
	default:
		break;
	}
}

/* The applet PID 1's busybox runs: argv[0]'s name, or argv[1] after
 * "busybox" (`/bin/busybox init`). */
static bool busybox_is_init(const char *proc)
{
	char path[PATH_MAX], buf[256];
	const char *applet;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/1/cmdline", proc);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;            /* cannot tell: trust the executable */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	applet = base(buf);
	if (!strcmp(applet, "busybox"))
		applet = strlen(buf) + 1 < (size_t)n ? buf + strlen(buf) + 1 : "";
	return !strcmp(applet, "init") || !strcmp(applet, "linuxrc");
}

const char *init_kind_route(enum init_kind k)
{
	unsigned i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == k)
			return kinds[i].route;
	return "unknown init: make it exec /usr/sbin/shutdownfs ACTION as its last act";
}

int init_route_probe(struct init_route *r, const char *proc, const char *root)
{
	char path[PATH_MAX];
	const char *name;
	ssize_t n;
	unsigned i;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/1/exe", proc);
	n = readlink(path, r->exe, sizeof(r->exe) - 1);
	r->exe[n > 0 ? n : 0] = '\0';
	/* a file bind-mounted over /sbin/init reads " (deleted)"-free: fine */
	snprintf(path, sizeof(path), "%s/1/comm", proc);
	(void)sysfs_read(path, r->comm, sizeof(r->comm));
	name = r->exe[0] ? base(r->exe) : r->comm;
	r->route = "unknown init: make it exec /usr/sbin/shutdownfs ACTION as its last act";
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(name, kinds[i].exe) != 0)
			continue;
		r->kind = kinds[i].kind;
		r->route = kinds[i].route;
		break;
	}
	/* a busybox shell or daemon as PID 1 (containers) is no busybox init */
	if (r->kind == INIT_BUSYBOX && !busybox_is_init(proc)) {
		r->kind = INIT_UNKNOWN;
		r->route = "busybox, but not its init applet: no route";
	}
	/* "init" is sysvinit only when its initctl FIFO is there; busybox
	 * reached through an /sbin/init link reads as "init" to non-root */
	snprintf(path, sizeof(path), "%s/run/initctl", root);
	if (r->kind == INIT_SYSVINIT && !is_fifo(path)) {
		r->kind = INIT_UNKNOWN;
		r->route = r->exe[0] ? "unknown init named init: no /run/initctl FIFO"
				     : "unknown: run as root to read /proc/1/exe";
	}
	probe_setup(r, root);
	return r->kind == INIT_UNKNOWN ? -ENOENT : 0;
}
