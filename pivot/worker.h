/* worker.h — the steps of the run, as a list of phases the keeper hands to
 * a worker child; each phase has a budget and the critical ones (the key
 * wipe, md stop, the summary) a reserve that earlier phases may not eat. */
#ifndef WORKER_H
#define WORKER_H

#include "cmdline.h"
#include "state.h"

enum phase_flag {
	PH_RAMFS = 1,           /* needs the ramfs (hooks): skipped in the fallback */
	PH_ARM_WATCHDOG = 2,    /* the keeper opens the watchdog once it is done */
};

struct run_phase {
	const char *name;
	void (*run)(struct run_state *rs);
	unsigned budget_ms;     /* 0: from the config (kill, hooks) */
	unsigned reserve_ms;    /* kept free for it before the deadline */
	unsigned flags;
};

/* The command line the config phase applies over the file (stage 1, exitrd). */
void worker_set_cmdline(const struct cmdline *cl);
/* The phases of a stage, in order. */
const struct run_phase *worker_phases(enum stage st, unsigned *ret_n);
/* Hooks phases run only in the ramfs (not in the fallback). */
bool worker_phase_applies(const struct run_phase *p, const struct run_state *rs);
/* A phase's budget: its own, the config's for the kill, or what the worker
 * said the hooks of that phase may take. */
unsigned worker_budget(const struct run_phase *p, const struct run_state *rs);
/* The child's side: run phases from `first` to the end, recording each in
 * rs; _exit(0) after the last. */
_Noreturn void worker_main(struct run_state *rs, unsigned first);

#endif
