/* sys.h — the seam between the run and the kernel: every call that changes
 * the machine. sys-linux.c is the production link; tests/unit/fake-sys.c
 * scripts results and records the order of calls. */
#ifndef SYS_H
#define SYS_H

#include <sys/types.h>

int sys_mount(const char *src, const char *target, const char *type,
	      unsigned long flags, const void *data);
int sys_umount2(const char *target, int flags);
int sys_pivot_root(const char *new_root, const char *put_old);
int sys_reboot(int cmd);
int sys_swapoff(const char *path);
int sys_kill(pid_t pid, int sig);
/* ioctl on dm control, md, loop and watchdog devices */
int sys_ioctl(int fd, unsigned long req, void *arg);
void sys_sync(void);

#endif
