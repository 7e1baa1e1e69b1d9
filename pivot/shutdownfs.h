/* shutdownfs.h — types shared by every step of the run: actions, counters, scope. */
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

/* What this run may touch. In the initial PID namespace: the whole machine.
 * In a child PID namespace (tests, containers): only the block devices that
 * the mounts of our own mount namespace used when stage 2 started, the
 * devices under them (slaves), and loop devices backed by files on them. */
#define SCOPE_MAX_DEVS 256
struct scope {
	bool whole_machine;
	const char *oldroot;    /* "/oldroot" in stage 2, "/" in the fallback */
	const char *sysfs;      /* "/sys", or a fixture tree in unit tests */
	const char *mountinfo;  /* "/proc/self/mountinfo", or a fixture */
	const char *swaps;      /* "/proc/swaps", or a fixture */
	unsigned ndevs;
	dev_t devs[SCOPE_MAX_DEVS];
};

/* scope.c */
bool pidns_is_initial(void);
void scope_init(struct scope *s, bool whole_machine, const char *oldroot);
int scope_add(struct scope *s, dev_t dev);
bool scope_has(const struct scope *s, dev_t dev);
/* Collect the devices of every mount in s->mountinfo, then close over sysfs
 * slaves/ and loop backing files, so the scope covers whole stacks. */
int scope_collect(struct scope *s);

#endif
