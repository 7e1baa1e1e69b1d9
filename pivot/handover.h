/* handover.h — how each init gets to exec shutdownfs: which init PID 1 is,
 * the helper its shutdown scripts run (`shutdownfs handover`), and the
 * decoding of what each route passes to the new PID 1. docs/init-*.md. */
#ifndef HANDOVER_H
#define HANDOVER_H

#include <limits.h>
#include <stdbool.h>

#include "cmdline.h"
#include "config.h"

enum init_kind {
	INIT_UNKNOWN = 0,
	INIT_SYSVINIT,          /* telinit u re-execs /sbin/init: bind-mount over it */
	INIT_BUSYBOX,           /* SIGQUIT: ::shutdown:, kill, exec ::restart: */
	INIT_S6,                /* s6-svscan: SIGABRT execs .s6-svscan/finish */
	INIT_DINIT,             /* execs SBINDIR/shutdown --system -r|-p|-h|-k */
	INIT_SYSTEMD,           /* exitrd: /run/initramfs/shutdown (mkshutdownfs --exitrd) */
	INIT_RUNIT,             /* no exec route */
	INIT_OPENRC,            /* openrc-init: no exec route */
	INIT_FINIT,             /* no exec route */
	INIT_SHUTDOWNFS,        /* PID 1 already is shutdownfs */
	INIT__MAX,
};

/* The helper's own tmpfs (exec allowed, never /run itself, which may be
 * noexec): the staged binary and the state files. The first directory that
 * can be made and mounted is used; the PID 1 side looks in each. */
#define HANDOVER_DIR_RUN "/run/shutdownfs.handover"
#define HANDOVER_DIR_DEV "/dev/shutdownfs.handover"
#define HANDOVER_BIN "shutdownfs"
#define HANDOVER_ACTION "action"        /* "poweroff\n" */
#define HANDOVER_INIT "init"            /* "busybox\n" */

/* dinit's own shutdown program, moved aside by the recipe (docs/init-dinit.md) */
#ifndef DINIT_SHUTDOWN_REAL
#define DINIT_SHUTDOWN_REAL PREFIX "/lib/shutdownfs/dinit-shutdown"
#endif

/* Exit codes of `shutdownfs handover` (and of a forwarded call) */
enum handover_exit {
	HANDOVER_EXIT_USAGE = 2,        /* bad arguments */
	HANDOVER_EXIT_NO_ROUTE = 3,     /* this PID 1 has no exec route, or is unknown */
	HANDOVER_EXIT_STAGE = 4,        /* tmpfs, copy, state file or bind mount failed */
	HANDOVER_EXIT_TRIGGER = 5,      /* signal or request to PID 1 failed */
	HANDOVER_EXIT_TIMEOUT = 6,      /* PID 1 did not take over in time; route undone */
	HANDOVER_EXIT_FORWARD = 127,    /* the real dinit shutdown could not be run */
};

const char *init_kind_name(enum init_kind k);
/* One line: how that init can exec us, or why it cannot. */
const char *init_kind_route(enum init_kind k);
enum init_kind init_kind_parse(const char *s);

/* What PID 1 is, read from PROC/1/{exe,comm} and, for sysvinit, the
 * initctl FIFO under ROOT. exe needs root; comm is read by anyone. */
struct init_route {
	enum init_kind kind;
	char exe[PATH_MAX];             /* PROC/1/exe, "" if unreadable */
	char comm[32];
	const char *route;              /* one line: how it can exec us, or why not */
	int setup;                      /* 1 set up, 0 not, -1 cannot tell */
	char setup_why[PATH_MAX + 64];  /* what was looked at */
};

int init_route_probe(struct init_route *r, const char *proc, const char *root);

/* PID 1 side: the action of a route entry (cl->entry set by cmdline_parse).
 * Precedence: the helper's state file, then what the route passes (argv,
 * sysvinit's fd 11 and INIT_HALT), then reboot. Drains and closes fd 11. */
enum action handover_decode(const struct cmdline *cl);

/* Parse sysvinit's re-exec state stream (after the 8-byte signature is
 * checked): the runlevel from its -RL line, '\0' if none. */
char handover_sysv_runlevel(const char *buf, size_t len);
enum action handover_sysv_action(char runlevel, const char *init_halt);

/* Not PID 1: the helper (MODE_HANDOVER) or a forwarded dinit call
 * (MODE_FORWARD). Returns the exit code; a forward that works never returns. */
int handover_run(const struct cmdline *cl);
int handover_forward(char **argv);

/* issue 16: the one call main() makes. Returns an exit code for a finished
 * non-PID-1 path, or -1 to go on (PID 1: cl->action resolved, mode RUN). */
int handover_entry(struct cmdline *cl, char **argv);

#endif
