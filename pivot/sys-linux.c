/* sys-linux.c — the real syscalls behind sys.h (production link only). */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>

#include "sys.h"

int sys_mount(const char *src, const char *target, const char *type,
	      unsigned long flags, const void *data)
{
	return mount(src, target, type, flags, data);
}

int sys_umount2(const char *target, int flags)
{
	return umount2(target, flags);
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int sys_reboot(int cmd)
{
	return reboot(cmd);
}

int sys_swapoff(const char *path)
{
	return swapoff(path);
}

int sys_kill(pid_t pid, int sig)
{
	return kill(pid, sig);
}

int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

void sys_sync(void)
{
	sync();
}
