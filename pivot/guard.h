/* guard.h — the deadline guardian and the watchdog: whatever happens, the
 * machine reaches reboot(2). */
#ifndef GUARD_H
#define GUARD_H

#include <stdint.h>

#include "config.h"

/* Map the shared step record. Call once, before any fork that the guardian
 * must see steps from (i.e. early in stage 2 and in the fallback). */
void guard_init(void);
/* Fork the guardian: it sleeps until deadline_at (CLOCK_MONOTONIC ms) and
 * then logs which step was running and calls reboot(2) with the action
 * (kexec becomes reboot). deadline_ms == 0 in c disables it. Also opens and
 * arms the watchdog per c->watchdog (or WATCHDOG_USEC in exitrd mode).
 * Returns the guardian pid, 0 when disabled, or a negative errno. */
int guard_start(const struct config *c, enum action a, uint64_t deadline_at);
/* Record the step now running (shown when the deadline fires) and ping the
 * watchdog: a step completed. */
void guard_step(const char *step);
/* The guardian's pid, 0 before guard_start() or when disabled. The final
 * kill must spare it (main.c passes guard_start()'s result to killall). */
int guard_pid(void);
/* The open watchdog device, or -1: the fd closer must keep it (closing it
 * without the magic character leaves it armed, but our pings would then go
 * to whatever reuses the number). */
int guard_watchdog_fd(void);
/* Load softdog when watchdog=auto and no /dev/watchdog0 exists. Stage 1,
 * while /lib/modules is still reachable. */
void guard_prepare_watchdog(const struct config *c);

#endif
