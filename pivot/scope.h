/* scope.h — what this run may touch (pivot/scope.c). */
#ifndef SHUTDOWNFS_SCOPE_H
#define SHUTDOWNFS_SCOPE_H

#include <stdbool.h>
#include <sys/types.h>

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

bool pidns_is_initial(void);
void scope_init(struct scope *s, bool whole_machine, const char *oldroot);
int scope_add(struct scope *s, dev_t dev);
bool scope_has(const struct scope *s, dev_t dev);
/* Collect the devices of every mount in s->mountinfo, then close over sysfs
 * slaves/ and loop backing files, so the scope covers whole stacks. */
int scope_collect(struct scope *s);

#endif
