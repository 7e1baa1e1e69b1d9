/* worker.c — every step that can block on a device or crash in a library,
 * run in a child of PID 1 as a list of phases. The keeper (keeper.c)
 * restarts a worker that died at the next phase and abandons a phase that
 * overran its budget; everything a later worker needs is in the run record. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "budget.h"
#include "clock.h"
#include "cmdline.h"
#include "final.h"
#include "scope.h"
#include "watchdog.h"
#include "hooks.h"
#include "killall.h"
#include "log.h"
#include "modules.h"
#include "pivot.h"
#include "report.h"
#include "spawn.h"
#include "teardown.h"
#include "umount.h"
#include "worker.h"

#define PASS_MAX 16             /* fixpoint passes: stacks nest, but not deeper */
#define HOOKS_DIR "/hooks.d"
/* past kill_timeout: the survivor wait, and the /proc walks of SIGTERM and
 * SIGKILL, which a slow machine (TCG, thousands of processes) stretches:
 * the kill's own bound must not be what times the phase out */
#define KILL_SLACK_MS (KILLALL_SURVIVOR_WAIT_MS + 3000)

static const struct cmdline *cmdline;

void worker_set_cmdline(const struct cmdline *cl)
{
	cmdline = cl;
}

static const char *oldroot_of(const struct run_state *rs)
{
	return rs->stage == STAGE_TWO ? OLDROOT : "/";
}

/* The scope is fixed once per stage: a worker started after the unmounts
 * must not see fewer devices as ours (a child PID namespace). */
static struct scope *scope_get(struct run_state *rs)
{
	if (!rs->scope_ready) {
		scope_init(&rs->scope, pidns_is_initial(), oldroot_of(rs));
		(void)scope_collect(&rs->scope);
		loop_note_attached(&rs->scope);
		rs->scope_ready = true;
	}
	return &rs->scope;
}

enum pass {
	PASS_UNMOUNT,           /* mounts, swap, loops */
	PASS_DEVICES,           /* and dm, md */
	PASS_LAST_TRY,          /* and every leftover named as an error */
};

/* What a pass left (each step's count of what it did not take down), or
 * unknown (-1) once a step could not count. */
static int tally(int left, int r)
{
	return left < 0 || r < 0 ? -1 : left + r;
}

/* One fixpoint: repeated while a pass changes what sysfs and the mount
 * table show, and something of ours is left: a pass over nothing would
 * only read the tables again (each read costs tens of ms under TCG). */
static void teardown_pass(struct run_state *rs, enum pass kind)
{
	const struct scope *s = scope_get(rs);
	struct stats *st = &rs->stats;
	unsigned pass;

	for (pass = 0; pass < PASS_MAX; pass++) {
		bool changed = false, lt = kind == PASS_LAST_TRY && pass > 0;
		int left = 0;

		left = tally(left, umount_pass(s, &changed, st));
		left = tally(left, swap_detach_all(s, lt, &changed, st));
		left = tally(left, loop_detach_all(s, lt, &changed, st));
		if (kind != PASS_UNMOUNT) {
			left = tally(left, devices_detach_all(s, lt, &changed, st));
			rs->nothing_left = left == 0;
		}
		if (left == 0)
			break;
		/* the last try's pass 0 only sees what the lazy detach freed;
		 * pass 1, where every call gives up waiting (an external md
		 * array is stopped without its mdmon's mark), always runs */
		if (!changed && !(kind == PASS_LAST_TRY && pass == 0))
			break;
	}
}

/* The file may sit on a dead root device: read in a worker, under the
 * deadline that the defaults and the options already set. */
static void ph_config(struct run_state *rs)
{
	struct config c;

	if (rs->cfg_loaded || !cmdline)
		return;
	config_build(&c, cmdline, "/proc/cmdline");
	rs->cfg = c;
	rs->cfg_loaded = true;
}

static void ph_resume(struct run_state *rs)
{
	/* a suspended device under the root blocks every read of the
	 * skeleton, and a process in D state on it cannot die: resume first */
	(void)dm_resume_all(scope_get(rs));
}

static void ph_modules(struct run_state *rs)
{
	/* modules are global: a test namespace must not load them on the host */
	if (pidns_is_initial())
		(void)modules_preload(&rs->cfg);
	else if (rs->cfg.npreload)
		log_info("preload: skipped in a child PID namespace");
	watchdog_prepare(&rs->cfg);
}

static void ph_kill(struct run_state *rs)
{
	(void)killall_run(&rs->cfg, 0, oldroot_of(rs), &rs->stats);
}

static void ph_ramfs(struct run_state *rs)
{
	int r = pivot_into_ramfs(&rs->cfg, rs->ramfs_mp, sizeof(rs->ramfs_mp));

	if (r < 0) {
		log_err("cannot pivot into the ramfs, tearing down from the old root");
		return;
	}
	rs->ramfs_ready = true;
}

static void hooks_phase(struct run_state *rs, enum phase p)
{
	(void)hooks_run_phase(HOOKS_DIR, p, rs->action, rs->cfg.hook_timeout_ms, &rs->stats);
}

static void ph_pre_umount(struct run_state *rs)
{
	hooks_phase(rs, PHASE_PRE_UMOUNT);
}

static void ph_unmount(struct run_state *rs)
{
	teardown_pass(rs, PASS_UNMOUNT);
}

static void ph_hooks_teardown(struct run_state *rs)
{
	hooks_phase(rs, PHASE_TEARDOWN);
}

static void ph_teardown(struct run_state *rs)
{
	teardown_pass(rs, PASS_DEVICES);
}

/* The fallback keeps "/" mounted: read-only at best, and never clean. */
static void root_read_only(struct stats *st)
{
	int r = spawn_remount_ro("/", UMOUNT_TIMEOUT_MS);

	if (r == 0) {
		st->ro++;
		log_warn("/: remounted read-only, it stays mounted");
	} else {
		st->left++;
		log_err("/: remount read-only: %s", r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
	}
}

static void ph_busy(struct run_state *rs)
{
	(void)umount_finish(scope_get(rs), &rs->stats);
	if (rs->stage == STAGE_FALLBACK)
		root_read_only(&rs->stats);
	/* after a teardown that left nothing, the last try would find nothing */
	if (!rs->nothing_left || rs->stage == STAGE_FALLBACK)
		teardown_pass(rs, PASS_LAST_TRY);
	umount_released(&rs->stats);
}

static void sync_bounded(struct stats *st)
{
	int r = spawn_sync(SYNC_TIMEOUT_MS);

	if (r < 0 && r != SPAWN_TIMEOUT)
		log_err("sync: %s, dirty data may be lost", strerror(-r));
	else if (r == SPAWN_TIMEOUT)
		log_err("sync: timed out, dirty data may be lost");
}

static void ph_post_teardown(struct run_state *rs)
{
	/* dirty pages of what is still up must reach network block devices
	 * before the hooks log them out */
	sync_bounded(&rs->stats);
	hooks_phase(rs, PHASE_POST_TEARDOWN);
}

static void ph_final_hooks(struct run_state *rs)
{
	hooks_phase(rs, PHASE_FINAL);
}

static void ph_summary(struct run_state *rs)
{
	const struct scope *s = scope_get(rs);
	int crypt;

	sync_bounded(&rs->stats);
	crypt = dm_crypt_left(s);
	rs->stats.crypt_left = crypt < 0 ? 0 : (unsigned)crypt;
	rs->crypt_known = crypt >= 0;
	rs->stats.left += (unsigned)(rs->stage == STAGE_TWO ? umount_count(s) : 0) +
			  blockgraph_left(s, true) + swap_left(s);
	final_summary(rs->action, &rs->stats, rs->start_us / 1000, false);
	rs->summary_done = true;
	/* the record kept across the reboot, then the host told (report.h) */
	report_finish(&rs->cfg, &rs->stats, rs->start_us);
}

static const struct run_phase stage1[] = {
	{ "stage 1: config", ph_config, 5000, 0, 0 },
	{ "stage 1: resume dm", ph_resume, 6000, 0, 0 },
	{ "stage 1: modules", ph_modules, 5000, 0, PH_ARM_WATCHDOG },
	/* SIGTERM while the processes still see the old root: their exit
	 * handlers save state by absolute paths */
	{ "stage 1: kill", ph_kill, 0, 0, 0 },
	/* a big skeleton read through dm-crypt on a slow disk takes long, and the
	 * fallback costs more than the wait: up to the reserves */
	{ "stage 1: ramfs", ph_ramfs, 40000, 0, 0 },
};

static const struct run_phase stage2[] = {
	{ "config", ph_config, 5000, 0, PH_ARM_WATCHDOG },
	{ "resume dm", ph_resume, 6000, 0, 0 },
	{ "kill", ph_kill, 0, 0, 0 },
	{ "hooks pre-umount", ph_pre_umount, 0, 0, PH_RAMFS },
	{ "unmount", ph_unmount, 20000, 0, 0 },
	{ "hooks teardown", ph_hooks_teardown, 0, 0, PH_RAMFS },
	/* the key wipe and the md stop: always their turn */
	{ "teardown", ph_teardown, 20000, 8000, 0 },
	{ "busy mounts", ph_busy, 15000, 4000, 0 },
	{ "hooks post-teardown", ph_post_teardown, 0, 0, PH_RAMFS },
	{ "hooks final", ph_final_hooks, 0, 0, PH_RAMFS },
	{ "summary", ph_summary, 15000, 3000, 0 },
};

const struct run_phase *worker_phases(enum stage st, unsigned *ret_n)
{
	if (st == STAGE_ONE) {
		*ret_n = sizeof(stage1) / sizeof(stage1[0]);
		return stage1;
	}
	*ret_n = sizeof(stage2) / sizeof(stage2[0]);
	return stage2;
}

unsigned worker_budget(const struct run_phase *p, const struct run_state *rs)
{
	if (p->budget_ms)
		return p->budget_ms;
	if (p->run == ph_kill)
		return rs->cfg.kill_timeout_ms + KILL_SLACK_MS;
	/* hooks: the worker says how many there are once it has looked */
	return rs->phase_budget_ms ? rs->phase_budget_ms : rs->cfg.hook_timeout_ms + 1000;
}

bool worker_phase_applies(const struct run_phase *p, const struct run_state *rs)
{
	return !(p->flags & PH_RAMFS) || rs->stage == STAGE_TWO;
}

_Noreturn void worker_main(struct run_state *rs, unsigned first)
{
	const struct run_phase *ph;
	unsigned n, i;

	(void)prctl(PR_SET_NAME, "shutdownfs-work", 0, 0, 0);
	log_set_verbose(rs->cfg.verbose);
	/* PID 1's: a copy here would only show up as a holder of /dev */
	if (watchdog_fd() >= 0)
		(void)close(watchdog_fd());
	ph = worker_phases(rs->stage, &n);
	/* swap files are swapped off through fds opened while their paths
	 * still resolve: each worker keeps its own (detach-swap.c) */
	if (rs->stage != STAGE_ONE)
		swap_note_all(scope_get(rs));
	for (i = first; i < n; i++) {
		if (!worker_phase_applies(&ph[i], rs))
			continue;
		rs->phase_budget_ms = 0;
		rs->step[0] = '\0';
		__atomic_store_n(&rs->phase_since_ms, now_ms(), __ATOMIC_RELAXED);
		__atomic_store_n(&rs->phase, (int)i, __ATOMIC_RELEASE);
		if (budget_phase_end(rs, ph, n, i) <= rs->phase_since_ms) {
			log_warn("%s: no time left before the deadline, skipping it", ph[i].name);
			rs->stats.timeouts++;
			continue;
		}
		log_debug("phase %s, %llu us after stage 1 began", ph[i].name,
			  (unsigned long long)(now_us() - rs->start_us));
		ph[i].run(rs);
	}
	__atomic_store_n(&rs->phase, (int)n, __ATOMIC_RELEASE);
	_exit(0);
}
