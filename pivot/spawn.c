/* spawn.c — fork/wait with a deadline: a call stuck on a dead device blocks
 * a child, never PID 1. Waits on the child's pidfd, which wakes at its exit;
 * without one (before Linux 5.3), polls with backoff. No fixed sleeps. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

unsigned reap_all(void)
{
	unsigned n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		n++;
	return n;
}

void reap_sleep(unsigned ms)
{
	uint64_t end = now_ms() + ms;
	unsigned step = 1;

	for (;;) {
		uint64_t now;

		(void)reap_all();
		now = now_ms();
		if (now >= end)
			return;
		sleep_ms(end - now < step ? (unsigned)(end - now) : step);
		if (step < 20)
			step *= 2;
	}
}

bool stuck_has(const char *key)
{
	const struct stuck_set *ss = &state()->stuck;
	unsigned i;

	for (i = 0; i < ss->n && i < STUCK_MAX; i++)
		if (strncmp(ss->key[i], key, STUCK_KEY_MAX - 1) == 0)
			return true;
	return false;
}

void stuck_add(const char *key)
{
	struct stuck_set *ss = &state()->stuck;

	if (!key[0] || stuck_has(key))
		return;
	/* full: later calls on this object cost their timeout again, which
	 * the phase budgets still bound */
	if (ss->n >= STUCK_MAX)
		return;
	snprintf(ss->key[ss->n], STUCK_KEY_MAX, "%s", key);
	__atomic_add_fetch(&ss->n, 1, __ATOMIC_RELEASE);
}

static void inflight_set(const char *what)
{
	snprintf(state()->inflight, STUCK_KEY_MAX, "%s", what ? what : "");
}

int spawn_call(int (*fn)(void *), void *arg, unsigned timeout_ms, const char *what)
{
	uint64_t end;
	unsigned step = 1;
	int st, pfd;
	pid_t pid;

	if (stuck_has(what)) {
		log_debug("%s: timed out before, not trying again", what);
		return SPAWN_TIMEOUT;
	}
	pid = fork();
	if (pid < 0) {
		/* no child, no bound: do not risk a blocking call in PID 1 */
		log_warn("%s: fork: %s, skipping", what, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		int r;
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		r = fn(arg);
		_exit(r < 0 ? (-r) & 0xff : r & 0xff);
	}
	/* the keeper marks it stuck should this worker be abandoned meanwhile */
	inflight_set(what);
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	end = now_ms() + timeout_ms;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG | WUNTRACED);
		uint64_t now, rest;

		if (w == pid && WIFSTOPPED(st)) {
			/* a hook's kill -STOP -1 must not cost the whole timeout */
			(void)kill(pid, SIGCONT);
			continue;
		}
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			inflight_set(NULL);
			if (pfd >= 0)
				close(pfd);
			return -ECHILD;
		}
		now = now_ms();
		if (now >= end) {
			/* a child in D state ignores SIGKILL until the I/O ends;
			 * the reaper collects it if it ever does */
			(void)kill(pid, SIGKILL);
			stuck_add(what);
			state()->stats.timeouts++;
			inflight_set(NULL);
			if (pfd >= 0)
				close(pfd);
			log_warn("%s: no answer after %u ms, leaving it behind", what, timeout_ms);
			return SPAWN_TIMEOUT;
		}
		rest = end - now;
		if (pfd >= 0) {
			/* wakes at the exit; a stop is looked for every 20 ms */
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			if (poll(&p, 1, (int)(rest < 20 ? rest : 20)) < 0 && errno != EINTR) {
				close(pfd);
				pfd = -1;
			}
		} else {
			sleep_ms(rest < step ? (unsigned)rest : step);
			if (step < 20)
				step *= 2;
		}
	}
	inflight_set(NULL);
	if (pfd >= 0)
		close(pfd);
	if (WIFEXITED(st))
		return -WEXITSTATUS(st);
	return -EINTR;
}

struct umount_args {
	const char *target;
	int flags;
};

static int do_umount(void *p)
{
	const struct umount_args *a = p;

	return sys_umount2(a->target, a->flags) < 0 ? -errno : 0;
}

int spawn_umount(const char *target, int flags, unsigned timeout_ms)
{
	struct umount_args a = { target, flags };

	char what[STUCK_KEY_MAX];

	snprintf(what, sizeof(what), "umount %s", target);
	return spawn_call(do_umount, &a, timeout_ms, what);
}

static int do_remount_ro(void *p)
{
	const char *target = p;

	return sys_mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 ? -errno : 0;
}

int spawn_remount_ro(const char *target, unsigned timeout_ms)
{
	char what[STUCK_KEY_MAX];

	/* a remount on the same superblock hangs where its umount did */
	snprintf(what, sizeof(what), "umount %s", target);
	return spawn_call(do_remount_ro, (void *)target, timeout_ms, what);
}

static int do_swapoff(void *p)
{
	return sys_swapoff(p) < 0 ? -errno : 0;
}

int spawn_swapoff(const char *path, unsigned timeout_ms)
{
	char what[STUCK_KEY_MAX];

	snprintf(what, sizeof(what), "swapoff %s", path);
	return spawn_call(do_swapoff, (void *)path, timeout_ms, what);
}

static int do_sync(void *p)
{
	sys_sync();
	return 0;
}

int spawn_sync(unsigned timeout_ms)
{
	return spawn_call(do_sync, NULL, timeout_ms, "sync");
}
