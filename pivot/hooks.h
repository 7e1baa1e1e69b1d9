/* hooks.h — hook phases run from /hooks.d/PHASE/ inside the ramfs. */
#ifndef HOOKS_H
#define HOOKS_H

#include <sys/stat.h>

#include "shutdownfs.h"

enum phase {
	PHASE_PRE_UMOUNT = 0,
	PHASE_TEARDOWN,
	PHASE_POST_TEARDOWN,
	PHASE_FINAL,
	PHASE__MAX,
};

const char *phase_name(enum phase p);

/* Mount proc, sysfs and devtmpfs again on /proc, /sys and /dev where a
 * hook unmounted them (or mounted something else there), and the ramfs
 * root (a tmpfs) read-write again if a hook's `umount -a` made it
 * read-only; `after` names the step for the log. Returns how many were mounted. hooks_run_phase()
 * calls it after every hook. */
int hooks_restore_api(const char *after);
/* Why a hook with this lstat is refused ("a symlink", "not owned by root"
 * ...), NULL when it may run: the one rule, for the run and for plan. */
const char *hook_refusal(const struct stat *st);
/* Run every hook of dir/PHASE in lexical order, each as `hook ACTION` in its
 * own process group with a deadline (default_timeout_ms, or the hook's own
 * `# timeout: N` line), output into the log line by line. Unsafe hooks (not
 * a regular root-owned executable, or group/world-writable) are skipped.
 * Counts outcomes into st. Returns the number of hooks that did not succeed. */
int hooks_run_phase(const char *dir, enum phase p, enum action a,
		    unsigned default_timeout_ms, struct stats *st);

#endif
