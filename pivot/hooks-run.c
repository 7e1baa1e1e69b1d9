/* hooks-run.c — run one hook: own process group, stdin on /dev/null, output
 * into the log line by line, a deadline (SIGTERM, SIGKILL a second later),
 * and whatever it left running killed when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "hooks.h"
#include "hooks-run.h"
#include "log.h"
#include "state.h"
#include "spawn.h"

#define HOOK_READ_BUDGET (1 << 20)   /* bytes per wake-up, so the deadline is checked */
#define HOOK_TICK_MS 50              /* poll period when pidfd_open is missing */
#define HOOK_STUCK_MS 1000           /* after SIGKILL, then we leave it to the reaper */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif

struct hook_out {
	const char *label;
	char line[HOOK_LINE_MAX + 1];
	size_t len;
	bool cut;               /* the current line went over HOOK_LINE_MAX */
	unsigned logged, dropped;
};

static void out_emit(struct hook_out *o)
{
	size_t i;

	if (o->len && o->line[o->len - 1] == '\r')
		o->len--;
	/* kmsg and the console get no control characters from a hook */
	for (i = 0; i < o->len; i++)
		if (((unsigned char)o->line[i] < 0x20 && o->line[i] != '\t') || o->line[i] == 0x7f)
			o->line[i] = '?';
	o->line[o->len] = '\0';
	if (o->logged < HOOK_LINES_MAX) {
		log_info("hook %s: %s%s", o->label, o->line, o->cut ? " [cut]" : "");
		o->logged++;
	} else {
		o->dropped++;
	}
	o->len = 0;
	o->cut = false;
}

static void out_feed(struct hook_out *o, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			out_emit(o);
		else if (o->len < HOOK_LINE_MAX)
			o->line[o->len++] = buf[i];
		else
			o->cut = true;
	}
}

/* Read what is there without blocking. Returns 1 at EOF, else 0. */
static int out_drain(int fd, struct hook_out *o)
{
	char buf[8192];
	size_t total = 0;

	while (total < HOOK_READ_BUDGET) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			out_feed(o, buf, (size_t)n);
			total += (size_t)n;
		} else if (n == 0) {
			return 1;
		} else if (errno != EINTR) {
			return errno == EAGAIN ? 0 : 1;
		}
	}
	return 0;
}

/* In the child: never returns. */
static _Noreturn void hook_exec(const struct hook *h, enum action a, int outw, int errw)
{
	char env_phase[64], env_action[64];
	char *argv[] = { (char *)h->name, (char *)action_name(a), NULL };
	char *envp[] = { env_phase, env_action, "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
			 "DM_DISABLE_UDEV=1", NULL };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int null, hfd, o, e, sig, efd = errw;

	/* PID 1's ignored signals and mask would be inherited through exec */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < _NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	(void)setpgid(0, 0);
	/* lift everything over 10 first: PID 1 may run with 0-2 closed */
	o = fcntl(outw, F_DUPFD, 10);
	e = fcntl(errw, F_DUPFD_CLOEXEC, 10);
	hfd = fcntl(h->fd, F_DUPFD, 10);
	null = open("/dev/null", O_RDONLY);
	if (null < 0) {
		int p[2];

		/* no /dev/null: an empty pipe gives the same EOF */
		if (pipe(p) == 0) {
			close(p[1]);
			null = p[0];
		}
	}
	if (o < 0 || e < 0 || hfd < 0 || null < 0)
		goto fail;
	if (dup2(null, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0 || dup2(hfd, 3) < 0 ||
	    dup3(e, 4, O_CLOEXEC) < 0)
		goto fail;
	efd = 4;
	if (syscall(SYS_close_range, 5U, ~0U, 0U) < 0) {
		int fd;

		for (fd = 5; fd < 4096; fd++)
			(void)close(fd);
	}
	(void)chdir("/");
	snprintf(env_phase, sizeof(env_phase), "SHUTDOWNFS_PHASE=%s", h->phase);
	snprintf(env_action, sizeof(env_action), "SHUTDOWNFS_ACTION=%s", action_name(a));
	/* Exec the checked file, not its name. Through /proc the interpreter of
	 * a script can open it again; execveat() covers a missing /proc for
	 * binaries (a script then needs /dev/fd). */
	if (access("/proc/self/fd", F_OK) == 0)
		execve("/proc/self/fd/3", argv, envp);
	else
		syscall(SYS_execveat, 3, "", argv, envp, AT_EMPTY_PATH);
fail:
	sig = errno;
	(void)!write(efd, &sig, sizeof(sig));
	_exit(127);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Wait for the hook's exit (not reaping it) while copying its output to the
 * log; enforce its deadline. Returns true when it exited, false when it
 * would not die even after SIGKILL. */
static bool hook_watch(const struct hook *h, pid_t pid, int outr, struct hook_out *out,
		       bool *ret_timed_out)
{
	uint64_t start = now_ms(), deadline = start + h->timeout_ms;
	uint64_t kill_at = 0, giveup_at = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool eof = false, exited = false;

	*ret_timed_out = false;
	for (;;) {
		struct pollfd pfd[2];
		siginfo_t si = { 0 };
		uint64_t now, next;
		int nfd = 0, r;

		r = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT);
		/* ECHILD: someone else reaped it; it is gone all the same */
		if ((r == 0 && si.si_pid == pid) || (r < 0 && errno == ECHILD)) {
			exited = true;
			break;
		}
		now = now_ms();
		if (!*ret_timed_out && now >= deadline) {
			*ret_timed_out = true;
			log_warn("hook %s: timed out after %u ms, sending SIGTERM", h->label, h->timeout_ms);
			(void)kill(-pid, SIGTERM);
			(void)kill(-pid, SIGCONT);   /* a stopped group would not see it */
			kill_at = now + HOOK_KILL_GRACE_MS;
		} else if (kill_at && now >= kill_at) {
			log_warn("hook %s: still running %u ms after SIGTERM, sending SIGKILL",
				 h->label, HOOK_KILL_GRACE_MS);
			(void)kill(-pid, SIGKILL);
			kill_at = 0;
			giveup_at = now + HOOK_STUCK_MS;
		} else if (giveup_at && now >= giveup_at) {
			log_err("hook %s: still there %u ms after SIGKILL, leaving it", h->label, HOOK_STUCK_MS);
			break;
		}
		next = *ret_timed_out ? (kill_at ? kill_at : giveup_at) : deadline;
		if (pidfd < 0)
			next = min_u64(next, now + HOOK_TICK_MS);
		if (!eof) {
			pfd[nfd].fd = outr;
			pfd[nfd++].events = POLLIN;
		}
		if (pidfd >= 0) {
			pfd[nfd].fd = pidfd;
			pfd[nfd++].events = POLLIN;
		}
		r = poll(pfd, (nfds_t)nfd, next > now ? (int)min_u64(next - now, 60000) : 0);
		if (r > 0 && !eof && pfd[0].revents)
			eof = out_drain(outr, out);
	}
	if (pidfd >= 0)
		close(pidfd);
	return exited;
}

static enum hook_result hook_judge(const struct hook *h, int status, int exec_err,
				   bool timed_out, uint64_t ms)
{
	if (exec_err) {
		log_warn("hook %s: cannot execute: %s, going on", h->label, strerror(exec_err));
		return HOOK_FAILED;
	}
	if (timed_out) {
		/* the time it really had: the deadline, the grace after SIGTERM,
		 * and however long it took to die */
		log_warn("hook %s: killed after %llu ms (timeout %u ms), ignoring", h->label,
			 (unsigned long long)ms, h->timeout_ms);
		return HOOK_TIMEOUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("hook %s: done in %llu ms", h->label, (unsigned long long)ms);
		return HOOK_OK;
	}
	if (WIFEXITED(status))
		log_warn("hook %s: exited with status %d, going on", h->label, WEXITSTATUS(status));
	else
		log_warn("hook %s: killed by signal %d (%s), going on", h->label,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	return HOOK_FAILED;
}

enum hook_result hook_run(const struct hook *h, enum action a)
{
	struct hook_out out = { .label = h->label };
	struct hook_pids before;
	int outp[2], errp[2], status = 0, exec_err = 0;
	uint64_t start = now_ms();
	bool timed_out, exited;
	unsigned left;
	pid_t pid;

	/* PID 1 gets orphans anyway; elsewhere (unit tests) this makes a
	 * daemon a hook double-forks come back to us, to be found and killed. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	hook_scan(0, &before, NULL);
	if (pipe2(outp, O_CLOEXEC) < 0)
		goto fail_early;
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		goto fail_early;
	}
	log_debug("hook %s: running, timeout %u ms", h->label, h->timeout_ms);
	pid = fork();
	if (pid == 0)
		hook_exec(h, a, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	if (pid < 0) {
		close(outp[0]);
		close(errp[0]);
		goto fail_early;
	}
	(void)setpgid(pid, pid);        /* also here: no race with the first kill */
	state()->hook_pgid = pid;       /* the keeper kills it with an abandoned worker */
	(void)fcntl(outp[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);

	exited = hook_watch(h, pid, outp[0], &out, &timed_out);
	(void)out_drain(outp[0], &out);
	if (exited) {
		left = hook_kill_leftovers(pid, &before);
		if (left)
			log_warn("hook %s: killed %u leftover process%s", h->label, left,
				 left == 1 ? "" : "es");
		while (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("hook %s: exit status lost: %s", h->label, strerror(errno));
			status = 0xff00;        /* judged as a failure */
			break;
		}
		/* only now, with the hook's own status in hand: zombies of what
		 * was killed, reparented to us */
		(void)reap_all();
		if (read(errp[0], &exec_err, sizeof(exec_err)) != sizeof(exec_err))
			exec_err = 0;
	}
	(void)out_drain(outp[0], &out);
	if (out.len)
		out_emit(&out);
	if (out.dropped)
		log_notice("hook %s: %u more lines dropped", h->label, out.dropped);
	close(outp[0]);
	close(errp[0]);
	return hook_judge(h, status, exec_err, timed_out || !exited, now_ms() - start);

fail_early:
	log_warn("hook %s: cannot start: %s, going on", h->label, strerror(errno));
	return HOOK_FAILED;
}
