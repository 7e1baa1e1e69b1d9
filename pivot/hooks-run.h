/* hooks-run.h — internal to hooks.c, hooks-run.c, hooks-left.c: one hook, checked and
 * opened, run to its end or its deadline. */
#ifndef HOOKS_RUN_H
#define HOOKS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shutdownfs.h"

#define HOOK_LINE_MAX 512       /* longer output lines are cut */
#define HOOK_LINES_MAX 200      /* lines logged per hook; the rest is counted */
#define HOOK_KILL_GRACE_MS 1000 /* SIGTERM to SIGKILL */

enum hook_result {
	HOOK_OK = 0,
	HOOK_FAILED,            /* non-zero exit, killed by a signal, exec failed */
	HOOK_TIMEOUT,           /* killed at its deadline */
};

struct hook {
	const char *phase;
	const char *name;
	char label[320];        /* "teardown/20-lvm", the log prefix */
	int fd;                 /* O_PATH, checked; this is what gets exec'ed */
	unsigned timeout_ms;
};

#define HOOK_PIDS_MAX 256

struct hook_pids {
	unsigned n;
	bool full;
	pid_t pids[HOOK_PIDS_MAX];
};

bool hook_pids_has(const struct hook_pids *s, pid_t pid);
void hook_pids_add(struct hook_pids *s, pid_t pid);
/* hooks-left.c: our live children into ret_children and, when pgrp > 0,
 * live members of that group other than pid pgrp into ret_group. */
void hook_scan(pid_t pgrp, struct hook_pids *ret_children, struct hook_pids *ret_group);
/* Kill what the exited (unreaped) hook leader left; returns how many. */
unsigned hook_kill_leftovers(pid_t leader, const struct hook_pids *before);

/* Run h as `hook ACTION`; output goes to the log, leftovers are killed. */
enum hook_result hook_run(const struct hook *h, enum action a);
/* ms from a `# timeout: N` line among the first 20 lines of buf, or 0. */
unsigned hook_timeout_parse(const char *buf, size_t len);

#endif
