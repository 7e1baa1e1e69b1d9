/* umount-batch.c — the unmount phase's calls in one child per batch: the
 * child runs them in order and writes each result to a pipe; the worker waits
 * on the pipe with a per-call deadline. A fork and a polled wait per mount
 * cost about a millisecond each; this costs one fork per pass. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "umount-batch.h"

#define REAP_WAIT_MS 1000       /* for a child that has closed its pipe */

struct report {
	uint32_t k;
	int32_t result;
};

static int call_one(const struct umount_call *c)
{
	int r;

	if (c->op == UMOUNT_OP_REMOUNT_RO)
		r = sys_mount(NULL, c->path, NULL, MS_REMOUNT | MS_RDONLY, NULL);
	else
		r = sys_umount2(c->path, c->flags);
	return r < 0 ? -errno : 0;
}

static _Noreturn void child_run(const struct umount_call *calls, size_t from, size_t n, int wfd)
{
	sigset_t none;
	size_t k;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (k = from; k < n; k++) {
		struct report rp = { (uint32_t)k, call_one(&calls[k]) };

		/* 8 bytes: below PIPE_BUF, so the write is whole or not at all */
		if (write(wfd, &rp, sizeof(rp)) != (ssize_t)sizeof(rp))
			_exit(1);
	}
	_exit(0);
}

/* The child closed its end: it is exiting. Wait a little, else leave it. */
static void child_reap(pid_t pid)
{
	uint64_t end = now_ms() + REAP_WAIT_MS;

	while (waitpid(pid, NULL, WNOHANG) == 0 && now_ms() < end)
		reap_sleep(1);
}

/* Read reports until the child is done, overruns or dies. Returns the index
 * of the first call without a result. */
static size_t batch_wait(struct umount_call *calls, size_t from, size_t n, int rfd,
			 pid_t pid, unsigned timeout_ms, unsigned *ret_timeouts)
{
	struct report buf[256];
	size_t k = from, have = 0;
	struct pollfd pfd = { rfd, POLLIN, 0 };

	while (k < n) {
		ssize_t got;
		size_t i;
		int pr;

		/* the keeper marks it stuck should this worker be abandoned */
		snprintf(state()->inflight, sizeof(state()->inflight), "umount %s", calls[k].path);
		pr = poll(&pfd, 1, (int)timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			state()->inflight[0] = '\0';
			calls[k].result = SPAWN_TIMEOUT;
			(*ret_timeouts)++;
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, WNOHANG);
			return k + 1;
		}
		got = read(rfd, (char *)buf + have, sizeof(buf) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* died without a word on call k (a crash, a kill) */
			state()->inflight[0] = '\0';
			calls[k].result = -EINTR;
			child_reap(pid);
			return k + 1;
		}
		have += (size_t)got;
		for (i = 0; i < have / sizeof(buf[0]); i++) {
			if (buf[i].k >= n)
				continue;
			calls[buf[i].k].result = buf[i].result;
			k = buf[i].k + 1;
		}
		/* a partial record stays at the front */
		memmove(buf, (char *)buf + i * sizeof(buf[0]), have - i * sizeof(buf[0]));
		have -= i * sizeof(buf[0]);
	}
	state()->inflight[0] = '\0';
	child_reap(pid);
	return k;
}

unsigned umount_batch_run(struct umount_call *calls, size_t n, unsigned timeout_ms)
{
	unsigned timeouts = 0;
	size_t k = 0;

	/* every round settles at least one call: at most n rounds */
	while (k < n) {
		int p[2] = { -1, -1 };
		pid_t pid;

		pid = pipe2(p, O_CLOEXEC) < 0 ? -1 : fork();
		if (pid < 0) {
			/* no child, no bound: do not risk a blocking call in PID 1 */
			int e = errno;

			if (p[0] >= 0) {
				close(p[0]);
				close(p[1]);
			}
			log_warn("unmount %zu mounts: %s, skipping them", n - k, strerror(e));
			for (; k < n; k++)
				calls[k].result = -e;
			return timeouts;
		}
		if (pid == 0) {
			close(p[0]);
			child_run(calls, k, n, p[1]);
		}
		close(p[1]);
		k = batch_wait(calls, k, n, p[0], pid, timeout_ms, &timeouts);
		close(p[0]);
	}
	return timeouts;
}
