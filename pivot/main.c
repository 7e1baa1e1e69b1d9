/* main.c — parse; not PID 1: help, version, plan, or refuse; PID 1: set up
 * the run record and hand over to the keeper, which never returns. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmdline.h"
#include "config.h"
#include "final.h"
#include "budget.h"
#include "handover.h"
#include "keeper.h"
#include "log.h"
#include "pivot.h"
#include "plan.h"
#include "report.h"
#include "scope.h"
#include "spawn.h"
#include "state.h"
#include "watchdog.h"

/* Exit codes of the paths that are not PID 1 (shutdownfs(8)). */
enum {
	EXIT_OK = 0,
	EXIT_PLAN_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_PID1 = 3,
};

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

/* `shutdownfs last`: the config says where report_file is */
static int last_main(const struct cmdline *cl)
{
	struct report_paths p;
	struct last_opts o = { cl->json, cl->clear };
	struct config cfg;

	config_build(&cfg, cl, "/proc/cmdline");
	report_paths_default(&p, &cfg);
	if (cl->pstore_dir)
		p.pstore = cl->pstore_dir;
	if (cl->archive_dir)
		p.archive = cl->archive_dir;
	if (cl->efivars_dir)
		p.efivars = cl->efivars_dir;
	return last_run(&p, &o, stdout);
}

/* Stage 2 after the re-exec: the record stage 1 left on STATE_FD. */
static _Noreturn void stage2(struct run_state *rs)
{
	log_info("stage 2 in the ramfs, %llu us after stage 1 began",
		 (unsigned long long)(now_us() - rs->start_us));
	rs->stage = STAGE_TWO;
	rs->scope_ready = false;
	rs->phase = -1;
	log_set_verbose(rs->cfg.verbose);
	watchdog_adopt(rs->watchdog_fd, budget_deadline(rs));
	keeper_run(rs);
}

/* PID 1 from here on: never return, never exit. */
static _Noreturn void pid1(const struct cmdline *cl, uint64_t start_us)
{
	struct run_state *rs;
	enum mode mode = cl->mode;
	enum action a = cl->action;

	keeper_signals();
	/* an init that ran `umount -a` took /proc and /sys with it */
	pivot_mount_api();
	log_open();
	rs = state_adopt();
	if (rs)
		stage2(rs);
	rs = state_create();
	if (!rs)
		rs = state();
	/* the defaults and the options until the config phase has read the
	 * file (which may sit on a dead device): the deadline holds from here */
	config_defaults(&rs->cfg);
	config_apply_argv(&rs->cfg, cl);
	log_set_verbose(rs->cfg.verbose);
	rs->start_us = start_us;
	if (mode != MODE_RUN && mode != MODE_EXITRD) {
		log_err("PID 1 cannot return: rebooting");
		mode = MODE_RUN;
		a = ACTION_REBOOT;
	}
	if (a == ACTION_NONE) {
		log_err("no action: rebooting");
		a = ACTION_REBOOT;
	}
	rs->action = a;
	if (!namespace_is_ours())
		final_action(a, &rs->cfg, &rs->stats, false);
	/* `exec shutdown poweroff` through a symlink is no exitrd handover */
	if (mode == MODE_EXITRD && !pivot_is_mountpoint(OLDROOT)) {
		log_info("run as /shutdown but %s is no mount point: running stage 1", OLDROOT);
		mode = MODE_RUN;
	}
	if (mode == MODE_EXITRD)
		log_info("%s %s: exitrd, the old root is at %s", SHUTDOWNFS_VERSION,
			 action_name(a), OLDROOT);
	else
		log_info("%s %s: stage 1 on the old root", SHUTDOWNFS_VERSION, action_name(a));
	/* an init's `exec >/var/log/x 2>&1` would keep "/" busy */
	pivot_clean_fds();
	rs->stage = mode == MODE_EXITRD ? STAGE_TWO : STAGE_ONE;
	worker_set_cmdline(cl);
	keeper_run(rs);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	struct config cfg;
	char err[256];
	uint64_t start_us = now_us();
	bool bad = cmdline_parse(argc, argv, &cl, err, sizeof(err)) < 0;
	int r;

	/* issue 16 (inits): the handover helper, dinit calls that are not
	 * ours, and the action an init route passed to PID 1 */
	if (!bad && (r = handover_entry(&cl, argv)) >= 0)
		return r;
	if (getpid() == 1) {
		if (bad) {
			fprintf(stderr, "shutdownfs: %s\n", err);
			cl.mode = MODE_RUN;
			cl.action = ACTION_NONE;
		}
		pid1(&cl, start_us);
	}
	if (bad) {
		fprintf(stderr, "shutdownfs: %s\n", err);
		usage(2);
		return EXIT_USAGE;
	}
	switch (cl.mode) {
	case MODE_HELP:
		usage(1);
		return EXIT_OK;
	case MODE_VERSION:
		printf("shutdownfs %s\n", SHUTDOWNFS_VERSION);
		return EXIT_OK;
	case MODE_PLAN:
		config_build(&cfg, &cl, "/proc/cmdline");
		return plan_run(&cfg, cl.json) < 0 ? EXIT_PLAN_FAILED : EXIT_OK;
	case MODE_LAST:
		return last_main(&cl);
	default:
		fprintf(stderr, "shutdownfs: refusing to %s: not PID 1 of this PID namespace "
			"(pid %d); nothing was changed\n", action_name(cl.action), (int)getpid());
		return EXIT_NOT_PID1;
	}
}
