/* action.c — names of the actions the run ends in. */
#include <errno.h>
#include <string.h>

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
