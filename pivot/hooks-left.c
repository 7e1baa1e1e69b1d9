/* hooks-left.c — what a hook leaves running when it exits: its process
 * group, and daemons that left the group with setsid() but came back to us
 * as orphans. Found in /proc, killed, counted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "hooks-run.h"
#include "proc.h"
#include "spawn.h"

#define LEFTOVER_PASSES 5

bool hook_pids_has(const struct hook_pids *s, pid_t pid)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->pids[i] == pid)
			return true;
	return false;
}

void hook_pids_add(struct hook_pids *s, pid_t pid)
{
	if (hook_pids_has(s, pid))
		return;
	if (s->n < HOOK_PIDS_MAX)
		s->pids[s->n++] = pid;
	else
		s->full = true;
}

/* Live processes that are ours: our children (ret_children) and, when
 * pgrp > 0, members of that process group other than pid pgrp itself. */
void hook_scan(pid_t pgrp, struct hook_pids *ret_children, struct hook_pids *ret_group)
{
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *de;

	ret_children->n = 0;
	ret_children->full = !d;
	if (ret_group) {
		ret_group->n = 0;
		ret_group->full = !d;
	}
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		struct proc_stat ps;
		char dir[32];

		if (pid <= 0 || pid == self || pid == pgrp)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
		if (proc_stat_read(dir, &ps) < 0 || ps.state == 'Z')
			continue;
		if (ps.ppid == self)
			hook_pids_add(ret_children, pid);
		if (ret_group && pgrp > 0 && ps.pgrp == pgrp)
			hook_pids_add(ret_group, pid);
	}
	closedir(d);
}

/* Wait up to ms for our killed children to die, so that what they leave
 * is reparented to us and shows in the next scan. */
static void children_wait(const struct hook_pids *s, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	unsigned i, alive;

	do {
		for (i = 0, alive = 0; i < s->n; i++) {
			int r = waitpid(s->pids[i], NULL, WNOHANG);

			if (r == 0)
				alive++;
		}
		if (!alive)
			return;
		(void)poll(NULL, 0, 10);
	} while (now_ms() < end);
}

/* The hook has exited (not yet reaped, so its pid and group id stay ours).
 * Kill its group, and our children that were not ours before it ran: a
 * daemon that called setsid() is reparented to us (PID 1, or a subreaper)
 * and escapes the group. Returns how many were still alive. */
unsigned hook_kill_leftovers(pid_t leader, const struct hook_pids *before)
{
	struct hook_pids kids, group, seen = { 0 };
	unsigned i;
	int pass;

	for (pass = 0; pass < LEFTOVER_PASSES; pass++) {
		struct hook_pids mine = { 0 };
		unsigned fresh = seen.n;

		hook_scan(leader, &kids, &group);
		(void)kill(-leader, SIGKILL);
		for (i = 0; i < group.n; i++)
			hook_pids_add(&seen, group.pids[i]);
		/* without a full list of what was ours before, spare every child */
		for (i = 0; i < kids.n && !before->full; i++) {
			if (hook_pids_has(before, kids.pids[i]))
				continue;
			(void)kill(kids.pids[i], SIGKILL);
			hook_pids_add(&seen, kids.pids[i]);
			hook_pids_add(&mine, kids.pids[i]);
		}
		if (seen.n == fresh)
			break;
		children_wait(&mine, 300);
		if (group.n)
			(void)poll(NULL, 0, 20);    /* their children come to us */
	}
	return seen.n;
}

