/* main.c — the run as a list of phases; ends in final_action(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "exitrd.h"
#include "final.h"
#include "guard.h"
#include "hooks.h"
#include "killall.h"
#include "log.h"
#include "modules.h"
#include "pivot.h"
#include "plan.h"
#include "spawn.h"
#include "teardown.h"
#include "umount.h"

#define PASS_MAX 16             /* fixpoint passes: stacks nest, but not deeper */
#define HOOKS_DIR "/hooks.d"

static struct config cfg;
static struct stats stats;

/* One fixpoint: unmount, swapoff, detach loops and, with devices set, dm and
 * md, while a pass changes what sysfs and the mount table show. */
static void teardown_loop(const struct scope *s, bool devices, bool last)
{
	unsigned pass;

	for (pass = 0; pass < PASS_MAX; pass++) {
		bool changed = false, lt = last && pass > 0;

		(void)umount_pass(s, &changed, &stats);
		(void)swap_detach_all(s, lt, &changed, &stats);
		(void)loop_detach_all(s, lt, &changed, &stats);
		if (devices) {
			(void)dm_detach_all(s, lt, &changed, &stats);
			(void)md_detach_all(s, lt, &changed, &stats);
		}
		if (!changed)
			break;
	}
}

static void hooks(enum phase p, enum action a)
{
	char step[48];

	snprintf(step, sizeof(step), "hooks %s", phase_name(p));
	guard_step(step);
	(void)hooks_run_phase(HOOKS_DIR, p, a, cfg.hook_timeout_ms, &stats);
}

static void sync_bounded(void)
{
	int r;

	guard_step("sync");
	r = spawn_sync(SYNC_TIMEOUT_MS);
	if (r < 0) {
		stats.timeouts++;
		log_err("sync: %s, dirty data may be lost",
			r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
	}
}

/* The fallback keeps "/" mounted: read-only at best, and never clean. */
static void root_read_only(void)
{
	int r = spawn_remount_ro("/", UMOUNT_TIMEOUT_MS);

	if (r == 0) {
		stats.ro++;
		log_warn("/: remounted read-only, it stays mounted");
	} else {
		stats.left++;
		log_err("/: remount read-only: %s", r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
	}
}

static int guardian_start(enum action a, uint64_t start)
{
	guard_init();
	return guard_start(&cfg, a, cfg.deadline_ms ? start + cfg.deadline_ms : 0);
}

/* SIGKILL a guardian another one has replaced, and reap it (bounded). */
static void reap_guardian(int old, int current)
{
	uint64_t end = now_ms() + 1000;

	if (old <= 1 || old == current)
		return;
	(void)kill(old, SIGKILL);
	while (waitpid(old, NULL, WNOHANG) == 0 && now_ms() < end)
		reap_sleep(1);
}

/* Stage 2, or the fallback on the old root (oldroot "/", no hooks).
 * old_guard: stage 1's guardian, which maps our binary from the old root:
 * a new one takes over, then it goes. Stage 1's own guardian (after a
 * failed pivot or exec) is kept: guard_pid() > 0. */
static _Noreturn void run(enum action a, uint64_t start, const char *oldroot, int old_guard)
{
	struct scope s;
	bool ramfs = strcmp(oldroot, "/") != 0;
	int guardian = guard_pid();

	if (guardian <= 0)
		guardian = guardian_start(a, start);
	reap_guardian(old_guard, guardian);
	scope_init(&s, pidns_is_initial(), oldroot);
	(void)scope_collect(&s);
	loop_note_attached(&s);

	guard_step("kill");
	(void)killall_run(&cfg, guardian > 0 ? guardian : 0, oldroot, &stats);
	if (ramfs)
		hooks(PHASE_PRE_UMOUNT, a);
	guard_step("resume dm");
	(void)dm_resume_all(&s);
	guard_step("unmount");
	teardown_loop(&s, false, false);
	if (ramfs)
		hooks(PHASE_TEARDOWN, a);
	guard_step("teardown");
	teardown_loop(&s, true, false);
	guard_step("busy mounts");
	(void)umount_finish(&s, &stats);
	if (!ramfs)
		root_read_only();
	teardown_loop(&s, true, true);
	umount_released(&stats);
	if (ramfs) {
		/* dirty pages of what is still up must reach network block
		 * devices before the hooks log them out */
		sync_bounded();
		hooks(PHASE_POST_TEARDOWN, a);
		hooks(PHASE_FINAL, a);
	}

	/* ---- point of no return: from here everything degrades and goes on ---- */
	sync_bounded();
	stats.crypt_left = dm_crypt_left(&s);
	stats.left += (unsigned)(ramfs ? umount_count(&s) : 0) + blockgraph_left(&s, true);
	final_summary(a, &stats, start);
	/* systemd helper (issue 14): systemd's `exit` verb in a container ends
	 * PID 1 with its --exit-code; on the host it returns (poweroff) */
	exitrd_container_exit(&cfg);
	guard_step("reboot");
	final_action(a, &cfg, &stats);
}

static _Noreturn void stage1(enum action a, uint64_t start_us, int early_guard)
{
	uint64_t start = start_us / 1000;
	struct scope s;
	int guardian;
	int r;

	log_info("%s %s: stage 1 on the old root", SHUTDOWNFS_VERSION, action_name(a));
	/* reading modules and the skeleton can block on a dead root device:
	 * the deadline holds from the start */
	guardian = guardian_start(a, start);
	reap_guardian(early_guard, guardian);
	/* a suspended device under the root would block every read below */
	guard_step("stage 1: resume dm");
	scope_init(&s, pidns_is_initial(), "/");
	(void)scope_collect(&s);
	(void)dm_resume_all(&s);
	guard_step("stage 1: modules");
	/* modules are global: a test namespace must not load them on the host */
	if (pidns_is_initial())
		(void)modules_preload(&cfg);
	else if (cfg.npreload)
		log_info("preload: skipped in a child PID namespace");
	guard_prepare_watchdog(&cfg);
	/* SIGTERM while the processes still see the old root: their exit
	 * handlers save state by absolute paths */
	guard_step("stage 1: kill");
	(void)killall_run(&cfg, guardian > 0 ? guardian : 0, "/", &stats);
	guard_step("stage 1: skeleton");
	r = pivot_into_ramfs(&cfg);
	if (r < 0) {
		log_err("cannot pivot into the ramfs, tearing down from the old root");
		run(a, start, "/", 0);
	}
	pivot_clean_fds();
	(void)pivot_reexec(&cfg, a, start_us, guardian, stats.killed);
	run(a, start, OLDROOT, 0);
}

/* PID 1 inherits dispositions from the init that exec'ed it: an ignored
 * SIGCHLD would reap our children before we wait for them. SIG_DFL is safe
 * for PID 1: the kernel drops signals it has no handler for. */
static void signals_reset(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In a child PID namespace with the parent's /proc we most likely share the
 * parent's mounts too (`unshare --pid` without --mount): pivoting and
 * unmounting there would act on the host. Touch nothing, end. */
static bool namespace_is_ours(void)
{
	char self[16];
	ssize_t n;

	if (pidns_is_initial())
		return true;
	n = readlink("/proc/self", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (strcmp(self, "1") == 0)
			return true;
	}
	log_err("child PID namespace without its own /proc (run under unshare --pid "
		"--mount --fork and mount proc): refusing to touch anything, ending it");
	return false;
}

/* PID 1 from here on: never return, never exit. */
static _Noreturn void pid1(const struct cmdline *cl, uint64_t start_us)
{
	uint64_t start = start_us / 1000;
	enum mode mode = cl->mode;
	enum action a = cl->action;
	int early_guard = 0;

	signals_reset();
	/* an init that ran `umount -a` took /proc and /sys with it */
	pivot_mount_api();
	log_open();
	/* the config file may not be cached and the root device may be dead:
	 * a guardian with the built-in deadline (and no watchdog, which the
	 * real one opens) covers reading it */
	if (mode == MODE_RUN) {
		config_defaults(&cfg);
		snprintf(cfg.watchdog, sizeof(cfg.watchdog), "off");
		early_guard = guardian_start(a ? a : ACTION_REBOOT, start);
	}
	config_build(&cfg, cl, "/proc/cmdline");
	if (mode == MODE_HELP || mode == MODE_VERSION || mode == MODE_PLAN ||
	    a == ACTION_NONE) {
		log_err("PID 1 cannot return: rebooting");
		mode = MODE_RUN;
		a = ACTION_REBOOT;
	}
	if (cl->start_us) {
		start_us = cl->start_us;
		start = start_us / 1000;
	}
	stats.killed = cl->killed;
	if (!namespace_is_ours())
		final_action(a, &cfg, &stats);
	/* `exec shutdown poweroff` through a symlink is no exitrd handover */
	if (mode == MODE_EXITRD && !pivot_is_mountpoint(OLDROOT)) {
		log_info("run as /shutdown but %s is no mount point: running stage 1", OLDROOT);
		mode = MODE_RUN;
	}
	switch (mode) {
	case MODE_STAGE2:
		log_info("stage 2 in the ramfs, %llu us after stage 1 began",
			 (unsigned long long)(now_us() - start_us));
		run(a, start, OLDROOT, cl->old_guard);
	case MODE_EXITRD:
		log_info("%s %s: exitrd, the old root is at %s", SHUTDOWNFS_VERSION,
			 action_name(a), OLDROOT);
		run(a, start, OLDROOT, 0);
	default:
		stage1(a, start_us, early_guard);
	}
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	char err[256];
	uint64_t start_us = now_us();
	bool bad = cmdline_parse(argc, argv, &cl, err, sizeof(err)) < 0;

	if (bad) {
		fprintf(stderr, "shutdownfs: %s\n", err);
		usage(2);
		cl.mode = MODE_RUN;
		cl.action = ACTION_NONE;
	} else if (cl.mode == MODE_HELP) {
		usage(1);
	} else if (cl.mode == MODE_VERSION) {
		printf("shutdownfs %s\n", SHUTDOWNFS_VERSION);
		fflush(stdout);
	} else if (cl.mode == MODE_PLAN && getpid() != 1) {
		config_build(&cfg, &cl, "/proc/cmdline");
		return plan_run(&cfg, cl.json) < 0 ? 1 : 0;
	} else if (cl.mode != MODE_PLAN && getpid() != 1) {
		fprintf(stderr, "shutdownfs: refusing to %s: not PID 1 of this PID namespace "
			"(pid %d); nothing was changed\n", action_name(cl.action), (int)getpid());
		return 2;
	}
	if (getpid() != 1)
		return bad ? 2 : 0;
	pid1(&cl, start_us);
}
