/* watchdog.h — the watchdog device, held by PID 1: armed to the deadline
 * plus a margin, so a kernel too stuck even for the keeper's reboot(2) (a
 * device shutdown callback on a dead disk) is still reset. */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include <stdint.h>

#include "config.h"

#define WATCHDOG_MARGIN_S 10    /* past the deadline, for the keeper's own reboot(2) */

/* Open and arm per c->watchdog (or systemd's WATCHDOG_USEC/WATCHDOG_DEVICE)
 * to the deadline plus the margin. deadline_at 0: keep the timeout. A no-op
 * once a device is open. */
void watchdog_start(const struct config *c, uint64_t deadline_at);
/* Stage 2: take over the device stage 1 opened (its fd survived the exec:
 * closing it would stop drivers without WDIOF_MAGICCLOSE). */
void watchdog_adopt(int fd, uint64_t deadline_at);
/* A step completed: pull the timeout in to the deadline plus the margin
 * (setting it pings) or just ping. */
void watchdog_ping(void);
/* The open device, or -1: kept open across the re-exec (not close-on-exec). */
int watchdog_fd(void);
/* Stage 1, in the worker: softdog when watchdog=auto and no device exists. */
void watchdog_prepare(const struct config *c);

#endif
