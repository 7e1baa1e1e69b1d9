/* keeper.c — PID 1 and nothing else: mlockall, kernel.panic, the deadline,
 * workers started and restarted phase by phase, the re-exec into the
 * ramfs, reaping, a bounded sync and reboot(2). PID 1 touches no device
 * (but the watchdog) and no /proc/PID of others, and calls no library that
 * could crash it: a crash here is a kernel panic. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "exitrd.h"
#include "final.h"
#include "budget.h"
#include "keeper.h"
#include "log.h"
#include "pivot.h"
#include "report.h"
#include "scope.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "watchdog.h"
#include "worker.h"

#define EXIT_WAIT_MS 1000       /* a worker past its last phase has this to exit */
#define FORK_TRIES 20           /* 100 ms apart: memory may come back as workers die */
#define TICK_MS 100             /* the longest PID 1 sleeps without looking */
#define REPORT_TIMEOUT_MS 3000  /* the record and the host's verdict, after a cut-short run */
#define SKIP_WAIT_MS 200        /* for a worker to skip a phase with no time left */

static int sigfd = -1;

/* The kernel drops a signal to PID 1 that has no handler before it is
 * queued: with this one (never run: the signals stay blocked) a second
 * shutdown request reaches the signalfd and is logged. */
static void noop(int sig)
{
	(void)sig;
}

/* Signals arrive through signalfd: a second shutdown request (SIGTERM,
 * SIGINT from ctrl-alt-del) is logged and the run goes on. Blocked, they
 * cannot kill PID 1 even when sent from a parent PID namespace. The mask
 * is inherited by workers; what they exec gets a clean one. */
static void signals_take(void)
{
	struct sigaction on = { .sa_handler = noop };
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				    SIGPWR, SIGALRM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;
	size_t i;
	int sig;

	/* an init may have left SIGCHLD ignored: children would reap themselves */
	for (sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&set, sigs[i]);
		if (sigs[i] != SIGCHLD)
			(void)sigaction(sigs[i], &on, NULL);
	}
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void signals_drain(void)
{
	struct signalfd_siginfo si;

	while (sigfd >= 0 && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			log_notice("signal %s from pid %u: the shutdown is already under way",
				   strsignal((int)si.ssi_signo), si.ssi_pid);
}

/* Sleep until a signal or ms, whichever first. */
static void wait_event(unsigned ms)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };

	if (sigfd < 0) {
		/* no signalfd: look every 20 ms (reaping here would lose the
		 * worker's status) */
		(void)poll(NULL, 0, (int)(ms < 20 ? ms : 20));
		return;
	}
	(void)poll(&p, 1, (int)ms);
	signals_drain();
}

/* Lock PID 1 into memory (stage 1 must not page its code in from the old
 * root it exists to survive), let a kernel panic reboot, and keep a
 * ctrl-alt-del from restarting the machine without a teardown. */
static void pid1_harden(void)
{
	char buf[16] = "";
	int fd;

	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_warn("mlockall: %s, PID 1 may page in from the old root", strerror(errno));
	if (!pidns_is_initial())
		return;         /* both are the host's, not a test namespace's */
	fd = open("/proc/sys/kernel/panic", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == '0' && buf[1] == '\n' &&
		    pwrite(fd, "10\n", 3, 0) == 3)
			log_info("kernel.panic = 10: a panic now reboots");
		close(fd);
	}
	(void)sys_reboot(RB_DISABLE_CAD);
}

static pid_t worker_start(struct run_state *rs, unsigned first)
{
	unsigned tries;

	rs->phase = (int)first;
	rs->phase_since_ms = now_ms();
	rs->phase_budget_ms = 0;
	rs->step[0] = rs->inflight[0] = '\0';
	rs->hook_pgid = 0;
	for (tries = 0; tries < FORK_TRIES; tries++) {
		pid_t pid = fork();

		if (pid == 0) {
			/* its own group: an abandoned worker goes with its children */
			(void)setpgid(0, 0);
			worker_main(rs, first);
		}
		if (pid > 0) {
			(void)setpgid(pid, pid);
			return pid;
		}
		log_err("fork a worker: %s, trying again", strerror(errno));
		wait_event(100);
		(void)reap_all();
	}
	return -1;
}

/* A worker we leave behind, and the hook it ran: SIGKILL to both groups.
 * A task in D state dies when its I/O ends, or never; it is not waited for. */
static void worker_abandon(struct run_state *rs, pid_t w)
{
	if (w > 0)
		(void)kill(-w, SIGKILL);
	if (rs->hook_pgid > 1)
		(void)kill(-rs->hook_pgid, SIGKILL);
	rs->hook_pgid = 0;
}

static void phase_done(struct run_state *rs, const struct run_phase *ph, unsigned i)
{
	watchdog_ping();
	log_set_verbose(rs->cfg.verbose);       /* the config phase may have changed it */
	if (ph[i].flags & PH_ARM_WATCHDOG) {
		watchdog_start(&rs->cfg, budget_deadline(rs));
		rs->watchdog_fd = watchdog_fd();
	}
}

/* Returns true when the worker's phase `w` is over: it exited. */
static bool reap(pid_t w, int *ret_status)
{
	bool gone = false;
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG | WUNTRACED)) > 0) {
		if (p != w)
			continue;       /* a stuck call of an earlier worker */
		if (WIFSTOPPED(st)) {
			/* a hook's kill -STOP -1 */
			log_warn("worker %d stopped by %s, continuing it", (int)w,
				 strsignal(WSTOPSIG(st)));
			(void)kill(w, SIGCONT);
			continue;
		}
		*ret_status = st;
		gone = true;
	}
	return gone;
}

static void say_death(const struct run_state *rs, const char *name, pid_t w, int st)
{
	if (WIFSIGNALED(st))
		log_err("worker %d killed by %s during %s, going on with the next phase", (int)w,
			strsignal(WTERMSIG(st)), name);
	else
		log_err("worker %d exited %d during %s, going on with the next phase", (int)w,
			WEXITSTATUS(st), name);
}

/* The phases of rs->stage, each worker from where the last one ended.
 * Returns false when they all ran, true when the deadline stopped them. */
static bool keeper_phases(struct run_state *rs)
{
	unsigned n, next = 0;
	const struct run_phase *ph = worker_phases(rs->stage, &n);
	int seen = -1;
	pid_t w = 0;

	for (;;) {
		uint64_t stop, end, now;
		int cur, st = 0;

		if (w <= 0) {
			while (next < n && !worker_phase_applies(&ph[next], rs))
				next++;
			if (next >= n)
				return false;
			w = worker_start(rs, next);
			if (w < 0) {
				log_err("no worker can be started: skipping to the end");
				return false;
			}
		}
		cur = __atomic_load_n(&rs->phase, __ATOMIC_ACQUIRE);
		/* a worker may go through several phases between two looks */
		for (; seen < cur; seen++)
			if (seen >= 0 && seen < (int)n)
				phase_done(rs, ph, (unsigned)seen);
		seen = cur;
		now = now_ms();
		/* no time left at all: the worker skips the phase itself */
		end = cur >= (int)n ? now + EXIT_WAIT_MS : budget_phase_end(rs, ph, n, (unsigned)cur);
		if (cur < (int)n && end < rs->phase_since_ms + SKIP_WAIT_MS)
			end = rs->phase_since_ms + SKIP_WAIT_MS;
		stop = budget_stop(rs, ph, n);
		if (stop && stop < end)
			end = stop;
		if (now < end)
			wait_event((unsigned)(end - now < TICK_MS ? end - now : TICK_MS));
		if (reap(w, &st)) {
			cur = rs->phase;
			if (cur >= (int)n && WIFEXITED(st) && WEXITSTATUS(st) == 0)
				return false;
			say_death(rs, cur < (int)n ? ph[cur].name : "its exit", w, st);
			worker_abandon(rs, 0);
			w = 0;
			next = (unsigned)cur + 1;
			continue;
		}
		now = now_ms();
		if (stop && now >= stop) {
			const char *pname = cur < (int)n ? ph[cur].name : "the exit";

			log_err("deadline of %u ms reached during %s%s%s%s, forcing %s",
				rs->cfg.deadline_ms, rs->step[0] ? rs->step : pname,
				rs->step[0] ? " (phase " : "", rs->step[0] ? pname : "",
				rs->step[0] ? ")" : "",
				rs->action == ACTION_KEXEC ? "reboot" : action_name(rs->action));
			stuck_add(rs->inflight);
			worker_abandon(rs, w);
			return true;
		}
		if (now >= end && cur < (int)n) {
			log_err("%s%s%s: over its budget of %llu ms, abandoning it",
				ph[cur].name, rs->step[0] ? ": " : "", rs->step,
				(unsigned long long)(end - rs->phase_since_ms));
			/* an abandoned hook counts as one that timed out; any
			 * other abandoned step leaves the run degraded */
			if (ph[cur].flags & PH_RAMFS)
				rs->stats.hooks_timeout++;
			else
				rs->stats.timeouts++;
			stuck_add(rs->inflight);
			worker_abandon(rs, w);
			w = 0;
			next = (unsigned)cur + 1;
		}
	}
}

static int report_child(void *p)
{
	const struct run_state *rs = p;

	report_finish(&rs->cfg, &rs->stats, rs->start_us);
	return 0;
}

/* The end: the summary if no worker wrote it, PID 1's own bounded sync,
 * reboot(2). Never returns. */
static _Noreturn void keeper_finish(struct run_state *rs, bool cut_short)
{
	uint64_t deadline = budget_deadline(rs), now = now_ms();
	unsigned ms = FINAL_SYNC_MS;

	if (cut_short)
		rs->stats.timeouts++;

	if (!rs->summary_done) {
		if (!cut_short)
			log_err("the summary phase did not complete");
		final_summary(rs->action, &rs->stats, rs->start_us / 1000, true);
	}
	if (deadline && deadline > now && deadline - now < ms)
		ms = (unsigned)(deadline - now);
	if (!deadline || deadline > now) {
		int r = spawn_sync(ms);

		if (r < 0)
			log_err("sync: %s, dirty data may be lost",
				r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
	}
	/* no worker kept the record: a bounded child does (it writes to a
	 * device, which PID 1 never does itself) */
	if (!rs->summary_done)
		(void)spawn_call(report_child, rs, REPORT_TIMEOUT_MS, "report");
	watchdog_ping();
	/* systemd's `exit` verb in a container ends PID 1 with its
	 * --exit-code; on a machine it returns, and the action is poweroff */
	exitrd_container_exit(&rs->cfg);
	final_action(rs->action, &rs->cfg, &rs->stats, rs->crypt_known);
}

/* Stage 1 is over: the worker pivoted (the root of PID 1 moved with it),
 * so nothing but the exec is left to do on the old binary. */
static void keeper_reexec(struct run_state *rs)
{
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	log_reopen();
	pivot_clean_fds();
	rs->watchdog_fd = watchdog_fd();
	(void)pivot_reexec(rs->action);
	/* the exec failed: stage 2 from the old binary, locked in memory */
}

_Noreturn void keeper_run(struct run_state *rs)
{
	pid1_harden();
	if (rs->stage == STAGE_ONE) {
		if (!keeper_phases(rs)) {
			if (!rs->ramfs_ready && pivot_is_mountpoint(OLDROOT) &&
			    access(RAMFS_SELF, X_OK) == 0)
				rs->ramfs_ready = true;   /* it pivoted, then died */
			if (rs->ramfs_ready)
				keeper_reexec(rs);
			rs->stage = rs->ramfs_ready ? STAGE_TWO : STAGE_FALLBACK;
			rs->scope_ready = false;
		} else {
			keeper_finish(rs, true);
		}
	}
	keeper_finish(rs, keeper_phases(rs));
}

void keeper_signals(void)
{
	signals_take();
}
