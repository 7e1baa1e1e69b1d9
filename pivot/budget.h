/* budget.h — phase budgets, reserves and the global deadline. */
#ifndef BUDGET_H
#define BUDGET_H

#include <stdint.h>

#include "state.h"
#include "worker.h"

#define FINAL_SYNC_MS 2000      /* PID 1's own sync, kept free before the deadline */

/* The global deadline, CLOCK_MONOTONIC ms; 0 when there is none. */
uint64_t budget_deadline(const struct run_state *rs);
/* When the keeper stops the run: the deadline less PID 1's final sync. */
uint64_t budget_stop(const struct run_state *rs, const struct run_phase *ph, unsigned n);
/* When phase i (started at rs->phase_since_ms) must end: its budget, cut so
 * that the reserves of the phases after it and PID 1's final sync still fit
 * before the deadline, but never below its own reserve. The reserves take
 * at most a third of the deadline, scaled down together for short ones. */
uint64_t budget_phase_end(const struct run_state *rs, const struct run_phase *ph, unsigned n,
			  unsigned i);

#endif
