/* final.h — the only way out: reboot(2), fallbacks, reap forever. */
#ifndef FINAL_H
#define FINAL_H

#include <stdint.h>

#include "config.h"

#define SYNC_TIMEOUT_MS 10000

/* Summary line (DESIGN.md) from st; result=clean only when nothing was left
 * and the run was not cut short (incomplete: the deadline fired first). */
void final_summary(enum action a, const struct stats *st, uint64_t start_ms, bool incomplete);
/* Map an action to reboot(2)'s cmd, with kexec refused when crypt keys are
 * left or nobody could count them (crypt_known false), unless
 * kexec_with_keys, and when no kernel is loaded. */
int final_reboot_cmd(enum action a, const struct config *c, const struct stats *st,
		     bool crypt_known);
/* reboot(2) with the action; if it returns, reboot, then halt, then reap
 * forever with a console message. PID 1 never returns from main. */
_Noreturn void final_action(enum action a, const struct config *c, const struct stats *st,
			    bool crypt_known);

#endif
