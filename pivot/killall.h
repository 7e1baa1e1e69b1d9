/* killall.h — the final kill: every process but us, kernel threads and
 * protected root-storage daemons. */
#ifndef KILLALL_H
#define KILLALL_H

#include <sys/types.h>

#include "config.h"

/* After SIGKILL: how long the survivors (D-state tasks may never go) are
 * waited for, in two sweeps. */
#define KILLALL_SURVIVOR_WAIT_MS 2000

/* SIGTERM+SIGCONT, wait up to c->kill_timeout_ms while reaping, SIGKILL,
 * name each survivor. PID 1 and the caller are spared, and so is `spare`
 * if not 0. Returns the number of processes still alive at the end. */
int killall_run(const struct config *c, pid_t spare, const char *oldroot, struct stats *st);

/* Protected: the real uid is root, and argv[0][0] == '@' or comm is listed
 * in protect (*ret_by_config then set). The one rule of the run and plan. */
bool killall_is_protected(const struct config *c, const char *procdir, bool *ret_by_config);

#endif
