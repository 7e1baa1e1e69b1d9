/* handover.c — `shutdownfs handover ACTION`, run by an init's own shutdown
 * scripts (never PID 1): stage the binary and the action on a tmpfs of our
 * own, ask PID 1 to take the route that execs it, wait to be killed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "clock.h"
#include "cmdline.h"
#include "log.h"
#include "spawn.h"

#define WAIT_DEFAULT_S 120
#define SYSV_MAGIC 0x03091969   /* initreq.h INIT_MAGIC */
#define SYSV_CMD_RUNLVL 1

/* sysvinit's struct init_request: 384 bytes, read whole from the FIFO */
struct sysv_request {
	int magic;
	int cmd;
	int runlevel;
	int sleeptime;
	char data[368];
};

struct stage {
	enum init_kind kind;
	char dir[64];
	char bin[96];
	char target[PATH_MAX];          /* what the staged binary is bound over */
};

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

static int copy_self(const char *dst)
{
	struct stat st;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out, r = 0;

	if (in < 0 || fstat(in, &st) < 0) {
		r = -errno;
		if (in >= 0)
			close(in);
		return r;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	for (off_t left = st.st_size; left > 0 && !r;) {
		ssize_t n = sendfile(out, in, NULL, (size_t)left);
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			left -= n;
	}
	close(in);
	if (close(out) < 0 && !r)
		r = -errno;
	return r;
}

/* A tmpfs of our own: exec allowed whatever /run's flags are. */
static int stage_dir(struct stage *s)
{
	static const char *const dirs[] = { HANDOVER_DIR_RUN, HANDOVER_DIR_DEV };
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (mkdir(dirs[i], 0700) < 0 && errno != EEXIST)
			continue;
		if (mount("shutdownfs-handover", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=0700,size=16m") < 0) {
			log_warn("handover: mount tmpfs on %s: %s, trying the next place",
				 dirs[i], strerror(errno));
			continue;
		}
		snprintf(s->dir, sizeof(s->dir), "%s", dirs[i]);
		return 0;
	}
	return -ENOSPC;
}

static int stage(struct stage *s, enum action a)
{
	char path[128], text[32];
	int r;

	r = stage_dir(s);
	if (r < 0)
		return r;
	snprintf(s->bin, sizeof(s->bin), "%s/%s", s->dir, HANDOVER_BIN);
	/* busybox's ::restart: line names the installed binary itself */
	if (s->kind != INIT_BUSYBOX && (r = copy_self(s->bin)) < 0) {
		log_err("handover: copy the binary to %s: %s", s->bin, strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, HANDOVER_ACTION);
	snprintf(text, sizeof(text), "%s\n", action_name(a));
	if ((r = write_file(path, text, 0600)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", s->dir, HANDOVER_INIT);
	snprintf(text, sizeof(text), "%s\n", init_kind_name(s->kind));
	return write_file(path, text, 0600);
}

static int bind_over(struct stage *s, const char *target)
{
	if (!realpath(target, s->target)) {
		log_err("handover: %s: %s", target, strerror(errno));
		return -errno;
	}
	if (mount(s->bin, s->target, NULL, MS_BIND, NULL) < 0) {
		log_err("handover: bind %s over %s: %s", s->bin, s->target, strerror(errno));
		s->target[0] = '\0';
		return -errno;
	}
	return 0;
}

/* The request `telinit u` sends; telinit itself is usually a link to
 * /sbin/init, which now is us. */
static int sysv_request_reexec(void)
{
	static const char *const fifos[] = { "/run/initctl", "/dev/initctl" };
	struct sysv_request rq;
	unsigned i;

	memset(&rq, 0, sizeof(rq));
	rq.magic = SYSV_MAGIC;
	rq.cmd = SYSV_CMD_RUNLVL;
	rq.runlevel = 'U';
	for (i = 0; i < 2; i++) {
		int fd = open(fifos[i], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			continue;
		n = write(fd, &rq, sizeof(rq));
		close(fd);
		if (n == (ssize_t)sizeof(rq)) {
			log_info("handover: asked sysvinit to re-exec through %s", fifos[i]);
			return 0;
		}
	}
	log_err("handover: no sysvinit initctl FIFO to write to");
	return -ENXIO;
}

static int trigger(struct stage *s)
{
	char path[PATH_MAX];
	ssize_t n;

	switch (s->kind) {
	case INIT_SYSVINIT:
		if (bind_over(s, "/sbin/init") < 0)
			return -HANDOVER_EXIT_STAGE;
		return sysv_request_reexec() < 0 ? -HANDOVER_EXIT_TRIGGER : 0;
	case INIT_BUSYBOX:
		/* said first: the run that follows kills us */
		log_info("handover: SIGQUIT sent to busybox init");
		if (kill(1, SIGQUIT) < 0)
			return -HANDOVER_EXIT_TRIGGER;
		return 0;
	case INIT_S6:
		/* s6-svscan execs .s6-svscan/finish relative to its scandir */
		n = readlink("/proc/1/cwd", path, sizeof(path) - 32);
		if (n <= 0)
			return -HANDOVER_EXIT_STAGE;
		snprintf(path + n, sizeof(path) - (size_t)n, "/.s6-svscan/finish");
		if (bind_over(s, path) < 0)
			return -HANDOVER_EXIT_STAGE;
		/* said first: the run that follows kills us */
		log_info("handover: SIGABRT sent to s6-svscan");
		if (kill(1, SIGABRT) < 0)
			return -HANDOVER_EXIT_TRIGGER;
		return 0;
	default:
		return -HANDOVER_EXIT_NO_ROUTE;
	}
}

static void undo(struct stage *s)
{
	if (s->target[0] && umount2(s->target, MNT_DETACH) < 0)
		log_warn("handover: umount %s: %s", s->target, strerror(errno));
	(void)!chdir("/");
	if (s->dir[0]) {
		(void)umount2(s->dir, MNT_DETACH);
		(void)rmdir(s->dir);
	}
}

/* The init named by --init, unless PID 1 is plainly another one: a signal
 * meant for busybox init must not reach sysvinit. */
static enum init_kind pick_init(const struct cmdline *cl)
{
	struct init_route r;
	enum init_kind want;

	(void)init_route_probe(&r, "/proc", "");
	if (!cl->init_name) {
		log_info("handover: PID 1 is %s (%s)", init_kind_name(r.kind),
			 r.exe[0] ? r.exe : r.comm);
		return r.kind;
	}
	want = init_kind_parse(cl->init_name);
	if (want != INIT_UNKNOWN && r.kind != INIT_UNKNOWN && r.kind != want) {
		log_err("handover: PID 1 is %s (%s), not %s; nothing was changed",
			init_kind_name(r.kind), r.exe[0] ? r.exe : r.comm, cl->init_name);
		return INIT__MAX;
	}
	return want;
}

int handover_run(const struct cmdline *cl)
{
	struct stage s;
	unsigned wait_ms = (cl->wait_s ? cl->wait_s : WAIT_DEFAULT_S) * 1000;
	uint64_t end;
	int r;

	/* the kernel's log too, as the run's lines: an init's rc may run us
	 * under a pty that dies with it (Debian's startpar buffers each
	 * script's output until it ends, and PID 1 kills it first) */
	log_open();
	memset(&s, 0, sizeof(s));
	s.kind = pick_init(cl);
	if (s.kind == INIT__MAX)
		return HANDOVER_EXIT_NO_ROUTE;
	if (cl->init_name && s.kind == INIT_UNKNOWN) {
		fprintf(stderr, "shutdownfs: handover: unknown init '%s'\n", cl->init_name);
		return HANDOVER_EXIT_USAGE;
	}
	if (s.kind != INIT_SYSVINIT && s.kind != INIT_BUSYBOX && s.kind != INIT_S6) {
		log_err("handover: %s: no route to hand over by (%s); nothing was changed",
			init_kind_name(s.kind), s.kind == INIT_DINIT ?
			"dinit execs its shutdown program itself" : init_kind_route(s.kind));
		return HANDOVER_EXIT_NO_ROUTE;
	}
	if (geteuid() != 0) {
		log_err("handover: needs root (mount, signal PID 1); nothing was changed");
		return HANDOVER_EXIT_STAGE;
	}
	r = stage(&s, cl->action);
	if (r < 0) {
		log_err("handover: staging in %s: %s, route undone", s.dir[0] ? s.dir : "a tmpfs",
			strerror(-r));
		undo(&s);
		return HANDOVER_EXIT_STAGE;
	}
	/* keep our tmpfs busy: busybox's ::shutdown: `umount -a -r` may run
	 * before the exec and would otherwise take the state file with it */
	(void)!chdir(s.dir);
	log_info("handover: %s %s staged in %s", init_kind_name(s.kind), action_name(cl->action),
		 s.dir);
	r = trigger(&s);
	if (r < 0) {
		undo(&s);
		return -r;
	}
	/* PID 1 kills us on its way; waking up here means it did not */
	end = now_ms() + wait_ms;
	while (now_ms() < end)
		reap_sleep(100);
	log_err("handover: PID 1 did not take over within %u s, route undone", wait_ms / 1000);
	undo(&s);
	return HANDOVER_EXIT_TIMEOUT;
}
