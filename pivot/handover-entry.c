/* handover-entry.c — the first thing a route-started shutdownfs does: the
 * action from the helper's state file or from what the route passed
 * (dinit's argv, sysvinit's fd 11 and INIT_HALT), then the normal run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "cmdline.h"
#include "handover.h"
#include "log.h"
#include "pivot.h"
#include "spawn.h"
#include "sysfs.h"

#define SYSV_STATE_FD 11                /* sysvinit's STATE_PIPE */
#define SYSV_SIGNATURE "12567362"       /* written before the state records */
#define SYSV_DRAIN_MS 2000
#define SYSV_DRAIN_MAX (1 << 20)

/* "-RL0\n" is the runlevel init was in when it re-exec'ed */
char handover_sysv_runlevel(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, "-RL", 3))
			return buf[i + 3];
	return '\0';
}

/* Runlevel 6 reboots; runlevel 0 halts or powers off as INIT_HALT says
 * (shutdown -H: HALT, -P: POWEROFF; unset: poweroff, Debian's default). */
enum action handover_sysv_action(char runlevel, const char *init_halt)
{
	if (runlevel == '6')
		return ACTION_REBOOT;
	if (runlevel != '0')
		return ACTION_NONE;
	if (init_halt && !strcmp(init_halt, "HALT"))
		return ACTION_HALT;
	return ACTION_POWEROFF;
}

/* Read fd 11 to its end (bounded), then close it: the writer is a child the
 * old init forked, blocked on a full pipe until someone reads. */
static char sysv_read_state(void)
{
	char head[4096], buf[4096];
	size_t have = 0, total = 0;
	uint64_t end = now_ms() + SYSV_DRAIN_MS;
	char rl;

	if (fcntl(SYSV_STATE_FD, F_GETFD) < 0) {
		log_warn("sysvinit re-exec without its state on fd %d", SYSV_STATE_FD);
		return '\0';
	}
	while (total < SYSV_DRAIN_MAX) {
		struct pollfd p = { .fd = SYSV_STATE_FD, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		n = read(SYSV_STATE_FD, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (have < sizeof(head)) {
			size_t k = (size_t)n < sizeof(head) - have ? (size_t)n : sizeof(head) - have;
			memcpy(head + have, buf, k);
			have += k;
		}
		total += (size_t)n;
	}
	close(SYSV_STATE_FD);
	if (have < 8 || memcmp(head, SYSV_SIGNATURE, 8) != 0) {
		log_warn("sysvinit state on fd %d: no signature (%zu bytes), ignoring it",
			 SYSV_STATE_FD, total);
		return '\0';
	}
	rl = handover_sysv_runlevel(head + 8, have - 8);
	log_info("sysvinit state on fd %d: %zu bytes, runlevel %c, closed", SYSV_STATE_FD,
		 total, rl ? rl : '?');
	return rl;
}

static enum action state_action(void)
{
	static const char *const dirs[] = { HANDOVER_DIR_RUN, HANDOVER_DIR_DEV };
	char path[PATH_MAX], word[32];
	enum action a;
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct stat st;

		/* the helper's tmpfs is root's, 0700: anything else is not ours */
		if (stat(dirs[i], &st) < 0)
			continue;
		if (st.st_uid != 0 || (st.st_mode & 0022)) {
			log_warn("handover: %s is not root's alone, ignoring it", dirs[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dirs[i], HANDOVER_ACTION);
		if (sysfs_read(path, word, sizeof(word)) <= 0)
			continue;
		if (action_parse(word, &a) == 0) {
			log_info("handover: action %s from %s", action_name(a), path);
			return a;
		}
		log_warn("handover: bad action '%s' in %s, ignoring", word, path);
	}
	return ACTION_NONE;
}

enum action handover_decode(const struct cmdline *cl)
{
	const char *init = init_kind_name((enum init_kind)cl->entry);
	enum action route = cl->action, state;

	if (cl->entry == INIT_SYSVINIT)
		route = handover_sysv_action(sysv_read_state(), getenv("INIT_HALT"));
	/* dinit's immediate shutdown (SIGQUIT) passes no -X: its own default */
	if (cl->entry == INIT_DINIT && route == ACTION_NONE)
		route = ACTION_POWEROFF;
	state = state_action();
	if (state != ACTION_NONE) {
		if (route != ACTION_NONE && route != state)
			log_warn("handover: %s passed %s, the helper said %s: %s", init,
				 action_name(route), action_name(state), action_name(state));
		return state;
	}
	if (route != ACTION_NONE) {
		log_info("started by %s: action %s", init, action_name(route));
		return route;
	}
	log_warn("started by %s with no action and no state file: reboot", init);
	return ACTION_REBOOT;
}

/* dinit's own shutdown program, for every call that is not PID 1's */
int handover_forward(char **argv)
{
	execv(DINIT_SHUTDOWN_REAL, argv);
	fprintf(stderr, "shutdownfs: cannot run %s for '%s': %s\n", DINIT_SHUTDOWN_REAL,
		argv[0], strerror(errno));
	return HANDOVER_EXIT_FORWARD;
}

int handover_entry(struct cmdline *cl, char **argv)
{
	if (cl->mode == MODE_FORWARD) {
		/* dinit execs `shutdown --system -s` from a child: not ours either */
		if (getpid() != 1)
			return handover_forward(argv);
		log_open();
		log_err("run as %s by PID 1 with no action: rebooting", argv[0]);
		cl->mode = MODE_RUN;
		cl->action = ACTION_REBOOT;
		return -1;
	}
	if (cl->mode == MODE_HANDOVER && getpid() != 1)
		return handover_run(cl);
	if (cl->mode == MODE_HANDOVER) {
		cl->mode = MODE_RUN;    /* PID 1 cannot return: run the action */
		return -1;
	}
	if (!cl->entry || getpid() != 1)
		return -1;
	/* busybox's ::shutdown: `umount -a` may have taken /proc (the log
	 * asks it which PID namespace this is) and /sys before the exec */
	pivot_mount_api();
	log_open();
	cl->action = handover_decode(cl);
	return -1;
}
