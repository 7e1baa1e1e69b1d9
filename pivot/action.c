/* action.c — names of the actions the run ends in, and of the inits that hand over. */
#include <errno.h>
#include <string.h>

#include "handover.h"
#include "shutdownfs.h"

static const char *const names[] = {
	[ACTION_NONE] = "none",
	[ACTION_REBOOT] = "reboot",
	[ACTION_POWEROFF] = "poweroff",
	[ACTION_HALT] = "halt",
	[ACTION_KEXEC] = "kexec",
};

const char *action_name(enum action a)
{
	if ((unsigned)a >= sizeof(names) / sizeof(names[0]))
		return "none";
	return names[a];
}

int action_parse(const char *s, enum action *ret)
{
	unsigned i;

	for (i = ACTION_REBOOT; i <= ACTION_KEXEC; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum action)i;
			return 0;
		}
	/* systemd-shutdown's container verb: ending PID 1 is what it asks */
	if (strcmp(s, "exit") == 0) {
		*ret = ACTION_POWEROFF;
		return 0;
	}
	return -EINVAL;
}

/* Names of the inits that hand over (pivot/handover.h), for --from, --init
 * and plan. */
static const char *const init_names[] = {
	[INIT_UNKNOWN] = "unknown",
	[INIT_SYSVINIT] = "sysvinit",
	[INIT_BUSYBOX] = "busybox",
	[INIT_S6] = "s6-linux-init",
	[INIT_DINIT] = "dinit",
	[INIT_SYSTEMD] = "systemd",
	[INIT_RUNIT] = "runit",
	[INIT_OPENRC] = "openrc-init",
	[INIT_FINIT] = "finit",
	[INIT_SHUTDOWNFS] = "shutdownfs",
};

const char *init_kind_name(enum init_kind k)
{
	if ((unsigned)k >= INIT__MAX)
		return "unknown";
	return init_names[k];
}

enum init_kind init_kind_parse(const char *s)
{
	unsigned i;

	for (i = INIT_SYSVINIT; i < INIT__MAX; i++)
		if (strcmp(s, init_names[i]) == 0)
			return (enum init_kind)i;
	/* the short names people type */
	if (strcmp(s, "s6") == 0)
		return INIT_S6;
	if (strcmp(s, "openrc") == 0)
		return INIT_OPENRC;
	return INIT_UNKNOWN;
}
