/* final.c — the summary line and the one reboot sequence: reboot(2) with
 * the action; if it returns, the next action; if all fail, reap forever.
 * PID 1 exiting would panic the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "final.h"
#include "clock.h"
#include "layers.h"
#include "log.h"
#include "scope.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"

#ifndef RB_KEXEC
#define RB_KEXEC 0x45584543
#endif

/* One line per layer, just above the summary: in kmsg, so in the record
 * and a pstore dump too, and again on the console by the glance. */
static void layers_log(const struct layer_set *ls)
{
	char line[LAYER_KIND_MAX + LAYER_NAME_MAX + LAYER_OUTCOME_MAX + 32];
	unsigned i, n = layers_lines(ls);

	for (i = 0; i < n; i++)
		log_notice("%s", layers_line(ls, i, line, sizeof(line)));
}

void final_summary(enum action a, const struct stats *st, uint64_t start_ms, bool incomplete)
{
	bool clean = !incomplete && st->left == 0 && st->ro == 0 && st->detached == 0 &&
		     st->crypt_left == 0 && st->timeouts == 0;

	layers_log(&state()->layers);
	log_notice("summary action=%s result=%s unmounted=%u ro=%u detached=%u swapoff=%u "
		   "dm=%u md=%u loop=%u crypt_left=%u hooks_ok=%u hooks_failed=%u "
		   "hooks_timeout=%u killed=%u timeouts=%u left=%u ms=%llu",
		   action_name(a), clean ? "clean" : "degraded", st->unmounted, st->ro,
		   st->detached, st->swapoff, st->dm, st->md, st->loop, st->crypt_left,
		   st->hooks_ok, st->hooks_failed, st->hooks_timeout, st->killed, st->timeouts,
		   st->left,
		   (unsigned long long)(now_ms() - start_ms));
}

static bool kexec_loaded(void)
{
	char c = '0';
	int fd = open("/sys/kernel/kexec_loaded", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!read(fd, &c, 1);
		close(fd);
	}
	return c == '1';
}

int final_reboot_cmd(enum action a, const struct config *c, const struct stats *st,
		     bool crypt_known)
{
	switch (a) {
	case ACTION_POWEROFF:
		return RB_POWER_OFF;
	case ACTION_HALT:
		return RB_HALT_SYSTEM;
	case ACTION_KEXEC:
		/* fail closed: a run that could not count them may have left keys */
		if (!crypt_known && !c->kexec_with_keys) {
			log_err("kexec refused: cannot tell whether dm-crypt keys are left, "
				"they would survive into the next kernel; rebooting");
			return RB_AUTOBOOT;
		}
		if (st->crypt_left > 0 && !c->kexec_with_keys) {
			log_err("kexec refused: %u dm-crypt mappings left, their keys would "
				"survive into the next kernel; rebooting", st->crypt_left);
			return RB_AUTOBOOT;
		}
		/* in a child PID namespace reboot(2) knows no kexec: EINVAL,
		 * and the fallback below restarts */
		if (pidns_is_initial() && !kexec_loaded()) {
			log_warn("kexec: no kernel loaded, rebooting");
			return RB_AUTOBOOT;
		}
		return RB_KEXEC;
	default:
		return RB_AUTOBOOT;
	}
}

_Noreturn void final_action(enum action a, const struct config *c, const struct stats *st,
			    bool crypt_known)
{
	static const int fallback[] = { RB_AUTOBOOT, RB_HALT_SYSTEM };
	size_t i;
	int cmd = final_reboot_cmd(a, c, st, crypt_known);

	(void)sys_reboot(cmd);
	log_err("reboot(2) %s: %s, trying the next action", action_name(a), strerror(errno));
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		if (fallback[i] == cmd)
			continue;
		(void)sys_reboot(fallback[i]);
		log_err("reboot(2) %#x: %s", (unsigned)fallback[i], strerror(errno));
	}
	log_err("cannot reboot, halt or power off; it is safe to switch the machine off now");
	for (;;)
		reap_sleep(60000);
}
