/* guard-watchdog.h — internal to guard.c: the watchdog device. */
#ifndef GUARD_WATCHDOG_H
#define GUARD_WATCHDOG_H

#include <stdint.h>

#include "config.h"

#define WATCHDOG_MARGIN_S 10    /* past the deadline, for the guardian's own reboot(2) */

/* Open and arm per c->watchdog (or systemd's WATCHDOG_USEC/WATCHDOG_DEVICE)
 * to the deadline plus the margin. deadline_at 0: keep the timeout. */
void watchdog_start(const struct config *c, uint64_t deadline_at);
/* A step completed: pull the timeout in to the deadline plus the margin
 * (setting it pings) or just ping. */
void watchdog_ping(void);
/* Stage 1: softdog when watchdog=auto and no device exists. */
void watchdog_prepare(const struct config *c);

#endif
