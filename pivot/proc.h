/* proc.h — the one reader of /proc/PID/stat and /proc/PID/status. */
#ifndef SHUTDOWNFS_PROC_H
#define SHUTDOWNFS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#define PROC_PF_KTHREAD 0x00200000U     /* task flags: a kernel thread */

struct proc_stat {
	char comm[64];
	char state;             /* R S D Z T t X I ... */
	pid_t ppid;
	pid_t pgrp;
	unsigned flags;         /* PF_* */
};

/* DIR is "/proc/PID" (or a fixture's copy). 0, -ENOENT when gone, -EINVAL
 * when the line does not parse. Reads only stat: never cmdline or environ,
 * which take the target's mmap lock. */
int proc_stat_read(const char *dir, struct proc_stat *ret);
/* The real uid from DIR/status (not the effective one /proc/PID is owned
 * by, which a setuid program would pass off as root); false when unknown. */
bool proc_real_uid_is_root(const char *dir);

#endif
