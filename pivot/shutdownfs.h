/* shutdownfs.h — types shared by every step of the run: actions and counters. */
#ifndef SHUTDOWNFS_H
#define SHUTDOWNFS_H

#include <stdbool.h>
#include <sys/types.h>

#define SHUTDOWNFS_VERSION "0.1.0"

enum action {
	ACTION_NONE = 0,
	ACTION_REBOOT,
	ACTION_POWEROFF,
	ACTION_HALT,
	ACTION_KEXEC,
};

const char *action_name(enum action a);
/* "exit" (systemd's container verb) maps to poweroff. Returns 0 or -EINVAL. */
int action_parse(const char *s, enum action *ret);

/* Everything the summary line reports. One instance lives in main.c. */
struct stats {
	unsigned killed;        /* processes that needed SIGKILL */
	unsigned unmounted;
	unsigned ro;            /* remounted read-only, could not unmount */
	unsigned detached;      /* MNT_DETACH'ed, superblock maybe still referenced */
	unsigned swapoff;
	unsigned dm;
	unsigned md;
	unsigned loop;
	unsigned crypt_left;    /* dm-crypt mappings present just before reboot(2) */
	unsigned hooks_ok;
	unsigned hooks_failed;
	unsigned hooks_timeout;
	unsigned left;          /* mounts/devices in scope still present at the end */
	unsigned timeouts;      /* calls that overran their deadline (umount, sync ...) */
};

#endif
