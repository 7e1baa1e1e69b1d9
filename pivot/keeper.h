/* keeper.h — PID 1: keeps the deadline, runs the phases in workers. */
#ifndef KEEPER_H
#define KEEPER_H

#include <stdint.h>

#include "state.h"
#include "worker.h"

/* Block the async signals and read them through a signalfd: first thing
 * PID 1 does. */
void keeper_signals(void);
/* Run rs->stage's phases in workers, re-exec after stage 1 (or fall back on
 * the old root), then sync (bounded) and reboot(2). Never returns. */
_Noreturn void keeper_run(struct run_state *rs);
/* The global deadline, CLOCK_MONOTONIC ms; 0 when there is none. */
uint64_t keeper_deadline(const struct run_state *rs);
/* When phase i (started at rs->phase_since_ms) must end: its budget, cut so
 * that the reserves of the phases after it and PID 1's final sync still fit
 * before the deadline, but never below its own reserve. */
uint64_t keeper_phase_end(const struct run_state *rs, const struct run_phase *ph, unsigned n,
			  unsigned i);

#endif
