/* keeper.h — PID 1: keeps the deadline, runs the phases in workers. */
#ifndef KEEPER_H
#define KEEPER_H

#include "state.h"
#include "worker.h"

/* Block the async signals and read them through a signalfd: first thing
 * PID 1 does. */
void keeper_signals(void);
/* Run rs->stage's phases in workers, re-exec after stage 1 (or fall back on
 * the old root), then sync (bounded) and reboot(2). Never returns. */
_Noreturn void keeper_run(struct run_state *rs);
#endif
